// Runs a proxy as a real process — ours (the built CLI) or kubectl's — and
// waits for its "Starting to serve on ..." line.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repositoryRoot } from '../../tools/control-plane/binaries.js';

export interface RunningProxy {
  child: ChildProcess;
  /** What followed "Starting to serve on ". */
  address: string;
  port: number;
  url: string;
  stdout(): string;
  stderr(): string;
  /** Sends the signal and resolves with how the process ended. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

// Proxies still running when the test process ends (a failed assertion
// skipped its stop()) must not outlive it.
const running = new Set<ChildProcess>();
process.once('exit', () => { for (const child of running) child.kill('SIGKILL'); });

export const cliPath = () => join(repositoryRoot(), 'build', 'src', 'cli', 'main.js');

export interface StartOptions {
  /** Extra environment; KUBECONFIG is unset and HOME is an empty folder unless given here. */
  env?: NodeJS.ProcessEnv;
  /** Run this executable (e.g. kubectl) instead of our CLI; args then start with "proxy". */
  executable?: string;
  timeoutMs?: number;
}

/** Starts `kube-ambassador <args>` (normally args[0] is "proxy") and waits until it serves. */
export async function startProxy(args: string[], options: StartOptions = {}): Promise<RunningProxy> {
  const home = mkdtempSync(join(tmpdir(), 'kube-ambassador-home-'));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, ...options.env };
  if (!options.env || !('KUBECONFIG' in options.env)) delete env.KUBECONFIG;
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  delete env.KUBERNETES_SERVICE_HOST;
  delete env.KUBERNETES_SERVICE_PORT;
  if (options.env?.KUBERNETES_SERVICE_HOST) env.KUBERNETES_SERVICE_HOST = options.env.KUBERNETES_SERVICE_HOST;
  if (options.env?.KUBERNETES_SERVICE_PORT) env.KUBERNETES_SERVICE_PORT = options.env.KUBERNETES_SERVICE_PORT;

  const child = options.executable
    ? spawn(options.executable, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, [cliPath(), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => { rmSync(home, { recursive: true, force: true }); resolve({ code, signal }); }));

  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`proxy did not start in time\nstdout: ${out}\nstderr: ${err}`)), options.timeoutMs ?? 15_000);
    const check = () => {
      const m = /Starting to serve on (.+)\n/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    };
    child.stdout!.on('data', check);
    void exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`proxy exited with ${code} before serving\nstdout: ${out}\nstderr: ${err}`)); });
  });
  const port = Number(/:(\d+)$/.exec(address)?.[1] ?? 0);
  return {
    child, address, port, url: `http://127.0.0.1:${port}`,
    stdout: () => out, stderr: () => err,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs the CLI to completion (for commands that exit, and for start-up errors). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const home = mkdtempSync(join(tmpdir(), 'kube-ambassador-home-'));
  const fullEnv: NodeJS.ProcessEnv = { ...process.env, HOME: home, ...env };
  if (!('KUBECONFIG' in env)) delete fullEnv.KUBECONFIG;
  if (!('KUBERNETES_SERVICE_HOST' in env)) delete fullEnv.KUBERNETES_SERVICE_HOST;
  for (const [k, v] of Object.entries(fullEnv)) if (v === undefined) delete fullEnv[k];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath(), ...args], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      rmSync(home, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    });
  });
}
