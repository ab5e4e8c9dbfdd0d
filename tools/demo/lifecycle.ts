// Stopping and cleaning up: the first SIGINT or SIGTERM asks the demo to stop,
// a second one exits at once; clean-up steps run newest first, and each has a
// synchronous fallback for when the process exits without reaching them.
import { constants } from 'node:os';

export class Interrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
  }
}

/** Exit status of a process ended by signal, as a shell reports it. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

const stopSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export class StopRequest {
  #signal: NodeJS.Signals | undefined;
  #resolve!: (signal: NodeJS.Signals) => void;
  /** Resolves with the first stop signal. */
  readonly stopped = new Promise<NodeJS.Signals>((resolve) => (this.#resolve = resolve));
  readonly #onSignal = (signal: NodeJS.Signals) => {
    if (this.#signal) {
      this.onForce(signal);
      process.exit(signalExitCode(signal));
    }
    this.#signal = signal;
    this.onFirst(signal);
    this.#resolve(signal);
  };

  constructor(
    private readonly onFirst: (signal: NodeJS.Signals) => void,
    private readonly onForce: (signal: NodeJS.Signals) => void,
  ) {}

  get signal(): NodeJS.Signals | undefined {
    return this.#signal;
  }

  install(): void {
    for (const signal of stopSignals) process.on(signal, this.#onSignal);
  }

  uninstall(): void {
    for (const signal of stopSignals) process.off(signal, this.#onSignal);
  }

  throwIfStopped(): void {
    if (this.#signal) throw new Interrupted(this.#signal);
  }

  /** The promise's value, unless a stop signal comes first. */
  async race<T>(promise: Promise<T>): Promise<T> {
    this.throwIfStopped();
    return Promise.race([promise, this.stopped.then((signal) => { throw new Interrupted(signal); })]);
  }
}

interface CleanupStep {
  what: string;
  run: () => Promise<void> | void;
  /** Best effort when the process exits before run() could happen (process.exit, a second signal). */
  runSync?: () => void;
}

export class CleanupStack {
  readonly #steps: CleanupStep[] = [];
  readonly #onExit = () => this.runSync();

  constructor() {
    process.on('exit', this.#onExit);
  }

  defer(what: string, run: () => Promise<void> | void, runSync?: () => void): void {
    this.#steps.push({ what, run, runSync });
  }

  /** Runs every step, newest first; a failing step is reported and the rest still run. */
  async run(report: (problem: string) => void): Promise<boolean> {
    let ok = true;
    // A step leaves the stack only once done, so runSync() still covers one in progress.
    for (let step = this.#steps.at(-1); step; step = this.#steps.at(-1)) {
      try {
        await step.run();
      } catch (error) {
        ok = false;
        report(`clean-up: ${step.what} failed: ${(error as Error).message}`);
      }
      this.#steps.pop();
    }
    process.off('exit', this.#onExit);
    return ok;
  }

  runSync(): void {
    for (let step = this.#steps.pop(); step; step = this.#steps.pop()) {
      try {
        step.runSync?.();
      } catch {
        // exiting anyway
      }
    }
  }
}
