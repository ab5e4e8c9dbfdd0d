// Proves the test control plane: a real kube-apiserver that authenticates,
// authorizes with RBAC, revokes bound tokens, and cleans up after itself.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { startControlPlane, type ControlPlane } from '../../tools/control-plane/index.js';

describe('control plane harness', () => {
  let cp: ControlPlane;

  before(async () => {
    const started = Date.now();
    cp = await startControlPlane();
    console.log(`control plane ready at ${cp.url} in ${Date.now() - started} ms`);
  });
  after(() => cp?.stop());

  test('/version says v1.35.4, even to anonymous callers', async () => {
    const response = await cp.request('GET', '/version', undefined, { token: null });
    assert.equal(response.status, 200);
    assert.equal(response.json.gitVersion, 'v1.35.4');
  });

  test('the admin client certificate authenticates as admin in system:masters', async () => {
    const dispatcher = new Agent({
      connect: { ca: cp.caPem, cert: readFileSync(cp.adminClientCertFile), key: readFileSync(cp.adminClientKeyFile) },
    });
    try {
      const response = await request(`${cp.url}/apis/authentication.k8s.io/v1/selfsubjectreviews`, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }),
      });
      const review = (await response.body.json()) as any;
      assert.equal(response.statusCode, 201);
      assert.equal(review.status.userInfo.username, 'admin');
      assert.ok(review.status.userInfo.groups.includes('system:masters'));
    } finally {
      await dispatcher.destroy();
    }
  });

  test('a ServiceAccount with a Role lists configmaps in its namespace but not secrets', async () => {
    await cp.serviceAccountWithRole('team-a', 'reader', [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] },
    ]);
    // Creating twice is fine: tests share one control plane.
    await cp.serviceAccountWithRole('team-a', 'reader', [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] },
    ]);
    const token = await cp.mintToken('team-a', 'reader');

    const configMaps = await cp.request('GET', '/api/v1/namespaces/team-a/configmaps', undefined, { token });
    assert.equal(configMaps.status, 200, configMaps.text);
    const secrets = await cp.request('GET', '/api/v1/namespaces/team-a/secrets', undefined, { token });
    assert.equal(secrets.status, 403, secrets.text);
    const elsewhere = await cp.request('GET', '/api/v1/namespaces/default/configmaps', undefined, { token });
    assert.equal(elsewhere.status, 403, elsewhere.text);
  });

  test('a token bound to a Secret stops working once the Secret is deleted', async () => {
    await cp.serviceAccountWithRole('team-b', 'session', [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['list'] },
    ]);
    const token = await cp.mintToken('team-b', 'session', { boundSecret: 'session-1' });
    const list = () => cp.request('GET', '/api/v1/namespaces/team-b/configmaps', undefined, { token });
    assert.equal((await list()).status, 200);

    const deleted = await cp.request('DELETE', '/api/v1/namespaces/team-b/secrets/session-1');
    assert.equal(deleted.status, 200, deleted.text);
    // kube-apiserver caches a successful token authentication for 10 s (no flag changes that).
    const deadline = Date.now() + 30_000;
    let status = (await list()).status;
    while (status !== 401 && Date.now() < deadline) {
      await sleep(100);
      status = (await list()).status;
    }
    assert.equal(status, 401);
  });

  test('writeServiceAccountFolder writes what a pod finds', async () => {
    const dir = join(cp.tmpDir, 'serviceaccount');
    const folder = cp.writeServiceAccountFolder(dir, { token: 'abc', namespace: 'team-a' });
    assert.equal(readFileSync(join(dir, 'token'), 'utf8'), 'abc');
    assert.equal(readFileSync(join(dir, 'namespace'), 'utf8'), 'team-a');
    assert.equal(readFileSync(join(dir, 'ca.crt'), 'utf8'), cp.caPem);
    assert.deepEqual(folder.env, { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(cp.port) });
  });

  test('stop() leaves no etcd or kube-apiserver behind and removes the temp dir', async () => {
    const started = Date.now();
    await cp.stop();
    console.log(`control plane stopped in ${Date.now() - started} ms`);
    for (const [name, pid] of Object.entries(cp.pids)) {
      assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `${name} (pid ${pid}) still running`);
    }
    assert.equal(existsSync(cp.tmpDir), false);
    await cp.stop();
  });
});
