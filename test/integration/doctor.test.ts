// kube-ambassador doctor against a real kube-apiserver, as a real process:
// a healthy pod and a healthy kubeconfig, then each common failure built for
// real — no token folder, an expired, a stale and a revoked token, a wrong
// CA, a TLS name mismatch, an RBAC denial (and its fix line applied) — and
// the ambassador check against a running kube-ambassador proxy.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolveConnection } from '../../src/credentials/resolve.js';
import { ambassadorCheck } from '../../src/doctor/ambassador.js';
import { runDoctor } from '../../src/doctor/run.js';
import { silentLogger } from '../../src/logging/logger.js';
import { type ControlPlane, createPki, type ServiceAccountFolder, startControlPlane } from '../../tools/control-plane/index.js';
import { kubectlApply, signServiceAccountToken } from '../support/doctor-fixtures.js';
import { closedPort } from '../support/net.js';
import { type RunningProxy, runCli, startProxy } from '../support/proxy-process.js';

const ns = 'doctor-it';
const sa = 'app';

interface JsonCheck { id: string; status: string; summary: string; details: string[]; fix?: string }
interface JsonReport { ok: boolean; counts: Record<string, number>; checks: JsonCheck[] }
interface Doctor { code: number | null; report: JsonReport; stdout: string; stderr: string; check(id: string): JsonCheck }

