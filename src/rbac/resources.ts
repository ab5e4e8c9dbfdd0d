// From a need's resource name to its API group, plural and scope: through
// the server's discovery when a cluster is reachable, else a small built-in
// table of the common core, apps, batch and friends. Pure.
import { type ApiResource, resolveResourceName } from '../client/discovery.js';
import { type AccessNeed, allNamespaces, NeedError, sortVerbs } from './needs.js';

/** A need with everything RBAC wants to know spelled out. */
export interface ResolvedNeed {
  verbs: string[];
  /** API group ("" for core); "" for a non-resource URL. */
  group: string;
  /** Plural, e.g. "deployments"; "" for a non-resource URL. */
  resource: string;
  subresource?: string;
  resourceName?: string;
  nonResourceURL?: string;
  /** The namespace of a namespaced access; "" for cluster scope (a cluster-scoped resource, every namespace, or a URL). */
  namespace: string;
  namespaced: boolean;
  origin: string;
}

export interface ResolveOptions {
  /** Discovery's list from a reachable cluster; undefined means use the built-in table. */
  discovered?: ApiResource[];
  /** Where a need without a namespace applies. */
  defaultNamespace: string;
}

export interface Resolution {
  needs: ResolvedNeed[];
  /** Things worth telling the user (a namespace ignored, a scope assumed). */
  notes: string[];
}

type Row = [group: string, version: string, resource: string, kind: string, namespaced: boolean, shortNames?: string[]];

