// A real kube-apiserver + etcd on loopback for integration tests and the demo:
// RBAC, static admin token, client certificates and real service-account tokens.
// No kube-controller-manager runs, so create service accounts yourself.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request as undiciRequest } from 'undici';
import { stringify as toYaml } from 'yaml';
import { findControlPlaneBinaries, type ControlPlaneBinaries } from './binaries.js';
import { createPki, type ControlPlanePki } from './pki.js';

export interface ControlPlaneOptions {
  /** Sets --service-account-extend-token-expiration; false (default) so expired tokens really fail. */
  extendTokenExpiration?: boolean;
  /** Skip build.sh and use these binaries. */
  binaries?: ControlPlaneBinaries;
  extraApiServerArgs?: string[];
  /** Default 90 s: a cold kube-apiserver on 2 cores needs well over 10 s. */
  startTimeoutMs?: number;
}

export interface RequestOptions {
  /** Bearer token; defaults to the admin token, null sends none (anonymous). */
  token?: string | null;
  /** Content-Type of the body; defaults to application/json. */
  contentType?: string;
  headers?: Record<string, string>;
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  json: T;
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; uid?: string; [field: string]: unknown };
  [field: string]: any;
}

export interface MintTokenOptions {
  /** TokenRequest lifetime; the API server refuses less than 600. Default 3600. */
  expirationSeconds?: number;
  /** Binds the token to a Secret of this name (created if missing): deleting it revokes the token. */
  boundSecret?: string;
  audiences?: string[];
}

export interface ServiceAccountFolder {
  dir: string;
  env: { KUBERNETES_SERVICE_HOST: string; KUBERNETES_SERVICE_PORT: string };
}

export type Request = <T = any>(method: string, path: string, body?: unknown, options?: RequestOptions) =>
  Promise<ApiResponse<T>>;

/** Admin-side object helpers; each applies server-side, so calling twice is fine and updates rules. */
export interface ClusterAdmin {
  createNamespace(name: string): Promise<KubeObject>;
  createServiceAccount(namespace: string, name: string): Promise<KubeObject>;
  createRole(namespace: string, name: string, rules: PolicyRule[]): Promise<KubeObject>;
  createClusterRole(name: string, rules: PolicyRule[]): Promise<KubeObject>;
  /** The binding is named `<role>:<saNamespace>:<saName>`. */
  bindRole(namespace: string, roleName: string, saNamespace: string, saName: string): Promise<KubeObject>;
  bindClusterRole(clusterRoleName: string, saNamespace: string, saName: string): Promise<KubeObject>;
  /** Namespace, ServiceAccount, Role and RoleBinding, all named after the service account. */
  serviceAccountWithRole(namespace: string, name: string, rules: PolicyRule[]): Promise<KubeObject>;
  /** A real service-account token from the TokenRequest API. */
  mintToken(namespace: string, serviceAccount: string, options?: MintTokenOptions): Promise<string>;
}

export interface ControlPlane extends ClusterAdmin {
  url: string;
  host: string;
  port: number;
  caFile: string;
  caPem: string;
  adminToken: string;
  /** Contexts `admin` (token, current) and `admin-cert` (client certificate). */
  adminKubeconfig: string;
  adminClientCertFile: string;
  adminClientKeyFile: string;
  tmpDir: string;
  pids: { etcd: number; kubeApiserver: number };
  /** HTTPS to the API server, verified with the test CA, as admin unless options.token says otherwise. */
  request: Request;
  /** The files a pod finds in /var/run/secrets/kubernetes.io/serviceaccount/. */
  writeServiceAccountFolder(dir: string, files: { token: string; namespace?: string }): ServiceAccountFolder;
  /** Stops kube-apiserver, then etcd, and removes tmpDir. Safe to call more than once. */
  stop(): Promise<void>;
}

const host = '127.0.0.1';
const tmpPrefix = 'kube-ambassador-cp-';
const fieldManager = 'kube-ambassador-tests';

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const binaries = options.binaries ?? (await findControlPlaneBinaries());
  removeAbandonedRuns();
  const run: Run = { tmpDir: mkdtempSync(join(tmpdir(), tmpPrefix)), processes: [] };
  writeFileSync(join(run.tmpDir, 'owner.pid'), String(process.pid));
  watchForExit(run);
  try {
    return await boot(run, binaries, options);
  } catch (error) {
    const logs = run.processes.map((p) => logTail(p)).join('\n');
    await shutDown(run);
    throw new Error(`control plane did not start: ${(error as Error).message}\n${logs}`, { cause: error });
  }
}

