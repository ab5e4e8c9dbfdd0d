// In-cluster configuration (src/credentials/in-cluster.ts) and the order
// resolveConnection() tries things in (src/credentials/resolve.ts), against
// client-go's InClusterConfig and DeferredLoadingClientConfig: reference §3.1
// and §3.2. The service-account folder is a temp folder (flags.serviceAccountDir).
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ClusterConnection, ConfigError } from '../../src/credentials/cluster-connection.js';
import type { CredentialFlags } from '../../src/credentials/credential-flags.js';
import { FileTokenSource } from '../../src/credentials/file-token-source.js';
import {
  defaultServiceAccountDir, inClusterConnection, inClusterPossible, joinHostPort, podNamespace, serviceAccountDir,
} from '../../src/credentials/in-cluster.js';
import { resolveConnection } from '../../src/credentials/resolve.js';
import { StaticTokenSource } from '../../src/credentials/token-source.js';
import { silentLogger } from '../../src/logging/logger.js';
import { selfSignedPem, TempDirs } from './support/fixtures.js';

const temp = new TempDirs();
after(() => temp.removeAll());

let pem: ReturnType<typeof selfSignedPem>;
before(() => { pem = selfSignedPem(temp.make('ka-pem-')); });

/** A service-account folder like the kubelet's: token, and optionally ca.crt and namespace. */
function serviceAccount(files: { token?: string; ca?: boolean; namespace?: string } = {}): string {
  const dir = temp.make('ka-sa-');
  if (files.token !== undefined) writeFileSync(join(dir, 'token'), files.token);
  if (files.ca) writeFileSync(join(dir, 'ca.crt'), pem.cert);
  if (files.namespace !== undefined) writeFileSync(join(dir, 'namespace'), files.namespace);
  return dir;
}

const podEnv = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
const tokens: { close(): void }[] = [];
after(() => { for (const t of tokens) t.close(); });

function keep(connection: ClusterConnection): ClusterConnection {
  if (connection.auth.type === 'bearer') tokens.push(connection.auth.tokens);
  return connection;
}

async function bearer(connection: ClusterConnection): Promise<string> {
  assert.equal(connection.auth.type, 'bearer');
  return connection.auth.type === 'bearer' ? connection.auth.tokens.token() : '';
}

describe('joinHostPort (net.JoinHostPort)', () => {
  const rows: { name: string; host: string; port: string | number; want: string }[] = [
    { name: 'IPv4', host: '10.96.0.1', port: '443', want: '10.96.0.1:443' },
    { name: 'IPv6 loopback is bracketed', host: '::1', port: 443, want: '[::1]:443' },
    { name: 'IPv6 service address is bracketed', host: 'fd00:10:96::1', port: '443', want: '[fd00:10:96::1]:443' },
    { name: 'a DNS name', host: 'kubernetes.default.svc', port: 6443, want: 'kubernetes.default.svc:6443' },
  ];
  for (const row of rows) test(row.name, () => assert.equal(joinHostPort(row.host, row.port), row.want));
});

describe('inClusterPossible', () => {
  const withToken = serviceAccount({ token: 'tok' });
  const noToken = serviceAccount();
  const tokenIsDir = serviceAccount();
  mkdirSync(join(tokenIsDir, 'token'));

  const rows: { name: string; env: NodeJS.ProcessEnv; dir: string; want: boolean }[] = [
    { name: 'both variables and a token file', env: podEnv, dir: withToken, want: true },
    { name: 'no KUBERNETES_SERVICE_HOST', env: { KUBERNETES_SERVICE_PORT: '443' }, dir: withToken, want: false },
    { name: 'no KUBERNETES_SERVICE_PORT', env: { KUBERNETES_SERVICE_HOST: '10.96.0.1' }, dir: withToken, want: false },
    { name: 'empty KUBERNETES_SERVICE_HOST', env: { ...podEnv, KUBERNETES_SERVICE_HOST: '' }, dir: withToken, want: false },
    { name: 'KUBERNETES_SERVICE_PORT_HTTPS does not stand in for _PORT', env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT_HTTPS: '443' }, dir: withToken, want: false },
    { name: 'no token file', env: podEnv, dir: noToken, want: false },
    { name: 'the token path is a folder', env: podEnv, dir: tokenIsDir, want: false },
  ];
  for (const row of rows) test(row.name, () => assert.equal(inClusterPossible(row.env, row.dir), row.want));
});

describe('serviceAccountDir', () => {
  test('defaults to the kubelet mount', () => assert.equal(serviceAccountDir({}, {}), '/var/run/secrets/kubernetes.io/serviceaccount'));
  test('the default constant is the kubelet mount', () => assert.equal(defaultServiceAccountDir, '/var/run/secrets/kubernetes.io/serviceaccount'));
  test('KUBE_AMBASSADOR_SERVICE_ACCOUNT_DIR overrides the default', () => assert.equal(serviceAccountDir({}, { KUBE_AMBASSADOR_SERVICE_ACCOUNT_DIR: '/sa' }), '/sa'));
  test('--service-account-dir wins over the variable', () => {
    assert.equal(serviceAccountDir({ serviceAccountDir: '/flag' }, { KUBE_AMBASSADOR_SERVICE_ACCOUNT_DIR: '/sa' }), '/flag');
  });
});

