// Which clients share a connection pool: same cluster (origin and server
// path, trust, proxy) and same identity — nothing else.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ClusterConnection } from '../../src/credentials/cluster-connection.js';
import { StaticTokenSource } from '../../src/credentials/token-source.js';
import { identityKey, UpstreamRegistry } from '../../src/transport/shared-upstreams.js';

function connection(overrides: Partial<ClusterConnection> = {}, token = 't'): ClusterConnection {
  return {
    origin: 'https://rancher.example:443', serverPath: '/k8s/clusters/c-1', tls: { insecureSkipVerify: false },
    auth: { type: 'bearer', tokens: new StaticTokenSource(token, 'test') }, disableCompression: false, namespace: 'default',
    source: 'flags', description: 'test', warnings: [], ...overrides,
  };
}

describe('identityKey', () => {
  test('the same cluster and token give the same key', () => {
    assert.equal(identityKey(connection()), identityKey(connection()));
  });
  test('another server path behind the same origin is another cluster (Rancher-style URLs)', () => {
    assert.notEqual(identityKey(connection()), identityKey(connection({ serverPath: '/k8s/clusters/c-2' })));
  });
  test('another token is another identity', () => {
    assert.notEqual(identityKey(connection()), identityKey(connection({}, 'other')));
  });
  test('impersonation is part of the identity', () => {
    assert.notEqual(identityKey(connection()), identityKey(connection({ impersonate: { user: 'jane', groups: [], extra: {} } })));
  });
  test('the key holds no token', () => {
    assert.ok(!identityKey(connection({}, 'secret-token-value')).includes('secret-token-value'));
  });
});

describe('UpstreamRegistry', () => {
  test('shares one upstream per key and closes it with its last user', async () => {
    const registry = new UpstreamRegistry();
    const a = registry.acquire(connection());
    const b = registry.acquire(connection());
    const c = registry.acquire(connection({ serverPath: '/k8s/clusters/c-2' }));
    assert.equal(a.upstream, b.upstream);
    assert.notEqual(a.upstream, c.upstream);
    assert.equal(c.upstream.connection.serverPath, '/k8s/clusters/c-2');
    assert.equal(registry.size, 2);
    await a.release();
    assert.equal(registry.size, 2);
    await b.release();
    await c.release();
    assert.equal(registry.size, 0);
  });
});
