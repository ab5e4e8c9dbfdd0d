// From a proxy's --accept-paths/--reject-paths/--reject-methods to needs
// (src/rbac/from-proxy-flags.ts): a concrete path becomes verbs exactly as
// the filter lets requests through; a regexp too open to name its resources
// is refused with what to write instead.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { needsFromProxyFlags, ProxyFlagsError, readSkeleton } from '../../src/rbac/from-proxy-flags.js';
import { defaultFilterRules } from '../../src/proxy/filter.js';

const readOnly = 'POST,PUT,PATCH,DELETE';
const derive = (acceptPaths: string, rejectMethods = defaultFilterRules.rejectMethods, rejectPaths = defaultFilterRules.rejectPaths) =>
  needsFromProxyFlags({ acceptPaths, rejectMethods, rejectPaths });
const brief = (acceptPaths: string, rejectMethods?: string, rejectPaths?: string) =>
  derive(acceptPaths, rejectMethods, rejectPaths).needs.map((n) => ({
    verbs: n.verbs.join(','), resource: n.resource || n.nonResourceURL, ...(n.subresource ? { sub: n.subresource } : {}),
    ...(n.namespace ? { ns: n.namespace } : {}), ...(n.resourceName ? { name: n.resourceName } : {}),
  }));

describe('needs from the filter flags', () => {
  test('the issue\'s example: pods in ns1, read-only → get, list, watch pods in ns1', () => {
    assert.deepEqual(brief('^/api/v1/namespaces/ns1/pods', readOnly), [{ verbs: 'get,list,watch', resource: 'pods', ns: 'ns1' }]);
    const { needs, notes } = derive('^/api/v1/namespaces/ns1/pods', readOnly);
    assert.equal(needs[0]!.exactResource, true);
    assert.equal(needs[0]!.origin, '--accept-paths ^/api/v1/namespaces/ns1/pods');
    assert.match(notes[0]!, /also lets subresources through .*none is granted — add --can get:pods\/log:ns1/);
  });

  const rows: { accept: string; methods?: string; want: ReturnType<typeof brief> }[] = [
    { accept: '^/api/v1/namespaces/ns1/pods$', want: [{ verbs: 'list,watch,create,deletecollection', resource: 'pods', ns: 'ns1' }] },
    { accept: '^/api/v1/namespaces/ns1/pods$', methods: readOnly, want: [{ verbs: 'list,watch', resource: 'pods', ns: 'ns1' }] },
    { accept: '^/api/v1/namespaces/ns1/pods/[^/]+$', methods: readOnly, want: [{ verbs: 'get', resource: 'pods', ns: 'ns1' }] },
    { accept: '^/api/v1/namespaces/ns1/pods/[^/]+/log$', methods: readOnly, want: [{ verbs: 'get', resource: 'pods', sub: 'log', ns: 'ns1' }] },
    { accept: '^/apis/apps/v1/namespaces/ns1/deployments/web', methods: 'DELETE', want: [{ verbs: 'get,update,patch', resource: 'deployments.apps', ns: 'ns1', name: 'web' }] },
    { accept: '^/api/v1/namespaces/[^/]+/configmaps', methods: readOnly, want: [{ verbs: 'get,list,watch', resource: 'configmaps', ns: '*' }] },
    { accept: '^/api/v1/nodes', methods: readOnly, want: [{ verbs: 'get,list,watch', resource: 'nodes', ns: '*' }] },
    { accept: '^/api/v1/watch/namespaces/ns1/pods', want: [{ verbs: 'watch', resource: 'pods', ns: 'ns1' }] },
    { accept: '^/apis/networking.k8s.io/v1/namespaces/ns1/ingresses(/.*)?$', methods: readOnly, want: [{ verbs: 'get,list,watch', resource: 'ingresses.networking.k8s.io', ns: 'ns1' }] },
    { accept: '^/apis/networking\\.k8s\\.io/v1/namespaces/ns1/ingresses(/|$)', methods: readOnly, want: [{ verbs: 'get,list,watch', resource: 'ingresses.networking.k8s.io', ns: 'ns1' }] },
    { accept: '^/api/v1/namespaces/ns1$', methods: readOnly, want: [{ verbs: 'get', resource: 'namespaces', ns: '*', name: 'ns1' }] },
    { accept: '^/metrics', methods: readOnly, want: [{ verbs: 'get', resource: '/metrics' }, { verbs: 'get', resource: '/metrics/*' }] },
    { accept: '^/metrics$', methods: readOnly, want: [{ verbs: 'get', resource: '/metrics' }] },
    { accept: '^/api/v1/namespaces/ns1/pods,^/api/v1/namespaces/ns1/configmaps$', methods: readOnly, want: [{ verbs: 'get,list,watch', resource: 'pods', ns: 'ns1' }, { verbs: 'list,watch', resource: 'configmaps', ns: 'ns1' }] },
  ];
  for (const row of rows) {
    test(`${row.accept} with --reject-methods=${row.methods ?? '^$'}`, () => assert.deepEqual(brief(row.accept, row.methods), row.want));
  }

  test('--reject-paths is honoured like the proxy honours it', () => {
    // kubectl proxy's default --reject-paths refuses exec: then nothing is let through, and that is an error.
    assert.throws(() => derive('^/api/v1/namespaces/ns1/pods/[^/]+/exec$', '^$'), /lets no request to pods\/exec in ns1 through \(see --reject-methods and --reject-paths\)/);
    assert.deepEqual(brief('^/api/v1/namespaces/ns1/pods/[^/]+/exec$', 'PUT,PATCH,DELETE', '^$'), [{ verbs: 'get,create', resource: 'pods', sub: 'exec', ns: 'ns1' }]);
  });

  test('discovery and public paths need no rule, and say so', () => {
    const { needs, notes } = derive('^/api$,^/apis$,^/version,^/healthz', readOnly);
    assert.deepEqual(needs, []);
    assert.equal(notes.length, 4);
    assert.match(notes.join('\n'), /the discovery document \/api is readable by every authenticated user/);
    assert.match(notes.join('\n'), /\/version is readable by every authenticated user/);
  });

  test('an unanchored regexp is read from its start, with a note', () => {
    const { needs, notes } = derive('/api/v1/namespaces/ns1/pods$', readOnly);
    assert.equal(needs[0]!.resource, 'pods');
    assert.match(notes[0]!, /not anchored with \^/);
  });
});

