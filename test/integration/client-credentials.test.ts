// Credentials and identity with a real kube-apiserver: an in-cluster style
// service-account folder whose token is revoked and replaced under a running
// client, RBAC answers as KubeApiError with the server's Status, the
// self-review questions (whoami, can-i, rules), and connection pools shared
// by clients of the same cluster and identity.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, Informer, KubeApiError, type KubeClient } from '../../src/client/index.js';
import { UpstreamRegistry } from '../../src/transport/shared-upstreams.js';
import { startControlPlane, type ControlPlane, type ServiceAccountFolder } from '../../tools/control-plane/index.js';
import { startFaultRelay, type FaultRelay } from '../support/fault-relay.js';

const ns = 'creds';
const sa = 'app';

describe('client credentials and identity against a real API server', () => {
  let cp: ControlPlane;
  let home: string;

  /** A client that finds the API server the way a pod does: only the folder and the two variables. */
  const inCluster = (folder: ServiceAccountFolder, registry?: UpstreamRegistry) =>
    connect({ serviceAccountDir: folder.dir, env: { ...folder.env }, homeDir: home, registry });

  before(async () => {
    cp = await startControlPlane();
    home = mkdtempSync(join(tmpdir(), 'client-credentials-home-'));
    await cp.serviceAccountWithRole(ns, sa, [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'create'] },
    ]);
  });
  after(async () => {
    await cp?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  test('a rotated token is picked up by the same client: at most one failure after the new file lands', async () => {
    const token = await cp.mintToken(ns, sa, { boundSecret: 'session-1' });
    const folder = cp.writeServiceAccountFolder(join(cp.tmpDir, 'sa-rotate'), { token, namespace: ns });
    const kube = await inCluster(folder, new UpstreamRegistry());
    try {
      assert.equal(kube.info.source, 'in-cluster');
      assert.equal(kube.namespace, ns);
      const cms = await kube.resource('v1', 'ConfigMap');
      assert.deepEqual((await cms.list()).items, []);

      // Revoke the token. The API server caches a good authentication for up to 10 s.
      const deleted = await cp.request('DELETE', `/api/v1/namespaces/${ns}/secrets/session-1`);
      assert.equal(deleted.status, 200, deleted.text);
      const deadline = Date.now() + 30_000;
      let failure: unknown;
      while (!failure) {
        failure = await cms.list().then(() => undefined, (e: unknown) => e);
        if (!failure) {
          assert.ok(Date.now() < deadline, 'the revoked token kept working');
          await sleep(200);
        }
      }
      assert.ok(failure instanceof KubeApiError, String(failure));
      assert.equal(failure.code, 401);
      assert.equal(failure.reason, 'Unauthorized');

      // The kubelet's way: write the new token beside it, then rename over the file.
      const fresh = await cp.mintToken(ns, sa, { boundSecret: 'session-2' });
      writeFileSync(join(folder.dir, '.token.tmp'), fresh, { mode: 0o600 });
      renameSync(join(folder.dir, '.token.tmp'), join(folder.dir, 'token'));

      let failures = 0;
      let ok = false;
      for (let attempt = 0; attempt < 5 && !ok; attempt++) {
        ok = await cms.list().then(() => true, () => false);
        if (!ok) failures++;
      }
      assert.ok(ok, 'the client never used the new token');
      assert.ok(failures <= 1, `${failures} failed requests after the new token was written`);
      console.log(`# failed requests after the token file was replaced: ${failures}`);
      assert.equal((await kube.whoami()).username, `system:serviceaccount:${ns}:${sa}`);
      // Watches use it too (raced: a failing first list would keep start() waiting).
      const informer = new Informer(cms);
      try {
        const synced = await Promise.race([informer.start().then(() => true), sleep(10_000).then(() => false)]);
        assert.ok(synced, 'the informer listed with the new token');
        assert.equal(informer.stats.errors, 0);
      } finally {
        await informer.stop();
      }
    } finally {
      await kube.close();
    }
  });

  describe('RBAC and self reviews as a service account', () => {
    let folder: ServiceAccountFolder;
    let kube: KubeClient;

    before(async () => {
      const token = await cp.mintToken(ns, sa);
      folder = cp.writeServiceAccountFolder(join(cp.tmpDir, 'sa-rbac'), { token, namespace: ns });
      kube = await inCluster(folder, new UpstreamRegistry());
    });
    after(() => kube?.close());

    test('allowed verbs work; a forbidden get is KubeApiError 403 with the server Status', async () => {
      const cms = await kube.resource('v1', 'ConfigMap');
      await cms.create({ metadata: { name: 'mine' }, data: { a: '1' } });
      assert.deepEqual((await cms.list()).items.map((i) => i.metadata?.name), ['mine']);
      assert.equal((await cms.get('mine')).data?.a, '1');

      const secrets = await kube.resource('v1', 'Secret');
      const err = await secrets.get('anything').then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof KubeApiError, String(err));
      assert.equal(err.code, 403);
      assert.equal(err.reason, 'Forbidden');
      assert.equal(err.isForbidden, true);
      const message = `secrets "anything" is forbidden: User "system:serviceaccount:${ns}:${sa}" cannot get resource "secrets" in API group "" in the namespace "${ns}"`;
      assert.equal(err.status.message, message);
      assert.equal(err.message, message);
      assert.equal(err.status.details?.kind, 'secrets');

      // Another namespace is off limits too, and delete is not among the Role's verbs.
      await assert.rejects(cms.list({ namespace: 'default' }), (e: unknown) => e instanceof KubeApiError && e.code === 403);
      await assert.rejects(cms.delete('mine'), (e: unknown) => e instanceof KubeApiError && e.code === 403
        && /cannot delete resource "configmaps"/.test(e.message));
    });

    test('whoami names the service account', async () => {
      const me = await kube.whoami();
      assert.equal(me.username, `system:serviceaccount:${ns}:${sa}`);
      for (const group of ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated']) {
        assert.ok(me.groups?.includes(group), `${group} in ${JSON.stringify(me.groups)}`);
      }
      assert.ok(me.uid, 'the service account uid');
    });

    test('canI answers from the server: configmaps yes, secrets no', async () => {
      assert.equal((await kube.canI('list', 'configmaps')).allowed, true);
      assert.equal((await kube.canI('create', 'configmaps')).allowed, true);
      assert.equal((await kube.canI('delete', 'configmaps')).allowed, false);
      assert.equal((await kube.canI('list', 'secrets')).allowed, false);
      assert.equal((await kube.canI('list', 'configmaps', { namespace: 'default' })).allowed, false);
      assert.equal((await kube.canI('get', 'deployments.apps')).allowed, false);
      // Non-resource URLs: /healthz is public, /metrics is not.
      assert.equal((await kube.canI('get', '/healthz')).allowed, true);
      assert.equal((await kube.canI('get', '/metrics')).allowed, false);
    });

    test('rules(ns) lists the Role rules', async () => {
      const rules = await kube.rules(ns);
      const mine = rules.resourceRules.find((r) => r.resources?.includes('configmaps'));
      assert.ok(mine, JSON.stringify(rules.resourceRules));
      assert.deepEqual([...mine.verbs].sort(), ['create', 'get', 'list', 'watch']);
      assert.deepEqual(mine.apiGroups, ['']);
      // The self-review rules every authenticated user has are there too.
      assert.ok(rules.resourceRules.some((r) => r.resources?.includes('selfsubjectaccessreviews')));
      assert.ok(!rules.resourceRules.some((r) => r.resources?.includes('secrets')));
      // In another namespace the Role does not apply.
      const elsewhere = await kube.rules('default');
      assert.ok(!elsewhere.resourceRules.some((r) => r.resources?.includes('configmaps')));
      assert.equal(rules.incomplete, false);
    });

    test('an informer whose first list is forbidden: start() and kube.informer() reject with the 403', async () => {
      const informer = new Informer(await kube.resource('v1', 'Secret'), { backoff: { initialMs: 50, maxMs: 100 } });
      const errors: Error[] = [];
      informer.on({ error: (e) => errors.push(e) });
      try {
        const outcome = await Promise.race([
          informer.start().then(() => 'synced', (e: unknown) => e),
          sleep(3000).then(() => 'still waiting after 3 s'),
        ]);
        assert.ok(errors.length >= 1 && errors[0] instanceof KubeApiError && errors[0].code === 403, 'the 403 reaches the error handler');
        assert.ok(outcome instanceof KubeApiError && outcome.code === 403, `start(): ${String(outcome)}`);
        assert.match(outcome.message, /cannot list resource "secrets"/);
      } finally {
        await informer.stop();
      }
      const viaClient = await Promise.race([
        kube.informer('v1', 'Secret').then(async (i) => { await i.stop(); return 'synced'; }, (e: unknown) => e),
        sleep(3000).then(() => 'still waiting after 3 s'),
      ]);
      assert.ok(viaClient instanceof KubeApiError && viaClient.code === 403, `kube.informer(): ${String(viaClient)}`);
    });
  });

  describe('connection pools shared by identity', () => {
    let relay: FaultRelay;
    let kubeconfig: string;

    before(async () => {
      relay = await startFaultRelay({ host: cp.host, port: cp.port });
      // The admin kubeconfig, pointed at the relay so connections can be counted.
      kubeconfig = join(cp.tmpDir, 'relayed.kubeconfig');
      writeFileSync(kubeconfig, readFileSync(cp.adminKubeconfig, 'utf8').replace(cp.url, relay.url));
    });
    after(() => relay?.close());

    test('same kubeconfig: one pool; another identity: a second one; closing all: none', async () => {
      const registry = new UpstreamRegistry();
      const options = { kubeconfig, env: {}, homeDir: home, registry };
      const a = await connect(options);
      const b = await connect(options);
      assert.equal(registry.size, 1);

      // One keep-alive connection serves both clients, one request after the other. (The pause
      // lets undici see the connection idle again; a request sent in the same tick opens another.)
      for (const k of [a, b, a, b]) {
        await k.request({ method: 'GET', path: '/version' });
        await sleep(50);
      }
      assert.equal(relay.accepted, 1, 'a second TCP connection was opened');

      const c = await connect({ ...options, context: 'admin-cert' });
      assert.equal(registry.size, 2);
      assert.equal((await c.whoami()).username, 'admin'); // the client certificate's identity
      assert.equal(relay.accepted, 2);

      await a.close();
      assert.equal(registry.size, 2, 'b still uses the pool');
      assert.equal((await b.whoami()).username, 'admin');
      await a.close(); // closing twice must not release b's share
      assert.equal(registry.size, 2);
      await b.close();
      assert.equal(registry.size, 1);
      await c.close();
      assert.equal(registry.size, 0);
      await assert.rejects(b.request({ method: 'GET', path: '/version' }), 'a closed client does not quietly reopen a pool');

      // A fresh connect after everything closed gets a new pool.
      const d = await connect(options);
      try {
        assert.equal(registry.size, 1);
        assert.equal((await d.request({ method: 'GET', path: '/version' })).status, 200);
      } finally {
        await d.close();
      }
      assert.equal(registry.size, 0);
    });

    test('in-cluster clients of the same folder share a pool, another service account does not', async () => {
      await cp.serviceAccountWithRole(ns, 'other', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }]);
      const one = cp.writeServiceAccountFolder(join(cp.tmpDir, 'sa-share-1'), { token: await cp.mintToken(ns, sa), namespace: ns });
      const two = cp.writeServiceAccountFolder(join(cp.tmpDir, 'sa-share-2'), { token: await cp.mintToken(ns, 'other'), namespace: ns });
      const registry = new UpstreamRegistry();
      const clients = [await inCluster(one, registry), await inCluster(one, registry), await inCluster(two, registry)];
      try {
        assert.equal(registry.size, 2);
        const names = await Promise.all(clients.map(async (k) => (await k.whoami()).username));
        assert.deepEqual(names, [`system:serviceaccount:${ns}:${sa}`, `system:serviceaccount:${ns}:${sa}`, `system:serviceaccount:${ns}:other`]);
      } finally {
        for (const k of clients) await k.close();
      }
      assert.equal(registry.size, 0);
    });
  });
});