describe('podNamespace: POD_NAMESPACE, then the namespace file, then default', () => {
  const rows: { name: string; env: NodeJS.ProcessEnv; file?: string; want: string }[] = [
    { name: 'POD_NAMESPACE wins over the file', env: { POD_NAMESPACE: 'from-env' }, file: 'from-file', want: 'from-env' },
    { name: 'the file, trimmed', env: {}, file: ' from-file\n', want: 'from-file' },
    { name: 'an empty POD_NAMESPACE falls through to the file', env: { POD_NAMESPACE: '' }, file: 'from-file', want: 'from-file' },
    { name: 'an empty file falls through to default', env: {}, file: '  \n', want: 'default' },
    { name: 'no file: default', env: {}, want: 'default' },
  ];
  for (const row of rows) {
    test(row.name, () => assert.equal(podNamespace(row.env, serviceAccount({ namespace: row.file })), row.want));
  }
});

describe('inClusterConnection', () => {
  const connect = (flags: CredentialFlags, env: NodeJS.ProcessEnv = podEnv): ClusterConnection =>
    keep(inClusterConnection({ flags, env, logger: silentLogger, watchTokenFile: false }));

  test('https://host:port from the environment, token from the folder (trimmed), ca.crt read', async () => {
    const c = connect({ serviceAccountDir: serviceAccount({ token: 'sa-token\n', ca: true, namespace: 'team-a' }) });
    assert.equal(c.origin, 'https://10.96.0.1:443');
    assert.equal(c.serverPath, '');
    assert.equal(await bearer(c), 'sa-token');
    assert.ok(c.auth.type === 'bearer' && c.auth.tokens instanceof FileTokenSource);
    assert.deepEqual(c.tls.ca, pem.cert);
    assert.equal(c.tls.insecureSkipVerify, false);
    assert.equal(c.tls.serverName, undefined);
    assert.equal(c.namespace, 'team-a');
    assert.equal(c.source, 'in-cluster');
    assert.deepEqual(c.warnings, []);
  });

  test('an IPv6 KUBERNETES_SERVICE_HOST is bracketed: https://[::1]:443', () => {
    const c = connect({ serviceAccountDir: serviceAccount({ token: 't', ca: true }) }, { KUBERNETES_SERVICE_HOST: '::1', KUBERNETES_SERVICE_PORT: '443' });
    assert.equal(c.origin, 'https://[::1]:443');
  });

  test('a missing ca.crt is a warning, not an error; the system roots are used', () => {
    const dir = serviceAccount({ token: 't' });
    const c = connect({ serviceAccountDir: dir });
    assert.equal(c.tls.ca, undefined);
    assert.equal(c.tls.insecureSkipVerify, false, 'never falls back to skipping verification');
    assert.equal(c.warnings.length, 1);
    assert.ok(c.warnings[0]!.includes(join(dir, 'ca.crt')), c.warnings[0]);
  });

  test('POD_NAMESPACE wins over the namespace file', () => {
    const c = connect({ serviceAccountDir: serviceAccount({ token: 't', ca: true, namespace: 'file-ns' }) }, { ...podEnv, POD_NAMESPACE: 'env-ns' });
    assert.equal(c.namespace, 'env-ns');
  });

  test('--token replaces the token file', async () => {
    const c = connect({ serviceAccountDir: serviceAccount({ token: 'sa-token', ca: true }), token: 'override-tok' });
    assert.ok(c.auth.type === 'bearer' && c.auth.tokens instanceof StaticTokenSource);
    assert.equal(await bearer(c), 'override-tok');
  });

  test('--certificate-authority replaces ca.crt', () => {
    const other = temp.make();
    writeFileSync(join(other, 'other.crt'), 'OTHER PEM');
    const c = connect({ serviceAccountDir: serviceAccount({ token: 't', ca: true }), certificateAuthority: join(other, 'other.crt') });
    assert.deepEqual(c.tls.ca, Buffer.from('OTHER PEM'));
  });

  test('--server replaces the host from the environment', () => {
    const c = connect({ serviceAccountDir: serviceAccount({ token: 't', ca: true }), server: 'https://api.example:6443' });
    assert.equal(c.origin, 'https://api.example:6443');
  });

  test('an unreadable token file at start is a ConfigError', () => {
    assert.throws(() => connect({ serviceAccountDir: serviceAccount({ ca: true }) }), ConfigError);
  });
});