describe('refusals: too open or unreadable', () => {
  const rows: { accept: string; methods?: string; message: RegExp }[] = [
    { accept: '^.*', message: /--accept-paths \^\.\* accepts every path: too open to turn into least privilege\. Name the resources the program uses, e\.g\./ },
    { accept: '.*', message: /accepts every path/ },
    { accept: '^/', message: /accepts every path/ },
    { accept: '^/api', message: /accepts everything under \/api: too open/ },
    { accept: '^/apis/apps/v1', message: /accepts everything under \/apis\/apps\/v1/ },
    { accept: '^/api/v1/namespaces/ns1', message: /accepts every resource in namespace ns1/ },
    { accept: '^/api/v1/namespaces/ns1/', message: /accepts every resource in namespace ns1/ },
    { accept: '^/api/v1/namespaces', message: /accepts every resource in every namespace/ },
    { accept: '^/api/v1/namespaces/ns1/[a-z]+', message: /accepts every resource in namespace ns1/ },
    { accept: '^/api/v1/namespaces/ns1/(pods|services)', message: /alternatives \(a\|b\) cannot be read as paths; write one regexp per path/ },
    { accept: '^/api/v1/namespaces/ns1/pods|^/api/v1/namespaces/ns1/secrets', message: /alternatives/ },
    { accept: '^/api/v1/namespaces/ns1/pods/web-.*', message: /an object name given as a pattern \("web-…"\); RBAC resourceNames are exact names/ },
    { accept: '^/api/[^/]+/namespaces/ns1/pods', message: /a wildcard API version/ },
    { accept: '^/api/v1/namespaces/ns1/[^/]+/x', message: /a wildcard in place of the resource/ },
    { accept: '^/api/v1/namespaces/ns1/pods/[^/]+/[^/]+', message: /a wildcard subresource/ },
    { accept: '^/api/v1/namespaces/ns1/pods', methods: '.*', message: /lets no request to pods in ns1 through/ },
    { accept: '', message: /an empty --accept-paths lets nothing through/ },
  ];
  for (const row of rows) {
    test(row.accept || '(empty)', () => assert.throws(() => derive(row.accept, row.methods ?? readOnly), (err: Error) => err instanceof ProxyFlagsError && row.message.test(err.message)));
  }
});

describe('readSkeleton', () => {
  test('segments, wildcards and where the plain path ends', () => {
    assert.deepEqual(readSkeleton('^/api/v1/namespaces/[^/]+/pods(/.*)?$'), {
      anchored: true,
      segments: [{ kind: 'literal', text: 'api' }, { kind: 'literal', text: 'v1' }, { kind: 'literal', text: 'namespaces' }, { kind: 'any' }, { kind: 'literal', text: 'pods' }],
      tail: '(/.*)?$',
    });
    assert.deepEqual(readSkeleton('^/api/v1/namespaces/ns1/pods/web-.*').segments.at(-1), { kind: 'literal', text: 'web-', partial: true });
    assert.deepEqual(readSkeleton('^.*'), { anchored: true, segments: [], tail: '.*' });
  });
});
