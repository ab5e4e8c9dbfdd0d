// The doctor's network checks against real sockets: a refused port, a port
// whose SYNs go unanswered (timed out — and the NetworkPolicy hint naming
// the kubernetes Service's endpoint port, read through a real ambassador),
// a port that accepts but never speaks TLS, plain HTTP where TLS was
// expected, and an address with no route. Each run is bounded by --timeout.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ControlPlane, type ServiceAccountFolder, startControlPlane } from '../../tools/control-plane/index.js';
import { type BlackholePort, blackholePort, connectError } from '../support/doctor-fixtures.js';
import { closedPort, silentServer } from '../support/net.js';
import { type RunningProxy, runCli, startProxy } from '../support/proxy-process.js';

interface JsonCheck { id: string; status: string; summary: string; details: string[]; fix?: string }

async function doctor(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; ms: number; check(id: string): JsonCheck }> {
  const started = Date.now();
  const res = await runCli(['doctor', '--json', ...args], env);
  const ms = Date.now() - started;
  const report = JSON.parse(res.stdout) as { checks: JsonCheck[] };
  return { code: res.code, ms, check: (id) => report.checks.find((c) => c.id === id)! };
}

describe('doctor: the network between a pod and the API server', () => {
  let cp: ControlPlane;
  let dir: string;
  let folder: ServiceAccountFolder;
  let proxy: RunningProxy;
  let hole: BlackholePort;

  before(async () => {
    cp = await startControlPlane();
    dir = mkdtempSync(join(tmpdir(), 'kube-ambassador-doctor-net-'));
    await cp.serviceAccountWithRole('net', 'app', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }]);
    folder = cp.writeServiceAccountFolder(join(dir, 'sa'), { token: await cp.mintToken('net', 'app'), namespace: 'net' });
    proxy = await startProxy(['proxy', '--port=0', `--kubeconfig=${cp.adminKubeconfig}`]);
    hole = await blackholePort();
  });
  after(async () => {
    await hole?.close();
    await proxy?.stop();
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The pod's folder and token, but KUBERNETES_SERVICE_HOST/PORT pointing elsewhere. */
  const podAt = (host: string, port: number, args: string[] = ['--ambassador=', '--timeout=1s']) =>
    doctor([`--service-account-dir=${folder.dir}`, ...args], { KUBERNETES_SERVICE_HOST: host, KUBERNETES_SERVICE_PORT: String(port) });

  it('refused: nothing listens there', async () => {
    const port = await closedPort();
    const d = await podAt('127.0.0.1', port);
    assert.equal(d.code, 1);
    const tcp = d.check('tcp');
    assert.deepEqual([tcp.status, tcp.summary], ['FAIL', `127.0.0.1:${port}: connection refused (nothing listens there)`]);
    assert.match(tcp.fix!, /check KUBERNETES_SERVICE_HOST\/PORT; if they are the kubernetes Service's ClusterIP, its rules \(kube-proxy or the CNI\) are missing/);
    for (const id of ['tls', 'apiserver', 'authentication', 'authorization']) assert.equal(d.check(id).status, 'SKIP', id);
  });

  it('timed out: the packets are dropped, a NetworkPolicy hinted at with the usual endpoint port', async () => {
    const d = await podAt('127.0.0.1', hole.port);
    assert.equal(d.code, 1);
    const tcp = d.check('tcp');
    assert.deepEqual([tcp.status, tcp.summary], ['FAIL', `127.0.0.1:${hole.port}: no answer within 1000 ms (the packets are dropped)`]);
    assert.equal(tcp.fix, `a NetworkPolicy may be dropping this pod's egress: allow egress to the API server's endpoint address and port (often 6443) — after DNAT the policy sees the endpoint, not 127.0.0.1:${hole.port}`);
    assert.ok(d.ms < 6000, `the doctor took ${d.ms} ms`);
  });

  it('timed out, with an ambassador that can read the kubernetes EndpointSlice: the hint names its address and port', async () => {
    // No endpoint reconciler runs on loopback; publish what a cluster would.
    const slice = await cp.request('POST', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: 'kubernetes', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.5'] }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
    });
    assert.equal(slice.status, 201, slice.text);
    const d = await podAt('127.0.0.1', hole.port, [`--ambassador=${proxy.url}`, '--timeout=1s']);
    const tcp = d.check('tcp');
    assert.equal(tcp.status, 'FAIL');
    assert.equal(tcp.fix, `a NetworkPolicy may be dropping this pod's egress: allow egress to 10.0.0.5:6443 (the kubernetes Service's endpoints) — after DNAT the policy sees the endpoint, not 127.0.0.1:${hole.port}`);
    assert.ok(tcp.details.includes("the kubernetes Service's endpoints (read through the ambassador): 10.0.0.5:6443"));
    assert.equal(d.check('ambassador').status, 'PASS');
  });

  it('a port that accepts and never speaks: TCP passes, the TLS handshake times out', async () => {
    const silent = await silentServer();
    try {
      const d = await podAt('127.0.0.1', silent.port);
      assert.equal(d.check('tcp').status, 'PASS');
      const tls = d.check('tls');
      assert.deepEqual([tls.status, tls.summary], ['FAIL', 'the port accepts connections but completes no TLS handshake within 1000 ms']);
      assert.match(tls.fix!, /something other than the API server holds this port/);
    } finally {
      await silent.close();
    }
  });

  it('plain HTTP where TLS was expected (an ambassador\'s port as the API server)', async () => {
    const d = await podAt('127.0.0.1', proxy.port);
    const tls = d.check('tls');
    assert.equal(tls.status, 'FAIL');
    assert.match(tls.summary, /^the port does not speak TLS \(/);
    assert.match(tls.fix!, /use http:\/\/ for an ambassador or proxy/);
  });

  it('unreachable: no route to the address (IPv6 documentation prefix)', async (t) => {
    const host = '2001:db8::1';
    const probe = await connectError(host, 443, 5000);
    if (probe !== 'EHOSTUNREACH' && probe !== 'ENETUNREACH') {
      t.skip(`this machine answers ${probe} for ${host}, not "no route"`);
      return;
    }
    const d = await podAt(host, 443, ['--ambassador=', '--timeout=6s']);
    assert.equal(d.check('locate').summary, `https://[${host}]:443 from KUBERNETES_SERVICE_HOST/PORT (in-cluster)`);
    const tcp = d.check('tcp');
    assert.deepEqual([tcp.status, tcp.summary], ['FAIL', `[${host}]:443: unreachable (${probe})`]);
    assert.match(tcp.fix!, /no route to 2001:db8::1 from here/);
  });
});
