// The demo (npm start / npm run demo) end to end: a real control plane, the
// built proxy as an ambassador sidecar, the brief's walkthrough, and nothing
// left behind. Also: the port-taken error, and npm start with a cluster
// configured running the plain proxy.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repositoryRoot } from '../../tools/control-plane/index.js';

const demoMain = () => join(repositoryRoot(), 'build', 'tools', 'demo', 'main.js');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the demo entry point (build/tools/demo/main.js) with exactly this environment. */
interface Running {
  done: Promise<Run>;
  /** Resolves once stdout matches untilStdout. */
  ready: Promise<void>;
  stdout(): string;
  kill(signal: NodeJS.Signals): void;
}

function runDemoMain(args: string[], env: NodeJS.ProcessEnv, untilStdout?: RegExp): Running {
  const child = spawn(process.execPath, [demoMain(), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let onReady = () => {};
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (untilStdout?.test(stdout)) onReady();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<Run>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { done, ready, stdout: () => stdout, kill: (signal) => child.kill(signal) };
}

function demoTempDirs(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith('kube-ambassador-demo-'));
}

describe('demo', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;

  before(() => {
    home = mkdtempSync(join(tmpdir(), 'kube-ambassador-test-home-'));
    env = { ...process.env, HOME: home };
    delete env.KUBECONFIG;
    delete env.KUBERNETES_SERVICE_HOST;
    delete env.KUBERNETES_SERVICE_PORT;
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  test('walks through the brief as the ambassador sidecar and leaves nothing behind', { timeout: 30 * 60_000 }, async () => {
    const existing = new Set(demoTempDirs());
    const run = await runDemoMain(['--demo', '--exit-after-walkthrough', '--port', '0'], env).done;
    assert.equal(run.code, 0, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`);

    // curl localhost:PORT — the path list, abbreviated
    assert.match(run.stdout, /^\$ curl localhost:\d+$/m);
    assert.match(run.stdout, /^ {4}"\/api\/v1",$/m);
    assert.match(run.stdout, /… \d+ more \(\d+ paths in all\)/);
    // the ConfigMaps the service account may list
    assert.match(run.stdout, /^\$ curl localhost:\d+\/api\/v1\/namespaces\/demo\/configmaps$/m);
    for (const name of ['app-config', 'feature-flags', 'welcome']) assert.match(run.stdout, new RegExp(`^  ${name} `, 'm'));
    // the Secrets it may not
    assert.match(run.stdout, /^\$ curl localhost:\d+\/api\/v1\/namespaces\/demo\/secrets$/m);
    assert.match(run.stdout, /^403 Forbidden/m);
    assert.match(run.stdout, /secrets is forbidden: User "system:serviceaccount:demo:ambassador" cannot list resource "secrets"/);
    // who the proxy is
    assert.match(run.stdout, /sees the proxy as system:serviceaccount:demo:ambassador/);

    const pids = [...run.stderr.matchAll(/^demo: child process (\S+) pid=(\d+)$/gm)].map((m) => ({ name: m[1]!, pid: Number(m[2]) }));
    assert.deepEqual(pids.map((p) => p.name).sort(), ['etcd', 'kube-ambassador-proxy', 'kube-apiserver']);
    for (const { name, pid } of pids) {
      assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `${name} (pid ${pid}) still running`);
    }
    const folders = [...run.stderr.matchAll(/^demo: temp folder (\S+)$/gm)].map((m) => m[1]!);
    assert.equal(folders.length, 2, run.stderr);
    for (const folder of folders) assert.equal(existsSync(folder), false, `${folder} still exists`);
    assert.deepEqual(demoTempDirs().filter((name) => !existing.has(name)), []);
  });

  test('a taken port fails at once with one line naming --port', async () => {
    const server: Server = await new Promise((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const port = (server.address() as AddressInfo).port;
      const started = Date.now();
      const run = await runDemoMain(['--demo', '--port', String(port)], env).done;
      assert.equal(run.code, 1);
      assert.equal(run.stderr, `error: port ${port} on 127.0.0.1 is already in use; pick another with --port N (--port 0 takes any free port)\n`);
      assert.ok(Date.now() - started < 10_000, 'should fail before starting a control plane');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('with a kubeconfig and no --demo, npm start is the plain proxy, and SIGTERM ends it with 0', async () => {
    const kubeconfig = join(home, 'config');
    writeFileSync(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: c',
      'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
      'users: [{name: u, user: {token: t}}]',
      'contexts: [{name: c, context: {cluster: c, user: u}}]',
    ].join('\n'));
    const proxy = runDemoMain(['--port', '0'], { ...env, KUBECONFIG: kubeconfig }, /Starting to serve on /);
    await Promise.race([proxy.ready, proxy.done.then((run) => assert.fail(`exited early: ${JSON.stringify(run)}`))]);
    // It serves (the API server in the kubeconfig is unreachable, so the answer is an error Status).
    // The request also waits out a race in the proxy: it prints its startup line just before it
    // installs its SIGTERM handler, and a SIGTERM sent at once kills it with 143.
    const port = /Starting to serve on 127\.0\.0\.1:(\d+)/.exec(proxy.stdout())![1];
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/namespaces`);
    assert.ok(response.status >= 500, `status ${response.status}`);
    await response.arrayBuffer();
    proxy.kill('SIGTERM');
    const run = await proxy.done;
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Starting to serve on 127\.0\.0\.1:\d+\n$/);
    assert.match(run.stderr, new RegExp(`proxying to the kubeconfig ${kubeconfig}`));
  });
});
