// Kubeconfig loading and the flag overrides (src/credentials/kubeconfig.ts,
// kubeconfig-connection.ts, resolve.ts) against client-go's clientcmd rules:
// reference §3.1 and §3.4.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ClusterConnection, ConfigError } from '../../src/credentials/cluster-connection.js';
import type { CredentialFlags } from '../../src/credentials/credential-flags.js';
import { ExecTokenSource } from '../../src/credentials/exec-plugin.js';
import { FileTokenSource } from '../../src/credentials/file-token-source.js';
import { kubeconfigFiles, loadKubeconfig } from '../../src/credentials/kubeconfig.js';
import { kubeconfigConnection } from '../../src/credentials/kubeconfig-connection.js';
import { resolveConnection } from '../../src/credentials/resolve.js';
import { StaticTokenSource } from '../../src/credentials/token-source.js';
import { silentLogger } from '../../src/logging/logger.js';
import { selfSignedPem, TempDirs } from './support/fixtures.js';

const temp = new TempDirs();
after(() => temp.removeAll());

/** Writes a kubeconfig (JSON is valid YAML) and returns its path. */
function writeKubeconfig(dir: string, name: string, doc: object): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(doc, null, 2));
  return file;
}

const cluster = (name: string, fields: object) => ({ name, cluster: fields });
const user = (name: string, fields: object) => ({ name, user: fields });
const context = (name: string, clusterName: string, userName: string, extra: object = {}) => ({ name, context: { cluster: clusterName, user: userName, ...extra } });

/** resolveConnection with an explicit kubeconfig, no environment, and no token-file watching. */
function resolveWith(kubeconfig: string | undefined, flags: CredentialFlags = {}, env: NodeJS.ProcessEnv = {}): ClusterConnection {
  const home = temp.make('ka-home-');
  return resolveConnection({ flags: { ...flags, kubeconfig }, env, homeDir: home, logger: silentLogger, watchTokenFile: false });
}

async function bearer(connection: ClusterConnection): Promise<string> {
  assert.equal(connection.auth.type, 'bearer');
  if (connection.auth.type !== 'bearer') return '';
  return connection.auth.tokens.token();
}

function configError(message: string | RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof ConfigError, `want ConfigError, got ${String(err)}`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  };
}

let pem: ReturnType<typeof selfSignedPem>;
let pemDir: string;
before(() => {
  pemDir = temp.make('ka-pem-');
  pem = selfSignedPem(pemDir);
});

describe('kubeconfigFiles: which files are read', () => {
  test('--kubeconfig names exactly one file, KUBECONFIG is ignored', () => {
    const dir = temp.make();
    const a = writeKubeconfig(dir, 'a', {});
    const b = writeKubeconfig(dir, 'b', {});
    assert.deepEqual(kubeconfigFiles({ explicitPath: a, env: { KUBECONFIG: b }, homeDir: dir }), [a]);
  });

  test('--kubeconfig naming a missing file is "stat F: no such file or directory"', () => {
    const missing = join(temp.make(), 'nonexistent');
    assert.throws(() => kubeconfigFiles({ explicitPath: missing, env: {}, homeDir: '/' }),
      configError(`stat ${missing}: no such file or directory`));
  });

  test('KUBECONFIG is a colon list: missing files are skipped, duplicates and empty entries dropped, order kept', () => {
    const dir = temp.make();
    const a = writeKubeconfig(dir, 'a', {});
    const b = writeKubeconfig(dir, 'b', {});
    const list = [join(dir, 'missing'), b, '', a, b].join(':');
    assert.deepEqual(kubeconfigFiles({ env: { KUBECONFIG: list }, homeDir: dir }), [b, a]);
  });

  test('KUBECONFIG with only missing files gives no files (no error)', () => {
    assert.deepEqual(kubeconfigFiles({ env: { KUBECONFIG: '/nonexistent/a:/nonexistent/b' }, homeDir: '/nonexistent' }), []);
  });

  test('without KUBECONFIG: ~/.kube/config when it exists', () => {
    const home = temp.make();
    mkdirSync(join(home, '.kube'));
    const file = writeKubeconfig(join(home, '.kube'), 'config', {});
    assert.deepEqual(kubeconfigFiles({ env: {}, homeDir: home }), [file]);
  });

  test('without KUBECONFIG and without ~/.kube/config: no files', () => {
    assert.deepEqual(kubeconfigFiles({ env: {}, homeDir: temp.make() }), []);
  });
});