async function doctor(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Doctor> {
  const res = await runCli(['doctor', '--json', '--timeout=2s', ...args], env);
  let report: JsonReport;
  try {
    report = JSON.parse(res.stdout) as JsonReport;
  } catch {
    throw new Error(`doctor printed no JSON (exit ${res.code})\nstdout: ${res.stdout}\nstderr: ${res.stderr}`);
  }
  return { ...res, report, check: (id) => report.checks.find((c) => c.id === id)! };
}

const statuses = (d: Doctor) => Object.fromEntries(d.report.checks.map((c) => [c.id, c.status]));

describe('doctor against a real kube-apiserver', () => {
  let cp: ControlPlane;
  let dir: string;
  let token: string;
  let folder: ServiceAccountFolder;
  let proxy: RunningProxy;

  before(async () => {
    cp = await startControlPlane();
    dir = mkdtempSync(join(tmpdir(), 'kube-ambassador-doctor-'));
    await cp.serviceAccountWithRole(ns, sa, [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }]);
    token = await cp.mintToken(ns, sa);
    folder = cp.writeServiceAccountFolder(join(dir, 'sa'), { token, namespace: ns });
    proxy = await startProxy(['proxy', '--port=0', `--kubeconfig=${cp.adminKubeconfig}`]);
  });
  after(async () => {
    await proxy?.stop();
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const inPod = (args: string[], saFolder: ServiceAccountFolder = folder) =>
    doctor([`--service-account-dir=${saFolder.dir}`, ...args], saFolder.env);
  const folderWith = (name: string, tokenText: string) => cp.writeServiceAccountFolder(join(dir, name), { token: tokenText, namespace: ns });

  it('in a pod, healthy: every check passes but DNS (no cluster DNS here), exit 0, and the token is never printed', async () => {
    const d = await inPod(['--can=get,list:configmaps', `--ambassador=${proxy.url}`]);
    assert.equal(d.code, 0, d.stdout);
    assert.deepEqual(statuses(d), {
      locate: 'PASS', 'service-account': 'PASS', token: 'PASS', dns: 'WARN', tcp: 'PASS', tls: 'PASS',
      apiserver: 'PASS', authentication: 'PASS', authorization: 'PASS', ambassador: 'PASS',
    });
    assert.equal(d.check('locate').summary, `https://127.0.0.1:${cp.port} from KUBERNETES_SERVICE_HOST/PORT (in-cluster)`);
    assert.equal(d.check('service-account').summary, `token, ca.crt and namespace (${ns}) in ${folder.dir}`);
    assert.match(d.check('token').summary, new RegExp(`^system:serviceaccount:${ns}:${sa}, expires in (59m|1h)`));
    assert.ok(d.check('token').details.includes(`issuer: ${cp.url}`));
    assert.match(d.check('tls').summary, new RegExp(`^verified: CN=kube-apiserver, valid for 127\\.0\\.0\\.1, signed by ${folder.dir}/ca\\.crt$`));
    assert.equal(d.check('apiserver').summary, 'livez ok, readyz ok, v1.35.4');
    assert.equal(d.check('authentication').summary, `the API server sees system:serviceaccount:${ns}:${sa}`);
    assert.equal(d.check('authorization').summary, 'all 2 needed accesses allowed');
    assert.ok(d.check('authorization').details.includes('  get,list configmaps'));
    assert.equal(d.check('ambassador').summary, `${proxy.url} answers (v1.35.4) as admin`);
    assert.ok(d.check('ambassador').details.includes(`a different identity than the direct connection (system:serviceaccount:${ns}:${sa})`));
    const [, payload, signature] = token.split('.');
    assert.ok(!d.stdout.includes(signature!) && !d.stdout.includes(payload!), 'no part of the token in the report');
  });

  it('with a kubeconfig, as its admin: text output, exit 0', async () => {
    const res = await runCli(['doctor', `--kubeconfig=${cp.adminKubeconfig}`, '--ambassador=', '--timeout=2s']);
    assert.equal(res.code, 0, res.stdout);
    assert.match(res.stdout, new RegExp(`^PASS  locate           https://127\\.0\\.0\\.1:${cp.port} \\(kubeconfig \\S+admin\\.kubeconfig, context admin\\)$`, 'm'));
    assert.match(res.stdout, /^SKIP  service-account  not used: the connection comes from kubeconfig/m);
    assert.match(res.stdout, /^PASS  token            an opaque bearer token \(not a JWT\): nothing to decode$/m);
    assert.match(res.stdout, /^WARN  dns              127\.0\.0\.1 is an address \(no lookup needed\); kubernetes\.default\.svc does not resolve \(\w+\) — expected outside a cluster$/m);
    assert.match(res.stdout, /^PASS  authentication   the API server sees admin$/m);
    assert.match(res.stdout, /^SKIP  ambassador       not asked \(--ambassador is empty\)$/m);
    assert.match(res.stdout, /\n7 passed, 1 warning, 0 failed, 2 skipped — working, with warnings\n$/);
    assert.ok(!res.stdout.includes(cp.adminToken), 'the static token is not printed');
  });

  it('in-process with a resolving DNS name: all checks pass, nothing warns', async () => {
    const connection = resolveConnection({ flags: { serviceAccountDir: folder.dir }, env: folder.env, homeDir: homedir(), logger: silentLogger, watchTokenFile: false });
    const report = await runDoctor({
      env: folder.env, serviceAccountDir: folder.dir, connection, needs: [], ambassadorUrl: proxy.url, ambassadorExplicit: true,
      timeoutMs: 2000, serviceDnsName: 'localhost',
    });
    assert.deepEqual(report.checks.filter((c) => c.status !== 'PASS').map((c) => `${c.id}: ${c.summary}`), []);
    assert.equal(report.ok, true);
    assert.match(report.checks.find((c) => c.id === 'dns')!.summary, /^127\.0\.0\.1 is an address \(no lookup needed\); localhost → /);
  });

  it('no service-account folder (automountServiceAccountToken: false): FAIL, explained', async () => {
    const d = await doctor([`--service-account-dir=${join(dir, 'not-mounted')}`, '--ambassador='], folder.env);
    assert.equal(d.code, 1);
    const check = d.check('service-account');
    assert.equal(check.status, 'FAIL');
    assert.equal(check.summary, `no service-account folder at ${join(dir, 'not-mounted')} (no such file or directory)`);
    assert.match(check.fix!, /^set automountServiceAccountToken: true on the Pod \(or its ServiceAccount\)/);
    assert.match(d.check('locate').details.join('\n'), /no credentials: no cluster configured/);
    assert.deepEqual([d.check('token').status, d.check('authentication').status], ['SKIP', 'SKIP']);
  });

  it('an expired token: the token check and the 401 both say so', async () => {
    const expired = await signServiceAccountToken(cp, { namespace: ns, serviceAccount: sa, expiresIn: -120, issuedAgo: 3720 });
    const d = await inPod(['--ambassador='], folderWith('expired', expired));
    assert.equal(d.code, 1);
    assert.equal(d.check('token').status, 'FAIL');
    assert.match(d.check('token').summary, new RegExp(`^system:serviceaccount:${ns}:${sa}: expired 2m\\d*s? ago \\(at `));
    assert.equal(d.check('authentication').status, 'FAIL');
    assert.equal(d.check('authentication').summary, '401 Unauthorized: the token expired (Unauthorized)');
    assert.match(d.check('authentication').fix!, /re-read the projected token file/);
    assert.equal(d.check('apiserver').status, 'PASS', 'asked anonymously, the server is healthy whatever the token');
  });

  it('a stale token (past kubernetes.io.warnafter): WARN, yet accepted, exit 0', async () => {
    const stale = await signServiceAccountToken(cp, { namespace: ns, serviceAccount: sa, expiresIn: 3000, issuedAgo: 600, warnAfterIn: -60 });
    const d = await inPod(['--ambassador='], folderWith('stale', stale));
    assert.equal(d.code, 0, JSON.stringify(d.report, null, 1));
    assert.equal(d.check('token').status, 'WARN');
    assert.match(d.check('token').summary, /: stale for 1m\d*s? \(kubernetes\.io\.warnafter\), expires in (49m\d+s|50m)/);
    assert.match(d.check('token').fix!, /authentication\.k8s\.io\/stale-token/);
    assert.equal(d.check('authentication').status, 'PASS');
  });

  it('a revoked token (its Secret deleted): a 401 explained by what the token is bound to', async () => {
    const bound = await cp.mintToken(ns, sa, { boundSecret: 'session' });
    const revoked = folderWith('revoked', bound);
    assert.equal((await cp.request('DELETE', `/api/v1/namespaces/${ns}/secrets/session`)).status, 200);
    // kube-apiserver caches a good token for up to 10 s.
    const deadline = Date.now() + 30_000;
    while ((await cp.request('GET', `/api/v1/namespaces/${ns}/configmaps`, undefined, { token: bound })).status !== 401) {
      assert.ok(Date.now() < deadline, 'the token was not revoked in 30 s');
      await sleep(200);
    }
    const d = await inPod(['--ambassador='], revoked);
    assert.equal(d.code, 1);
    assert.equal(d.check('token').status, 'PASS');
    assert.match(d.check('token').details.join('\n'), new RegExp(`bound to Secret ${ns}/session \\(uid [-0-9a-f]+\\): deleting it revokes the token`));
    const auth = d.check('authentication');
    assert.equal(auth.status, 'FAIL');
    assert.match(auth.summary, /^401 Unauthorized: the API server does not accept our credentials/);
    assert.match(auth.details[1]!, new RegExp(`^  - revoked: it is bound to Secret ${ns}/session \\(uid [-0-9a-f]+\\), which no longer exists`));
    assert.match(auth.fix!, /restart the pod/);
  });

  it('a wrong CA: ca.crt does not sign the server\'s certificate', async () => {
    const other = createPki(join(dir, 'other-pki'));
    const wrong = folderWith('wrong-ca', token);
    writeFileSync(join(wrong.dir, 'ca.crt'), other.caPem);
    const d = await inPod(['--ambassador='], wrong);
    assert.equal(d.code, 1);
    const tls = d.check('tls');
    assert.equal(tls.status, 'FAIL');
    assert.equal(tls.summary, `${wrong.dir}/ca.crt does not sign the server's certificate (issued by CN=kube-ambassador-test-ca; UNABLE_TO_VERIFY_LEAF_SIGNATURE)`);
    assert.ok(tls.details.some((l) => l.startsWith("the trusted CA has the issuer's name but not its key")), 'same name, other key: the two test CAs share a CN');
    assert.deepEqual([d.check('apiserver').status, d.check('authentication').status], ['SKIP', 'SKIP']);
  });

  it('a TLS name mismatch: the name dialled and the names the certificate has', async () => {
    const d = await doctor([`--kubeconfig=${cp.adminKubeconfig}`, '--tls-server-name=wrong.example', '--ambassador=']);
    assert.equal(d.code, 1);
    const tls = d.check('tls');
    assert.equal(tls.status, 'FAIL');
    assert.match(tls.summary, /^the certificate is not valid for the name dialled, wrong\.example: it names IP:127\.0\.0\.1, .*DNS:localhost, .*DNS:kubernetes\.default\.svc/);
    assert.ok(tls.details.includes('name dialled: wrong.example (tls-server-name)'));
    assert.match(tls.fix!, /--tls-server-name=kubernetes\.default\.svc/);
  });

  it('an RBAC denial for --can; the fix line, applied, grants what the program needs', async () => {
    const args = ['--can=get,list:configmaps', '--can=watch:configmaps', '--can=get:secrets:doctor-other', '--ambassador='];
    await cp.createNamespace('doctor-other');
    const d = await inPod(args);
    assert.equal(d.code, 1);
    const authz = d.check('authorization');
    assert.equal(authz.status, 'FAIL');
    assert.equal(authz.summary, `2 of 4 needed accesses denied: watch configmaps in ${ns}; get secrets in doctor-other`);
    assert.ok(authz.details.includes(`DENIED   watch configmaps in ${ns}`));
    assert.ok(authz.details.includes(`allowed  list configmaps in ${ns}`));
    const command = `kube-ambassador rbac --can get,list:configmaps:${ns} --can watch:configmaps:${ns} --can get:secrets:doctor-other --service-account ${sa} -n ${ns}`;
    assert.equal(authz.fix, `grant what the program needs: ${command} | kubectl apply -f -`);

    const rbac = await runCli([...command.split(' ').slice(1), `--kubeconfig=${cp.adminKubeconfig}`]);
    assert.equal(rbac.code, 0, rbac.stderr);
    const applied = await kubectlApply(cp, rbac.stdout);
    assert.match(applied, new RegExp(`role\\.rbac\\.authorization\\.k8s\\.io/kube-ambassador:${sa} created`), 'its own Role, beside the hand-made one');
    const again = await inPod(args);
    assert.equal(again.check('authorization').status, 'PASS', JSON.stringify(again.check('authorization')));
    assert.equal(again.check('authorization').summary, 'all 4 needed accesses allowed');
  });

  describe('the ambassador', () => {
    it('named but nothing listening: FAIL', async () => {
      const port = await closedPort();
      const d = await inPod([`--ambassador=http://127.0.0.1:${port}`]);
      assert.equal(d.code, 1);
      assert.deepEqual([d.check('ambassador').status, d.check('ambassador').summary], ['FAIL', `nothing listens at http://127.0.0.1:${port}`]);
    });

    it('the default address with nothing listening: only a warning', async () => {
      const port = await closedPort();
      const report = await runDoctor({
        env: {}, serviceAccountDir: folder.dir, needs: [], ambassadorUrl: `http://127.0.0.1:${port}`, ambassadorExplicit: false, timeoutMs: 2000,
      }, [ambassadorCheck]);
      assert.equal(report.ok, true);
      assert.equal(report.checks[0]!.status, 'WARN');
      assert.match(report.checks[0]!.fix!, /^fine if this pod has no ambassador sidecar/);
    });

    it('a filter that refuses POST: it answers, but cannot say as whom', async () => {
      const readOnly = await startProxy(['proxy', '--port=0', '--reject-methods=POST', `--kubeconfig=${cp.adminKubeconfig}`]);
      try {
        const d = await inPod([`--ambassador=${readOnly.url}`]);
        const check = d.check('ambassador');
        assert.equal(check.status, 'WARN');
        assert.equal(check.summary, `${readOnly.url} answers (v1.35.4), but a SelfSubjectReview through it failed: HTTP 403 Forbidden`);
        assert.match(check.fix!, /filter refuses the POST/);
      } finally {
        await readOnly.stop();
      }
    });
  });
});
