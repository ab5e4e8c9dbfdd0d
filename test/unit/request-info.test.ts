// RequestInfo (src/kube/request-info.ts) against the API server's own
// RequestInfoFactory and BasicLongRunningRequestCheck
// (k8s.io/apiserver v0.35.4 pkg/endpoints/request, pkg/server/filters).
// Every expected row was produced by running that Go code on the same request.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isLongRunning, type RequestInfo, requestInfo } from '../../src/kube/request-info.js';

type Want = Partial<RequestInfo> & { longRunning?: boolean };

interface Row {
  name: string;
  method?: string;
  target: string;
  want: Want;
  todo?: string;
}

/** Splits "path?query" the way the proxy hands them over: the path decoded, the query raw. */
function info(method: string, target: string): { info: RequestInfo; query: string } {
  const q = target.indexOf('?');
  const path = decodeURIComponent(q < 0 ? target : target.slice(0, q));
  const query = q < 0 ? '' : target.slice(q + 1);
  return { info: requestInfo(method, path, query), query };
}

const nonResource = (verb = 'get'): Want => ({
  isResourceRequest: false, verb, apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '', longRunning: false,
});


const rows: Row[] = [
  // Non-resource requests.
  { name: '/api (discovery) is not a resource request', target: '/api', want: nonResource() },
  { name: '/apis (discovery) is not a resource request', target: '/apis', want: nonResource() },
  { name: '/apis/apps (group discovery) is not a resource request', target: '/apis/apps', want: nonResource() },
  {
    name: '/api/v1 (version discovery) is not a resource request', target: '/api/v1', want: nonResource(),
  },
  {
    name: '/apis/apps/v1 (group-version discovery) is not a resource request', target: '/apis/apps/v1', want: nonResource(),
  },
  { name: '/healthz', target: '/healthz', want: nonResource() },
  { name: '/version', target: '/version', want: nonResource() },
  { name: '/openapi/v2', target: '/openapi/v2', want: nonResource() },
  { name: 'a non-resource POST keeps the lower-case method as verb', method: 'POST', target: '/apis', want: nonResource('post') },

  // list vs get.
  { name: 'a cluster-wide collection GET is a list', target: '/api/v1/pods', want: { isResourceRequest: true, verb: 'list', apiVersion: 'v1', resource: 'pods', namespace: '', name: '', longRunning: false } },
  { name: 'a namespaced collection GET is a list', target: '/api/v1/namespaces/d/pods', want: { verb: 'list', namespace: 'd', resource: 'pods', name: '', longRunning: false } },
  { name: 'a named GET is a get', target: '/api/v1/namespaces/d/pods/p', want: { verb: 'get', namespace: 'd', resource: 'pods', name: 'p', subresource: '', longRunning: false } },
  { name: 'HEAD is a get', method: 'HEAD', target: '/api/v1/namespaces/d/pods/p', want: { verb: 'get', name: 'p' } },
  { name: 'a cluster-scoped named GET', target: '/api/v1/nodes/n', want: { verb: 'get', namespace: '', resource: 'nodes', name: 'n' } },
  { name: 'a group resource', target: '/apis/apps/v1/deployments', want: { verb: 'list', apiGroup: 'apps', apiVersion: 'v1', resource: 'deployments' } },

  // Write verbs.
  { name: 'POST is create', method: 'POST', target: '/api/v1/namespaces/d/pods', want: { verb: 'create', resource: 'pods', name: '' } },
  { name: 'PUT is update', method: 'PUT', target: '/api/v1/namespaces/d/pods/p', want: { verb: 'update', name: 'p' } },
  { name: 'PATCH on a subresource', method: 'PATCH', target: '/api/v1/namespaces/d/pods/p/status', want: { verb: 'patch', name: 'p', subresource: 'status' } },
  { name: 'DELETE of one object is delete', method: 'DELETE', target: '/api/v1/namespaces/d/pods/p', want: { verb: 'delete', name: 'p' } },
  { name: 'DELETE of a collection is deletecollection', method: 'DELETE', target: '/api/v1/namespaces/d/pods', want: { verb: 'deletecollection', name: '', resource: 'pods' } },
  {
    name: 'an unknown method gives an empty verb on a resource request', method: 'OPTIONS', target: '/api/v1/namespaces/d/pods/p', want: { verb: '', name: 'p' },
  },

  // Watches.
  { name: '?watch=true makes a list a watch', target: '/api/v1/pods?watch=true', want: { verb: 'watch', resource: 'pods', longRunning: true } },
  { name: '?watch=1 makes a list a watch', target: '/api/v1/pods?watch=1', want: { verb: 'watch', longRunning: true } },
  { name: 'watch with other parameters', target: '/apis/apps/v1/namespaces/d/deployments?resourceVersion=5&watch=true', want: { verb: 'watch', apiGroup: 'apps', namespace: 'd', longRunning: true } },
  { name: '?watch=false is a list', target: '/api/v1/pods?watch=false', want: { verb: 'list', longRunning: false } },
  { name: '?watch=0 is a list', target: '/api/v1/pods?watch=0', want: { verb: 'list', longRunning: false } },
  { name: '?watch=FALSE is a list', target: '/api/v1/pods?watch=FALSE', want: { verb: 'list', longRunning: false } },
  { name: '?watch=True is a watch', target: '/api/v1/pods?watch=True', want: { verb: 'watch', longRunning: true } },
  { name: '?watch=yes is a watch', target: '/api/v1/pods?watch=yes', want: { verb: 'watch', longRunning: true } },
  { name: '?watch (no value) is a watch', target: '/api/v1/pods?watch', want: { verb: 'watch', longRunning: true } },
  { name: '?watch= (empty value) is a watch', target: '/api/v1/pods?watch=', want: { verb: 'watch', longRunning: true } },
  { name: 'a parameter merely containing "watch" is not a watch', target: '/api/v1/pods?nowatch=true', want: { verb: 'list', longRunning: false } },
  { name: '/watch/ prefix, cluster-wide', target: '/api/v1/watch/pods', want: { verb: 'watch', resource: 'pods', namespace: '', longRunning: true } },
  { name: '/watch/ prefix, namespaced', target: '/api/v1/watch/namespaces/d/pods', want: { verb: 'watch', namespace: 'd', resource: 'pods', longRunning: true } },
  { name: '/watch/ prefix, one object', target: '/api/v1/watch/namespaces/d/pods/p', want: { verb: 'watch', name: 'p', longRunning: true } },
  {
    name: 'a named GET with ?watch=true stays a get (the API server ignores watch there)', target: '/api/v1/namespaces/d/pods/p?watch=true', want: { verb: 'get', name: 'p' },
  },

  // Subresources and long-running ones.
  { name: 'log is a long-running subresource', target: '/api/v1/namespaces/d/pods/p/log', want: { verb: 'get', subresource: 'log', longRunning: true } },
  { name: 'log?follow=true', target: '/api/v1/namespaces/d/pods/p/log?follow=true', want: { subresource: 'log', longRunning: true } },
  { name: 'exec', method: 'POST', target: '/api/v1/namespaces/d/pods/p/exec', want: { verb: 'create', subresource: 'exec', longRunning: true } },
  { name: 'attach', target: '/api/v1/namespaces/d/pods/p/attach', want: { subresource: 'attach', longRunning: true } },
  { name: 'portforward', target: '/api/v1/namespaces/d/pods/p/portforward', want: { subresource: 'portforward', longRunning: true } },
  { name: 'a service proxy subresource', target: '/api/v1/namespaces/d/services/s:80/proxy/a/b', want: { verb: 'get', resource: 'services', name: 's:80', subresource: 'proxy', longRunning: true } },
  { name: 'a node proxy subresource', target: '/api/v1/nodes/n/proxy/metrics', want: { resource: 'nodes', name: 'n', subresource: 'proxy', longRunning: true } },
  { name: 'the legacy /proxy/ verb has no subresource', target: '/api/v1/proxy/namespaces/d/services/s/a/b', want: { verb: 'proxy', namespace: 'd', resource: 'services', name: 's', subresource: '', longRunning: true } },
  { name: 'scale is a subresource but not long-running', target: '/apis/apps/v1/namespaces/d/deployments/x/scale', want: { verb: 'get', name: 'x', subresource: 'scale', longRunning: false } },

  // Namespaces themselves.
  { name: 'listing namespaces', target: '/api/v1/namespaces', want: { verb: 'list', resource: 'namespaces', namespace: '', name: '' } },
  { name: 'one namespace is namespaces/{ns}', target: '/api/v1/namespaces/d', want: { verb: 'get', resource: 'namespaces', namespace: 'd', name: 'd' } },
  { name: 'namespaces/{ns}/status is the namespace status subresource', target: '/api/v1/namespaces/d/status', want: { verb: 'get', resource: 'namespaces', namespace: 'd', name: 'd', subresource: 'status' } },
  { name: 'namespaces/{ns}/finalize is the finalize subresource', method: 'PUT', target: '/api/v1/namespaces/d/finalize', want: { verb: 'update', resource: 'namespaces', name: 'd', subresource: 'finalize' } },
];

