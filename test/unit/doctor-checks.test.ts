// Doctor checks that need no API server, run in-process through runDoctor
// with chosen inputs: locate (in-cluster variables, IPv6, edge hubs,
// HTTPS_PROXY), the service-account folder, DNS with a stand-in resolver,
// the per-check time limit, and the pure wording of TLS and network hints.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { ClusterConnection } from '../../src/credentials/cluster-connection.js';
import { rulesSummary } from '../../src/doctor/authorization.js';
import type { CheckResult, DoctorCheck, DoctorInputs } from '../../src/doctor/check.js';
import { locateCheck } from '../../src/doctor/locate.js';
import { dnsCheck, networkPolicyFix, tcpCheck } from '../../src/doctor/network.js';
import { runDoctor } from '../../src/doctor/run.js';
import { serviceAccountFolderCheck } from '../../src/doctor/service-account-folder.js';
import { tlsProblem, type TlsProbeResult } from '../../src/doctor/tls.js';
import { selfSignedPem, TempDirs } from './support/fixtures.js';

const temp = new TempDirs();
after(() => temp.removeAll());

function folder(files: { token?: string; ca?: string; namespace?: string } = {}): string {
  const dir = temp.make('ka-doctor-sa-');
  const ca = files.ca ?? selfSignedPem(dir, 'cluster-ca').cert.toString();
  if (files.token !== undefined) writeFileSync(join(dir, 'token'), files.token);
  if (files.ca !== '') writeFileSync(join(dir, 'ca.crt'), ca);
  if (files.namespace !== undefined) writeFileSync(join(dir, 'namespace'), files.namespace);
  return dir;
}

const inputs = (over: Partial<DoctorInputs>): DoctorInputs => ({
  env: {}, serviceAccountDir: '/nonexistent/serviceaccount', needs: [], ambassadorUrl: '', ambassadorExplicit: false, timeoutMs: 500, ...over,
});
const run = async (over: Partial<DoctorInputs>, checks: DoctorCheck[]): Promise<CheckResult[]> => (await runDoctor(inputs(over), checks)).checks;
const kubeconfigConnection: ClusterConnection = {
  origin: 'https://api.example:6443', serverPath: '', tls: { insecureSkipVerify: false }, auth: { type: 'none' }, disableCompression: false,
  namespace: 'default', source: 'kubeconfig', description: 'kubeconfig /home/me/.kube/config, context prod', warnings: [],
};

