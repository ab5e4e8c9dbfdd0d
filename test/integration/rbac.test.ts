// kube-ambassador rbac against a real kube-apiserver: the YAML it prints,
// applied with kubectl as the admin, gives the service account exactly the
// access asked for — every asked verb allowed, one step beyond (another
// verb, namespace, resource or subresource) denied, judged by the API
// server's own SelfSubjectAccessReview with a token of that service account.
// Derived from a proxy's filter flags, it is enough for the real proxy
// running as that account. --check tells allowed from missing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { type ControlPlane, startControlPlane } from '../../tools/control-plane/index.js';
import { kubectlApply } from '../support/doctor-fixtures.js';
import { http } from '../support/http.js';
import { runCli, startProxy } from '../support/proxy-process.js';

interface Access { verb: string; resource?: string; group?: string; subresource?: string; namespace?: string; name?: string; path?: string }

describe('rbac against a real kube-apiserver', () => {
  let cp: ControlPlane;
  let dir: string;

  before(async () => {
    cp = await startControlPlane();
    dir = mkdtempSync(join(tmpdir(), 'kube-ambassador-rbac-'));
    for (const ns of ['rbac-a', 'rbac-b']) await cp.createNamespace(ns);
  });
  after(async () => {
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The API server's answer to "may I?" for the holder of token. */
  async function allowed(token: string, a: Access): Promise<boolean> {
    const spec = a.path
      ? { nonResourceAttributes: { verb: a.verb, path: a.path } }
      : { resourceAttributes: { verb: a.verb, resource: a.resource, group: a.group ?? '', subresource: a.subresource, namespace: a.namespace, name: a.name } };
    const res = await cp.request('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec }, { token });
    assert.equal(res.status, 201, res.text);
    return res.json.status.allowed === true;
  }

  async function assertAccess(token: string, yes: Access[], no: Access[]): Promise<void> {
    const show = (a: Access) => a.path ? `${a.verb} ${a.path}` : `${a.verb} ${a.resource}${a.group ? `.${a.group}` : ''}${a.subresource ? `/${a.subresource}` : ''}${a.name ? ` ${a.name}` : ''} in ${a.namespace || '(cluster)'}`;
    const wrong: string[] = [];
    for (const a of yes) if (!(await allowed(token, a))) wrong.push(`denied but asked for: ${show(a)}`);
    for (const a of no) if (await allowed(token, a)) wrong.push(`allowed one step beyond: ${show(a)}`);
    assert.deepEqual(wrong, []);
  }

  async function generateAndApply(args: string[]): Promise<string> {
    const res = await runCli(['rbac', ...args]);
    assert.equal(res.code, 0, res.stderr);
    await kubectlApply(cp, res.stdout);
    return res.stdout;
  }

  it('--can needs, resolved through discovery, give exactly that access', async () => {
    const yaml = await generateAndApply([
      `--kubeconfig=${cp.adminKubeconfig}`, '-n', 'rbac-a', '--service-account=reader',
      '--can=get,list,watch:po', '--can=get:pods/log', '--can=get,create:pods/exec',
      '--can=get:cm:rbac-b', '--can=list:nodes', '--can=watch:deploy:*', '--can=get:/metrics',
    ]);
    const kinds = parseAllDocuments(yaml).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string } });
    assert.deepEqual(kinds.map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`), [
      'ServiceAccount rbac-a/reader',
      'Role rbac-a/kube-ambassador:reader', 'RoleBinding rbac-a/kube-ambassador:reader',
      'Role rbac-b/kube-ambassador:reader', 'RoleBinding rbac-b/kube-ambassador:reader',
      'ClusterRole /kube-ambassador:rbac-a:reader', 'ClusterRoleBinding /kube-ambassador:rbac-a:reader',
    ]);
    const token = await cp.mintToken('rbac-a', 'reader');
    const pods = (verb: string, namespace = 'rbac-a', subresource?: string): Access => ({ verb, resource: 'pods', namespace, subresource });
    await assertAccess(token, [
      pods('get'), pods('list'), pods('watch'), pods('get', 'rbac-a', 'log'), pods('get', 'rbac-a', 'exec'), pods('create', 'rbac-a', 'exec'),
      { verb: 'get', resource: 'configmaps', namespace: 'rbac-b' },
      { verb: 'list', resource: 'nodes' },
      { verb: 'watch', resource: 'deployments', group: 'apps', namespace: 'rbac-a' },
      { verb: 'watch', resource: 'deployments', group: 'apps', namespace: 'rbac-b' },
      { verb: 'watch', resource: 'deployments', group: 'apps', namespace: '' },
      { verb: 'get', path: '/metrics' },
    ], [
      pods('create'), pods('delete'), pods('patch'), pods('get', 'rbac-b'), pods('list', 'rbac-b'),
      pods('get', 'rbac-a', 'attach'), pods('create', 'rbac-a', 'log'), pods('get', 'rbac-b', 'log'), pods('update', 'rbac-a', 'status'),
      { verb: 'get', resource: 'secrets', namespace: 'rbac-a' },
      { verb: 'list', resource: 'configmaps', namespace: 'rbac-b' },
      { verb: 'get', resource: 'configmaps', namespace: 'rbac-a' },
      { verb: 'get', resource: 'nodes' }, { verb: 'list', resource: 'namespaces' },
      { verb: 'list', resource: 'deployments', group: 'apps', namespace: 'rbac-a' },
      { verb: 'watch', resource: 'deployments', group: 'apps', subresource: 'scale', namespace: 'rbac-a' },
      { verb: 'watch', resource: 'replicasets', group: 'apps', namespace: 'rbac-a' },
      { verb: 'watch', resource: 'deployments', group: 'extensions', namespace: 'rbac-a' },
      { verb: 'post', path: '/metrics' }, { verb: 'get', path: '/metrics/extra' },
    ]);
  });

  it('--check, in the pod: every access allowed → exit 0; one more need → DENIED and exit 1', async () => {
    const token = await cp.mintToken('rbac-a', 'reader');
    const folder = cp.writeServiceAccountFolder(join(dir, 'reader'), { token, namespace: 'rbac-a' });
    const check = (...cans: string[]) => runCli(['rbac', '--check', `--service-account-dir=${folder.dir}`, ...cans.map((c) => `--can=${c}`)], folder.env);
    const ok = await check('get,list,watch:po', 'get:cm:rbac-b', 'list:nodes');
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, [
      'As system:serviceaccount:rbac-a:reader (one SelfSubjectAccessReview per verb):',
      'ACCESS                        RESULT    FROM',
      'get pods in rbac-a            allowed   --can get,list,watch:po',
      'list pods in rbac-a           allowed   --can get,list,watch:po',
      'watch pods in rbac-a          allowed   --can get,list,watch:po',
      'get configmaps in rbac-b      allowed   --can get:cm:rbac-b',
      'list nodes (cluster-scoped)   allowed   --can list:nodes',
      '',
      'all 5 accesses allowed',
      '',
    ].join('\n'));
    const missing = await check('get,list,watch:po', 'delete:pods');
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /^delete pods in rbac-a +DENIED +--can delete:pods$/m);
    assert.match(missing.stdout, /\n1 of 4 accesses missing: apply the output of the same command without --check/);
  });

  it('from a proxy\'s filter flags: the read-only pods of one namespace, enough for the real proxy running as that account', async () => {
    const filter = ['--accept-paths=^/api/v1/namespaces/rbac-b/pods', '--reject-methods=POST,PUT,PATCH,DELETE'];
    const yaml = await generateAndApply(['--offline', '-n', 'rbac-b', '--service-account=pod-reader', ...filter]);
    assert.match(yaml, /  # for --accept-paths \^\/api\/v1\/namespaces\/rbac-b\/pods\n  - apiGroups: \[""\]\n    resources: \[pods\]\n    verbs: \[get, list, watch\]/);
    assert.match(yaml, /the filter also lets subresources through/);
    const token = await cp.mintToken('rbac-b', 'pod-reader');
    await assertAccess(token,
      ['get', 'list', 'watch'].map((verb) => ({ verb, resource: 'pods', namespace: 'rbac-b' })),
      [
        ...['create', 'update', 'patch', 'delete', 'deletecollection'].map((verb) => ({ verb, resource: 'pods', namespace: 'rbac-b' })),
        { verb: 'list', resource: 'pods', namespace: 'rbac-a' }, { verb: 'list', resource: 'pods', namespace: '' },
        { verb: 'get', resource: 'pods', subresource: 'log', namespace: 'rbac-b' },
        { verb: 'list', resource: 'services', namespace: 'rbac-b' },
      ]);

    // The proxy, in the pod, with the same flags and that account's token.
    const folder = cp.writeServiceAccountFolder(join(dir, 'pod-reader'), { token, namespace: 'rbac-b' });
    const proxy = await startProxy(['proxy', '--port=0', `--service-account-dir=${folder.dir}`, ...filter], { env: folder.env });
    try {
      const list = await http(`${proxy.url}/api/v1/namespaces/rbac-b/pods`);
      assert.equal(list.status, 200, list.body);
      assert.equal(JSON.parse(list.body).kind, 'PodList');
      const one = await http(`${proxy.url}/api/v1/namespaces/rbac-b/pods/nothing-here`);
      assert.equal(one.status, 404, 'allowed to get, and there is no such pod');
      const watch = await http(`${proxy.url}/api/v1/namespaces/rbac-b/pods?watch=1&timeoutSeconds=1`);
      assert.equal(watch.status, 200, watch.body);
    } finally {
      await proxy.stop();
    }
  });

  it('a regexp too open to name its resources (the default ^.*) is refused, with what to write instead', async () => {
    const res = await runCli(['rbac', '--offline', '--reject-methods=POST,PUT,PATCH,DELETE']);
    assert.equal(res.code, 1);
    assert.equal(res.stdout, '');
    assert.equal(res.stderr, "error: --accept-paths ^.* accepts every path: too open to turn into least privilege. Name the resources the program uses, e.g. --accept-paths='^/api/v1/namespaces/my-namespace/pods,^/apis/apps/v1/namespaces/my-namespace/deployments'\n");
  });

  it('offline, an unknown resource without its group is refused; with it, generated', async () => {
    const unknown = await runCli(['rbac', '--offline', '--can=get:widgets']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^error: --can get:widgets: "widgets" is not in the built-in table of common resources; write it as RESOURCE\.GROUP/);
    const grouped = await runCli(['rbac', '--offline', '--can=get:widgets.example.com', '-n', 'rbac-a']);
    assert.equal(grouped.code, 0, grouped.stderr);
    assert.match(grouped.stderr, /note: --can get:widgets\.example\.com: without a cluster the scope of widgets\.example\.com is unknown; assumed namespaced/);
    assert.match(grouped.stdout, /apiGroups: \[example\.com\]\n    resources: \[widgets\]/);
  });

  it('no needs at all is a usage error', async () => {
    const res = await runCli(['rbac', '--offline']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^error: say what the program needs: --can VERB:RESOURCE\[:NAMESPACE\]/);
  });
});