describe('requestInfo and isLongRunning (apiserver RequestInfoFactory)', () => {
  for (const row of rows) {
    test(row.name, { todo: row.todo }, () => {
      const { info: got, query } = info(row.method ?? 'GET', row.target);
      const { longRunning, ...fields } = row.want;
      for (const [key, value] of Object.entries(fields)) {
        assert.deepEqual(got[key as keyof RequestInfo], value, `${key} of ${JSON.stringify(got)}`);
      }
      if (longRunning !== undefined) assert.equal(isLongRunning(got, query), longRunning, 'isLongRunning');
    });
  }
});

describe('isLongRunning: our additions to the API server check', () => {
  // Deliberate: erring towards "long-running" only chooses the unbounded connection pool.
  test('follow=true on any resource request counts as long-running', () => {
    const { info: got, query } = info('GET', '/api/v1/namespaces/d/pods?follow=true');
    assert.equal(isLongRunning(got, query), true);
  });
  test('a named GET with watch=true counts as long-running', () => {
    const { info: got, query } = info('GET', '/api/v1/namespaces/d/pods/p?watch=true');
    assert.equal(isLongRunning(got, query), true);
  });
  test('an ordinary get is not long-running', () => {
    const { info: got, query } = info('GET', '/api/v1/namespaces/d/configmaps/c?resourceVersion=0');
    assert.equal(isLongRunning(got, query), false);
  });
});