describe('loadKubeconfig: merging several files (first definition wins wholesale)', () => {
  const dir = temp.make();
  const first = writeKubeconfig(dir, 'first', {
    clusters: [cluster('shared', { server: 'https://first:6443' })],
    users: [user('u', { token: 'first-token' })],
    contexts: [context('ctx', 'shared', 'u', { namespace: 'from-first' })],
  });
  const onlyCurrent = writeKubeconfig(dir, 'only-current', { 'current-context': 'ctx' });
  const second = writeKubeconfig(dir, 'second', {
    'current-context': 'other',
    clusters: [cluster('shared', { server: 'https://second:6443', 'tls-server-name': 'second.example' }), cluster('extra', { server: 'https://extra:6443' })],
    users: [user('u', { token: 'second-token', username: 'x' })],
    contexts: [context('ctx', 'extra', 'u'), context('other', 'extra', 'u')],
  });
  const env = { KUBECONFIG: [join(dir, 'missing'), first, onlyCurrent, second].join(':') };
  const merged = loadKubeconfig({ env, homeDir: dir });

  test('every existing file is listed in order', () => assert.deepEqual(merged.files, [first, onlyCurrent, second]));
  test('a cluster defined twice comes wholesale from the first file (no field merge)', () => {
    assert.deepEqual(merged.clusters.get('shared'), { server: 'https://first:6443' });
  });
  test('a user defined twice comes wholesale from the first file', () => assert.deepEqual(merged.users.get('u'), { token: 'first-token' }));
  test('a context defined twice comes from the first file', () => {
    assert.deepEqual(merged.contexts.get('ctx'), { cluster: 'shared', user: 'u', namespace: 'from-first' });
  });
  test('names defined only later are still added', () => {
    assert.deepEqual(merged.clusters.get('extra'), { server: 'https://extra:6443' });
    assert.ok(merged.contexts.has('other'));
  });
  test('the first file that sets current-context wins (KUBECONFIG=missing:only-current:full)', () => assert.equal(merged.currentContext, 'ctx'));

  test('the merged view resolves to the first file\'s cluster and user', async () => {
    const connection = resolveConnection({ flags: {}, env, homeDir: dir, logger: silentLogger, watchTokenFile: false });
    assert.equal(connection.origin, 'https://first:6443');
    assert.equal(connection.tls.serverName, undefined);
    assert.equal(await bearer(connection), 'first-token');
    assert.equal(connection.namespace, 'from-first');
    assert.equal(connection.source, 'kubeconfig');
  });

  test('an empty current-context does not count as set', () => {
    const d = temp.make();
    const blank = writeKubeconfig(d, 'blank', { 'current-context': '' });
    const real = writeKubeconfig(d, 'real', { 'current-context': 'c' });
    assert.equal(loadKubeconfig({ env: { KUBECONFIG: `${blank}:${real}` }, homeDir: d }).currentContext, 'c');
  });
});

