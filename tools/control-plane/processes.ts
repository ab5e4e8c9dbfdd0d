// The control plane's processes: a run's temp folder, spawning etcd and
// kube-apiserver tied to our life, waiting for them, stopping them, and the
// exit hooks that clean up when a test run ends without calling stop().
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Agent } from 'undici';

/** One control plane's temp folder and the processes it launched, oldest first. */
export interface Run {
  tmpDir: string;
  processes: Launched[];
  /** The HTTPS agent to close on shutdown. */
  agent?: Agent;
}

export interface Launched {
  name: string;
  child: ChildProcess;
  logFile: string;
  spawnError?: Error;
}

const tmpPrefix = 'kube-ambassador-cp-';

/** A fresh temp folder owned by this process, cleaned up on exit even if stop() is never called. */
export function newRun(): Run {
  removeAbandonedRuns();
  const run: Run = { tmpDir: mkdtempSync(join(tmpdir(), tmpPrefix)), processes: [] };
  writeFileSync(join(run.tmpDir, 'owner.pid'), String(process.pid));
  watchForExit(run);
  return run;
}

// setpriv asks the kernel to kill the child when we die, even by SIGKILL, when no exit hook runs.
const setpriv = '/usr/bin/setpriv';

/** Starts binary with its stdout and stderr appended to <tmpDir>/<name>.log. */
export function launch(run: Run, name: string, binary: string, args: string[]): Launched {
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

/** Polls ready() until it says yes; fails early when any process of the run has died. */
export async function waitUntil(what: string, run: Run, deadline: number, ready: () => Promise<boolean>): Promise<void> {
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

/** Stops the processes newest first, closes the agent and removes the temp folder. */
export async function shutDown(run: Run): Promise<void> {
  // kube-apiserver first: it would otherwise log etcd errors while it drains.
  for (const launched of [...run.processes].reverse()) await terminate(launched);
  await run.agent?.destroy();
  rmSync(run.tmpDir, { recursive: true, force: true, maxRetries: 3 });
  liveRuns.delete(run);
}

export function logTail({ name, logFile }: Launched, lines = 40): string {
  const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
  return `--- last ${lines} lines of ${name} log ---\n${text.trimEnd().split('\n').slice(-lines).join('\n')}`;
}

export async function freePorts(host: string, count: number): Promise<number[]> {
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
