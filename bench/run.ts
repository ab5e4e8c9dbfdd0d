// The benchmark: kubectl proxy against kube-ambassador, in the same run, on
// the same upstreams, with the same flags. Prints a Markdown report and
// writes it to bench/results/<date>-<time>.md and bench/results/latest.md,
// the same figures as .json and the summary as a chart (.svg) next to them.
//
//   npm run bench                       # everything (about 20 minutes)
//   node build/bench/run.js --reps=1 --duration=4 --only=small-get,startup
//
// Options: --reps=N (3) --duration=S (8) --warmup=S (2) --events=N (1000)
// --watches=N (1000) --small-connections=16,64 --large-connections=N (4)
// --configmaps=N (500) --only=a,b --skip=a,b (scenarios: startup, small-get,
// large-list, gzip-list, watch-latency, open-watches, apiserver, footprint)
// --with-build (the tsc build in every scenario, not only start-up and small
// GET) --out=DIR (bench/results) --no-write.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { repositoryRoot } from '../tools/control-plane/binaries.js';
import { createPki } from '../tools/control-plane/pki.js';
import { kubectlPath } from '../test/support/kubectl.js';
import { apiServerScenarios, SkipScenario } from './apiserver.js';
import { renderChart } from './chart.js';
import { type FootprintResult, measureClientFootprint, renderFootprint } from './client-footprint.js';
import { ensureTools, machineInfo, type MachineInfo } from './machine.js';
import { ProcessSet } from './processes.js';
import { loadAverage } from './proc-stats.js';
import { proxyTargets } from './proxies.js';
import { renderScenario, renderSummary, type Scenario, scenarioJson } from './report.js';
import {
  type BenchContext, type BenchOptions, gzipListScenario, largeListScenario, openWatchesScenario, plural, smallGetScenarios,
  startupScenario, watchLatencyScenario,
} from './scenarios.js';
import { evaluateTargets, renderTargets, targetMetric, type TargetResult } from './targets.js';
import { startNginx } from './upstream-nginx.js';
import { startWatchUpstream } from './watch-upstream.js';

const allScenarios = ['startup', 'small-get', 'large-list', 'gzip-list', 'watch-latency', 'open-watches', 'apiserver', 'footprint'] as const;
type ScenarioId = (typeof allScenarios)[number];

interface RunOptions extends BenchOptions {
  scenarios: Set<ScenarioId>;
  configMaps: number;
  withBuild: boolean;
  outDir: string;
  write: boolean;
}