describe('loadKubeconfig: paths relative to the file that names them', () => {
  const dir = temp.make();
  const sub = join(dir, 'sub');
  mkdirSync(sub);
  const file = writeKubeconfig(sub, 'config', {
    clusters: [cluster('c', { server: 'https://h', 'certificate-authority': 'ca.crt' }), cluster('abs', { server: 'https://h', 'certificate-authority': '/etc/ca.crt' })],
    users: [
      user('certs', { 'client-certificate': 'pki/client.crt', 'client-key': 'pki/client.key' }),
      user('tok', { tokenFile: '../token' }),
      user('exec-path', { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: './bin/plugin' } }),
      user('exec-lookup', { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'kubelogin' } }),
      user('exec-abs', { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: '/usr/bin/plugin' } }),
    ],
  });
  const config = loadKubeconfig({ explicitPath: file, env: {}, homeDir: dir });

  const rows: { name: string; got: () => unknown; want: string }[] = [
    { name: 'certificate-authority', got: () => config.clusters.get('c')?.['certificate-authority'], want: join(sub, 'ca.crt') },
    { name: 'an absolute certificate-authority is unchanged', got: () => config.clusters.get('abs')?.['certificate-authority'], want: '/etc/ca.crt' },
    { name: 'client-certificate', got: () => config.users.get('certs')?.['client-certificate'], want: join(sub, 'pki/client.crt') },
    { name: 'client-key', got: () => config.users.get('certs')?.['client-key'], want: join(sub, 'pki/client.key') },
    { name: 'tokenFile (may climb out of the folder)', got: () => config.users.get('tok')?.tokenFile, want: join(dir, 'token') },
    { name: 'an exec command with a slash', got: () => config.users.get('exec-path')?.exec?.command, want: join(sub, 'bin/plugin') },
    { name: 'an exec command without a slash is left for a $PATH lookup', got: () => config.users.get('exec-lookup')?.exec?.command, want: 'kubelogin' },
    { name: 'an absolute exec command is unchanged', got: () => config.users.get('exec-abs')?.exec?.command, want: '/usr/bin/plugin' },
  ];
  for (const row of rows) test(row.name, () => assert.equal(row.got(), row.want));

  test('a relative CA is read from the kubeconfig\'s folder', () => {
    const d = temp.make();
    writeFileSync(join(d, 'ca.crt'), pem.cert);
    const kc = writeKubeconfig(d, 'config', {
      'current-context': 'x', clusters: [cluster('c', { server: 'https://h:6443', 'certificate-authority': 'ca.crt' })], users: [user('u', { token: 't' })], contexts: [context('x', 'c', 'u')],
    });
    assert.deepEqual(resolveWith(kc).tls.ca, pem.cert);
  });
});

describe('loadKubeconfig: unreadable files', () => {
  test('invalid YAML is an error naming the file', () => {
    const dir = temp.make();
    const bad = join(dir, 'bad');
    writeFileSync(bad, 'clusters: [\n  - name: x\n  cluster: {');
    assert.throws(() => loadKubeconfig({ explicitPath: bad, env: {}, homeDir: dir }), configError(new RegExp(`^error loading config file "${bad}": `)));
  });
  test('a YAML list at the top is an error', () => {
    const dir = temp.make();
    const bad = join(dir, 'list');
    writeFileSync(bad, '- a\n- b\n');
    assert.throws(() => loadKubeconfig({ explicitPath: bad, env: {}, homeDir: dir }), ConfigError);
  });
  test('an empty file is an empty config', () => {
    const dir = temp.make();
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    const config = loadKubeconfig({ explicitPath: empty, env: {}, homeDir: dir });
    assert.equal(config.clusters.size, 0);
    assert.equal(config.currentContext, undefined);
  });
});

