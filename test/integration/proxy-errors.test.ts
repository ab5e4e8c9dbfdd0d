// Upstream failures reach the client as Kubernetes Status objects with a
// fitting code, promptly, on both the ordinary and the upgrade path; and TLS
// is verified on both (kubectl skips it on upgrades without a CA).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createPki } from '../../tools/control-plane/pki.js';
import { http, rawHttp } from '../support/http.js';
import { closedPort, silentServer, type SilentServer } from '../support/net.js';
import { type RunningProxy, startProxy } from '../support/proxy-process.js';
import { type StubApiServer, startStubApiServer } from '../support/stub-apiserver.js';

const upgradeRequest = 'GET /api/v1/namespaces/d/pods/p/portforward HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

function status(body: string): { code: number; message: string; kind: string } {
  return JSON.parse(body.slice(body.indexOf('{')));
}

describe('proxy upstream errors', () => {
  let stub: StubApiServer;
  let silent: SilentServer;
  let dir: string;
  const proxies: RunningProxy[] = [];
  const start = async (args: string[], env?: NodeJS.ProcessEnv) => {
    const p = await startProxy(['proxy', '--port=0', ...args], { env });
    proxies.push(p);
    return p;
  };

  before(async () => {
    stub = await startStubApiServer({ tokens: ['tok'] });
    silent = await silentServer();
    dir = mkdtempSync(join(tmpdir(), 'kube-ambassador-errors-'));
  });
  after(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await stub?.close();
    await silent?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 502 Status when the API server refuses the connection', async () => {
    const port = await closedPort();
    const proxy = await start([`--server=https://127.0.0.1:${port}`, '--insecure-skip-tls-verify', '--token=tok']);
    const res = await http(`${proxy.url}/api`);
    assert.equal(res.status, 502);
    const s = status(res.body);
    assert.equal(s.kind, 'Status');
    assert.equal(s.code, 502);
    assert.match(s.message, /connection refused/);
    const up = status(await rawHttp(proxy.port, upgradeRequest));
    assert.equal(up.code, 502);
  });

  it('answers 502 with the TLS reason when the certificate is not trusted, on both paths', async () => {
    const other = createPki(join(dir, 'other-pki'));
    const proxy = await start([`--server=${stub.origin}`, `--certificate-authority=${other.caCertFile}`, '--token=tok']);
    const res = await http(`${proxy.url}/api`);
    assert.equal(res.status, 502);
    assert.match(status(res.body).message, /^tls: failed to verify/);
    const up = await rawHttp(proxy.port, upgradeRequest);
    assert.match(up, /^HTTP\/1\.1 502 /);
    assert.match(status(up).message, /^tls: failed to verify/);
  });

  it('never skips verification on upgrades when no CA is configured (kubectl does)', async () => {
    const proxy = await start([`--server=${stub.origin}`, '--token=tok']);
    const before = stub.requests.length;
    const up = await rawHttp(proxy.port, upgradeRequest);
    assert.match(up, /^HTTP\/1\.1 502 /);
    assert.match(status(up).message, /^tls: /);
    assert.equal(stub.requests.length, before, 'nothing reached the untrusted server');
  });

  it('answers 504 when the TLS handshake stalls, within the connect timeout', async () => {
    const proxy = await start([`--server=https://127.0.0.1:${silent.port}`, '--insecure-skip-tls-verify', '--token=tok', '--upstream-connect-timeout=1s']);
    const started = Date.now();
    const res = await http(`${proxy.url}/api`);
    assert.equal(res.status, 504);
    assert.equal(status(res.body).code, 504);
    assert.ok(Date.now() - started < 5000);
    const up = await rawHttp(proxy.port, upgradeRequest, 8000);
    assert.match(up, /^HTTP\/1\.1 504 /);
  });

  it('answers 502 when the API server closes the connection before answering', async () => {
    const rude = await silentServer((socket) => socket.once('data', () => socket.destroy()));
    try {
      const proxy = await start([`--server=http://127.0.0.1:${rude.port}`]);
      const res = await http(`${proxy.url}/api`);
      assert.equal(res.status, 502);
      assert.match(status(res.body).message, /closed the connection|reset/);
    } finally {
      await rude.close();
    }
  });

  it('answers 503 Status while no credentials can be had (a failing exec plugin)', async () => {
    const kubeconfig = join(dir, 'exec-kubeconfig');
    writeFileSync(kubeconfig, JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
      clusters: [{ name: 'c', cluster: { server: stub.origin, 'certificate-authority': stub.pki.caCertFile } }],
      users: [{ name: 'u', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'false' } } }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
    }));
    const proxy = await start([`--kubeconfig=${kubeconfig}`]);
    const res = await http(`${proxy.url}/api`);
    assert.equal(res.status, 503);
    assert.match(status(res.body).message, /getting credentials: exec: executable false failed with exit code 1/);
  });
});
