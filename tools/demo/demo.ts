// The demo: a throwaway control plane, a least-privilege service account, and
// kube-ambassador started exactly as the ambassador sidecar of the brief's
// curl-with-ambassador pod would be; then the brief's walkthrough through it.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane, type KubeObject, type PolicyRule } from '../control-plane/index.js';
import { CleanupStack, signalExitCode, StopRequest } from './lifecycle.js';
import { ProxyStartError, startProxy } from './proxy-process.js';
import { runWalkthrough, type WalkthroughSetup } from './walkthrough.js';

export interface DemoOptions {
  /** Where the ambassador listens on 127.0.0.1; 0 picks a free port. */
  port: number;
  /** Clean up and exit once the walkthrough is done instead of serving until a signal. */
  exitAfterWalkthrough: boolean;
  /** The walkthrough and its narration. */
  print: (line: string) => void;
  /** Diagnostics: child process ids, temp folders, the proxy's log. */
  diagnose: (line: string) => void;
}

/** A one-line failure the user can act on. */
export class DemoError extends Error {}

const namespace = 'demo';
const serviceAccount = 'ambassador';
const role = 'ambassador';
const rootPathsRole = 'demo-ambassador-root-paths';
const rules: PolicyRule[] = [{ apiGroups: [''], resources: ['configmaps', 'pods'], verbs: ['get', 'list', 'watch'] }];
const proxyHost = '127.0.0.1';

const configMaps: Record<string, Record<string, string>> = {
  'app-config': { LOG_LEVEL: 'info', GREETING: 'hello from the API server' },
  'feature-flags': { 'new-checkout': 'true', 'dark-mode': 'false' },
  welcome: { 'motd.txt': 'This ConfigMap was read through kube-ambassador.\n' },
};

export async function runDemo(options: DemoOptions): Promise<number> {
  const { print, diagnose } = options;
  const cleanup = new CleanupStack();
  const stop = new StopRequest(
    (signal) => print(`\n${signal}: stopping the proxy and the control plane (again to stop at once)`),
    (signal) => diagnose(`demo: second ${signal}, exiting without waiting`),
  );
  stop.install();
  let code = 0;
  try {
    await checkPortFree(options.port);
    code = await demo(options, stop, cleanup);
  } catch (error) {
    code = 1;
    if (stop.signal) {
      // Whatever failed, it failed because we were stopping (the harness kills its processes on a signal).
      code = signalExitCode(stop.signal);
    } else if (error instanceof DemoError) {
      diagnose(`error: ${error.message}`);
    } else {
      diagnose(`error: ${(error as Error)?.stack ?? String(error)}`);
    }
  } finally {
    if (!(await cleanup.run(diagnose))) code ||= 1;
    stop.uninstall();
  }
  if (code === 0) print('Stopped; nothing left running, temp folders removed.');
  return code;
}

