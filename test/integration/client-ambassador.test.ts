// The same client code through `kube-ambassador proxy` on localhost: the
// real CLI runs as a sidecar would, with an in-cluster service-account
// folder; the client talks plain HTTP with no token and no TLS, and the
// proxy's identity (the service account) is what the API server sees.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect, KubeApiError, type KubeClient } from '../../src/client/index.js';
import { startControlPlane, type ControlPlane } from '../../tools/control-plane/index.js';
import { type ConfigMapLike, recordInformer, until } from '../support/informer-recorder.js';
import { type RunningProxy, startProxy } from '../support/proxy-process.js';

const ns = 'sidecar';
const sa = 'app';

describe('client through kube-ambassador proxy (ambassador mode)', () => {
  let cp: ControlPlane;
  let proxy: RunningProxy;
  let kube: KubeClient;
  let home: string;

  before(async () => {
    cp = await startControlPlane();
    home = mkdtempSync(join(tmpdir(), 'client-ambassador-home-'));
    await cp.serviceAccountWithRole(ns, sa, [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    ]);
    const folder = cp.writeServiceAccountFolder(join(cp.tmpDir, 'sa'), { token: await cp.mintToken(ns, sa), namespace: ns });
    proxy = await startProxy(['proxy', '--port=0', `--service-account-dir=${folder.dir}`], { env: folder.env });
    kube = await connect({ ambassador: proxy.url, namespace: ns, env: {}, homeDir: home });
  });
  after(async () => {
    await kube?.close();
    const exit = await proxy?.stop();
    await cp?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
    if (exit) assert.equal(exit.code, 0, `proxy exit ${JSON.stringify(exit)}\n${proxy.stderr()}`);
  });

  test('the client talks plain HTTP to the ambassador, without credentials', () => {
    assert.equal(kube.info.source, 'ambassador');
    assert.equal(kube.info.server, proxy.url);
    assert.ok(kube.info.server.startsWith('http://127.0.0.1:'));
    assert.equal(kube.namespace, ns);
  });

  test('whoami reports the service account the proxy authenticates as', async () => {
    const me = await kube.whoami();
    assert.equal(me.username, `system:serviceaccount:${ns}:${sa}`);
    assert.equal((await kube.canI('create', 'configmaps')).allowed, true);
    assert.equal((await kube.canI('get', 'secrets')).allowed, false);
  });

  test('CRUD and every patch flavour through the proxy', async () => {
    const cms = await kube.resource('v1', 'ConfigMap');
    const created = await cms.create({ metadata: { name: 'via-proxy' }, data: { a: '1' } });
    assert.equal(created.metadata?.namespace, ns);
    assert.equal((await cp.request('GET', `/api/v1/namespaces/${ns}/configmaps/via-proxy`)).json.data.a, '1');

    const got = await cms.get('via-proxy');
    const replaced = await cms.replace({ ...got, data: { a: '2' } });
    assert.equal(replaced.data?.a, '2');
    assert.equal((await cms.patch('via-proxy', { data: { b: '3' } })).data?.b, '3');
    assert.equal((await cms.patch('via-proxy', [{ op: 'add', path: '/data/c', value: '4' }], { type: 'json' })).data?.c, '4');
    assert.equal((await cms.patch('via-proxy', { data: { d: '5' } }, { type: 'strategic' })).data?.d, '5');
    const applied = await cms.apply({ metadata: { name: 'via-proxy' }, data: { e: '6' } }, { fieldManager: 'sidecar-app' });
    assert.equal(applied.data?.e, '6');
    assert.ok((applied.metadata?.managedFields ?? []).some((m) => m.manager === 'sidecar-app' && m.operation === 'Apply'));

    const names: string[] = [];
    for await (const item of cms.listAll({ limit: 1 })) names.push(item.metadata?.name ?? '');
    assert.deepEqual(names, ['via-proxy']);

    await cms.delete('via-proxy');
    assert.equal((await cp.request('GET', `/api/v1/namespaces/${ns}/configmaps/via-proxy`)).status, 404);
    await assert.rejects(cms.get('via-proxy'), (e: unknown) => e instanceof KubeApiError && e.code === 404 && e.reason === 'NotFound'
      && e.status.message === 'configmaps "via-proxy" not found');
  });

  test('an informer through the proxy: list, then watch', async () => {
    await cp.request('POST', `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: 'before' }, data: { v: '1' } });
    const informer = await kube.informer('v1', 'ConfigMap');
    const rec = recordInformer(informer);
    try {
      assert.deepEqual(informer.list().map((o) => o.metadata?.name), ['before']);
      const cms = await kube.resource('v1', 'ConfigMap');
      await cms.create({ metadata: { name: 'after' }, data: { v: '1' } });
      await cms.patch('after', { data: { v: '2' } });
      await cms.delete('before');
      await until(() => rec.events.length === 3, 'three events', 10_000, () => rec.events.join('\n'));
      assert.deepEqual(rec.events, ['add after v=1', 'update after v=1->v=2', 'delete before']);
      assert.deepEqual(informer.list().map((o: ConfigMapLike) => `${o.metadata?.name} ${o.data?.v}`), ['after 2']);
      assert.deepEqual(rec.errors, []);
    } finally {
      await informer.stop();
    }
  });

  test('an RBAC 403 comes back as KubeApiError with the server Status', async () => {
    const secrets = await kube.resource('v1', 'Secret');
    const err = await secrets.list().then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof KubeApiError, String(err));
    assert.equal(err.code, 403);
    assert.equal(err.reason, 'Forbidden');
    assert.equal(err.status.kind, 'Status');
    assert.equal(err.status.message,
      `secrets is forbidden: User "system:serviceaccount:${ns}:${sa}" cannot list resource "secrets" in API group "" in the namespace "${ns}"`);
    // The ambassador's own answers are Status objects too: exec is rejected by its filter.
    const exec = await kube.request({ method: 'POST', path: `/api/v1/namespaces/${ns}/pods/p/exec` }).then(() => undefined, (e: unknown) => e);
    assert.ok(exec instanceof KubeApiError, String(exec));
    assert.equal(exec.code, 403);
  });
});