describe('context, cluster and user selection with overrides', () => {
  const dir = temp.make();
  const kc = writeKubeconfig(dir, 'config', {
    'current-context': 'dev',
    clusters: [
      cluster('dev-cluster', { server: 'https://dev:6443', 'tls-server-name': 'kube.internal' }),
      cluster('prod-cluster', { server: 'https://prod:6443' }),
      cluster('rancher', { server: 'https://rancher.example/k8s/clusters/c-1?q=1#frag' }),
      cluster('rancher-slash', { server: 'https://rancher.example/k8s/clusters/c-1/' }),
      cluster('plain-http', { server: 'http://127.0.0.1:8080' }),
      cluster('no-server', {}),
    ],
    users: [user('dev-user', { token: 'dev-token' }), user('prod-user', { token: 'prod-token' })],
    contexts: [
      context('dev', 'dev-cluster', 'dev-user', { namespace: 'team-a' }),
      context('prod', 'prod-cluster', 'prod-user'),
      context('rancher', 'rancher', 'dev-user'),
      context('rancher-slash', 'rancher-slash', 'dev-user'),
      context('http', 'plain-http', 'dev-user'),
      context('dangling', 'gone', 'dev-user'),
    ],
  });

  test('current-context is used by default', async () => {
    const c = resolveWith(kc);
    assert.equal(c.origin, 'https://dev:6443');
    assert.equal(await bearer(c), 'dev-token');
    assert.equal(c.namespace, 'team-a');
    assert.equal(c.tls.serverName, 'kube.internal');
    assert.match(c.description, /context dev$/);
  });
  test('--context picks another context', async () => {
    const c = resolveWith(kc, { context: 'prod' });
    assert.equal(c.origin, 'https://prod:6443');
    assert.equal(await bearer(c), 'prod-token');
    assert.equal(c.namespace, 'default');
  });
  test('--context naming a missing context: context "missing" does not exist', () => {
    assert.throws(() => resolveWith(kc, { context: 'missing' }), configError('context "missing" does not exist'));
  });
  test('--cluster overrides the context\'s cluster, keeping its user', async () => {
    const c = resolveWith(kc, { cluster: 'prod-cluster' });
    assert.equal(c.origin, 'https://prod:6443');
    assert.equal(await bearer(c), 'dev-token');
  });
  test('--user overrides the context\'s user, keeping its cluster', async () => {
    const c = resolveWith(kc, { user: 'prod-user' });
    assert.equal(c.origin, 'https://dev:6443');
    assert.equal(await bearer(c), 'prod-token');
  });
  test('--cluster naming a missing cluster: cluster "missing" does not exist', () => {
    assert.throws(() => resolveWith(kc, { cluster: 'missing' }), configError('cluster "missing" does not exist'));
  });
  test('--user naming a missing user: auth info "missing" does not exist', () => {
      assert.throws(() => resolveWith(kc, { user: 'missing' }), configError('auth info "missing" does not exist'));
    });
  test('--namespace wins over the context namespace', () => assert.equal(resolveWith(kc, { namespace: 'n1' }).namespace, 'n1'));

  test('--server replaces the server and clears the kubeconfig tls-server-name', () => {
    const c = resolveWith(kc, { server: 'https://10.0.0.1:6443' });
    assert.equal(c.origin, 'https://10.0.0.1:6443');
    assert.equal(c.tls.serverName, undefined);
  });
  test('--server with --tls-server-name keeps the flag\'s name', () => {
    assert.equal(resolveWith(kc, { server: 'https://10.0.0.1:6443', tlsServerName: 'flag.name' }).tls.serverName, 'flag.name');
  });
  test('--tls-server-name alone replaces the kubeconfig one', () => {
    assert.equal(resolveWith(kc, { tlsServerName: 'flag.name' }).tls.serverName, 'flag.name');
  });
  test('an invalid --server is a ConfigError', () => {
    assert.throws(() => resolveWith(kc, { server: 'not a url' }), ConfigError);
  });

  test('a server path is kept apart for --append-server-path; query and fragment dropped', () => {
    const c = resolveWith(kc, { context: 'rancher' });
    assert.equal(c.origin, 'https://rancher.example');
    assert.equal(c.serverPath, '/k8s/clusters/c-1');
  });
  test('a server path with a trailing slash keeps it (singleJoiningSlash joins later)', () => {
    assert.equal(resolveWith(kc, { context: 'rancher-slash' }).serverPath, '/k8s/clusters/c-1/');
  });
  test('a server without a path has serverPath ""', () => assert.equal(resolveWith(kc).serverPath, ''));

  test('credentials are ignored for an http:// server', () => {
    const c = resolveWith(kc, { context: 'http' });
    assert.equal(c.origin, 'http://127.0.0.1:8080');
    assert.deepEqual(c.auth, { type: 'none' });
    assert.equal(c.tls.cert, undefined);
  });
  test('a --token flag is ignored for an http:// server too', () => {
    assert.deepEqual(resolveWith(kc, { context: 'http', token: 'flag-token' }).auth, { type: 'none' });
  });
  test('a context whose cluster does not exist is a ConfigError', () => {
    assert.throws(() => resolveWith(kc, { context: 'dangling' }), configError(/cluster "gone"/));
  });
});