describe('locate', () => {
  test('nothing configured: FAIL with the resolver\'s words and what to set', async () => {
    const [r] = await run({ connectionError: 'no cluster configured: set KUBECONFIG …' }, [locateCheck]);
    assert.equal(r!.status, 'FAIL');
    assert.equal(r!.summary, 'no cluster configured: set KUBECONFIG …');
    assert.match(r!.fix!, /KUBERNETES_SERVICE_HOST\/PORT .* KUBECONFIG/);
  });

  test('an IPv6 KUBERNETES_SERVICE_HOST is bracketed in the URL', async () => {
    const dir = folder({ token: 't', namespace: 'n' });
    const [r] = await run({ env: { KUBERNETES_SERVICE_HOST: 'fd00:10:96::1', KUBERNETES_SERVICE_PORT: '443' }, serviceAccountDir: dir }, [locateCheck]);
    assert.equal(r!.status, 'PASS');
    assert.equal(r!.summary, 'https://[fd00:10:96::1]:443 from KUBERNETES_SERVICE_HOST/PORT (in-cluster)');
    assert.ok(r!.details.includes('IPv6 address: a URL needs it in brackets, https://[fd00:10:96::1]:443'));
  });

  test('brackets in KUBERNETES_SERVICE_HOST are a mistake', async () => {
    const [r] = await run({ env: { KUBERNETES_SERVICE_HOST: '[fd00::1]', KUBERNETES_SERVICE_PORT: '443' } }, [locateCheck]);
    assert.equal(r!.status, 'FAIL');
    assert.match(r!.fix!, /bare address/);
  });

  test('a host without a port', async () => {
    const [r] = await run({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1' } }, [locateCheck]);
    assert.equal(r!.status, 'FAIL');
    assert.match(r!.summary, /KUBERNETES_SERVICE_PORT is not set/);
  });

  for (const [host, port, name] of [['169.254.2.1', '10268', 'OpenYurt YurtHub'], ['169.254.30.10', '10550', 'KubeEdge MetaServer']] as const) {
    test(`${host}:${port} is named as the ${name}`, async () => {
      const dir = folder({ token: 't', namespace: 'n' });
      const [r] = await run({ env: { KUBERNETES_SERVICE_HOST: host, KUBERNETES_SERVICE_PORT: port }, serviceAccountDir: dir }, [locateCheck]);
      assert.equal(r!.status, 'PASS');
      assert.ok(r!.details.some((d) => d.startsWith(`${host}:${port} is the ${name} on this node`)), r!.details.join('\n'));
    });
  }

  test('HTTPS_PROXY that catches the API server: WARN, NO_PROXY named, the proxy password never shown', async () => {
    const dir = folder({ token: 't', namespace: 'n' });
    const [r] = await run({
      env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', HTTPS_PROXY: 'http://me:s3cret@proxy.corp:3128', NO_PROXY: '.svc,.cluster.local' },
      serviceAccountDir: dir,
    }, [locateCheck]);
    assert.equal(r!.status, 'WARN');
    assert.match(r!.summary, /HTTPS_PROXY=http:\/\/\*\*\*@proxy\.corp:3128\/ catches it/);
    assert.match(r!.fix!, /add 10\.96\.0\.1 to NO_PROXY/);
    assert.ok(!JSON.stringify(r).includes('s3cret'));
  });

  test('the in-cluster variables are ignored when a kubeconfig wins, and that is said', async () => {
    const [r] = await run({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, connection: kubeconfigConnection }, [locateCheck]);
    assert.equal(r!.status, 'PASS');
    assert.equal(r!.summary, 'https://api.example:6443 (kubeconfig /home/me/.kube/config, context prod)');
    assert.ok(r!.details.includes('this is a pod, but the kubeconfig or flags take precedence over the in-cluster variables'));
  });

  test('a pod whose token is fine but whose flags are wrong: the configuration error fails', async () => {
    const dir = folder({ token: 't', namespace: 'n' });
    const [r] = await run({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, serviceAccountDir: dir, connectionError: 'stat /nope: no such file or directory' }, [locateCheck]);
    assert.deepEqual([r!.status, r!.summary], ['FAIL', 'stat /nope: no such file or directory']);
  });
});

describe('the service-account folder', () => {
  const pod = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };

  test('missing: FAIL explained by automountServiceAccountToken', async () => {
    const [, r] = await run({ env: pod, serviceAccountDir: '/nonexistent/sa', connectionError: 'x' }, [locateCheck, serviceAccountFolderCheck]);
    assert.equal(r!.status, 'FAIL');
    assert.equal(r!.summary, 'no service-account folder at /nonexistent/sa (no such file or directory)');
    assert.match(r!.fix!, /automountServiceAccountToken: true/);
    assert.match(r!.details[0]!, /unless automountServiceAccountToken is false on the Pod or its ServiceAccount/);
  });

  test('an empty token, a missing ca.crt, a missing namespace', async () => {
    const empty = await run({ env: pod, serviceAccountDir: folder({ token: '', namespace: 'n' }) }, [serviceAccountFolderCheck]);
    assert.deepEqual([empty[0]!.status, /token file .* is empty/.test(empty[0]!.summary)], ['FAIL', true]);
    const noCa = await run({ env: pod, serviceAccountDir: folder({ token: 't', ca: '', namespace: 'n' }) }, [serviceAccountFolderCheck]);
    assert.deepEqual([noCa[0]!.status, /ca\.crt .* is missing/.test(noCa[0]!.summary)], ['FAIL', true]);
    const notPem = await run({ env: pod, serviceAccountDir: folder({ token: 't', ca: 'garbage', namespace: 'n' }) }, [serviceAccountFolderCheck]);
    assert.match(notPem[0]!.summary, /holds no PEM certificate/);
    const noNs = await run({ env: pod, serviceAccountDir: folder({ token: 't' }) }, [serviceAccountFolderCheck]);
    assert.equal(noNs[0]!.status, 'WARN');
    assert.match(noNs[0]!.fix!, /POD_NAMESPACE .* "default"/);
  });

  test('the kubelet\'s layout (..data) is recognised; a complete folder passes', async () => {
    const dir = temp.make('ka-doctor-kubelet-');
    const data = join(dir, '..2026_01_01_00_00_00.1');
    mkdirSync(data);
    writeFileSync(join(data, 'token'), 't');
    writeFileSync(join(data, 'ca.crt'), selfSignedPem(temp.make(), 'ca').cert);
    writeFileSync(join(data, 'namespace'), 'team-a');
    symlinkSync('..2026_01_01_00_00_00.1', join(dir, '..data'));
    for (const f of ['token', 'ca.crt', 'namespace']) symlinkSync(join('..data', f), join(dir, f));
    const [r] = await run({ env: pod, serviceAccountDir: dir }, [serviceAccountFolderCheck]);
    assert.equal(r!.status, 'PASS');
    assert.equal(r!.summary, `token, ca.crt and namespace (team-a) in ${dir}`);
    assert.ok(r!.details.some((d) => d.startsWith('kept current by the kubelet')));
    assert.ok(r!.details.some((d) => /^ca\.crt: CN=ca \(valid until /.test(d)));
  });

  test('not used when the connection comes from a kubeconfig', async () => {
    const [r] = await run({ connection: kubeconfigConnection }, [serviceAccountFolderCheck]);
    assert.deepEqual([r!.status, r!.summary], ['SKIP', 'not used: the connection comes from kubeconfig /home/me/.kube/config, context prod']);
  });
});

describe('DNS', () => {
  const lookup = (table: Record<string, string[]>) => async (host: string) => {
    const addresses = table[host];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: 4 }));
  };
  const pod = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };

  test('in a pod: kubernetes.default.svc resolves to KUBERNETES_SERVICE_HOST', async () => {
    const dir = folder({ token: 't', namespace: 'n' });
    const [, r] = await run({ env: pod, serviceAccountDir: dir, lookup: lookup({ 'kubernetes.default.svc': ['10.96.0.1'] }) }, [locateCheck, dnsCheck]);
    assert.deepEqual([r!.status, r!.summary], ['PASS', '10.96.0.1 is an address (no lookup needed); kubernetes.default.svc → 10.96.0.1']);
  });

  test('in a pod it does not resolve: WARN about the cluster DNS, not a failure', async () => {
    const dir = folder({ token: 't', namespace: 'n' });
    const [, r] = await run({ env: pod, serviceAccountDir: dir, lookup: lookup({}) }, [locateCheck, dnsCheck]);
    assert.equal(r!.status, 'WARN');
    assert.match(r!.fix!, /CoreDNS .* dnsPolicy/);
  });

  test('outside a cluster: WARN, expected', async () => {
    const [, r] = await run({ connection: kubeconfigConnection, lookup: lookup({ 'api.example': ['192.0.2.10'] }) }, [locateCheck, dnsCheck]);
    assert.equal(r!.status, 'WARN');
    assert.equal(r!.summary, 'api.example → 192.0.2.10; kubernetes.default.svc does not resolve (ENOTFOUND) — expected outside a cluster');
  });

  test('the server name itself does not resolve: FAIL, and TCP is skipped', async () => {
    const [, dns, tcp] = await run({ connection: kubeconfigConnection, lookup: lookup({}) }, [locateCheck, dnsCheck, tcpCheck]);
    assert.deepEqual([dns!.status, dns!.summary], ['FAIL', 'api.example does not resolve (ENOTFOUND)']);
    assert.deepEqual([tcp!.status, tcp!.summary], ['SKIP', 'api.example does not resolve (see dns)']);
  });

  test('a resolver that never answers is cut off', async () => {
    const started = Date.now();
    const [, r] = await run({ connection: kubeconfigConnection, timeoutMs: 200, lookup: () => new Promise(() => {}) }, [locateCheck, dnsCheck]);
    assert.equal(r!.status, 'FAIL');
    assert.match(r!.summary, /no answer within 500 ms/);
    assert.ok(Date.now() - started < 2000);
  });
});

