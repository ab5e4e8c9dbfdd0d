// The least privilege podinfo needs, and what to say when it lacks some.
//   its pod:  get (and watch, for the sidecar) in its namespace — a Role; with
//             the pod's name known in advance (a bare Pod), only that pod;
//   its node: get (and watch) on nodes — a ClusterRole, since nodes are
//             cluster-scoped; not limited by name, because the scheduler picks
//             the node after the RBAC is written.
// The sidecar's watch sends fieldSelector=metadata.name=<name>; the API server
// authorizes such a list or watch as a request for that one name, so
// resourceNames limits it too (checked against a real kube-apiserver in
// test/integration/podinfo.test.ts).
import type { KubeClient } from '../client/kube-client.js';
import type { KubeObject } from '../client/objects.js';
import { PodInfoError } from './errors.js';

export interface RbacOptions {
  namespace: string;
  serviceAccount: string;
  /** Limit the pod rule to this name (resourceNames): for pods whose name is fixed. */
  podName?: string;
  /** --once reads each object once: get only, no watch. */
  once?: boolean;
}

export interface RbacDocument {
  /** Shown as a YAML comment above the object. */
  comment: string;
  object: KubeObject & Record<string, unknown>;
}

const rbacApi = 'rbac.authorization.k8s.io/v1';
const labels = { 'app.kubernetes.io/name': 'kube-ambassador', 'app.kubernetes.io/component': 'podinfo' };

export function verbsFor(once: boolean | undefined): string[] {
  return once ? ['get'] : ['get', 'watch'];
}

/**
 * The names podinfo's RBAC objects get: a Role and RoleBinding per service
 * account, a ClusterRole shared by all (one per set of verbs, so an init
 * container's get-only role never replaces a sidecar's), a ClusterRoleBinding
 * per service account.
 */
export function rbacNames(namespace: string, serviceAccount: string, once?: boolean) {
  return {
    role: `kube-ambassador-podinfo:${serviceAccount}`,
    clusterRole: `kube-ambassador-podinfo:nodes:${verbsFor(once).join('-')}`,
    clusterRoleBinding: `kube-ambassador-podinfo:nodes:${namespace}:${serviceAccount}`,
  };
}

/** Role, RoleBinding, ClusterRole and ClusterRoleBinding for the service account. */
export function podinfoRbac(o: RbacOptions): RbacDocument[] {
  const names = rbacNames(o.namespace, o.serviceAccount, o.once);
  const verbs = verbsFor(o.once);
  const subjects = [{ kind: 'ServiceAccount', name: o.serviceAccount, namespace: o.namespace }];
  const podRule: Record<string, unknown> = { apiGroups: [''], resources: ['pods'], verbs };
  if (o.podName) podRule.resourceNames = [o.podName];
  return [
    {
      comment: o.podName
        ? `podinfo reads its own pod, ${o.namespace}/${o.podName}, and no other`
        : `podinfo reads its own pod (pods with generated names: any pod of ${o.namespace}; use --pod-name for a fixed name)`,
      object: { apiVersion: rbacApi, kind: 'Role', metadata: { name: names.role, namespace: o.namespace, labels }, rules: [podRule] },
    },
    {
      comment: `for the service account ${o.namespace}/${o.serviceAccount}`,
      object: {
        apiVersion: rbacApi, kind: 'RoleBinding', metadata: { name: names.role, namespace: o.namespace, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: names.role }, subjects,
      },
    },
    {
      comment: 'podinfo reads its node; nodes are cluster-scoped and the scheduler picks one later, so no resourceNames',
      object: {
        apiVersion: rbacApi, kind: 'ClusterRole', metadata: { name: names.clusterRole, labels },
        rules: [{ apiGroups: [''], resources: ['nodes'], verbs }],
      },
    },
    {
      comment: `for the service account ${o.namespace}/${o.serviceAccount}`,
      object: {
        apiVersion: rbacApi, kind: 'ClusterRoleBinding', metadata: { name: names.clusterRoleBinding, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: names.clusterRole }, subjects,
      },
    },
  ];
}

/** One permission podinfo uses. */
export interface AccessNeed {
  verb: string;
  resource: 'pods' | 'nodes';
  namespace?: string;
  name?: string;
}

export function accessNeeds(o: { namespace: string; podName: string; nodeName?: string; once?: boolean }): AccessNeed[] {
  const needs: AccessNeed[] = [];
  for (const verb of verbsFor(o.once)) {
    needs.push({ verb, resource: 'pods', namespace: o.namespace, name: o.podName });
    needs.push({ verb, resource: 'nodes', name: o.nodeName });
  }
  return needs;
}

/** The needs the API server denies us, asked one by one with SelfSubjectAccessReviews (which anyone may create). */
export async function missingAccess(client: KubeClient, needs: readonly AccessNeed[]): Promise<AccessNeed[]> {
  const answers = await Promise.all(needs.map((n) => client.canI(n.verb, n.resource, { namespace: n.namespace ?? '', name: n.name })));
  return needs.filter((_, i) => !answers[i]!.allowed);
}

/** "Role rule {…} in namespace ns; ClusterRole rule {…}": the rules that would grant the missing needs. */
export function describeMissingRules(missing: readonly AccessNeed[]): string {
  const parts: string[] = [];
  const pods = missing.filter((n) => n.resource === 'pods');
  const nodes = missing.filter((n) => n.resource === 'nodes');
  const verbs = (needs: AccessNeed[]) => [...new Set(needs.map((n) => n.verb))].map((v) => `"${v}"`).join(', ');
  if (pods.length > 0) {
    parts.push(`a Role in namespace ${pods[0]!.namespace} with the rule {apiGroups: [""], resources: ["pods"], verbs: [${verbs(pods)}]} (pod "${pods[0]!.name}")`);
  }
  if (nodes.length > 0) parts.push(`a ClusterRole with the rule {apiGroups: [""], resources: ["nodes"], verbs: [${verbs(nodes)}]}`);
  return parts.join(' and ');
}

/**
 * The API server's 403 message, then the rules that are missing (asked with
 * SelfSubjectAccessReviews), and where to get them: one line.
 */
export async function forbiddenError(
  client: KubeClient, denied: Error, who: { namespace: string; podName: string; nodeName?: string; once?: boolean },
): Promise<PodInfoError> {
  let missing: AccessNeed[] = [];
  try {
    missing = await missingAccess(client, accessNeeds(who));
  } catch {
    // the reviews failed too: the 403 message alone has to do
  }
  const rules = missing.length > 0 ? ` Missing RBAC: ${describeMissingRules(missing)}.` : '';
  return new PodInfoError(`${denied.message.replace(/\s+/g, ' ')}.${rules} "kube-ambassador podinfo --print-rbac" prints the Role, ClusterRole and bindings podinfo needs`);
}