function parseOptions(argv: string[], root: string): RunOptions {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unexpected argument ${arg}`);
    flags.set(m[1]!, m[2] ?? 'true');
  }
  const num = (name: string, fallback: number) => {
    const v = flags.get(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} wants a number, not ${v}`);
    return n;
  };
  const list = (name: string) => (flags.get(name)?.split(',').filter(Boolean) ?? []).map((s) => {
    if (!(allScenarios as readonly string[]).includes(s)) throw new Error(`unknown scenario ${s} (known: ${allScenarios.join(', ')})`);
    return s as ScenarioId;
  });
  const only = list('only');
  const skip = new Set(list('skip'));
  const known = new Set(['reps', 'duration', 'warmup', 'events', 'watches', 'only', 'skip', 'with-build', 'out', 'no-write', 'small-connections', 'large-connections', 'configmaps']);
  const smallConnections = (flags.get('small-connections') ?? '16,64').split(',').filter(Boolean).map((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--small-connections wants connection counts such as 16,64, not ${v}`);
    return n;
  });
  for (const name of flags.keys()) if (!known.has(name)) throw new Error(`unknown option --${name}`);
  return {
    reps: Math.max(1, num('reps', 3)),
    durationSeconds: Math.max(1, num('duration', 8)),
    warmupSeconds: num('warmup', 2),
    smallConnections: [...new Set(smallConnections)],
    largeConnections: num('large-connections', 4),
    events: Math.max(1, num('events', 1000)),
    watches: Math.max(1, num('watches', 1000)),
    configMaps: Math.max(1, num('configmaps', 500)),
    scenarios: new Set((only.length ? only : [...allScenarios]).filter((s) => !skip.has(s))),
    withBuild: flags.has('with-build'),
    outDir: flags.get('out') ?? join(root, 'bench', 'results'),
    write: !flags.has('no-write'),
  };
}

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

/** The bundle is rebuilt when any source file is newer than it (or it is missing). */
function ensureBundle(root: string): void {
  const entry = join(root, 'dist', 'kube-ambassador.mjs');
  let bundled = 0;
  try {
    bundled = statSync(entry).mtimeMs;
  } catch { /* missing */ }
  const newest = newestMtime(join(root, 'src'));
  if (bundled >= newest) return;
  log(bundled ? 'src/ changed since dist/ was bundled: npm run bundle' : 'no bundle yet: npm run bundle');
  const r = spawnSync('npm', ['run', 'bundle', '--silent'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    if (!bundled) throw new Error('npm run bundle failed and there is no earlier bundle');
    log('npm run bundle failed: measuring the earlier bundle in dist/');
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Where one run's files go: <stamp>.md/.json/.svg, and the same as latest.*. */
interface OutputFiles {
  stamp: string;
  dated: { md: string; json: string; svg: string };
  latest: { md: string; json: string; svg: string };
}

function outputFiles(dir: string, date: string): OutputFiles {
  const stamp = date.slice(0, 16).replace(/:/g, '').replace('T', '-');
  const set = (base: string) => ({ md: join(dir, `${base}.md`), json: join(dir, `${base}.json`), svg: join(dir, `${base}.svg`) });
  return { stamp, dated: set(stamp), latest: set('latest') };
}

async function main(): Promise<void> {
  const root = repositoryRoot();
  const options = parseOptions(process.argv.slice(2), root);
  const started = Date.now();
  const processes = new ProcessSet();
  const scratch = mkdtempSync(join(tmpdir(), 'kube-ambassador-bench-'));
  const scenarios: Scenario[] = [];
  const failures: string[] = [];
  const skipped: string[] = [];
  let footprint = '';
  let footprintData: FootprintResult | undefined;
  let info: MachineInfo | undefined;
  try {
    ensureTools(log);
    const kubectl = kubectlPath();
    ensureBundle(root);
    info = machineInfo({ kubectl, root });
    log(`machine: ${info.nproc} cores, node ${info.node}, kubectl ${info.kubectl}, load ${info.loadAtStart}`);

    const needsProxies = [...options.scenarios].some((s) => s !== 'footprint');
    if (needsProxies) {
      const pki = createPki(join(scratch, 'pki'));
      const token = randomBytes(24).toString('hex');
      const nginx = await startNginx(processes, {
        dir: join(scratch, 'nginx'), certFile: pki.servingCertFile, keyFile: pki.servingKeyFile, caPem: pki.caPem, token,
      });
      log(`nginx on ${nginx.url}`);
      const watchIntervalMs = 20;
      const watchUpstream = await startWatchUpstream(processes, { certFile: pki.servingCertFile, keyFile: pki.servingKeyFile, token, intervalMs: watchIntervalMs });
      log(`watch upstream on ${watchUpstream.url}`);
      const targets = proxyTargets({
        kubectl, distDir: join(root, 'dist'), cliScript: join(root, 'build', 'src', 'cli', 'main.js'), scratch,
      });
      const ctx: BenchContext = { processes, scratch, token, caFile: pki.caCertFile, caPem: pki.caPem, nginx, watchUpstream, options, log, watchIntervalMs };
      const core = [targets.kubectl, targets.bundle];
      const withBuild = [...core, targets.build];
      const everywhere = options.withBuild ? withBuild : core;
      // A scenario that fails is reported as failed, one that cannot run here as skipped; the others still run and the report is still written.
      const run = async (id: ScenarioId, fn: (done: (s: Scenario) => void) => Promise<unknown>) => {
        if (!options.scenarios.has(id)) return;
        const t0 = Date.now();
        const done = (s: Scenario) => {
          scenarios.push(s);
          process.stderr.write(`\n${renderScenario(s)}\n`);
        };
        try {
          await fn(done);
          log(`${id} done in ${Math.round((Date.now() - t0) / 1000)} s (load ${loadAverage()})`);
        } catch (err) {
          if (err instanceof SkipScenario) {
            skipped.push(`${id}: ${err.message}`);
            log(`${id} SKIPPED: ${err.message}`);
            return;
          }
          failures.push(`${id}: ${errorText(err)}`);
          log(`${id} FAILED: ${errorText(err)}`);
        }
      };
      await run('startup', async (done) => done(await startupScenario(ctx, withBuild)));
      await run('small-get', (done) => smallGetScenarios(ctx, withBuild, done));
      await run('large-list', async (done) => done(await largeListScenario(ctx, everywhere)));
      await run('gzip-list', async (done) => done(await gzipListScenario(ctx, everywhere)));
      await run('watch-latency', async (done) => {
        done(await watchLatencyScenario(ctx, everywhere, 0));
        done(await watchLatencyScenario(ctx, everywhere, options.watches));
      });
      await run('open-watches', async (done) => done(await openWatchesScenario(ctx, everywhere)));
      await run('apiserver', (done) => apiServerScenarios(ctx, everywhere, {
        root, configMaps: options.configMaps, smallConnections: 16, listConnections: options.largeConnections,
      }, done));
      await processes.stopAll();
    }
    if (options.scenarios.has('footprint')) {
      try {
        footprintData = await measureClientFootprint({ log: (line) => log(line), scratch: join(scratch, 'footprint') });
        footprint = renderFootprint(footprintData);
      } catch (err) {
        failures.push(`footprint: ${errorText(err)}`);
        log(`footprint FAILED: ${errorText(err)}`);
      }
    }
  } finally {
    await processes.stopAll();
    rmSync(scratch, { recursive: true, force: true });
  }

  const seconds = Math.round((Date.now() - started) / 1000);
  const targetResults = evaluateTargets(scenarios, options.watches);
  const render = (chart: string | undefined) => renderReport(info!, options, scenarios, targetResults, footprint, failures, skipped, seconds, chart);
  process.stdout.write(render(undefined));
  if (failures.length) process.exitCode = 1;
  if (options.write) {
    const files = outputFiles(options.outDir, info!.date);
    mkdirSync(options.outDir, { recursive: true });
    const hasChart = scenarios.length > 0;
    const subtitle = `${info!.date}, commit ${info!.commit}, ${info!.nproc} cores, Node ${info!.node}, kubectl ${info!.kubectl.split(' ')[0]}; medians of ${plural(options.reps, 'repetition')}`;
    const json = `${JSON.stringify(reportJson(info!, options, scenarios, targetResults, footprintData, failures, skipped, seconds, files, hasChart), null, 2)}\n`;
    writeFileSync(files.dated.md, render(hasChart ? basename(files.dated.svg) : undefined));
    writeFileSync(files.latest.md, render(hasChart ? basename(files.latest.svg) : undefined));
    writeFileSync(files.dated.json, json);
    writeFileSync(files.latest.json, json);
    if (hasChart) {
      const svg = renderChart(scenarios, targetResults, subtitle);
      writeFileSync(files.dated.svg, svg);
      writeFileSync(files.latest.svg, svg);
    }
    log(`report written to ${files.dated.md} (and .json${hasChart ? ', .svg' : ''}), the same as latest.* in ${options.outDir}`);
  }
}

function reportJson(info: MachineInfo, o: RunOptions, scenarios: Scenario[], targets: TargetResult[], footprint: FootprintResult | undefined,
  failures: string[], skipped: string[], seconds: number, files: OutputFiles, hasChart: boolean) {
  return {
    format: 'kube-ambassador-bench/1',
    date: info.date,
    seconds,
    machine: info,
    options: {
      reps: o.reps, durationSeconds: o.durationSeconds, warmupSeconds: o.warmupSeconds, smallConnections: o.smallConnections,
      largeConnections: o.largeConnections, events: o.events, watches: o.watches, configMaps: o.configMaps, withBuild: o.withBuild,
      scenarios: [...o.scenarios],
    },
    files: { markdown: basename(files.dated.md), chart: hasChart ? basename(files.dated.svg) : null },
    comparison: 'ratio = kube-ambassador (bundle) median ÷ kubectl proxy median; difference = bundle median − kubectl median, in the metric\'s unit',
    targets,
    scenarios: scenarios.map(scenarioJson),
    footprint: footprint ?? null,
    skipped,
    failures,
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message.split('\n').slice(0, 6).join(' ') : String(err);
}

function renderReport(info: MachineInfo, o: RunOptions, scenarios: Scenario[], targets: TargetResult[], footprint: string, failures: string[],
  skipped: string[], seconds: number, chart: string | undefined): string {
  const lines = [`# kube-ambassador benchmark, ${info.date}`, ''];
  if (scenarios.length) {
    lines.push('## Targets', '', renderTargets(targets, (t) => targetMetric(scenarios, t)));
    if (chart) lines.push(`![kube-ambassador ÷ kubectl proxy per summary metric, log scale](${chart})`, '', `Chart: [${chart}](${chart}), one bar per summary metric (kube-ambassador ÷ kubectl, log scale; green better, red worse, black marks the targets).`, '');
  }
  lines.push(
    '## Machine',
    '',
    '| machine | |',
    '|---|---|',
    `| date | ${info.date} (took ${Math.round(seconds / 60)} min) |`,
    `| cores (nproc) | ${info.nproc} × ${info.cpuModel} |`,
    `| memory | ${info.memoryGb} GB |`,
    `| OS | ${info.os}, Linux ${info.kernel} |`,
    `| Node.js | ${info.node} (undici ${info.undici}) |`,
    `| kubectl | ${info.kubectl} |`,
    `| upstream, load | nginx ${info.nginx}; ${info.wrk} |`,
    `| kube-ambassador | commit ${info.commit}; dist/kube-ambassador.mjs as bundled at the start of the run |`,
    `| load average at start / end | ${info.loadAtStart} / ${loadAverage()} |`,
    `| repetitions | ${o.reps} per scenario, proxies alternating, a fresh proxy process per measurement |`,
    '',
    'Every proxy ran with the same flags: `proxy --port=0 --server=https://127.0.0.1:PORT --certificate-authority=ca.crt --token=TOKEN`, with an empty HOME and no KUBECONFIG. Cells are median (min–max) over the repetitions; "ours ÷ kubectl" divides the medians of the bundle by kubectl\'s, and each metric says whether higher or lower is better. Metrics that are themselves differences (the latency a proxy adds) are compared as ours − kubectl instead.',
    '',
  );
  if (failures.length) lines.push('## Failed', '', ...failures.map((f) => `- **${f}**`), '');
  if (skipped.length) lines.push('## Skipped', '', ...skipped.map((f) => `- ${f}`), '');
  if (scenarios.length) {
    lines.push('## Summary', '', renderSummary(scenarios), '## Scenarios', '');
    for (const s of scenarios) lines.push(renderScenario(s));
  }
  if (footprint) lines.push('## Client library', '', footprint);
  lines.push(
    '## Caveats',
    '',
    `- ${info.nproc} cores are shared by the load generator (wrk, or the watch client), the proxy and the upstream, so a proxy that uses less CPU leaves more to the others: throughput is partly a CPU-per-request figure in disguise. Other work on the machine shows in the load average above.`,
    '- Expect ±15% between runs; compare proxies within one run, not across runs.',
    '- kubectl speaks HTTP/2 to the upstream for everything (offered through ALPN, as kube-apiserver does); kube-ambassador uses HTTP/1.1 keep-alive connections for ordinary requests and HTTP/2 only for long-running ones (watches).',
    '',
  );
  return lines.join('\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