describe('resolveConnection: kubeconfig and flags first, then in-cluster, else an error', () => {
  const kubeconfigWithContext = (dir: string): string => {
    const file = join(dir, 'config');
    writeFileSync(file, JSON.stringify({
      'current-context': 'x',
      clusters: [{ name: 'c', cluster: { server: 'https://from-kubeconfig:6443' } }],
      users: [{ name: 'u', user: { token: 'kubeconfig-token' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    }));
    return file;
  };
  const resolve = (flags: CredentialFlags, env: NodeJS.ProcessEnv, homeDir = temp.make('ka-home-')): ClusterConnection =>
    keep(resolveConnection({ flags, env, homeDir, logger: silentLogger, watchTokenFile: false }));

  test('a kubeconfig with a current context wins over in-cluster', async () => {
    const sa = serviceAccount({ token: 'sa-token', ca: true });
    const c = resolve({ serviceAccountDir: sa }, { ...podEnv, KUBECONFIG: kubeconfigWithContext(temp.make()) });
    assert.equal(c.source, 'kubeconfig');
    assert.equal(c.origin, 'https://from-kubeconfig:6443');
    assert.equal(await bearer(c), 'kubeconfig-token');
  });

  test('~/.kube/config is used when KUBECONFIG is unset, and wins over in-cluster', () => {
    const home = temp.make('ka-home-');
    mkdirSync(join(home, '.kube'));
    kubeconfigWithContext(join(home, '.kube'));
    const c = resolve({ serviceAccountDir: serviceAccount({ token: 't', ca: true }) }, podEnv, home);
    assert.equal(c.origin, 'https://from-kubeconfig:6443');
  });

  test('--server wins over in-cluster (the config is no longer the default one)', () => {
    const c = resolve({ serviceAccountDir: serviceAccount({ token: 'sa-token', ca: true }), server: 'https://flag:6443', token: 'flag-token' }, podEnv);
    assert.equal(c.source, 'flags');
    assert.equal(c.origin, 'https://flag:6443');
  });

  test('in-cluster is used when KUBECONFIG names only missing files', async () => {
    const c = resolve({ serviceAccountDir: serviceAccount({ token: 'sa-token', ca: true }) }, { ...podEnv, KUBECONFIG: '/nonexistent/config' });
    assert.equal(c.source, 'in-cluster');
    assert.equal(c.origin, 'https://10.96.0.1:443');
    assert.equal(await bearer(c), 'sa-token');
  });

  test('in-cluster is used when the kubeconfig names no current context', () => {
    const dir = temp.make();
    const file = join(dir, 'config');
    writeFileSync(file, JSON.stringify({ clusters: [{ name: 'c', cluster: { server: 'https://unused:6443' } }] }));
    const c = resolve({ serviceAccountDir: serviceAccount({ token: 't', ca: true }) }, { ...podEnv, KUBECONFIG: file });
    assert.equal(c.source, 'in-cluster');
  });

  test('--token with in-cluster: the in-cluster host with the flag\'s token', async () => {
    const c = resolve({ serviceAccountDir: serviceAccount({ token: 'sa-token', ca: true }), token: 'override-tok' }, podEnv);
    assert.equal(c.source, 'in-cluster');
    assert.equal(await bearer(c), 'override-tok');
  });

  // Deliberate difference: kubectl drops in-cluster for --as and proxies to localhost:8080.
  test('--as with in-cluster keeps in-cluster and impersonates', () => {
    const c = resolve({ serviceAccountDir: serviceAccount({ token: 't', ca: true }), as: 'jane', asGroups: ['devs'] }, podEnv);
    assert.equal(c.source, 'in-cluster');
    assert.deepEqual(c.impersonate, { user: 'jane', groups: ['devs'], uid: undefined, extra: {} });
  });

  test('in-cluster honours HTTPS_PROXY and NO_PROXY', () => {
    const sa = serviceAccount({ token: 't', ca: true });
    assert.equal(resolve({ serviceAccountDir: sa }, { ...podEnv, HTTPS_PROXY: 'http://proxy:3128' }).proxyUrl, 'http://proxy:3128');
    assert.equal(resolve({ serviceAccountDir: sa }, { ...podEnv, HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: '10.96.0.0/12' }).proxyUrl, undefined);
  });

  test('nothing configured is a ConfigError (kubectl would fall back to http://localhost:8080)', () => {
    assert.throws(() => resolve({ serviceAccountDir: serviceAccount() }, {}), (err: unknown) =>
      err instanceof ConfigError && /no cluster configured/.test(err.message));
  });

  test('KUBERNETES_SERVICE_HOST without _PORT is not in-cluster: still an error', () => {
    assert.throws(() => resolve({ serviceAccountDir: serviceAccount({ token: 't' }) }, { KUBERNETES_SERVICE_HOST: '10.96.0.1' }), ConfigError);
  });

  test('a kubeconfig without a usable context outside a pod is an error naming the file', () => {
    const dir = temp.make();
    const file = join(dir, 'config');
    writeFileSync(file, JSON.stringify({ clusters: [] }));
    assert.throws(() => resolve({ serviceAccountDir: serviceAccount() }, { KUBECONFIG: file }), (err: unknown) =>
      err instanceof ConfigError && err.message.includes(file) && /no current context/.test(err.message));
  });
});
