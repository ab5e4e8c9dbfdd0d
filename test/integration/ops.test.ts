// The operations listener and the access log of the ambassador: every metric
// moves when it should, readiness follows the token, log lines parse and
// never carry a secret.
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ControlPlane, startControlPlane } from '../../tools/control-plane/index.js';
import { sample } from '../support/metrics-text.js';
import { http } from '../support/http.js';
import { closedPort } from '../support/net.js';
import { runCli, type RunningProxy, startProxy } from '../support/proxy-process.js';
import { type StubApiServer, startStubApiServer } from '../support/stub-apiserver.js';

async function freePortAddress(): Promise<{ flag: string; port: number }> {
  const port = await closedPort();
  return { flag: `--ops-address=127.0.0.1:${port}`, port };
}

describe('operations: metrics and access log (API server double)', () => {
  let stub: StubApiServer;
  let proxy: RunningProxy;
  let opsPort: number;
  const metrics = async () => (await http(`http://127.0.0.1:${opsPort}/metrics`)).body;

  before(async () => {
    stub = await startStubApiServer({ tokens: ['secret-stub-token'] });
    const ops = await freePortAddress();
    opsPort = ops.port;
    proxy = await startProxy(['proxy', '--port=0', ops.flag, '--access-log', `--server=${stub.origin}`,
      `--certificate-authority=${stub.pki.caCertFile}`, '--token=secret-stub-token']);
  });
  after(async () => {
    await proxy?.stop();
    await stub?.close();
  });

  it('serves /healthz and /readyz on its own port, with no Host filter', async () => {
    const health = await http(`http://127.0.0.1:${opsPort}/healthz`, { headers: { Host: '10.1.2.3:9091' } });
    assert.deepEqual([health.status, health.body], [200, 'ok']);
    const ready = await http(`http://127.0.0.1:${opsPort}/readyz?verbose`);
    assert.equal(ready.status, 200, ready.body);
    assert.match(ready.body, /\[\+\]apiserver ok/);
  });

  it('counts a proxied request by method, resource, verb and code', async () => {
    const before = sample(await metrics(), 'kube_ambassador_requests_total', { verb: 'list', resource: 'pods', code: '200', source: 'upstream' }) ?? 0;
    await http(`${proxy.url}/api/v1/namespaces/d/pods`);
    const text = await metrics();
    assert.equal(sample(text, 'kube_ambassador_requests_total', { method: 'GET', verb: 'list', resource: 'pods', code: '200', source: 'upstream' }), before + 1);
    assert.ok((sample(text, 'kube_ambassador_request_duration_seconds_count', { verb: 'list' }) ?? 0) >= 1);
    assert.ok((sample(text, 'kube_ambassador_response_bytes_total', { verb: 'list' }) ?? 0) > 0);
  });

  it('counts a filter rejection as a 403 answered by the filter', async () => {
    const before = sample(await metrics(), 'kube_ambassador_requests_total', { code: '403', source: 'filter' }) ?? 0;
    await http(`${proxy.url}/api/v1/namespaces/d/pods/p/exec`);
    assert.equal(sample(await metrics(), 'kube_ambassador_requests_total', { code: '403', source: 'filter', resource: 'pods' }), before + 1);
  });

  it('shows a watch while it is open, and not after', async () => {
    let close: () => void = () => {};
    const opened = new Promise<void>((resolve) => {
      const req = request(`${proxy.url}/stream?name=metrics&count=5&watch=1`, (res) => { res.once('data', () => resolve()); res.on('error', () => {}); });
      req.on('error', () => {});
      req.end();
      close = () => req.destroy();
    });
    await opened;
    assert.equal(sample(await metrics(), 'kube_ambassador_open_watches'), 1);
    assert.ok((sample(await metrics(), 'kube_ambassador_requests_in_flight') ?? 0) >= 1);
    close();
    const deadline = Date.now() + 3000;
    while (sample(await metrics(), 'kube_ambassador_open_watches') !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(sample(await metrics(), 'kube_ambassador_open_watches'), 0);
  });

  it('writes JSON access log lines with the Kubernetes fields and no secret', async () => {
    await http(`${proxy.url}/api/v1/namespaces/team/configmaps/settings`, { headers: { Cookie: 'session=secret-cookie', 'User-Agent': 'test-agent' } });
    await new Promise((r) => setTimeout(r, 100));
    const lines = proxy.stderr().split('\n').filter((l) => l.startsWith('{"time"') && l.includes('request_id'));
    const records = lines.map((l) => JSON.parse(l));
    const record = records.find((r) => r.name === 'settings');
    assert.ok(record, proxy.stderr());
    assert.deepEqual(
      [record.method, record.verb, record.resource, record.namespace, record.status, record.user_agent, record.answered_by],
      ['GET', 'get', 'configmaps', 'team', 200, 'test-agent', 'upstream']);
    assert.match(record.request_id, /^[0-9a-f-]{36}$/);
    assert.equal(stub.requests.at(-1)!.headers['audit-id'], record.request_id, 'the same id went upstream');
    assert.ok(!proxy.stderr().includes('secret-stub-token'), 'no token in the log');
    assert.ok(!proxy.stderr().includes('secret-cookie'), 'no cookie in the log');
  });
});

describe('operations: a busy operations port', () => {
  it('exits 1 with one line and does not keep serving the proxy', async () => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const result = await runCli(['proxy', '--port=0', `--ops-address=127.0.0.1:${port}`, '--server=https://127.0.0.1:1', '--token=t'], {}, 10_000);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`^error: listen tcp 127\\.0\\.0\\.1:${port}: bind: address already in use$`, 'm'));
      assert.equal(result.stdout, '', 'no startup line');
    } finally {
      taken.close();
    }
  });
});