describe('TLS settings: certificate-authority vs insecure-skip-tls-verify', () => {
  let kc: string;
  let caFile: string;
  before(() => {
    const dir = temp.make();
    caFile = join(dir, 'flag-ca.crt');
    writeFileSync(caFile, pem.cert);
    writeFileSync(join(dir, 'ca.crt'), pem.cert);
    kc = writeKubeconfig(dir, 'config', {
      'current-context': 'with-ca',
      clusters: [
        cluster('with-ca', { server: 'https://h:6443', 'certificate-authority': 'ca.crt' }),
        cluster('with-ca-data', { server: 'https://h:6443', 'certificate-authority-data': pem.cert.toString('base64') }),
        cluster('insecure', { server: 'https://h:6443', 'insecure-skip-tls-verify': true }),
        cluster('both', { server: 'https://h:6443', 'insecure-skip-tls-verify': true, 'certificate-authority-data': pem.cert.toString('base64') }),
        cluster('bad-data', { server: 'https://h:6443', 'certificate-authority-data': Buffer.from('not pem').toString('base64') }),
        cluster('missing-ca', { server: 'https://h:6443', 'certificate-authority': '/nonexistent/ca.crt' }),
      ],
      users: [user('u', { token: 't' })],
      contexts: ['with-ca', 'with-ca-data', 'insecure', 'both', 'bad-data', 'missing-ca'].map((n) => context(n, n, 'u')),
    });
  });

  const rows: { name: string; flags: CredentialFlags; ca: 'pem' | undefined; insecure: boolean }[] = [
    { name: 'the kubeconfig CA file is read', flags: {}, ca: 'pem', insecure: false },
    { name: 'certificate-authority-data is decoded', flags: { context: 'with-ca-data' }, ca: 'pem', insecure: false },
    { name: 'insecure-skip-tls-verify from the kubeconfig', flags: { context: 'insecure' }, ca: undefined, insecure: true },
    { name: '--insecure-skip-tls-verify clears the kubeconfig CA file', flags: { insecureSkipTlsVerify: true }, ca: undefined, insecure: true },
    { name: '--insecure-skip-tls-verify clears kubeconfig CA data', flags: { context: 'with-ca-data', insecureSkipTlsVerify: true }, ca: undefined, insecure: true },
    { name: '--certificate-authority clears kubeconfig insecure-skip-tls-verify', flags: { context: 'insecure', certificateAuthority: 'FLAG' }, ca: 'pem', insecure: false },
    { name: '--certificate-authority replaces the kubeconfig CA', flags: { certificateAuthority: 'FLAG' }, ca: 'pem', insecure: false },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const flags = { ...row.flags, certificateAuthority: row.flags.certificateAuthority === 'FLAG' ? caFile : row.flags.certificateAuthority };
      const c = resolveWith(kc, flags);
      assert.deepEqual(c.tls.ca, row.ca === 'pem' ? pem.cert : undefined);
      assert.equal(c.tls.insecureSkipVerify, row.insecure);
    });
  }

  test('--certificate-authority together with --insecure-skip-tls-verify is an error', () => {
    assert.throws(() => resolveWith(kc, { certificateAuthority: caFile, insecureSkipTlsVerify: true }),
      configError('specifying a root certificates file with the insecure flag is not allowed'));
  });
  test('a kubeconfig cluster with both a CA and insecure-skip-tls-verify is an error', () => {
    assert.throws(() => resolveWith(kc, { context: 'both' }), configError('specifying a root certificates file with the insecure flag is not allowed'));
  });
  test('certificate-authority-data that is not PEM is an error', () => {
    assert.throws(() => resolveWith(kc, { context: 'bad-data' }), configError(/certificate-authority-data .* is not base64-encoded PEM data/));
  });
  test('a missing certificate-authority file is an error naming it', () => {
    assert.throws(() => resolveWith(kc, { context: 'missing-ca' }), configError(/\/nonexistent\/ca\.crt: no such file or directory/));
  });
});

