// The proxy process in front of a real kube-apiserver: discovery, every kind
// of write, pagination, watches, RBAC answers, in-cluster credentials of a
// real service account, and a rotated token taken up without a restart.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ControlPlane, startControlPlane } from '../../tools/control-plane/index.js';
import { http } from '../support/http.js';
import { type RunningProxy, startProxy } from '../support/proxy-process.js';
import { openWatch } from '../support/watch-reader.js';

const ns = 'proxy-it';
const sa = 'app';

describe('proxy in front of a real kube-apiserver', () => {
  let cp: ControlPlane;
  let dir: string;
  let admin: RunningProxy; // kubeconfig credentials (admin)
  let pod: RunningProxy; // in-cluster credentials of a service account, as the ambassador runs
  let podToken: string;

  before(async () => {
    cp = await startControlPlane();
    dir = mkdtempSync(join(tmpdir(), 'kube-ambassador-it-'));
    await cp.createNamespace(ns);
    await cp.serviceAccountWithRole(ns, sa, [{ apiGroups: [''], resources: ['configmaps'], verbs: ['*'] }]);
    podToken = await cp.mintToken(ns, sa);
    const folder = cp.writeServiceAccountFolder(join(dir, 'sa'), { token: podToken, namespace: ns });
    admin = await startProxy(['proxy', '--port=0', `--kubeconfig=${cp.adminKubeconfig}`]);
    pod = await startProxy(['proxy', '--port=0', `--service-account-dir=${folder.dir}`], { env: folder.env });
  });
  after(async () => {
    await admin?.stop();
    await pod?.stop();
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cm = (name: string, data: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });
  const path = (name = '') => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;
  const json = async (proxy: RunningProxy, method: string, p: string, body?: unknown, contentType = 'application/json') => {
    const res = await http(proxy.url + p, {
      method, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      headers: body === undefined ? {} : { 'Content-Type': contentType },
    });
    return { status: res.status, body: res.body ? JSON.parse(res.body) : undefined };
  };

  it('answers discovery (GET /) exactly as the API server does', async () => {
    const direct = await cp.request('GET', '/');
    const proxied = await http(`${admin.url}/`);
    assert.equal(proxied.status, 200);
    assert.deepEqual(JSON.parse(proxied.body), direct.json);
    assert.ok(JSON.parse(proxied.body).paths.includes('/api/v1'));
  });

  it('creates, reads, lists, replaces, patches (4 ways) and deletes ConfigMaps as the service account', async () => {
    const created = await json(pod, 'POST', path(), cm('one', { a: '1' }));
    assert.equal(created.status, 201);
    const got = await json(pod, 'GET', path('one'));
    assert.equal(got.body.data.a, '1');
    const listed = await json(pod, 'GET', path());
    assert.deepEqual(listed.body.items.map((i: any) => i.metadata.name), ['one']);

    const replaced = await json(pod, 'PUT', path('one'), { ...got.body, data: { a: '2' } });
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body.data.a, '2');

    const merge = await json(pod, 'PATCH', path('one'), { data: { b: 'merge' } }, 'application/merge-patch+json');
    assert.deepEqual(merge.body.data, { a: '2', b: 'merge' });
    const jsonPatch = await json(pod, 'PATCH', path('one'), [{ op: 'replace', path: '/data/a', value: 'json' }], 'application/json-patch+json');
    assert.equal(jsonPatch.body.data.a, 'json');
    const strategic = await json(pod, 'PATCH', path('one'), { data: { c: 'strategic' } }, 'application/strategic-merge-patch+json');
    assert.equal(strategic.body.data.c, 'strategic');
    const applied = await json(pod, 'PATCH', `${path('one')}?fieldManager=it&force=true`,
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\ndata:\n  d: applied\n', 'application/apply-patch+yaml');
    assert.equal(applied.status, 200);
    assert.equal(applied.body.data.d, 'applied');
    assert.ok(applied.body.metadata.managedFields.some((f: any) => f.manager === 'it'));

    assert.equal((await json(pod, 'DELETE', path('one'))).status, 200);
    assert.equal((await json(pod, 'GET', path('one'))).status, 404);
  });

  it('pages through a thousand objects with limit and continue', async () => {
    const pageNs = 'paging';
    await cp.createNamespace(pageNs);
    for (let i = 0; i < 1000; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) =>
        cp.request('POST', `/api/v1/namespaces/${pageNs}/configmaps`, cm(`cm-${String(i + j).padStart(4, '0')}`))));
    }
    const names: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const page = await json(admin, 'GET', `/api/v1/namespaces/${pageNs}/configmaps?limit=137${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
      assert.equal(page.status, 200);
      names.push(...page.body.items.map((i: any) => i.metadata.name));
      token = page.body.metadata.continue ?? '';
      pages++;
    } while (token);
    assert.equal(pages, Math.ceil(1000 / 137));
    assert.equal(names.length, 1000);
    assert.equal(new Set(names).size, 1000);
  });

  it('forwards each watch event as it happens: ADDED, MODIFIED, DELETED in order', async () => {
    const list = await json(pod, 'GET', path());
    const watch = await openWatch(`${pod.url}${path()}?watch=1&resourceVersion=${list.body.metadata.resourceVersion}`);
    try {
      assert.equal(watch.status, 200);
      // Each change is made only after the previous event came through the proxy.
      await json(pod, 'POST', path(), cm('watched', { v: '1' }));
      const added = await watch.next();
      assert.deepEqual([added.type, added.object.metadata.name], ['ADDED', 'watched']);
      await json(pod, 'PATCH', path('watched'), { data: { v: '2' } }, 'application/merge-patch+json');
      const modified = await watch.next();
      assert.deepEqual([modified.type, modified.object.data.v], ['MODIFIED', '2']);
      await json(pod, 'DELETE', path('watched'));
      const deleted = await watch.next();
      assert.deepEqual([deleted.type, deleted.object.metadata.name], ['DELETED', 'watched']);
    } finally {
      watch.close();
    }
  });

  it("passes RBAC denials through untouched (the API server's own 403 Status)", async () => {
    const proxied = await http(`${pod.url}/api/v1/namespaces/${ns}/secrets`);
    const direct = await cp.request('GET', `/api/v1/namespaces/${ns}/secrets`, undefined, { token: podToken });
    assert.equal(proxied.status, 403);
    assert.deepEqual(JSON.parse(proxied.body), direct.json);
    assert.match(JSON.parse(proxied.body).message, new RegExp(`system:serviceaccount:${ns}:${sa}`));
  });

  it('takes up a replaced token file without a restart (a revoked token, then a fresh one)', async () => {
    // A token bound to a Secret dies with it: the pod's token "expires" now.
    const folder = join(dir, 'rotating');
    const bound = await cp.mintToken(ns, sa, { boundSecret: 'rotation-anchor' });
    cp.writeServiceAccountFolder(folder, { token: bound, namespace: ns });
    const proxy = await startProxy(['proxy', '--port=0', `--service-account-dir=${folder}`], {
      env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(cp.port) },
    });
    try {
      assert.equal((await http(`${proxy.url}${path()}`)).status, 200);
      await cp.request('DELETE', `/api/v1/namespaces/${ns}/secrets/rotation-anchor`);
      // The API server caches a good token for up to 10 s.
      let status = 200;
      for (const deadline = Date.now() + 30_000; status === 200 && Date.now() < deadline;) {
        await new Promise((r) => setTimeout(r, 250));
        status = (await http(`${proxy.url}${path()}`)).status;
      }
      assert.equal(status, 401, 'the revoked token is refused');

      // The kubelet's way: write the new token beside it and rename over (atomic).
      writeFileSync(join(folder, 'token.new'), await cp.mintToken(ns, sa));
      renameSync(join(folder, 'token.new'), join(folder, 'token'));
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await http(`${proxy.url}${path()}`)).status);
      assert.ok(statuses.filter((s) => s !== 200).length <= 1, `at most one failed request: ${statuses}`);
      assert.equal(statuses.at(-1), 200);
    } finally {
      await proxy.stop();
    }
  });
});