describe('operations: upstream failures', () => {
  it('counts an unreachable API server by kind and turns /readyz red', async () => {
    const ops = await freePortAddress();
    const port = await closedPort();
    const proxy = await startProxy(['proxy', '--port=0', ops.flag, `--server=https://127.0.0.1:${port}`, '--insecure-skip-tls-verify', '--token=t']);
    try {
      await http(`${proxy.url}/api`);
      const text = (await http(`http://127.0.0.1:${ops.port}/metrics`)).body;
      assert.equal(sample(text, 'kube_ambassador_upstream_errors_total', { kind: 'refused' }), 1);
      assert.equal(sample(text, 'kube_ambassador_requests_total', { code: '502' }), 1);
      const ready = await http(`http://127.0.0.1:${ops.port}/readyz`);
      assert.equal(ready.status, 503);
      assert.match(ready.body, /\[-\]apiserver failed: .*connection refused/);
    } finally {
      await proxy.stop();
    }
  });
});

describe('operations: readiness follows the token (real API server)', () => {
  let cp: ControlPlane;
  let dir: string;
  before(async () => {
    cp = await startControlPlane();
    dir = mkdtempSync(join(tmpdir(), 'kube-ambassador-ops-'));
    await cp.createNamespace('ops');
    await cp.serviceAccountWithRole('ops', 'app', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }]);
  });
  after(async () => {
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('fails /readyz while the token file holds a revoked token and recovers when it is replaced', async () => {
    const bound = await cp.mintToken('ops', 'app', { boundSecret: 'ops-anchor' });
    const folder = cp.writeServiceAccountFolder(join(dir, 'sa'), { token: bound, namespace: 'ops' });
    const ops = await freePortAddress();
    const proxy = await startProxy(['proxy', '--port=0', ops.flag, `--service-account-dir=${folder.dir}`], { env: folder.env });
    const readyz = async () => (await http(`http://127.0.0.1:${ops.port}/readyz?verbose`));
    try {
      assert.equal((await readyz()).status, 200);
      await cp.request('DELETE', '/api/v1/namespaces/ops/secrets/ops-anchor');
      let status = 200;
      for (const deadline = Date.now() + 30_000; status === 200 && Date.now() < deadline;) {
        await new Promise((r) => setTimeout(r, 500));
        status = (await readyz()).status;
      }
      const failed = await readyz();
      assert.equal(failed.status, 503, failed.body);
      assert.match(failed.body, /401 Unauthorized/);

      writeFileSync(join(folder.dir, 'token.new'), await cp.mintToken('ops', 'app'));
      renameSync(join(folder.dir, 'token.new'), join(folder.dir, 'token'));
      const recovered = await readyz();
      assert.equal(recovered.status, 200, recovered.body);
      const metrics = (await http(`http://127.0.0.1:${ops.port}/metrics`)).body;
      assert.ok((sample(metrics, 'kube_ambassador_token_reloads_total') ?? 0) >= 1, 'the reload is counted');
      const expiry = sample(metrics, 'kube_ambassador_token_expiry_seconds') ?? 0;
      assert.ok(expiry > 3000 && expiry <= 3600, `remaining life ${expiry}`);
    } finally {
      await proxy.stop();
    }
  });
});
