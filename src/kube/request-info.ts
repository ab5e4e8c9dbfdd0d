// What a request path means to Kubernetes: the API server's RequestInfo
// (k8s.io/apiserver/pkg/endpoints/request). Used to tell long-running
// requests apart and to label metrics and the access log. Pure.

export interface RequestInfo {
  isResourceRequest: boolean;
  verb: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
}

const verbs: Record<string, string> = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
const namespaceSubresources = new Set(['status', 'finalize']);
const longRunningVerbs = new Set(['watch', 'proxy']);
const longRunningSubresources = new Set(['attach', 'exec', 'proxy', 'log', 'portforward']);

/** `path` decoded, `query` the raw query string without "?". */
export function requestInfo(method: string, path: string, query: string): RequestInfo {
  const info: RequestInfo = {
    isResourceRequest: false, verb: method.toLowerCase(), apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '',
  };
  let parts = path.split('/').filter((p) => p !== '');
  // The API server needs /api/{version}/{resource} or /apis/{group}/{version}/{resource}.
  if (parts[0] === 'api') {
    if (parts.length < 3) return info;
    info.apiVersion = parts[1]!;
    parts = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (parts.length < 4) return info;
    info.apiGroup = parts[1]!;
    info.apiVersion = parts[2]!;
    parts = parts.slice(3);
  } else {
    return info;
  }
  info.isResourceRequest = true;
  info.verb = verbs[method.toUpperCase()] ?? '';
  if (parts[0] === 'watch' || parts[0] === 'proxy') {
    info.verb = parts[0];
    parts = parts.slice(1);
  }
  if (parts[0] === 'namespaces' && parts.length > 1) {
    info.namespace = parts[1]!;
    if (parts.length > 2 && !namespaceSubresources.has(parts[2]!)) parts = parts.slice(2);
  }
  if (parts.length >= 3 && info.verb !== 'proxy') info.subresource = parts[2]!;
  if (parts.length >= 2) info.name = parts[1]!;
  if (parts.length >= 1) info.resource = parts[0]!;
  if (!info.name && info.verb === 'get') info.verb = queryFlag(query, 'watch') ? 'watch' : 'list';
  if (!info.name && info.verb === 'delete') info.verb = 'deletecollection';
  return info;
}

/** The API server's LongRunningRequestCheck, plus follow/watch query parameters. */
export function isLongRunning(info: RequestInfo, query: string): boolean {
  return longRunningVerbs.has(info.verb) || longRunningSubresources.has(info.subresource)
    || queryFlag(query, 'watch') || queryFlag(query, 'follow');
}

/** The API server's reading of watch=/follow=: present and not "false" or "0" (any case). */
function queryFlag(query: string, name: string): boolean {
  if (!query.includes(name)) return false;
  const value = new URLSearchParams(query).get(name);
  return value !== null && !/^(false|0)$/i.test(value);
}