async function boot(run: Run, binaries: ControlPlaneBinaries, options: ControlPlaneOptions): Promise<ControlPlane> {
  const deadline = Date.now() + (options.startTimeoutMs ?? 90_000);
  const { tmpDir } = run;
  const pki = createPki(join(tmpDir, 'pki'));
  const [etcdPort, peerPort, port] = (await freePorts(3)) as [number, number, number];
  const url = `https://${host}:${port}`;
  const adminToken = randomBytes(24).toString('hex');
  const tokensFile = join(tmpDir, 'tokens.csv');
  writeFileSync(tokensFile, `${adminToken},admin,admin,"system:masters"\n`, { mode: 0o600 });

  const etcdUrl = `http://${host}:${etcdPort}`;
  const peerUrl = `http://${host}:${peerPort}`;
  const etcd = launch(run, 'etcd', binaries.etcd, etcdArgs(join(tmpDir, 'etcd'), etcdUrl, peerUrl));
  const agent = (run.agent = new Agent({ connect: { ca: pki.caPem } }));
  const get = async (target: string, token?: string) => {
    const headers = token ? { authorization: `Bearer ${token}` } : {};
    const response = await undiciRequest(target, { dispatcher: agent, headers, headersTimeout: 5_000 });
    return { status: response.statusCode, text: await response.body.text() };
  };
  await waitUntil('etcd /health', run, deadline, async () => (await get(`${etcdUrl}/health`)).status === 200);

  const extendTokenExpiration = options.extendTokenExpiration ?? false;
  const apiServer = launch(run, 'kube-apiserver', binaries.kubeApiserver, [
    ...apiServerArgs({ tmpDir, etcdUrl, port, tokensFile, pki, extendTokenExpiration }),
    ...(options.extraApiServerArgs ?? []),
  ]);
  await waitUntil('/readyz', run, deadline, async () => {
    const readyz = await get(`${url}/readyz`);
    return readyz.status === 200 && readyz.text === 'ok';
  });
  await waitUntil('/api/v1/namespaces/default', run, deadline, async () =>
    (await get(`${url}/api/v1/namespaces/default`, adminToken)).status === 200);

  const adminKubeconfig = join(tmpDir, 'admin.kubeconfig');
  writeFileSync(adminKubeconfig, kubeconfig(url, pki.caCertFile, adminToken, pki));

  const request = requester(url, agent, adminToken);
  let stopping: Promise<void> | undefined;

  return {
    url,
    host,
    port,
    caFile: pki.caCertFile,
    caPem: pki.caPem,
    adminToken,
    adminKubeconfig,
    adminClientCertFile: pki.adminClientCertFile,
    adminClientKeyFile: pki.adminClientKeyFile,
    tmpDir,
    pids: { etcd: etcd.child.pid!, kubeApiserver: apiServer.child.pid! },
    request,
    ...clusterAdmin(request),
    writeServiceAccountFolder(dir, { token, namespace = 'default' }) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'token'), token, { mode: 0o600 });
      writeFileSync(join(dir, 'ca.crt'), pki.caPem);
      writeFileSync(join(dir, 'namespace'), namespace);
      return { dir, env: { KUBERNETES_SERVICE_HOST: host, KUBERNETES_SERVICE_PORT: String(port) } };
    },
    stop: () => (stopping ??= shutDown(run)),
  };
}

