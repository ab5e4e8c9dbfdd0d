// From resolved needs to the least-privilege RBAC objects: a ServiceAccount,
// a Role and RoleBinding in every namespace a namespaced need names, and a
// ClusterRole and ClusterRoleBinding for cluster-scoped resources, needs in
// every namespace and non-resource URLs — as commented YAML documents. Rules
// never widen a need: only resources of one API group with the same verbs
// (and names) share a rule, so the rule's cross product is exactly the needs.
// Pure.
import { Document, isSeq, type Node, visit } from 'yaml';
import { sortVerbs } from './needs.js';
import { describeAccess, type ResolvedNeed } from './resources.js';

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}

/** A rule and the needs (their origins) it serves, for the comments. */
export interface PlannedRule {
  rule: PolicyRule;
  origins: string[];
}

export interface RbacPlan {
  /** Namespace → the rules of the Role there, namespaces sorted. */
  roles: Map<string, PlannedRule[]>;
  clusterRules: PlannedRule[];
}

export interface ServiceAccountRef {
  name: string;
  namespace: string;
}

export interface GenerateOptions {
  serviceAccount: ServiceAccountRef;
  /** Emit the ServiceAccount object too (default true). */
  createServiceAccount?: boolean;
  /**
   * Name of the Roles and RoleBindings; the ClusterRole and its binding add the service account's
   * namespace. Default "kube-ambassador:<service account>", apart from roles made by hand, so that
   * applying the output never rewrites someone else's Role — and applying it again updates it.
   */
  roleName?: string;
  /** Extra comment lines for the top of the output (the command that made it). */
  header?: string[];
  /** Notes to carry into the comments (a namespace ignored, a scope assumed, …). */
  notes?: string[];
}

export interface RbacObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

interface Entry {
  group: string;
  resource: string;
  resourceName?: string;
  nonResourceURL?: string;
  verbs: Set<string>;
  origins: Set<string>;
}

export function planRbac(needs: ResolvedNeed[]): RbacPlan {
  const scopes = new Map<string, Map<string, Entry>>(); // "" is the cluster scope
  for (const need of needs) {
    const scope = need.nonResourceURL !== undefined ? '' : need.namespace;
    let entries = scopes.get(scope);
    if (!entries) scopes.set(scope, (entries = new Map()));
    const resource = need.subresource ? `${need.resource}/${need.subresource}` : need.resource;
    const key = need.nonResourceURL !== undefined ? `url\0${need.nonResourceURL}` : `res\0${need.group}\0${resource}\0${need.resourceName ?? ''}`;
    let entry = entries.get(key);
    if (!entry) {
      entry = { group: need.group, resource, resourceName: need.resourceName, nonResourceURL: need.nonResourceURL, verbs: new Set(), origins: new Set() };
      entries.set(key, entry);
    }
    for (const verb of need.verbs) entry.verbs.add(verb);
    entry.origins.add(need.origin);
  }
  const roles = new Map<string, PlannedRule[]>();
  for (const scope of [...scopes.keys()].filter((s) => s !== '').sort()) roles.set(scope, mergeEntries([...scopes.get(scope)!.values()]));
  return { roles, clusterRules: mergeEntries([...(scopes.get('')?.values() ?? [])]) };
}

/** Entries with the same group, verbs and name become one rule; URLs with the same verbs likewise. */
function mergeEntries(entries: Entry[]): PlannedRule[] {
  const rules = new Map<string, { rule: PolicyRule; origins: Set<string> }>();
  for (const entry of entries) {
    const verbs = sortVerbs(entry.verbs);
    const key = entry.nonResourceURL !== undefined
      ? `url\0${verbs.join(',')}`
      : `res\0${entry.group}\0${verbs.join(',')}\0${entry.resourceName ?? ''}`;
    let merged = rules.get(key);
    if (!merged) {
      const rule: PolicyRule = entry.nonResourceURL !== undefined
        ? { nonResourceURLs: [], verbs }
        : { apiGroups: [entry.group], resources: [], ...(entry.resourceName ? { resourceNames: [entry.resourceName] } : {}), verbs };
      merged = { rule, origins: new Set() };
      rules.set(key, merged);
    }
    if (entry.nonResourceURL !== undefined) merged.rule.nonResourceURLs!.push(entry.nonResourceURL);
    else merged.rule.resources!.push(entry.resource);
    for (const origin of entry.origins) merged.origins.add(origin);
  }
  return [...rules.values()].map(({ rule, origins }) => ({ rule, origins: [...origins] }));
}