/** Common resources of Kubernetes 1.35, for generating RBAC without a cluster. */
const builtIn: Row[] = [
  ['', 'v1', 'pods', 'Pod', true, ['po']],
  ['', 'v1', 'services', 'Service', true, ['svc']],
  ['', 'v1', 'endpoints', 'Endpoints', true, ['ep']],
  ['', 'v1', 'configmaps', 'ConfigMap', true, ['cm']],
  ['', 'v1', 'secrets', 'Secret', true],
  ['', 'v1', 'serviceaccounts', 'ServiceAccount', true, ['sa']],
  ['', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true, ['pvc']],
  ['', 'v1', 'events', 'Event', true, ['ev']],
  ['', 'v1', 'replicationcontrollers', 'ReplicationController', true, ['rc']],
  ['', 'v1', 'resourcequotas', 'ResourceQuota', true, ['quota']],
  ['', 'v1', 'limitranges', 'LimitRange', true, ['limits']],
  ['', 'v1', 'podtemplates', 'PodTemplate', true],
  ['', 'v1', 'namespaces', 'Namespace', false, ['ns']],
  ['', 'v1', 'nodes', 'Node', false, ['no']],
  ['', 'v1', 'persistentvolumes', 'PersistentVolume', false, ['pv']],
  ['apps', 'v1', 'deployments', 'Deployment', true, ['deploy']],
  ['apps', 'v1', 'statefulsets', 'StatefulSet', true, ['sts']],
  ['apps', 'v1', 'daemonsets', 'DaemonSet', true, ['ds']],
  ['apps', 'v1', 'replicasets', 'ReplicaSet', true, ['rs']],
  ['apps', 'v1', 'controllerrevisions', 'ControllerRevision', true],
  ['batch', 'v1', 'jobs', 'Job', true],
  ['batch', 'v1', 'cronjobs', 'CronJob', true, ['cj']],
  ['autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true, ['hpa']],
  ['policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true, ['pdb']],
  ['coordination.k8s.io', 'v1', 'leases', 'Lease', true],
  ['discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true],
  ['events.k8s.io', 'v1', 'events', 'Event', true, ['ev']],
  ['networking.k8s.io', 'v1', 'ingresses', 'Ingress', true, ['ing']],
  ['networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true, ['netpol']],
  ['networking.k8s.io', 'v1', 'ingressclasses', 'IngressClass', false],
  ['rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true],
  ['rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true],
  ['rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false],
  ['rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false],
  ['storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false, ['sc']],
  ['apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false, ['crd', 'crds']],
];

export const builtInResources: ApiResource[] = builtIn.map(([group, version, resource, kind, namespaced, shortNames = []]) => ({
  group, version, resource, kind, namespaced, shortNames, singular: kind.toLowerCase(), verbs: [], preferred: true,
}));

export function resolveNeeds(needs: AccessNeed[], options: ResolveOptions): Resolution {
  const notes: string[] = [];
  const list = options.discovered ?? builtInResources;
  const resolved = needs.map((need): ResolvedNeed => {
    if (need.nonResourceURL !== undefined) {
      return { verbs: sortVerbs(need.verbs), group: '', resource: '', nonResourceURL: need.nonResourceURL, namespace: '', namespaced: false, origin: need.origin };
    }
    const found = lookup(list, need);
    let group: string;
    let resource: string;
    let namespaced: boolean;
    if (found) {
      ({ group, resource, namespaced } = found);
    } else {
      const dot = need.resource.indexOf('.');
      if (options.discovered || dot < 0) {
        throw new NeedError(options.discovered
          ? `${need.origin}: the server has no resource "${need.resource}"`
          : `${need.origin}: "${need.resource}" is not in the built-in table of common resources; write it as RESOURCE.GROUP (e.g. widgets.example.com) or run where a cluster is reachable`);
      }
      resource = need.resource.slice(0, dot);
      group = need.resource.slice(dot + 1);
      namespaced = true;
      notes.push(`${need.origin}: without a cluster the scope of ${need.resource} is unknown; assumed namespaced`);
    }
    let namespace = '';
    if (namespaced && need.namespace !== allNamespaces) namespace = need.namespace ?? options.defaultNamespace;
    if (!namespaced && need.namespace !== undefined && need.namespace !== allNamespaces) {
      notes.push(`${need.origin}: ${resource}${group ? `.${group}` : ''} is cluster-scoped; namespace ${need.namespace} does not apply`);
    }
    return {
      verbs: sortVerbs(need.verbs), group, resource, subresource: need.subresource, resourceName: need.resourceName,
      namespace, namespaced, origin: need.origin,
    };
  });
  for (const need of resolved) {
    const note = subresourceNote(need);
    if (note) notes.push(note);
  }
  return { needs: resolved, notes };
}

function lookup(list: ApiResource[], need: AccessNeed): ApiResource | undefined {
  if (!need.exactResource) return resolveResourceName(list, need.resource);
  const dot = need.resource.indexOf('.');
  const plural = dot < 0 ? need.resource : need.resource.slice(0, dot);
  const group = dot < 0 ? '' : need.resource.slice(dot + 1);
  const hits = list.filter((r) => r.resource === plural && r.group === group);
  return hits.find((r) => r.preferred) ?? hits[0];
}

/** What people get wrong about streaming subresources. */
function subresourceNote(need: ResolvedNeed): string | undefined {
  if (need.group !== '' || need.resource !== 'pods') return undefined;
  if (need.subresource !== 'exec' && need.subresource !== 'attach' && need.subresource !== 'portforward') return undefined;
  const has = (verb: string) => need.verbs.includes(verb) || need.verbs.includes('*');
  const sub = `pods/${need.subresource}`;
  if (!has('create')) {
    return `${need.origin}: ${sub} without "create" opens nothing on Kubernetes 1.35+ — a WebSocket request (a GET, kubectl's default since 1.30) needs get and, from 1.35, create; SPDY (a POST) needs create`;
  }
  if (!has('get')) {
    return `${need.origin}: ${sub} with "create" only serves SPDY (a POST); a WebSocket request (a GET, kubectl's default since 1.30) also needs "get"`;
  }
  return undefined;
}

/** "get pods/log in ns1", "list nodes (cluster)", "list pods in every namespace", "get /healthz". */
export function describeAccess(need: ResolvedNeed, verb: string): string {
  if (need.nonResourceURL !== undefined) return `${verb} ${need.nonResourceURL}`;
  const what = `${need.resource}${need.group ? `.${need.group}` : ''}${need.subresource ? `/${need.subresource}` : ''}${need.resourceName ? ` ${need.resourceName}` : ''}`;
  const where = need.namespace ? `in ${need.namespace}` : need.namespaced ? 'in every namespace' : '(cluster-scoped)';
  return `${verb} ${what} ${where}`;
}

/** The --can argument that asks for this need again, e.g. "get,list:pods:ns1". */
export function canArgument(need: ResolvedNeed, verbs: string[] = need.verbs): string {
  if (need.nonResourceURL !== undefined) return `${verbs.join(',')}:${need.nonResourceURL}`;
  const what = `${need.resource}${need.group ? `.${need.group}` : ''}${need.subresource ? `/${need.subresource}` : ''}`;
  const where = need.namespaced ? `:${need.namespace || '*'}` : '';
  return `${verbs.join(',')}:${what}${where}`;
}
