// Every process the benchmark starts is registered here, so one call (or the
// exit hooks) ends them all, even when a scenario throws half-way.
import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';

// setpriv asks the kernel to kill the child when we die, even by SIGKILL, when no exit hook runs.
const setpriv = '/usr/bin/setpriv';

export interface Spawned {
  name: string;
  child: ChildProcess;
  /** The pid of the program itself (setpriv execs it, so it is the same pid). */
  pid: number;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** stdout and stderr so far (capped), when they were piped. */
  output(): string;
  /** What ends it when we cannot wait: SIGKILL, or SIGTERM for programs (nginx) whose own children must be stopped by them. */
  lastSignal: NodeJS.Signals;
}

export interface SpawnExtras {
  /**
   * The signal the kernel sends it if we die, and the one sent on exit. SIGKILL by default; nginx wants
   * SIGTERM, because a SIGKILLed master leaves its workers running.
   */
  lastSignal?: 'SIGKILL' | 'SIGTERM';
}

export class ProcessSet {
  readonly #live = new Set<Spawned>();
  #hooked = false;

  /** Spawns command tied to our life; stdout/stderr are piped and kept (last 64 KB). */
  spawn(name: string, command: string, args: string[], options: SpawnOptions = {}, extras: SpawnExtras = {}): Spawned {
    this.#hook();
    const lastSignal = extras.lastSignal ?? 'SIGKILL';
    const [file, argv] = existsSync(setpriv) ? [setpriv, ['--pdeathsig', lastSignal.slice(3), '--', command, ...args]] : [command, args];
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let out = '';
    const keep = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.length > 65_536) out = out.slice(-65_536);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', () => resolve({ code: null, signal: null }));
    });
    if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
    const spawned: Spawned = { name, child, pid: child.pid, exited, output: () => out, lastSignal };
    this.#live.add(spawned);
    void exited.then(() => this.#live.delete(spawned));
    return spawned;
  }

  /** SIGTERM, then its last signal (normally SIGKILL) after graceMs, repeated; resolves when it is gone. */
  async stop(spawned: Spawned, graceMs = 5_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.#live.has(spawned)) return;
    spawned.child.kill(signal);
    const timer = setInterval(() => spawned.child.kill(spawned.lastSignal), graceMs);
    await spawned.exited;
    clearInterval(timer);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#live].reverse().map((s) => this.stop(s, 3_000)));
  }

  /** Last resort on exit: no time to wait, so each gets its last signal. */
  killAllNow(): void {
    for (const s of this.#live) s.child.kill(s.lastSignal);
  }

  #hook(): void {
    if (this.#hooked) return;
    this.#hooked = true;
    process.once('exit', () => this.killAllNow());
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => {
        process.stderr.write(`\nbench: ${signal}, stopping every process it started\n`);
        void this.stopAll().finally(() => process.exit(130));
      });
    }
  }
}
