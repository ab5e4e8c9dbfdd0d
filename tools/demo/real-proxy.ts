// `npm start` with a cluster configured: the real proxy, in the foreground.
// The child has a process group of its own, so it hears each signal once,
// from us, rather than once from the terminal and once forwarded.
import { signalExitCode } from './lifecycle.js';
import { spawnCli } from './proxy-process.js';

const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export async function runRealProxy(args: string[]): Promise<number> {
  const child = spawnCli(['proxy', ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of forwarded) process.on(signal, forward);
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve(code ?? signalExitCode(signal!)));
    });
  } finally {
    for (const signal of forwarded) process.off(signal, forward);
    process.off('exit', killOnExit);
  }
}