async function demo(options: DemoOptions, stop: StopRequest, cleanup: CleanupStack): Promise<number> {
  const { print, diagnose } = options;
  print('kube-ambassador demo: the brief\'s walkthrough against a throwaway Kubernetes control plane.');
  print('');
  print(`▸ Starting etcd and kube-apiserver on ${proxyHost}`);
  print('  (the first run builds kube-apiserver and etcd from Go modules; this takes minutes once)');
  const started = Date.now();
  const cp = await startControlPlane();
  cleanup.defer('stop the control plane', () => cp.stop());
  diagnose(`demo: child process etcd pid=${cp.pids.etcd}`);
  diagnose(`demo: child process kube-apiserver pid=${cp.pids.kubeApiserver}`);
  diagnose(`demo: temp folder ${cp.tmpDir}`);
  stop.throwIfStopped();
  const version = (await cp.request('GET', '/version')).json?.gitVersion ?? '';
  print(`  kube-apiserver ${version} ready at ${cp.url} after ${((Date.now() - started) / 1000).toFixed(1)} s`);

  await setUpNamespace(cp, print);
  stop.throwIfStopped();

  const dir = mkdtempSync(join(tmpdir(), 'kube-ambassador-demo-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  cleanup.defer('remove the demo temp folder', removeDir, removeDir);
  diagnose(`demo: temp folder ${dir}`);
  const token = await cp.mintToken(namespace, serviceAccount);
  const folder = cp.writeServiceAccountFolder(join(dir, 'serviceaccount'), { token, namespace });
  print(`▸ TokenRequest for ${namespace}/${serviceAccount}: token, ca.crt and namespace written to`);
  print(`  ${folder.dir}  (what the kubelet mounts at /var/run/secrets/kubernetes.io/serviceaccount)`);

  // The sidecar's view: no kubeconfig, an empty HOME, only the pod's environment and mounted folder.
  const home = join(dir, 'home');
  mkdirSync(home);
  const env: NodeJS.ProcessEnv = { ...process.env, ...folder.env, HOME: home };
  delete env.KUBECONFIG;
  delete env.KUBE_AMBASSADOR_SERVICE_ACCOUNT_DIR;
  const args = [`--port=${options.port}`, `--service-account-dir=${folder.dir}`];
  print('▸ Starting the ambassador as the sidecar container would:');
  print(`  $ KUBERNETES_SERVICE_HOST=${folder.env.KUBERNETES_SERVICE_HOST} KUBERNETES_SERVICE_PORT=${folder.env.KUBERNETES_SERVICE_PORT} \\`);
  print(`    kube-ambassador proxy ${args.join(' ')}`);
  // Not raced against a stop signal: it takes a second, and once started it must be stopped.
  const proxy = await startProxy({ args, env, onLog: (line) => diagnose(`[proxy] ${line}`) }).catch((error) => {
    throw error instanceof ProxyStartError ? new DemoError(proxyStartProblem(error, options.port)) : error;
  });
  cleanup.defer('stop the proxy', async () => {
    const { code, signal } = await proxy.stop();
    if (code !== 0) throw new Error(`kube-ambassador proxy exited with ${code ?? signal}`);
  }, proxy.killSync);
  diagnose(`demo: child process kube-ambassador-proxy pid=${proxy.pid}`);
  print(`  Starting to serve on ${proxy.address}`);
  stop.throwIfStopped();

  const hostPort = `localhost:${proxy.port}`;
  print('');
  print(`From the main container, which shares the pod's network with the ambassador, as in the brief:`);
  const setup: WalkthroughSetup = { namespace, serviceAccount, role, configMaps: Object.keys(configMaps) };
  const result = await stop.race(runWalkthrough(`http://${proxyHost}:${proxy.port}`, hostPort, setup, print));
  print('');
  if (result.surprises.length > 0) {
    diagnose(`demo: unexpected answers: ${result.surprises.join('; ')}`);
  }
  const code = result.surprises.length > 0 ? 1 : 0;
  const identity = result.identity ?? `system:serviceaccount:${namespace}:${serviceAccount}`;
  if (options.exitAfterWalkthrough) {
    print(`Walkthrough done (--exit-after-walkthrough): stopping.`);
    return code;
  }
  print(`kube-ambassador is serving on http://${proxy.address} as ${identity} — ` +
    `try: curl ${hostPort}/api/v1/namespaces/${namespace}/pods — Ctrl-C to stop`);
  const ended = await Promise.race([stop.stopped.then(() => undefined), proxy.exited]);
  if (ended) {
    diagnose(`error: kube-ambassador proxy exited (${ended.code ?? ended.signal}) while serving`);
    return 1;
  }
  return code;
}

/** Namespace, least-privilege ServiceAccount and Role, and a few objects to look at. */
async function setUpNamespace(cp: ControlPlane, print: (line: string) => void): Promise<void> {
  await cp.createNamespace(namespace);
  await cp.createServiceAccount(namespace, serviceAccount);
  print(`▸ Namespace ${namespace}, ServiceAccount ${namespace}/${serviceAccount}`);
  await cp.createRole(namespace, role, rules);
  await cp.bindRole(namespace, role, namespace, serviceAccount);
  print(`▸ Role ${namespace}/${role}: get, list, watch on configmaps and pods in ${namespace}, nothing else`);
  print('  (the brief bound cluster-admin to every service account; the ambassador needs only what its app reads)');
  // The path list at "/" is not part of system:discovery (which has /api and /apis); the brief saw it as cluster-admin.
  await cp.createClusterRole(rootPathsRole, [{ nonResourceURLs: ['/'], verbs: ['get'] }]);
  await cp.bindClusterRole(rootPathsRole, namespace, serviceAccount);
  print(`▸ ClusterRole ${rootPathsRole}: get on the URL / (the API path list); system:discovery covers /api and /apis, not /`);
  for (const [name, data] of Object.entries(configMaps)) {
    await apply(cp, 'configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data });
  }
  print(`▸ ConfigMaps ${Object.keys(configMaps).map((name) => `${namespace}/${name}`).join(', ')}`);
  await apply(cp, 'secrets', {
    apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-credentials', namespace },
    stringData: { password: 'not-for-the-ambassador' },
  });
  print(`▸ Secret ${namespace}/db-credentials, which the ambassador must not read`);
  await apply(cp, 'pods', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'curl-with-ambassador', namespace },
    spec: {
      serviceAccountName: serviceAccount,
      containers: [
        { name: 'main', image: 'curlimages/curl', command: ['sleep', '999999'] },
        { name: 'ambassador', image: 'kube-ambassador', args: ['proxy'] },
      ],
    },
  });
  print(`▸ Pod ${namespace}/curl-with-ambassador, as in the brief; no node runs it here (it stays Pending),`);
  print('  so this demo plays both its containers: the ambassador below, then curl in the main one');
}

async function apply(cp: ControlPlane, resource: string, object: KubeObject): Promise<void> {
  const path = `/api/v1/namespaces/${object.metadata.namespace}/${resource}/${object.metadata.name}`;
  const response = await cp.request('PATCH', `${path}?fieldManager=kube-ambassador-demo&force=true`, object,
    { contentType: 'application/apply-patch+yaml' });
  if (response.status >= 300) throw new Error(`apply ${path}: HTTP ${response.status} ${response.text}`);
}

function portTaken(port: number): string {
  return `port ${port} on ${proxyHost} is already in use; pick another with --port N (--port 0 takes any free port)`;
}

/** Fails fast, before the control plane starts, when the port is taken. */
async function checkPortFree(port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new DemoError(portTaken(port)) : new DemoError(`cannot listen on ${proxyHost}:${port}: ${error.message}`)));
    server.listen(port, proxyHost, () => server.close(() => resolve()));
  });
}

function proxyStartProblem(error: ProxyStartError, port: number): string {
  if (/address already in use/.test(error.stderr)) return portTaken(port);
  const reason = error.stderr.split('\n').filter((line) => line.startsWith('error: ')).pop();
  return reason ? `${error.message}: ${reason.slice('error: '.length)}` : error.message;
}
