// `kube-ambassador proxy` as a child process: started from the built CLI in a
// process group of its own (so a terminal's Ctrl-C reaches it only through us,
// once), tied to our life with setpriv where available, and ready once it
// prints kubectl's "Starting to serve on ..." line.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** build/src/cli/main.js, next to this file's build/tools/demo/. */
export const cliPath = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

// As tools/control-plane: the kernel kills the child if we die, even by SIGKILL.
const setpriv = '/usr/bin/setpriv';

/** Spawns `node <cli> <args>` in its own process group, killed with us. */
export function spawnCli(args: string[], options: SpawnOptions): ChildProcess {
  const node = [process.execPath, cliPath, ...args];
  const [command, ...argv] = existsSync(setpriv) ? [setpriv, '--pdeathsig', 'KILL', '--', ...node] : node;
  return spawn(command!, argv, { ...options, detached: true });
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ProxyProcess {
  pid: number;
  /** As printed: "127.0.0.1:8001". */
  address: string;
  port: number;
  exited: Promise<ExitStatus>;
  /** SIGTERM, then SIGKILL after graceMs; resolves with how it ended. */
  stop(graceMs?: number): Promise<ExitStatus>;
  killSync(): void;
}

export class ProxyStartError extends Error {
  constructor(message: string, readonly stderr: string) {
    super(message);
  }
}

export interface StartProxyOptions {
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Each line the proxy writes to stderr (its log), and to stdout after the startup line. */
  onLog: (line: string) => void;
  timeoutMs?: number;
}

export async function startProxy({ args, env, onLog, timeoutMs = 30_000 }: StartProxyOptions): Promise<ProxyProcess> {
  const child = spawnCli(['proxy', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<ExitStatus>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', reject));
  let stderr = '';
  eachLine(child.stderr!, (line) => {
    stderr += line + '\n';
    onLog(line);
  });
  let ready = false;
  const address = new Promise<string>((resolve) => eachLine(child.stdout!, (line) => {
    const started = /^Starting to serve on (.+)$/.exec(line);
    if (!ready && started) {
      ready = true;
      resolve(started[1]!);
    } else {
      onLog(line);
    }
  }));

  let timer: NodeJS.Timeout | undefined;
  const killSync = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  try {
    const served = await Promise.race([
      address,
      spawnFailed,
      exited.then(({ code, signal }) => {
        throw new ProxyStartError(`kube-ambassador proxy exited (${code ?? signal}) before serving`, stderr);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ProxyStartError(`kube-ambassador proxy did not start in ${timeoutMs} ms`, stderr)), timeoutMs);
      }),
    ]);
    const port = Number(/:(\d+)$/.exec(served)?.[1]);
    return {
      pid: child.pid!,
      address: served,
      port,
      exited,
      killSync,
      async stop(graceMs = 20_000) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const escalation = setTimeout(killSync, graceMs);
        try {
          return await exited;
        } finally {
          clearTimeout(escalation);
        }
      },
    };
  } catch (error) {
    killSync();
    if (child.pid !== undefined) await exited;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function eachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
    }
  });
  stream.on('end', () => {
    if (buffered) onLine(buffered);
  });
}