describe('user credentials', () => {
  let dir: string;
  let kc: string;
  before(() => {
    dir = temp.make();
    writeFileSync(join(dir, 'token'), 'file-token\n');
    const b64 = (b: Buffer) => b.toString('base64');
    kc = writeKubeconfig(dir, 'config', {
      'current-context': 'token',
      clusters: [
        cluster('c', { server: 'https://h:6443' }),
        cluster('proxied', { server: 'https://h:6443', 'proxy-url': 'socks5://proxy:1080' }),
        cluster('bad-proxy', { server: 'https://h:6443', 'proxy-url': 'ftp://proxy:21' }),
        cluster('nozip', { server: 'https://h:6443', 'disable-compression': true }),
      ],
      users: [
        user('token', { token: 'inline-token' }),
        user('token-file', { tokenFile: 'token' }),
        user('missing-token-file', { tokenFile: 'nope' }),
        user('token-and-missing-file', { token: 'inline-token', tokenFile: 'nope' }),
        user('basic', { username: 'admin', password: 'secret' }),
        user('both', { token: 'tok', username: 'admin', password: 'secret' }),
        user('cert-files', { 'client-certificate': pem.certFile, 'client-key': pem.keyFile }),
        user('cert-data', { 'client-certificate-data': b64(pem.cert), 'client-key-data': b64(pem.key) }),
        user('cert-no-key', { 'client-certificate': pem.certFile }),
        user('exec', { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: '/nonexistent/plugin' } }),
        user('exec-and-token', { token: 'wins', exec: { apiVersion: 'client.authentication.k8s.io/v1', command: '/nonexistent/plugin' } }),
        user('exec-and-cert', { 'client-certificate': pem.certFile, 'client-key': pem.keyFile, exec: { apiVersion: 'client.authentication.k8s.io/v1', command: '/nonexistent/plugin' } }),
        user('impersonating', { token: 't', as: 'jane', 'as-groups': ['devs'], 'as-uid': '42' }),
        user('auth-provider', { 'auth-provider': { name: 'oidc' } }),
      ],
      contexts: [
        ...['token', 'token-file', 'missing-token-file', 'token-and-missing-file', 'basic', 'both', 'cert-files', 'cert-data', 'cert-no-key',
          'exec', 'exec-and-token', 'exec-and-cert', 'impersonating', 'auth-provider'].map((n) => context(n, 'c', n)),
        context('proxied', 'proxied', 'token'),
        context('bad-proxy', 'bad-proxy', 'token'),
        context('nozip', 'nozip', 'token'),
      ],
    });
  });

  test('an inline token is a static bearer token', async () => {
    const c = resolveWith(kc);
    assert.ok(c.auth.type === 'bearer' && c.auth.tokens instanceof StaticTokenSource);
    assert.equal(await bearer(c), 'inline-token');
  });
  test('--token replaces the kubeconfig token', async () => assert.equal(await bearer(resolveWith(kc, { token: 'flag-token' })), 'flag-token'));
  test('tokenFile is read (trimmed) through a FileTokenSource', async () => {
    const c = resolveWith(kc, { context: 'token-file' });
    assert.ok(c.auth.type === 'bearer' && c.auth.tokens instanceof FileTokenSource);
    assert.equal(await bearer(c), 'file-token');
    if (c.auth.type === 'bearer') c.auth.tokens.close();
  });
  test('a missing tokenFile is a startup error', () => {
    assert.throws(() => resolveWith(kc, { context: 'missing-token-file' }), configError(/failed to read token file ".*nope"/));
  });
  test('token plus a missing tokenFile starts with the inline token (client-go reads the file lazily then)', async () => {
      assert.equal(await bearer(resolveWith(kc, { context: 'token-and-missing-file' })), 'inline-token');
    });
  test('username and password are basic auth', () => {
    assert.deepEqual(resolveWith(kc, { context: 'basic' }).auth, { type: 'basic', username: 'admin', password: 'secret' });
  });
  test('token plus basic auth: more than one authentication method', () => {
    assert.throws(() => resolveWith(kc, { context: 'both' }),
      configError('more than one authentication method found for both; found [token basicAuth], only one is allowed'));
  });
  test('--token plus a kubeconfig username is also more than one method', () => {
    assert.throws(() => resolveWith(kc, { context: 'basic', token: 't' }), configError(/more than one authentication method/));
  });
  test('client certificate and key files', () => {
    const c = resolveWith(kc, { context: 'cert-files' });
    assert.deepEqual(c.tls.cert, pem.cert);
    assert.deepEqual(c.tls.key, pem.key);
    assert.deepEqual(c.auth, { type: 'none' });
  });
  test('client certificate and key data', () => {
    const c = resolveWith(kc, { context: 'cert-data' });
    assert.deepEqual(c.tls.cert, pem.cert);
    assert.deepEqual(c.tls.key, pem.key);
  });
  test('--client-certificate/--client-key flags', () => {
    const c = resolveWith(kc, { clientCertificate: pem.certFile, clientKey: pem.keyFile });
    assert.deepEqual(c.tls.cert, pem.cert);
    assert.deepEqual(c.tls.key, pem.key);
  });
  test('a certificate without a key is an error', () => {
    assert.throws(() => resolveWith(kc, { context: 'cert-no-key' }), ConfigError);
  });
  test('an exec user gets a lazy ExecTokenSource (the plugin does not run at startup)', () => {
    const c = resolveWith(kc, { context: 'exec' });
    assert.ok(c.auth.type === 'bearer' && c.auth.tokens instanceof ExecTokenSource);
    if (c.auth.type === 'bearer') assert.equal(c.auth.tokens.state().loaded, false);
  });
  test('exec is skipped when a token is present', async () => assert.equal(await bearer(resolveWith(kc, { context: 'exec-and-token' })), 'wins'));
  test('exec is skipped when a client certificate is present', () => {
    const c = resolveWith(kc, { context: 'exec-and-cert' });
    assert.deepEqual(c.auth, { type: 'none' });
    assert.deepEqual(c.tls.cert, pem.cert);
  });
  test('an auth-provider is refused with a pointer to exec plugins', () => {
    assert.throws(() => resolveWith(kc, { context: 'auth-provider' }), configError(/auth-provider "oidc" is not supported/));
  });
  test('kubeconfig act-as fields impersonate', () => {
    assert.deepEqual(resolveWith(kc, { context: 'impersonating' }).impersonate, { user: 'jane', groups: ['devs'], uid: '42', extra: {} });
  });
  test('--as and --as-group override the kubeconfig impersonation', () => {
    assert.deepEqual(resolveWith(kc, { context: 'impersonating', as: 'bob', asGroups: ['ops', 'sre'] }).impersonate,
      { user: 'bob', groups: ['ops', 'sre'], uid: '42', extra: {} });
  });
  test('--as-group without --as is an error', () => {
    assert.throws(() => resolveWith(kc, { asGroups: ['x'] }), ConfigError);
  });
  test('no impersonation by default', () => assert.equal(resolveWith(kc).impersonate, undefined));

  test('proxy-url http/https/socks5 is used', () => assert.equal(resolveWith(kc, { context: 'proxied' }).proxyUrl, 'socks5://proxy:1080'));
  test('proxy-url with another scheme is an error', () => {
    assert.throws(() => resolveWith(kc, { context: 'bad-proxy' }), configError(/must be http, https, or socks5/));
  });
  test('HTTPS_PROXY from the environment applies when there is no proxy-url', () => {
    assert.equal(resolveWith(kc, {}, { HTTPS_PROXY: 'http://envproxy:3128' }).proxyUrl, 'http://envproxy:3128');
  });
  test('proxy-url wins over HTTPS_PROXY', () => {
    assert.equal(resolveWith(kc, { context: 'proxied' }, { HTTPS_PROXY: 'http://envproxy:3128' }).proxyUrl, 'socks5://proxy:1080');
  });
  test('NO_PROXY keeps the environment proxy away', () => {
    assert.equal(resolveWith(kc, {}, { HTTPS_PROXY: 'http://envproxy:3128', NO_PROXY: 'h' }).proxyUrl, undefined);
  });

  test('disable-compression from the cluster', () => assert.equal(resolveWith(kc, { context: 'nozip' }).disableCompression, true));
  test('--disable-compression', () => assert.equal(resolveWith(kc, { disableCompression: true }).disableCompression, true));
  test('compression is on by default', () => assert.equal(resolveWith(kc).disableCompression, false));
});

describe('kubeconfigConnection without any server', () => {
  test('an empty kubeconfig and no --server is "no connection" (the caller tries in-cluster)', () => {
    const connection = kubeconfigConnection({
      config: { files: [], clusters: new Map(), users: new Map(), contexts: new Map() }, flags: {}, env: {}, logger: silentLogger,
    });
    assert.equal(connection, undefined);
  });
  test('--server alone makes a flags-only connection', () => {
    const connection = kubeconfigConnection({
      config: { files: [], clusters: new Map(), users: new Map(), contexts: new Map() },
      flags: { server: 'https://10.0.0.1:6443', token: 't' }, env: {}, logger: silentLogger,
    });
    assert.equal(connection?.origin, 'https://10.0.0.1:6443');
    assert.equal(connection?.source, 'flags');
    assert.equal(connection?.auth.type, 'bearer');
  });
});
