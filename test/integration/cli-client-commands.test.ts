// The client commands (cluster-info, whoami, can-i, get) as real processes
// against a real kube-apiserver: as its admin through a kubeconfig, as a
// service account through an in-cluster folder, and through a running
// kube-ambassador proxy. Where kubectl v1.35 has the same command, its
// output for the same question is the expected one (AGE columns tick, so a
// table comparison is retried when a second passed between the two runs).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ControlPlane, type ServiceAccountFolder, startControlPlane } from '../../tools/control-plane/index.js';
import { kubectlPath } from '../support/kubectl.js';
import { type RunningProxy, runCli, startProxy } from '../support/proxy-process.js';

const ns = 'cli-it';
const sa = 'viewer';
const doctorLine = "\nTo further debug and diagnose cluster problems, use 'kube-ambassador doctor'.\n";

interface Result { code: number | null; stdout: string; stderr: string }

describe('client commands against a real kube-apiserver', () => {
  let cp: ControlPlane;
  let dir: string;
  let folder: ServiceAccountFolder;
  let token: string;
  let proxy: RunningProxy;

  before(async () => {
    cp = await startControlPlane();
    dir = mkdtempSync(join(tmpdir(), 'kube-ambassador-cli-'));
    await cp.createNamespace(ns);
    const create = async (path: string, body: object) => {
      const res = await cp.request('POST', path, body);
      assert.equal(res.status, 201, res.text);
    };
    await create(`/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', labels: { app: 'web' } }, data: { mode: 'fast', 'retries': '3' } });
    await create(`/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'empty' } });
    await create(`/apis/apps/v1/namespaces/${ns}/deployments`, {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
    });
    // A cluster service as kubectl cluster-info lists it (no controllers run, the API server allocates its IP).
    await create('/api/v1/namespaces/kube-system/services', {
      apiVersion: 'v1', kind: 'Service',
      metadata: { name: 'kube-dns', labels: { 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' } },
      spec: { ports: [{ name: 'dns', port: 53, protocol: 'UDP' }], selector: { 'k8s-app': 'kube-dns' } },
    });
    await cp.serviceAccountWithRole(ns, sa, [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    ]);
    token = await cp.mintToken(ns, sa);
    folder = cp.writeServiceAccountFolder(join(dir, 'sa'), { token, namespace: ns });
    proxy = await startProxy(['proxy', '--port=0', `--kubeconfig=${cp.adminKubeconfig}`]);
  });
  after(async () => {
    await proxy?.stop();
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const admin = (...args: string[]) => runCli([...args, `--kubeconfig=${cp.adminKubeconfig}`]);
  const pod = (...args: string[]) => runCli([...args, `--service-account-dir=${folder.dir}`], folder.env);
  const viaProxy = (...args: string[]) => runCli([...args, `--server=${proxy.url}`]);
  const kubectlAdmin = (...args: string[]) => kubectl([...args, `--kubeconfig=${cp.adminKubeconfig}`]);
  const kubectlPod = (...args: string[]) => kubectl([...args, `--server=${cp.url}`, `--certificate-authority=${cp.caFile}`, `--token=${token}`]);

  /** Ours and kubectl's stdout, exit code and stderr for the same question; retried while an AGE ticks over between the two. */
  async function sameAsKubectl(ours: () => Promise<Result>, theirs: () => Promise<Result>, options: { stderr?: boolean } = {}) {
    let a: Result;
    let b: Result;
    let attempt = 0;
    do {
      [a, b] = [await ours(), await theirs()];
    } while (a.stdout !== b.stdout && ++attempt < 4);
    assert.equal(a.stdout, b.stdout);
    assert.equal(a.code, b.code, `exit codes; stderr ours: ${a.stderr}, kubectl: ${b.stderr}`);
    if (options.stderr !== false) assert.equal(a.stderr, b.stderr);
    return a;
  }

  describe('--help', () => {
    for (const [command, usage] of [
      ['cluster-info', 'kube-ambassador cluster-info'], ['whoami', 'kube-ambassador whoami'],
      ['can-i', 'kube-ambassador can-i VERB'], ['get', 'kube-ambassador get TYPE'],
    ] as const) {
      it(`${command} --help prints the usage and every flag, and exits 0`, async () => {
        const res = await runCli([command, '--help']);
        assert.equal(res.code, 0, res.stderr);
        assert.equal(res.stderr, '');
        assert.match(res.stdout, new RegExp(`Usage:\\n  ${usage}`));
        assert.match(res.stdout, /--kubeconfig=''/);
        assert.match(res.stdout, /--service-account-dir=''/);
      });
    }
    it('the command list names the four commands', async () => {
      const res = await runCli(['--help']);
      for (const command of ['cluster-info', 'whoami', 'can-i', 'get']) assert.match(res.stdout, new RegExp(`^  ${command} `, 'm'));
    });
  });

  describe('cluster-info', () => {
    it('prints the control plane and the cluster services as kubectl does, plain when stdout is no terminal', async () => {
      const res = await admin('cluster-info');
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout,
        `Kubernetes control plane is running at ${cp.url}\n`
        + `CoreDNS is running at ${cp.url}/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy\n`
        + doctorLine);
      assert.doesNotMatch(res.stdout, /\x1b/);
      assert.match(res.stderr, /^\(credentials: kubeconfig \S+admin\.kubeconfig, context admin\)\n$/);
      const theirs = await kubectlAdmin('cluster-info');
      assert.equal(theirs.stdout.replace(/\nTo further debug.*\n$/, ''), res.stdout.replace(doctorLine, ''));
    });

    it('says where in-cluster credentials came from, and fails as kubectl does when services may not be listed', async () => {
      const res = await pod('cluster-info');
      assert.equal(res.code, 1);
      assert.equal(res.stdout, doctorLine);
      assert.equal(res.stderr,
        `(credentials: in-cluster, service account folder ${folder.dir})\n`
        + `Error from server (Forbidden): services is forbidden: User "system:serviceaccount:${ns}:${sa}" cannot list resource "services" in API group "" in the namespace "kube-system"\n`);
    });

    it('through the proxy, the control plane is the proxy', async () => {
      const res = await viaProxy('cluster-info');
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, new RegExp(`^Kubernetes control plane is running at ${proxy.url}\\n`));
    });
  });

  describe('whoami', () => {
    it('prints kubectl auth whoami\'s table for the admin', async () => {
      const res = await sameAsKubectl(() => admin('whoami'), () => kubectlAdmin('auth', 'whoami'));
      assert.equal(res.stdout,
        'ATTRIBUTE   VALUE\n'
        + 'Username    admin\n'
        + 'UID         admin\n'
        + 'Groups      [system:masters system:authenticated]\n');
    });

    it('names the service account of an in-cluster folder, with its extra attributes', async () => {
      const res = await pod('whoami');
      assert.equal(res.code, 0, res.stderr);
      const lines = res.stdout.trimEnd().split('\n');
      const column = 'Extra: authentication.kubernetes.io/credential-id   '.length;
      assert.equal(lines[0], 'ATTRIBUTE'.padEnd(column) + 'VALUE');
      assert.equal(lines[1], 'Username'.padEnd(column) + `system:serviceaccount:${ns}:${sa}`);
      assert.match(lines[2]!, new RegExp(`^UID {${column - 3}}[0-9a-f-]{36}$`));
      assert.equal(lines[3], 'Groups'.padEnd(column) + `[system:serviceaccounts system:serviceaccounts:${ns} system:authenticated]`);
      assert.match(lines[4]!, /^Extra: authentication\.kubernetes\.io\/credential-id {3}\[JTI=[0-9a-f-]{36}\]$/);
      assert.equal(lines.length, 5);
      await sameAsKubectl(() => pod('whoami'), () => kubectlPod('auth', 'whoami'));
    });

    it('-o json and -o yaml print the SelfSubjectReview as kubectl does', async () => {
      const json = await admin('whoami', '-o', 'json');
      assert.equal(json.code, 0, json.stderr);
      const review = JSON.parse(json.stdout);
      assert.equal(review.kind, 'SelfSubjectReview');
      assert.equal(review.status.userInfo.username, 'admin');
      const stamp = /"creationTimestamp": "[^"]+"|creationTimestamp: "[^"]+"/g;
      const theirs = await kubectlAdmin('auth', 'whoami', '-o', 'json');
      assert.equal(json.stdout.replace(stamp, 'T'), theirs.stdout.replace(stamp, 'T'));

      const yaml = await admin('whoami', '-o', 'yaml');
      assert.equal(yaml.code, 0, yaml.stderr);
      assert.match(yaml.stdout, /^apiVersion: authentication\.k8s\.io\/v1\nkind: SelfSubjectReview\n/);
      const theirYaml = await kubectlAdmin('auth', 'whoami', '-o', 'yaml');
      assert.equal(yaml.stdout.replace(stamp, 'T'), theirYaml.stdout.replace(stamp, 'T'));
    });

    it('refuses an output format it does not have', async () => {
      const res = await admin('whoami', '-o', 'jsonpath={.status}');
      assert.equal(res.code, 1);
      assert.equal(res.stderr, 'error: unable to match a printer suitable for the output format "jsonpath={.status}", allowed formats are: json,yaml\n');
    });
  });

  describe('can-i', () => {
    it('yes exits 0 and no exits 1, for the admin and for a service account', async () => {
      assert.deepEqual(await admin('can-i', 'delete', 'nodes'), { code: 0, stdout: 'yes\n', stderr: '' });
      assert.deepEqual(await pod('can-i', 'list', 'configmaps'), { code: 0, stdout: 'yes\n', stderr: '' });
      assert.deepEqual(await pod('can-i', 'list', 'cm'), { code: 0, stdout: 'yes\n', stderr: '' });
      assert.deepEqual(await pod('can-i', 'list', 'secrets'), { code: 1, stdout: 'no\n', stderr: '' });
      assert.deepEqual(await pod('can-i', 'list', 'configmaps', '-n', 'default'), { code: 1, stdout: 'no\n', stderr: '' });
      assert.deepEqual(await pod('can-i', 'list', 'configmaps', '-A'), { code: 1, stdout: 'no\n', stderr: '' });
      assert.deepEqual(await pod('can-i', 'list', 'deployments.apps'), { code: 1, stdout: 'no\n', stderr: '' });
      assert.deepEqual(await pod('can-i', 'list', 'configmaps', '-q'), { code: 0, stdout: '', stderr: '' });
    });

    it('a subresource is written as in RBAC rules or with --subresource; NAME is the third argument', async () => {
      assert.deepEqual(await pod('can-i', 'get', 'pods/log'), { code: 0, stdout: 'yes\n', stderr: '' });
      assert.deepEqual(await pod('can-i', 'get', 'pods', '--subresource=log'), { code: 0, stdout: 'yes\n', stderr: '' });
      assert.deepEqual(await pod('can-i', 'get', 'po/log', 'some-pod'), { code: 0, stdout: 'yes\n', stderr: '' });
      assert.deepEqual(await pod('can-i', 'get', 'pods'), { code: 1, stdout: 'no\n', stderr: '' });
      assert.deepEqual(await pod('can-i', 'create', 'pods/exec'), { code: 1, stdout: 'no\n', stderr: '' });
      assert.deepEqual(await pod('can-i', 'get', 'configmaps', 'settings'), { code: 0, stdout: 'yes\n', stderr: '' });
    });

    it('asks about non-resource URLs', async () => {
      assert.deepEqual(await pod('can-i', 'get', '/healthz'), { code: 0, stdout: 'yes\n', stderr: '' });
      assert.deepEqual(await pod('can-i', 'get', '/metrics'), { code: 1, stdout: 'no\n', stderr: '' });
    });

    it('warns as kubectl does about unknown resource types, unknown verbs and cluster-scoped resources', async () => {
      await sameAsKubectl(() => pod('can-i', 'list', 'foos'), () => kubectlPod('auth', 'can-i', 'list', 'foos'), { stderr: false });
      assert.equal((await pod('can-i', 'list', 'foos')).stderr, "Warning: the server doesn't have a resource type 'foos'\n");
      assert.equal((await admin('can-i', 'frob', 'pods')).stderr, "Warning: verb 'frob' is not a known verb\n");
      const nodes = await admin('can-i', 'list', 'nodes', '-n', ns);
      assert.deepEqual(nodes, { code: 0, stdout: 'yes\n', stderr: "Warning: resource 'nodes' is not namespace scoped\n" });
    });

    it('wrong arguments are usage errors', async () => {
      const res = await admin('can-i', 'get');
      assert.equal(res.code, 1);
      assert.match(res.stderr, /^error: you must specify a verb and a resource/);
      assert.equal((await admin('can-i', '--list', 'pods')).stderr, 'error: list option must be specified with no arguments\n');
      assert.equal((await admin('can-i', 'get', '/healthz', 'x')).stderr, 'error: NonResourceURL and ResourceName can not specified together\n');
    });

    it('--list prints the rules table exactly as kubectl auth can-i --list', async () => {
      const res = await sameAsKubectl(() => pod('can-i', '--list'), () => kubectlPod('auth', 'can-i', '--list', '-n', ns));
      assert.equal(res.code, 0);
      assert.match(res.stdout, /^Resources {3,}Non-Resource URLs {3,}Resource Names {3,}Verbs\n/);
      assert.match(res.stdout, /^configmaps {3,}\[\] {3,}\[\] {3,}\[get list\]$/m);
      assert.match(res.stdout, /^pods\/log {3,}\[\] {3,}\[\] {3,}\[get\]$/m);
      assert.match(res.stdout, /^ {3,}\[\/healthz\] {3,}\[\] {3,}\[get\]$/m);
      await sameAsKubectl(() => admin('can-i', '--list', '--no-headers', '-n', ns), () => kubectlAdmin('auth', 'can-i', '--list', '--no-headers', '-n', ns));
    });
  });

  describe('get', () => {
    it('prints the server\'s table for configmaps: NAME, DATA, AGE', async () => {
      const res = await sameAsKubectl(() => admin('get', 'configmaps', '-n', ns), () => kubectlAdmin('get', 'configmaps', '-n', ns));
      const lines = res.stdout.trimEnd().split('\n');
      assert.match(lines[0]!, /^NAME {7}DATA {3}AGE$/);
      assert.match(lines[1]!, /^empty {6}0 {6}\d+s$/);
      assert.match(lines[2]!, /^settings {3}2 {6}\d+s$/);
      assert.equal(lines.length, 3);
      assert.equal(res.stderr, '');
    });

    it('short names, kinds and groups resolve as in kubectl; -o wide; -l and --field-selector filter', async () => {
      await sameAsKubectl(() => admin('get', 'cm', '-n', ns, '-o', 'wide'), () => kubectlAdmin('get', 'cm', '-n', ns, '-o', 'wide'));
      await sameAsKubectl(() => admin('get', 'deploy', '-n', ns, '-o', 'wide'), () => kubectlAdmin('get', 'deploy', '-n', ns, '-o', 'wide'));
      await sameAsKubectl(() => admin('get', 'Deployment.apps', 'web', '-n', ns), () => kubectlAdmin('get', 'Deployment.apps', 'web', '-n', ns));
      const labelled = await admin('get', 'configmaps', '-n', ns, '-l', 'app=web', '-o', 'name');
      assert.deepEqual(labelled, { code: 0, stdout: 'configmap/settings\n', stderr: '' });
      const fielded = await admin('get', 'configmaps', '-n', ns, '--field-selector', 'metadata.name=empty', '-o', 'name');
      assert.deepEqual(fielded, { code: 0, stdout: 'configmap/empty\n', stderr: '' });
    });

    it('-A puts NAMESPACE first for namespaced resources, and not for cluster-scoped ones', async () => {
      const res = await sameAsKubectl(() => admin('get', 'configmaps', '-A'), () => kubectlAdmin('get', 'configmaps', '-A'));
      assert.match(res.stdout, /^NAMESPACE {3,}NAME {3,}DATA {3}AGE\n/);
      assert.match(res.stdout, new RegExp(`^${ns} {3,}settings {3,}2 {6}\\d+s$`, 'm'));
      const namespaces = await sameAsKubectl(() => admin('get', 'namespaces', '-A'), () => kubectlAdmin('get', 'namespaces', '-A'));
      assert.match(namespaces.stdout, /^NAME {3,}STATUS {3}AGE\n/);
    });

    it('-o json and -o yaml print the object, or a v1 List, exactly as kubectl does', async () => {
      const list = await sameAsKubectl(() => admin('get', 'configmaps', '-n', ns, '-o', 'json'), () => kubectlAdmin('get', 'configmaps', '-n', ns, '-o', 'json'));
      const parsed = JSON.parse(list.stdout);
      assert.equal(parsed.apiVersion, 'v1');
      assert.equal(parsed.kind, 'List');
      assert.deepEqual(parsed.metadata, { resourceVersion: '' });
      assert.deepEqual(parsed.items.map((i: any) => [i.apiVersion, i.kind, i.metadata.name, i.metadata.managedFields]),
        [['v1', 'ConfigMap', 'empty', undefined], ['v1', 'ConfigMap', 'settings', undefined]]);
      assert.match(list.stdout, /^\{\n {4}"apiVersion": "v1",\n {4}"items": \[\n {8}\{\n/);
      await sameAsKubectl(() => admin('get', 'configmaps', '-n', ns, '-o', 'yaml'), () => kubectlAdmin('get', 'configmaps', '-n', ns, '-o', 'yaml'));
      await sameAsKubectl(() => admin('get', 'configmap', 'settings', '-n', ns, '-o', 'yaml'), () => kubectlAdmin('get', 'configmap', 'settings', '-n', ns, '-o', 'yaml'));
      await sameAsKubectl(() => admin('get', 'deployments.apps/web', '-n', ns, '-o', 'json'), () => kubectlAdmin('get', 'deployments.apps/web', '-n', ns, '-o', 'json'));
      await sameAsKubectl(() => admin('get', 'configmaps', '-n', 'default', '-o', 'json'), () => kubectlAdmin('get', 'configmaps', '-n', 'default', '-o', 'json'));
    });

    it('-o name prints kind/name, group-qualified outside the core group', async () => {
      assert.deepEqual(await admin('get', 'configmaps', '-n', ns, '-o', 'name'), { code: 0, stdout: 'configmap/empty\nconfigmap/settings\n', stderr: '' });
      assert.deepEqual(await admin('get', 'deployments', '-n', ns, '-o', 'name'), { code: 0, stdout: 'deployment.apps/web\n', stderr: '' });
      await sameAsKubectl(() => admin('get', 'clusterroles', '-o', 'name'), () => kubectlAdmin('get', 'clusterroles', '-o', 'name'));
    });

    it('an empty list says so on stderr in kubectl\'s words', async () => {
      assert.deepEqual(await admin('get', 'configmaps', '-n', 'default'), { code: 0, stdout: '', stderr: 'No resources found in default namespace.\n' });
      assert.deepEqual(await admin('get', 'configmaps', '-A', '-l', 'nothing=here'), { code: 0, stdout: '', stderr: 'No resources found\n' });
    });

    it('a missing object is the server\'s NotFound, an unknown type kubectl\'s error; both exit 1', async () => {
      const missing = await sameAsKubectl(() => admin('get', 'configmaps', 'x', '-n', ns), () => kubectlAdmin('get', 'configmaps', 'x', '-n', ns));
      assert.deepEqual(missing, { code: 1, stdout: '', stderr: 'Error from server (NotFound): configmaps "x" not found\n' });
      const unknown = await sameAsKubectl(() => admin('get', 'unknowntype'), () => kubectlAdmin('get', 'unknowntype'));
      assert.deepEqual(unknown, { code: 1, stdout: '', stderr: 'error: the server doesn\'t have a resource type "unknowntype"\n' });
      const forbidden = await pod('get', 'secrets');
      assert.deepEqual(forbidden, {
        code: 1, stdout: '',
        stderr: `Error from server (Forbidden): secrets is forbidden: User "system:serviceaccount:${ns}:${sa}" cannot list resource "secrets" in API group "" in the namespace "${ns}"\n`,
      });
    });

    it('in a pod, the namespace is the service account\'s', async () => {
      await sameAsKubectl(() => pod('get', 'configmaps'), () => kubectlPod('get', 'configmaps', '-n', ns));
    });

    it('through a running kube-ambassador proxy, the same answers', async () => {
      await sameAsKubectl(() => viaProxy('get', 'configmaps', '-n', ns), () => admin('get', 'configmaps', '-n', ns));
      await sameAsKubectl(() => viaProxy('get', 'configmaps', '-n', ns, '-o', 'yaml'), () => admin('get', 'configmaps', '-n', ns, '-o', 'yaml'));
      await sameAsKubectl(() => viaProxy('get', 'configmaps', '-A', '-o', 'name'), () => admin('get', 'configmaps', '-A', '-o', 'name'));
      await sameAsKubectl(() => viaProxy('get', 'configmaps', 'x', '-n', ns), () => admin('get', 'configmaps', 'x', '-n', ns));
      await sameAsKubectl(() => viaProxy('whoami'), () => admin('whoami'));
      await sameAsKubectl(() => viaProxy('can-i', '--list', '-n', ns), () => admin('can-i', '--list', '-n', ns));
    });

    it('a server that cannot be reached is one error line', async () => {
      const res = await runCli(['get', 'configmaps', '--server=http://127.0.0.1:1']);
      assert.deepEqual(res, { code: 1, stdout: '', stderr: 'error: cannot connect to the API server at http://127.0.0.1:1: connection refused\n' });
    });

    it('wrong arguments are usage errors', async () => {
      assert.deepEqual(await admin('get'), { code: 1, stdout: '', stderr: 'error: you must specify the type of resource to get, e.g. "kube-ambassador get pods"\n' });
      assert.deepEqual(await admin('get', 'configmaps', 'x', '-A'), { code: 1, stdout: '', stderr: 'error: a resource cannot be retrieved by name across all namespaces\n' });
      assert.equal((await admin('get', 'pods', '-o', 'go-template')).stderr,
        'error: unable to match a printer suitable for the output format "go-template", allowed formats are: json,name,wide,yaml\n');
    });
  });
});

/** Runs kubectl v1.35 with an empty HOME and no KUBECONFIG from the environment. */
function kubectl(args: string[]): Promise<Result> {
  const home = mkdtempSync(join(tmpdir(), 'kubectl-home-'));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  delete env.KUBECONFIG;
  delete env.KUBERNETES_SERVICE_HOST;
  delete env.KUBERNETES_SERVICE_PORT;
  return new Promise((resolve, reject) => {
    const child = spawn(kubectlPath(), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.once('error', reject);
    child.once('close', (code) => {
      rmSync(home, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    });
  });
}