describe('a check never hangs the doctor', () => {
  test('a check that never finishes fails after twice the timeout', async () => {
    const stuck: DoctorCheck = { id: 'stuck', title: 'stuck', run: () => new Promise(() => {}) };
    const started = Date.now();
    const [r] = await run({ timeoutMs: 100 }, [stuck]);
    assert.deepEqual([r!.status, r!.summary], ['FAIL', 'no result within 450 ms']);
    assert.ok(Date.now() - started < 1500);
  });

  test('a check that throws is a FAIL, and the next one still runs', async () => {
    const broken: DoctorCheck = { id: 'broken', title: 'broken', run: async () => { throw new Error('boom'); } };
    const fine: DoctorCheck = { id: 'fine', title: 'fine', run: async () => ({ status: 'PASS', summary: 'ok' }) };
    const [a, b] = await run({}, [broken, fine]);
    assert.deepEqual([a!.status, a!.summary, b!.status], ['FAIL', 'the check itself failed: boom', 'PASS']);
  });
});

describe('wording', () => {
  const probe = (over: Partial<TlsProbeResult>): TlsProbeResult => ({ handshake: true, name: '10.96.0.1', names: ['DNS:kubernetes', 'DNS:kubernetes.default.svc', 'IP:10.96.0.2'], issuer: 'CN=kubernetes', ...over });

  test('TLS: ca.crt does not sign it; or no system root does', () => {
    assert.equal(tlsProblem(probe({ chainError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }), '/sa/ca.crt', 443)!.summary,
      "/sa/ca.crt does not sign the server's certificate (issued by CN=kubernetes; UNABLE_TO_VERIFY_LEAF_SIGNATURE)");
    assert.match(tlsProblem(probe({ chainError: 'SELF_SIGNED_CERT_IN_CHAIN' }), 'x', 443, true)!.summary, /^none of the system's trusted roots signs/);
  });

  test('TLS: a name mismatch names the certificate\'s names and a way out', () => {
    const p = tlsProblem(probe({ nameError: 'mismatch' }), 'x', 443)!;
    assert.equal(p.summary, 'the certificate is not valid for the name dialled, 10.96.0.1: it names DNS:kubernetes, DNS:kubernetes.default.svc, IP:10.96.0.2');
    assert.match(p.fix, /--tls-server-name=kubernetes\.default\.svc.* or add IP:10\.96\.0\.1 to the API server's certificate/);
    assert.equal(tlsProblem(probe({}), 'x', 443), undefined);
    assert.match(tlsProblem(probe({ chainError: 'CERT_HAS_EXPIRED' }), 'x', 443)!.summary, /expired/);
  });

  test('a silent drop names the endpoint port: learned, or "often 6443"', () => {
    assert.match(networkPolicyFix({ facts: { inPod: true } }, '10.96.0.1:443'),
      /allow egress to the API server's endpoint address and port \(often 6443\) — after DNAT the policy sees the endpoint, not 10\.96\.0\.1:443/);
    assert.match(networkPolicyFix({ facts: { inPod: true, apiEndpoints: ['10.0.0.5:6443'] } }, '10.96.0.1:443'), /allow egress to 10\.0\.0\.5:6443 \(the kubernetes Service's endpoints\)/);
    assert.match(networkPolicyFix({ facts: { inPod: false } }, 'api:6443'), /^a firewall drops the packets to api:6443/);
  });

  test('the rules summary leaves out what every user has', () => {
    const lines = rulesSummary({
      resourceRules: [
        { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] },
        { verbs: ['get', 'list'], apiGroups: [''], resources: ['configmaps'] },
        { verbs: ['get'], apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['web'] },
        { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
      ],
      nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/version'] }, { verbs: ['get'], nonResourceURLs: ['/metrics'] }],
      incomplete: true,
    }, 'ns1');
    assert.deepEqual(lines, [
      "rules in ns1 beyond every user's defaults (SelfSubjectRulesReview):",
      '  get,list configmaps',
      '  get deployments.apps (names: web)',
      '  * * (every API group)',
      '  get /metrics',
      '  (incomplete: an authorizer cannot list its rules)',
    ]);
  });
});