function etcdArgs(dataDir: string, clientUrl: string, peerUrl: string): string[] {
  return [
    '--name=test',
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=test=${peerUrl}`,
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ];
}

interface ApiServerSetup {
  tmpDir: string;
  etcdUrl: string;
  port: number;
  tokensFile: string;
  pki: ControlPlanePki;
  extendTokenExpiration: boolean;
}

function apiServerArgs({ tmpDir, etcdUrl, port, tokensFile, pki, extendTokenExpiration }: ApiServerSetup): string[] {
  return [
    `--etcd-servers=${etcdUrl}`,
    `--bind-address=${host}`,
    `--advertise-address=${host}`,
    `--secure-port=${port}`,
    // A loopback address cannot go into the `kubernetes` Endpoints.
    '--endpoint-reconciler-type=none',
    `--cert-dir=${join(tmpDir, 'apiserver')}`,
    `--tls-cert-file=${pki.servingCertFile}`,
    `--tls-private-key-file=${pki.servingKeyFile}`,
    `--client-ca-file=${pki.caCertFile}`,
    `--token-auth-file=${tokensFile}`,
    '--authorization-mode=RBAC',
    `--service-account-issuer=https://${host}:${port}`,
    `--service-account-signing-key-file=${pki.serviceAccountKeyFile}`,
    `--service-account-key-file=${pki.serviceAccountPublicKeyFile}`,
    `--service-account-extend-token-expiration=${extendTokenExpiration}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    // Without kube-controller-manager no `default` ServiceAccount appears to satisfy it.
    '--disable-admission-plugins=ServiceAccount',
    '--allow-privileged=true',
  ];
}

function requester(url: string, agent: Agent, adminToken: string): Request {
  return async (method, path, body, options = {}) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = options.token === undefined ? adminToken : options.token;
    if (token) headers['authorization'] = `Bearer ${token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    Object.assign(headers, options.headers);
    const response = await undiciRequest(url + path, { method, headers, body: payload, dispatcher: agent });
    const text = await response.body.text();
    return { status: response.statusCode, headers: response.headers, text, json: parseJson(text) as any };
  };
}

/** Server-side apply throughout: no 409s, and a second call updates the object. */
function clusterAdmin(request: Request): ClusterAdmin {
  const apply = async (path: string, object: KubeObject): Promise<KubeObject> => {
    const query = `?fieldManager=${fieldManager}&force=true`;
    const response = await request('PATCH', path + query, object, { contentType: 'application/apply-patch+yaml' });
    return expectSuccess(response, `apply ${path}`);
  };
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  const rbacObject = (kind: string, name: string, namespace?: string) =>
    ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name, namespace } });
  const subjects = (namespace: string, name: string) => [{ kind: 'ServiceAccount', namespace, name }];

  const admin: ClusterAdmin = {
    createNamespace: (name) =>
      apply(`/api/v1/namespaces/${name}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
    createServiceAccount: (namespace, name) =>
      apply(`/api/v1/namespaces/${namespace}/serviceaccounts/${name}`,
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } }),
    createRole: (namespace, name, rules) =>
      apply(`${rbac}/namespaces/${namespace}/roles/${name}`, { ...rbacObject('Role', name, namespace), rules }),
    createClusterRole: (name, rules) =>
      apply(`${rbac}/clusterroles/${name}`, { ...rbacObject('ClusterRole', name), rules }),
    bindRole: (namespace, roleName, saNamespace, saName) => {
      const name = `${roleName}:${saNamespace}:${saName}`;
      return apply(`${rbac}/namespaces/${namespace}/rolebindings/${name}`, {
        ...rbacObject('RoleBinding', name, namespace),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
        subjects: subjects(saNamespace, saName),
      });
    },
    bindClusterRole: (clusterRoleName, saNamespace, saName) => {
      const name = `${clusterRoleName}:${saNamespace}:${saName}`;
      return apply(`${rbac}/clusterrolebindings/${name}`, {
        ...rbacObject('ClusterRoleBinding', name),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRoleName },
        subjects: subjects(saNamespace, saName),
      });
    },
    async serviceAccountWithRole(namespace, name, rules) {
      await admin.createNamespace(namespace);
      const serviceAccount = await admin.createServiceAccount(namespace, name);
      await admin.createRole(namespace, name, rules);
      await admin.bindRole(namespace, name, namespace, name);
      return serviceAccount;
    },
    async mintToken(namespace, serviceAccount, { expirationSeconds = 3600, boundSecret, audiences } = {}) {
      const spec: Record<string, unknown> = { expirationSeconds, audiences };
      if (boundSecret) {
        const secret = await apply(`/api/v1/namespaces/${namespace}/secrets/${boundSecret}`,
          { apiVersion: 'v1', kind: 'Secret', metadata: { name: boundSecret, namespace }, type: 'Opaque' });
        spec['boundObjectRef'] = { apiVersion: 'v1', kind: 'Secret', name: boundSecret, uid: secret.metadata.uid };
      }
      const response = await request('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`,
        { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec });
      return expectSuccess(response, `TokenRequest for ${namespace}/${serviceAccount}`).status.token as string;
    },
  };
  return admin;
}

