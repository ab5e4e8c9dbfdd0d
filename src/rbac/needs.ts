// What a program needs from the API server, one access at a time:
// `--can VERB[,VERB…]:RESOURCE[/SUBRESOURCE][:NAMESPACE]` as the user writes
// it (doctor and rbac share the syntax), or derived from a proxy's filter
// flags. Pure.

/** The namespace value meaning "in every namespace" (a ClusterRole and ClusterRoleBinding). */
export const allNamespaces = '*';

export interface AccessNeed {
  verbs: string[];
  /** As written: "pods", "deploy", "deployments.apps"; "" for a non-resource URL. */
  resource: string;
  subresource?: string;
  /** undefined: the default namespace; "*": every namespace (cluster-wide). Ignored for cluster-scoped resources. */
  namespace?: string;
  /** Only this object (RBAC resourceNames). */
  resourceName?: string;
  /** A non-resource URL such as /healthz or /metrics (RBAC nonResourceURLs; a trailing * is a prefix). */
  nonResourceURL?: string;
  /** Where the need came from, for comments and messages: `--can get:pods:ns1`. */
  origin: string;
  /** The resource is a plural name from an API path (a short name such as "po" does not count). */
  exactResource?: boolean;
}

/** The user gave a need that cannot be read. */
export class NeedError extends Error {
  override name = 'NeedError';
}

export const resourceVerbs = [
  'get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection',
  'use', 'bind', 'escalate', 'impersonate', 'approve', 'sign', 'attest', '*',
];
export const nonResourceVerbs = ['get', 'head', 'post', 'put', 'patch', 'delete', 'options', '*'];

const namePattern = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** `get,list:pods:ns1`, `get:pods/log`, `list:deployments.apps:*`, `get:/healthz`. */
export function parseNeed(text: string): AccessNeed {
  const origin = `--can ${text}`;
  const bad = (why: string) => new NeedError(`${origin}: ${why}; write VERB[,VERB…]:RESOURCE[/SUBRESOURCE][:NAMESPACE], e.g. get,list,watch:pods:my-namespace`);
  const colon = text.indexOf(':');
  if (colon <= 0) throw bad('no verb');
  const verbs = text.slice(0, colon).split(',').map((v) => v.trim().toLowerCase());
  const rest = text.slice(colon + 1);
  if (verbs.some((v) => v === '')) throw bad('an empty verb');

  if (rest.startsWith('/')) {
    const unknown = verbs.find((v) => !nonResourceVerbs.includes(v));
    if (unknown) throw new NeedError(`${origin}: "${unknown}" is not a verb for a non-resource URL (${nonResourceVerbs.join(', ')})`);
    return { verbs: unique(verbs), resource: '', nonResourceURL: rest, origin };
  }

  const parts = rest.split(':');
  if (parts.length > 2) throw bad('too many ":"');
  const [target = '', rawNamespace] = parts;
  const namespace = rawNamespace === '' ? undefined : rawNamespace;
  if (target === '') throw bad('no resource');
  const unknown = verbs.find((v) => !resourceVerbs.includes(v));
  if (unknown) throw new NeedError(`${origin}: "${unknown}" is not a Kubernetes API verb (${resourceVerbs.join(', ')})`);
  const [resource = '', subresource, ...extra] = target.toLowerCase().split('/');
  if (extra.length > 0 || resource === '' || subresource === '') throw bad(`"${target}" is not RESOURCE or RESOURCE/SUBRESOURCE`);
  if (namespace !== undefined && namespace !== allNamespaces && !namePattern.test(namespace)) {
    throw bad(`"${namespace}" is not a namespace name (or * for every namespace)`);
  }
  return {
    verbs: unique(verbs), resource, subresource: subresource || undefined,
    namespace, origin,
  };
}

/** Verbs in the order people read them: get, list, watch, create, update, patch, delete, … */
export function sortVerbs(verbs: Iterable<string>): string[] {
  const rank = (v: string) => {
    const i = resourceVerbs.indexOf(v);
    const j = nonResourceVerbs.indexOf(v);
    return i >= 0 ? i : j >= 0 ? 100 + j : 200;
  };
  return unique([...verbs]).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