const rbacApiVersion = 'rbac.authorization.k8s.io/v1';
const labels = { 'app.kubernetes.io/managed-by': 'kube-ambassador-rbac' };

/** The names of the generated roles: Role and RoleBinding, ClusterRole and ClusterRoleBinding. */
export function roleNames(options: GenerateOptions): { role: string; clusterRole: string } {
  const sa = options.serviceAccount;
  const role = options.roleName || `kube-ambassador:${sa.name}`;
  return { role, clusterRole: options.roleName ? `${sa.namespace}:${options.roleName}` : `kube-ambassador:${sa.namespace}:${sa.name}` };
}

/** The objects, in the order to apply them. */
export function rbacObjects(plan: RbacPlan, options: GenerateOptions): RbacObject[] {
  const sa = options.serviceAccount;
  const names = roleNames(options);
  const subjects = [{ kind: 'ServiceAccount', name: sa.name, namespace: sa.namespace }];
  const out: RbacObject[] = [];
  if (options.createServiceAccount !== false) {
    out.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa.name, namespace: sa.namespace, labels } });
  }
  for (const [namespace, rules] of plan.roles) {
    out.push({ apiVersion: rbacApiVersion, kind: 'Role', metadata: { name: names.role, namespace, labels }, rules: rules.map((r) => r.rule) });
    out.push({
      apiVersion: rbacApiVersion, kind: 'RoleBinding', metadata: { name: names.role, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: names.role }, subjects,
    });
  }
  if (plan.clusterRules.length > 0) {
    const name = names.clusterRole;
    out.push({ apiVersion: rbacApiVersion, kind: 'ClusterRole', metadata: { name, labels }, rules: plan.clusterRules.map((r) => r.rule) });
    out.push({
      apiVersion: rbacApiVersion, kind: 'ClusterRoleBinding', metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name }, subjects,
    });
  }
  return out;
}

/** The YAML stream: a header comment saying what is granted and why, then one document per object. */
export function rbacYaml(needs: ResolvedNeed[], options: GenerateOptions): string {
  const plan = planRbac(needs);
  const objects = rbacObjects(plan, options);
  const sa = options.serviceAccount;
  const header = [
    ` Least privilege for the service account ${sa.namespace}/${sa.name}, generated by kube-ambassador rbac.`,
    ...(options.header ?? []).map((line) => ` ${line}`),
    ' It grants exactly:',
    ...needs.map((need) => `   ${describeAccess(need, need.verbs.join(', '))}`),
    ...((options.notes?.length ?? 0) > 0 ? [' Notes:', ...options.notes!.map((n) => `   ${n}`)] : []),
  ];
  const docs = objects.map((object, index) => {
    const doc = new Document(object);
    if (index === 0) doc.commentBefore = header.join('\n');
    const planned = object.kind === 'Role' ? plan.roles.get(object.metadata.namespace!)
      : object.kind === 'ClusterRole' ? plan.clusterRules : undefined;
    if (planned) {
      const rules = doc.get('rules', true);
      if (isSeq(rules)) {
        rules.items.forEach((item, i) => {
          (item as Node).commentBefore = ` for ${planned[i]!.origins.join(', ')}`;
        });
      }
    }
    // Short lists of names read best on one line.
    visit(doc, {
      Pair(_key, pair) {
        const key = String((pair.key as { value?: unknown })?.value ?? '');
        if (['apiGroups', 'resources', 'resourceNames', 'nonResourceURLs', 'verbs'].includes(key) && isSeq(pair.value)) pair.value.flow = true;
      },
    });
    return doc.toString({ flowCollectionPadding: false, lineWidth: 0 });
  });
  return docs.join('---\n');
}