function expectSuccess(response: ApiResponse, what: string): KubeObject {
  if (response.status >= 200 && response.status < 300) return response.json;
  throw new Error(`${what}: HTTP ${response.status} ${response.text}`);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function kubeconfig(server: string, caFile: string, token: string, pki: ControlPlanePki): string {
  const cluster = 'kube-ambassador-test';
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server, 'certificate-authority': caFile } }],
    users: [
      { name: 'admin', user: { token } },
      { name: 'admin-cert', user: { 'client-certificate': pki.adminClientCertFile, 'client-key': pki.adminClientKeyFile } },
    ],
    contexts: [
      { name: 'admin', context: { cluster, user: 'admin', namespace: 'default' } },
      { name: 'admin-cert', context: { cluster, user: 'admin-cert', namespace: 'default' } },
    ],
    'current-context': 'admin',
  });
}

// ---- processes ----

interface Run {
  tmpDir: string;
  processes: Launched[];
  agent?: Agent;
}

interface Launched {
  name: string;
  child: ChildProcess;
  logFile: string;
  spawnError?: Error;
}

// setpriv asks the kernel to kill the child when we die, even by SIGKILL, when no exit hook runs.
const setpriv = '/usr/bin/setpriv';

function launch(run: Run, name: string, binary: string, args: string[]): Launched {
  const logFile = join(run.tmpDir, `${name}.log`);
  const log = openSync(logFile, 'a');
  try {
    const [command, argv] = existsSync(setpriv)
      ? [setpriv, ['--pdeathsig', 'KILL', '--', binary, ...args]]
      : [binary, args];
    const launched: Launched = { name, logFile, child: spawn(command, argv, { stdio: ['ignore', log, log] }) };
    launched.child.on('error', (error) => (launched.spawnError = error));
    run.processes.push(launched);
    return launched;
  } finally {
    closeSync(log);
  }
}

function hasExited({ child }: Launched): boolean {
  return child.exitCode !== null || child.signalCode !== null || child.pid === undefined;
}

async function waitUntil(what: string, run: Run, deadline: number, ready: () => Promise<boolean>): Promise<void> {
  for (;;) {
    for (const launched of run.processes) {
      if (launched.spawnError) throw new Error(`${launched.name}: ${launched.spawnError.message}`);
      const { exitCode, signalCode } = launched.child;
      if (hasExited(launched)) throw new Error(`${launched.name} exited (${exitCode ?? signalCode}) before ${what} was ready`);
    }
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

async function terminate(launched: Launched): Promise<void> {
  if (hasExited(launched)) return;
  const exited = new Promise((resolve) => launched.child.once('exit', resolve));
  launched.child.kill('SIGTERM');
  const escalation = setTimeout(() => launched.child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(escalation);
}

async function shutDown(run: Run): Promise<void> {
  // kube-apiserver first: it would otherwise log etcd errors while it drains.
  for (const launched of [...run.processes].reverse()) await terminate(launched);
  await run.agent?.destroy();
  rmSync(run.tmpDir, { recursive: true, force: true, maxRetries: 3 });
  liveRuns.delete(run);
}

function logTail({ name, logFile }: Launched, lines = 40): string {
  const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
  return `--- last ${lines} lines of ${name} log ---\n${text.trimEnd().split('\n').slice(-lines).join('\n')}`;
}

async function freePorts(count: number): Promise<number[]> {
  // All listen at once so the kernel cannot hand out the same port twice.
  const servers = await Promise.all(Array.from({ length: count }, () =>
    new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const server = createServer().once('error', reject);
      server.listen(0, host, () => resolve(server));
    })));
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

// ---- cleanup when a test run ends without calling stop() ----

const liveRuns = new Set<Run>();
let exitHooked = false;

function watchForExit(run: Run): void {
  liveRuns.add(run);
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
}

function killAllSync(): void {
  for (const run of liveRuns) {
    for (const launched of run.processes) if (!hasExited(launched)) launched.child.kill('SIGKILL');
    rmSync(run.tmpDir, { recursive: true, force: true, maxRetries: 3 });
  }
  liveRuns.clear();
}

/** Temp dirs of runs whose process was SIGKILLed: no hook ran, but setpriv took their children down. */
function removeAbandonedRuns(): void {
  for (const name of readdirSync(tmpdir()).filter((entry) => entry.startsWith(tmpPrefix))) {
    const dir = join(tmpdir(), name);
    const owner = Number(readFileOrEmpty(join(dir, 'owner.pid')));
    if (owner > 0 && !isAlive(owner)) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

function readFileOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function onSignal(signal: NodeJS.Signals): void {
  killAllSync();
  // If nobody else handles the signal, die of it as if we had never listened.
  if (process.listenerCount(signal) === 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}
