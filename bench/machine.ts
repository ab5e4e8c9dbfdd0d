// The tools the benchmark needs (installed with apt-get when missing and we
// are root, saying so), and the facts about the machine a report must carry.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { loadAverage } from './proc-stats.js';

type Log = (line: string) => void;

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** nginx and wrk, from Debian packages when missing. */
export function ensureTools(log: Log): void {
  const missing: Array<{ command: string; packages: string[] }> = [];
  if (!hasCommand('nginx') && !existsAt('/usr/sbin/nginx')) missing.push({ command: 'nginx', packages: ['nginx-light', 'nginx'] });
  if (!hasCommand('wrk')) missing.push({ command: 'wrk', packages: ['wrk'] });
  if (!hasCommand('openssl')) missing.push({ command: 'openssl', packages: ['openssl'] });
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0 || !hasCommand('apt-get')) {
    throw new Error(`missing ${missing.map((m) => m.command).join(', ')}: install ${missing.map((m) => m.packages[0]).join(' ')} (apt-get install -y ...) and run again`);
  }
  const apt = (args: string[]) => {
    log(`bench: apt-get ${args.join(' ')}`);
    return spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
  };
  apt(['update']);
  for (const { command, packages } of missing) {
    if (!packages.some((p) => apt(['install', '-y', '--no-install-recommends', p]))) throw new Error(`could not install ${command} with apt-get`);
  }
  // Debian starts the packaged nginx service on install where it can; the benchmark runs its own.
}

function existsAt(path: string): boolean {
  try {
    readFileSync(path);
    return true;
  } catch {
    return false;
  }
}

export interface MachineInfo {
  date: string;
  nproc: number;
  cpuModel: string;
  memoryGb: string;
  os: string;
  kernel: string;
  node: string;
  kubectl: string;
  nginx: string;
  wrk: string;
  undici: string;
  commit: string;
  loadAtStart: string;
}

export function machineInfo(options: { kubectl: string; root: string }): MachineInfo {
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  };
  let kubectl = 'unknown';
  try {
    const v = JSON.parse(execFileSync(options.kubectl, ['version', '--client', '-o', 'json'], { encoding: 'utf8' })) as { clientVersion?: { gitVersion?: string; goVersion?: string } };
    kubectl = `${v.clientVersion?.gitVersion ?? '?'} (${v.clientVersion?.goVersion ?? '?'})`;
  } catch { /* reported as unknown */ }
  const osRelease = (() => {
    try {
      return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'Linux';
    } catch {
      return 'Linux';
    }
  })();
  const dirty = run('git', ['-C', options.root, 'status', '--porcelain', '--untracked-files=no']) ? ' (with uncommitted changes)' : '';
  let undici = 'unknown';
  try {
    undici = (JSON.parse(readFileSync(join(options.root, 'node_modules', 'undici', 'package.json'), 'utf8')) as { version: string }).version;
  } catch { /* unknown */ }
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: (totalmem() / 1024 ** 3).toFixed(1),
    os: osRelease,
    kernel: release(),
    node: process.version,
    kubectl,
    nginx: run('nginx', ['-v']).replace(/^nginx version: nginx\//, ''),
    wrk: run('wrk', ['-v']).split('\n')[0]?.replace(/ \[.*$/, '') ?? 'unknown',
    undici,
    commit: `${run('git', ['-C', options.root, 'rev-parse', '--short', 'HEAD'])}${dirty}`,
    loadAtStart: loadAverage(),
  };
}
