// Where our proxy spends its CPU under load: runs it with `node --cpu-prof`
// against the same nginx upstream as the benchmark, puts it under wrk, stops it
// cleanly (the profile is written on exit) and prints the top self-time
// functions and the split by module from the .cpuprofile.
//
//   node build/bench/profile.js [--scenario=small-get|large-list|gzip-list] [--target=build|bundle]
//                               [--duration=8] [--connections=N] [--top=30] [--keep=DIR]
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { repositoryRoot } from '../tools/control-plane/binaries.js';
import { createPki } from '../tools/control-plane/pki.js';
import { kubectlPath } from '../test/support/kubectl.js';
import { gzipPodListPath, podListPath, podPath } from './fixtures.js';
import { runWrk } from './load.js';
import { ensureTools } from './machine.js';
import { ProcessSet } from './processes.js';
import { cpuSeconds } from './proc-stats.js';
import { proxyTargets, startProxy } from './proxies.js';
import { startNginx } from './upstream-nginx.js';

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  busyMs: number;
  functions: Array<{ name: string; where: string; module: string; selfMs: number }>;
  modules: Array<{ module: string; selfMs: number }>;
}

/** Self time per function and per module from a V8 .cpuprofile. */
export function summarizeProfile(profile: CpuProfile, root: string): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    totalUs += dt;
    self.set(id, (self.get(id) ?? 0) + dt);
  });
  const functions = new Map<string, { name: string; where: string; module: string; selfMs: number }>();
  const modules = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const module = moduleOf(functionName, url);
    const where = url ? `${shortUrl(url, root)}:${lineNumber + 1}` : '';
    const key = `${functionName}|${where}`;
    const entry = functions.get(key) ?? { name: functionName || '(anonymous)', where, module, selfMs: 0 };
    entry.selfMs += us / 1000;
    functions.set(key, entry);
    modules.set(module, (modules.get(module) ?? 0) + us / 1000);
  }
  return {
    totalMs: totalUs / 1000,
    busyMs: (totalUs - idleUs) / 1000,
    functions: [...functions.values()].sort((a, b) => b.selfMs - a.selfMs),
    modules: [...modules].map(([module, selfMs]) => ({ module, selfMs })).sort((a, b) => b.selfMs - a.selfMs),
  };
}

function moduleOf(functionName: string, url: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.includes('/node_modules/undici/')) return 'undici';
  if (url.includes('/node_modules/')) return `npm: ${/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1]}`;
  if (url.startsWith('node:')) {
    const m = /^node:(?:internal\/)?([^/]+(?:\/[^/]+)?)/.exec(url);
    return `node: ${m?.[1] ?? url}`;
  }
  if (url.includes('/build/src/')) return 'kube-ambassador';
  if (url.includes('/dist/')) return 'kube-ambassador bundle';
  return url;
}

function shortUrl(url: string, root: string): string {
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  return path.startsWith(root) ? relative(root, path) : path.replace(/^node:internal\//, 'node:');
}

export function renderProfile(s: ProfileSummary, top: number, title: string): string {
  const pct = (ms: number) => `${((ms / s.busyMs) * 100).toFixed(1)}%`;
  return [
    `### CPU profile: ${title}`,
    '',
    `${Math.round(s.busyMs)} ms of CPU sampled (${Math.round(s.totalMs - s.busyMs)} ms idle). Percentages are of the busy time.`,
    '',
    '| module | self time | share |',
    '|---|--:|--:|',
    ...s.modules.slice(0, 15).map((m) => `| ${m.module} | ${Math.round(m.selfMs)} ms | ${pct(m.selfMs)} |`),
    '',
    `| # | function (self time) | where | self | share |`,
    '|--:|---|---|--:|--:|',
    ...s.functions.slice(0, top).map((f, i) => `| ${i + 1} | \`${f.name}\` | ${f.where || f.module} | ${Math.round(f.selfMs)} ms | ${pct(f.selfMs)} |`),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const flags = new Map(process.argv.slice(2).map((a) => {
    const m = /^--([a-z-]+)=(.*)$/.exec(a);
    if (!m) throw new Error(`unexpected argument ${a}`);
    return [m[1]!, m[2]!] as [string, string];
  }));
  const scenario = flags.get('scenario') ?? 'small-get';
  const paths: Record<string, { path: string; connections: number }> = {
    'small-get': { path: podPath, connections: 16 },
    'large-list': { path: podListPath, connections: 4 },
    'gzip-list': { path: gzipPodListPath, connections: 4 },
  };
  const spec = paths[scenario];
  if (!spec) throw new Error(`unknown scenario ${scenario} (${Object.keys(paths).join(', ')})`);
  const targetId = flags.get('target') ?? 'build';
  if (targetId !== 'build' && targetId !== 'bundle') throw new Error('--target is build or bundle');
  const duration = Number(flags.get('duration') ?? 8);
  const connections = Number(flags.get('connections') ?? spec.connections);
  const top = Number(flags.get('top') ?? 30);
  const log = (line: string) => process.stderr.write(`profile: ${line}\n`);

  const root = repositoryRoot();
  const processes = new ProcessSet();
  const scratch = mkdtempSync(join(tmpdir(), 'kube-ambassador-profile-'));
  try {
    ensureTools(log);
    const pki = createPki(join(scratch, 'pki'));
    const token = randomBytes(24).toString('hex');
    const nginx = await startNginx(processes, { dir: join(scratch, 'nginx'), certFile: pki.servingCertFile, keyFile: pki.servingKeyFile, caPem: pki.caPem, token });
    const targets = proxyTargets({ kubectl: kubectlPath(), distDir: join(root, 'dist'), cliScript: join(root, 'build', 'src', 'cli', 'main.js'), scratch });
    const profileDir = join(scratch, 'cpuprofile');
    const proxy = await startProxy(processes, targets[targetId], { server: nginx.url, caFile: pki.caCertFile, token },
      { scratch, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] });
    log(`${targets[targetId].label} on ${proxy.url}, warming up`);
    await runWrk(processes, { url: proxy.url + spec.path, threads: 1, connections, durationSeconds: 2 });
    log(`wrk -t1 -c${connections} -d${duration}s ${spec.path}`);
    const before = cpuSeconds(proxy.pid);
    const w = await runWrk(processes, { url: proxy.url + spec.path, threads: 1, connections, durationSeconds: duration });
    const used = cpuSeconds(proxy.pid) - before;
    await processes.stop(proxy.process, 15_000);
    const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('the proxy wrote no .cpuprofile (did it exit cleanly?)');
    const keep = flags.get('keep');
    if (keep) {
      mkdirSync(keep, { recursive: true });
      copyFileSync(join(profileDir, file), join(keep, `${scenario}-${targetId}.cpuprofile`));
      log(`profile kept in ${join(keep, `${scenario}-${targetId}.cpuprofile`)}`);
    }
    const summary = summarizeProfile(JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as CpuProfile, root);
    const perRequest = scenario === 'small-get' ? `${Math.round((used / w.requests) * 1e6)} µs` : `${((used / w.requests) * 1e3).toFixed(2)} ms`;
    process.stdout.write(`${w.requestsPerSecond.toFixed(0)} requests/s under the profiler, ${perRequest} CPU per request (profiling adds overhead).\n\n`);
    process.stdout.write(renderProfile(summary, top, `${targets[targetId].label}, ${scenario}, whole process life (start-up, 2 s warm-up, ${duration} s load)`));
  } finally {
    await processes.stopAll();
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`profile: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
