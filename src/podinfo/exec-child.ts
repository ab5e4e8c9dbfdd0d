// --exec: Node cannot exec(2) in place, so the command runs as a child with
// this process's stdin, stdout and stderr; SIGTERM, SIGINT, SIGHUP, SIGQUIT
// and SIGUSR2 sent to us are passed on to it, and we exit with its exit code,
// or 128 + the signal's number when a signal ended it (as a shell reports it).
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { PodInfoError } from './errors.js';

export const forwardedSignals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'];

/** Runs command with env until it ends; resolves with the exit code this process should end with. */
export function runChild(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => { child.kill(signal); };
    for (const signal of forwardedSignals) process.on(signal, forward);
    const done = () => { for (const signal of forwardedSignals) process.off(signal, forward); };
    child.once('error', (err: NodeJS.ErrnoException) => {
      done();
      reject(new PodInfoError(err.code === 'ENOENT' ? `--exec: ${command}: command not found` : `--exec: ${command}: ${err.message}`));
    });
    child.once('exit', (code, signal) => {
      done();
      resolve(code ?? 128 + (signal ? constants.signals[signal] ?? 0 : 0));
    });
  });
}
