// Where our proxy spends its CPU under load: runs it with `node --cpu-prof`
// against the same nginx upstream as the benchmark, puts it under wrk, stops it
// cleanly (the profile is written on exit) and prints the top self-time
// functions and the split by module from the .cpuprofile. open-watches opens
// --watches watches through it to the benchmark's watch upstream instead.
//
// With --heap: no CPU profile; the proxy runs with --heapsnapshot-signal=SIGUSR2,
// one heap snapshot is taken idle and one half-way through the load (or with
// the watches open), and the top constructors by self size are printed with
// their growth.
//
//   node build/bench/profile.js [--scenario=small-get|large-list|gzip-list|open-watches] [--target=build|bundle]
//                               [--heap] [--duration=8] [--connections=N] [--watches=1000] [--top=30] [--keep=DIR]
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { repositoryRoot } from '../tools/control-plane/binaries.js';
import { createPki } from '../tools/control-plane/pki.js';
import { kubectlPath } from '../test/support/kubectl.js';
import { gzipPodListPath, podListPath, podPath, watchPath } from './fixtures.js';
import { renderHeapComparison, summarizeHeapSnapshot } from './heap-snapshot.js';
import { runWrk } from './load.js';
import { ensureTools } from './machine.js';
import { get } from './net.js';
import { ProcessSet } from './processes.js';
import { cpuSeconds, rssBytes } from './proc-stats.js';
import { proxyTargets, type RunningProxy, startProxy } from './proxies.js';
import { fmt } from './report.js';
import { startNginx } from './upstream-nginx.js';
import { openManyWatches } from './watch-latency.js';
import { startWatchUpstream } from './watch-upstream.js';

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

type Workload = { kind: 'wrk'; path: string; connections: number } | { kind: 'watches' };

const workloads: Record<string, Workload> = {
  'small-get': { kind: 'wrk', path: podPath, connections: 16 },
  'large-list': { kind: 'wrk', path: podListPath, connections: 4 },
  'gzip-list': { kind: 'wrk', path: gzipPodListPath, connections: 4 },
  'open-watches': { kind: 'watches' },
};

/**
 * Sends SIGUSR2 (the proxy runs with --heapsnapshot-signal=SIGUSR2) and waits
 * for the snapshot: the file appears when writing starts, and writing blocks
 * the event loop, so the first answer through the proxy after that means it is complete.
 */
async function takeHeapSnapshot(proxy: RunningProxy, dir: string, probeUrl: string): Promise<{ file: string; rss: number }> {
  const before = new Set(readdirSync(dir));
  const rss = rssBytes(proxy.pid);
  process.kill(proxy.pid, 'SIGUSR2');
  const deadline = Date.now() + 120_000;
  let file: string | undefined;
  while (!file) {
    if (proxy.process.child.exitCode !== null) throw new Error(`the proxy exited while writing a heap snapshot: ${proxy.process.output()}`);
    if (Date.now() > deadline) throw new Error('no heap snapshot appeared within 120 s');
    file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!file) await sleep(100);
  }
  while (!(await get(probeUrl, { timeoutMs: 120_000 }).then(() => true, () => false))) {
    if (Date.now() > deadline) throw new Error('the proxy did not answer after the heap snapshot');
    await sleep(100);
  }
  return { file: join(dir, file), rss };
}

async function main(): Promise<void> {
  const flags = new Map(process.argv.slice(2).map((a) => {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unexpected argument ${a}`);
    return [m[1]!, m[2] ?? 'true'] as [string, string];
  }));
  const known = new Set(['scenario', 'target', 'duration', 'connections', 'top', 'keep', 'heap', 'watches']);
  for (const name of flags.keys()) if (!known.has(name)) throw new Error(`unknown option --${name} (known: ${[...known].join(', ')})`);
  const scenario = flags.get('scenario') ?? 'small-get';
  const workload = workloads[scenario];
  if (!workload) throw new Error(`unknown scenario ${scenario} (${Object.keys(workloads).join(', ')})`);
  const targetId = flags.get('target') ?? 'build';
  if (targetId !== 'build' && targetId !== 'bundle') throw new Error('--target is build or bundle');
  const heap = flags.has('heap');
  const duration = Number(flags.get('duration') ?? 8);
  const connections = workload.kind === 'wrk' ? Number(flags.get('connections') ?? workload.connections) : 0;
  const watches = Number(flags.get('watches') ?? 1000);
  const top = Number(flags.get('top') ?? 30);
  const keep = flags.get('keep');
  const log = (line: string) => process.stderr.write(`profile: ${line}\n`);

  const root = repositoryRoot();
  const processes = new ProcessSet();
  const scratch = mkdtempSync(join(tmpdir(), 'kube-ambassador-profile-'));
  const keepFile = (file: string, name: string) => {
    if (!keep) return;
    mkdirSync(keep, { recursive: true });
    copyFileSync(file, join(keep, name));
    log(`kept ${join(keep, name)}`);
  };
  try {
    ensureTools(log);
    const pki = createPki(join(scratch, 'pki'));
    const token = randomBytes(24).toString('hex');
    let server: string;
    let probePath: string;
    if (workload.kind === 'wrk') {
      const nginx = await startNginx(processes, { dir: join(scratch, 'nginx'), certFile: pki.servingCertFile, keyFile: pki.servingKeyFile, caPem: pki.caPem, token });
      server = nginx.url;
      probePath = podPath;
    } else {
      const upstream = await startWatchUpstream(processes, { certFile: pki.servingCertFile, keyFile: pki.servingKeyFile, token, intervalMs: 100 });
      server = upstream.url;
      probePath = watchPath; // without ?watch=true the watch upstream answers 404 at once: enough to know the proxy is responsive
    }
    const targets = proxyTargets({ kubectl: kubectlPath(), distDir: join(root, 'dist'), cliScript: join(root, 'build', 'src', 'cli', 'main.js'), scratch });
    const target = targets[targetId];
    const profileDir = join(scratch, heap ? 'heap' : 'cpuprofile');
    mkdirSync(profileDir, { recursive: true });
    const nodeArgs = heap ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${profileDir}`] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
    const proxy = await startProxy(processes, target, { server, caFile: pki.caCertFile, token }, { scratch, nodeArgs });
    const probeUrl = proxy.url + probePath;
    const load = workload.kind === 'wrk'
      ? (seconds: number) => runWrk(processes, { url: proxy.url + workload.path, threads: 1, connections, durationSeconds: seconds })
      : undefined;
    const what = workload.kind === 'wrk' ? `wrk -t1 -c${connections} -d${duration}s ${workload.path}` : `${watches.toLocaleString('en-US')} watches opened and held`;

    if (heap) {
      for (;;) {
        if ((await get(probeUrl).catch(() => undefined)) !== undefined) break;
        await sleep(10);
      }
      await sleep(1_000);
      log(`${target.label} on ${proxy.url}: heap snapshot, idle`);
      const idle = await takeHeapSnapshot(proxy, profileDir, probeUrl);
      let loaded: { file: string; rss: number };
      let loadedLabel: string;
      if (load) {
        log(`${what}, heap snapshot half-way`);
        const running = load(duration);
        await sleep((duration * 1000) / 2);
        loaded = await takeHeapSnapshot(proxy, profileDir, probeUrl);
        await running;
        loadedLabel = 'under load';
      } else {
        log(`opening ${watches} watches`);
        const open = await openManyWatches({ origin: proxy.url }, watches);
        try {
          await sleep(2_000);
          log(`heap snapshot with ${watches} watches open`);
          loaded = await takeHeapSnapshot(proxy, profileDir, probeUrl);
        } finally {
          open.close();
        }
        loadedLabel = `${watches.toLocaleString('en-US')} watches`;
      }
      await processes.stop(proxy.process);
      keepFile(idle.file, `${scenario}-${targetId}-idle.heapsnapshot`);
      keepFile(loaded.file, `${scenario}-${targetId}-${load ? 'load' : 'watches'}.heapsnapshot`);
      const before = summarizeHeapSnapshot(idle.file);
      const after = summarizeHeapSnapshot(loaded.file);
      process.stdout.write([
        `### Heap snapshots: ${target.label}, ${scenario}`,
        '',
        `Taken with \`--heapsnapshot-signal=SIGUSR2\`: idle (1 s after the first answer, RSS ${fmt.mb(idle.rss)} just before) and ${load ? `half-way through ${what}` : `with ${what}`} (RSS ${fmt.mb(loaded.rss)} just before).`,
        '',
        renderHeapComparison(before, after, ['idle', loadedLabel], top),
      ].join('\n'));
      return;
    }

    log(`${target.label} on ${proxy.url}, warming up`);
    let perRequest: string;
    if (load) {
      await load(2);
      log(what);
      const before = cpuSeconds(proxy.pid);
      const w = await load(duration);
      const used = cpuSeconds(proxy.pid) - before;
      perRequest = `${w.requestsPerSecond.toFixed(0)} requests/s under the profiler, ${scenario === 'small-get' ? `${Math.round((used / w.requests) * 1e6)} µs` : `${((used / w.requests) * 1e3).toFixed(2)} ms`} CPU per request (profiling adds overhead).`;
    } else {
      await sleep(1_000);
      log(what);
      const before = cpuSeconds(proxy.pid);
      const open = await openManyWatches({ origin: proxy.url }, watches);
      const used = cpuSeconds(proxy.pid) - before;
      await sleep(2_000);
      open.close();
      await sleep(300);
      perRequest = `${Math.round(used * 1e3)} ms of CPU to open ${watches.toLocaleString('en-US')} watches under the profiler (profiling adds overhead).`;
    }
    await processes.stop(proxy.process, 15_000);
    const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('the proxy wrote no .cpuprofile (did it exit cleanly?)');
    keepFile(join(profileDir, file), `${scenario}-${targetId}.cpuprofile`);
    const summary = summarizeProfile(JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as CpuProfile, root);
    process.stdout.write(`${perRequest}\n\n`);
    const life = load ? `start-up, 2 s warm-up, ${duration} s load` : `start-up, 1 s idle, opening ${watches} watches, 2 s holding them, closing them`;
    process.stdout.write(renderProfile(summary, top, `${target.label}, ${scenario}, whole process life (${life})`));
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
