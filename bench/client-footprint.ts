// The library's cost to a program that depends on it, against the official
// client: installed size and package count (npm install --omit=dev into an
// empty folder), import time (median wall time of `await import(pkg)` in a
// fresh node, minus the same for an empty module) and heap after the import.
//
// Run alone: node build/bench/client-footprint.js [--runs=15]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repositoryRoot } from '../tools/control-plane/binaries.js';
import { fmt, median } from './report.js';

export interface PackageFootprint {
  label: string;
  /** What `import()` names. */
  specifier: string;
  version: string;
  installedBytes: number;
  packages: number;
  importMs: number[];
  heapUsedBytes: number;
  heapAfterGcBytes: number;
  rssBytes: number;
}

export interface FootprintResult {
  ours: PackageFootprint;
  theirs: PackageFootprint;
  baselineMs: number[];
  baselineHeapUsedBytes: number;
  baselineRssBytes: number;
  runs: number;
}

type Log = (line: string) => void;

export async function measureClientFootprint(options: { runs?: number; log?: Log; scratch?: string } = {}): Promise<FootprintResult> {
  const runs = options.runs ?? 15;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const scratch = options.scratch ?? mkdtempSync(join(tmpdir(), 'kube-ambassador-footprint-'));
  const ownScratch = options.scratch === undefined;
  mkdirSync(scratch, { recursive: true });
  try {
    const root = repositoryRoot();
    const ownVersion = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
    log(`footprint: npm pack (${root})`);
    const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', scratch], root)) as Array<{ filename: string }>;
    const tarball = join(scratch, packed[0]!.filename);

    const versions = JSON.parse(npm(['view', '@kubernetes/client-node', 'versions', '--json'], scratch)) as string[];
    const newest1x = versions.filter((v) => /^1\.\d+\.\d+$/.test(v)).sort(compareVersions).pop();
    if (!newest1x) throw new Error('no 1.x release of @kubernetes/client-node in the registry');

    const ours = install(scratch, 'ours', tarball, log);
    const theirs = install(scratch, 'theirs', `@kubernetes/client-node@${newest1x}`, log);

    log(`footprint: import time, ${runs} runs each, interleaved`);
    const baselineMs: number[] = [];
    const oursMs: number[] = [];
    const theirsMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      baselineMs.push(timeNode(ours.dir, '0'));
      oursMs.push(timeNode(ours.dir, `await import('kube-ambassador')`));
      theirsMs.push(timeNode(theirs.dir, `await import('@kubernetes/client-node')`));
    }
    const heap = (dir: string, specifier: string | undefined) => {
      const samples = Array.from({ length: 5 }, () => memoryAfterImport(dir, specifier));
      return {
        heapUsed: median(samples.map((s) => s.heapUsed)),
        heapAfterGc: median(samples.map((s) => s.heapAfterGc)),
        rss: median(samples.map((s) => s.rss)),
      };
    };
    const baseHeap = heap(ours.dir, undefined);
    const ourHeap = heap(ours.dir, 'kube-ambassador');
    const theirHeap = heap(theirs.dir, '@kubernetes/client-node');
    return {
      ours: {
        label: 'kube-ambassador', specifier: 'kube-ambassador', version: ownVersion, installedBytes: ours.bytes, packages: ours.packages,
        importMs: oursMs, heapUsedBytes: ourHeap.heapUsed, heapAfterGcBytes: ourHeap.heapAfterGc, rssBytes: ourHeap.rss,
      },
      theirs: {
        label: '@kubernetes/client-node', specifier: '@kubernetes/client-node', version: newest1x, installedBytes: theirs.bytes, packages: theirs.packages,
        importMs: theirsMs, heapUsedBytes: theirHeap.heapUsed, heapAfterGcBytes: theirHeap.heapAfterGc, rssBytes: theirHeap.rss,
      },
      baselineMs,
      baselineHeapUsedBytes: baseHeap.heapUsed,
      baselineRssBytes: baseHeap.rss,
      runs,
    };
  } finally {
    if (ownScratch) rmSync(scratch, { recursive: true, force: true });
  }
}

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

function install(scratch: string, name: string, spec: string, log: Log): { dir: string; bytes: number; packages: number } {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `footprint-${name}`, version: '1.0.0', private: true, type: 'module' }));
  log(`footprint: npm install --omit=dev ${spec}`);
  npm(['install', '--omit=dev', '--no-audit', '--no-fund', spec], dir);
  const modules = join(dir, 'node_modules');
  const bytes = Number(execFileSync('du', ['-sb', modules], { encoding: 'utf8' }).split('\t')[0]);
  return { dir, bytes, packages: countPackages(modules) };
}

/** Package folders under node_modules, nested node_modules included. */
function countPackages(modules: string): number {
  if (!existsSync(modules)) return 0;
  let count = 0;
  for (const entry of readdirSync(modules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const dirs = entry.name.startsWith('@')
      ? readdirSync(join(modules, entry.name), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(modules, entry.name, e.name))
      : [join(modules, entry.name)];
    for (const dir of dirs) {
      if (!existsSync(join(dir, 'package.json'))) continue;
      count += 1 + countPackages(join(dir, 'node_modules'));
    }
  }
  return count;
}

function timeNode(cwd: string, code: string): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`node -e "${code}" failed in ${cwd}: ${r.stderr.toString()}`);
  return ms;
}

function memoryAfterImport(cwd: string, specifier: string | undefined): { heapUsed: number; heapAfterGc: number; rss: number } {
  const load = specifier ? `await import('${specifier}');` : 'await 0;';
  const code = `${load} const a = process.memoryUsage(); globalThis.gc(); const b = process.memoryUsage();
    process.stdout.write(JSON.stringify({ heapUsed: a.heapUsed, heapAfterGc: b.heapUsed, rss: b.rss }));`;
  const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', code], { cwd, encoding: 'utf8' });
  return JSON.parse(out) as { heapUsed: number; heapAfterGc: number; rss: number };
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return 0;
}

export function renderFootprint(r: FootprintResult): string {
  const base = median(r.baselineMs);
  const importMs = (p: PackageFootprint) => median(p.importMs) - base;
  const range = (p: PackageFootprint) => `${fmt.ms(Math.min(...p.importMs) - base)}–${fmt.ms(Math.max(...p.importMs) - base)}`;
  const rows: Array<[string, string, string, number]> = [
    ['installed size (`du -sb node_modules`) ↓', fmt.mb(r.ours.installedBytes), fmt.mb(r.theirs.installedBytes), r.ours.installedBytes / r.theirs.installedBytes],
    ['packages installed ↓', String(r.ours.packages), String(r.theirs.packages), r.ours.packages / r.theirs.packages],
    [`import time, median of ${r.runs} minus empty-module baseline ↓`, `${fmt.ms(importMs(r.ours))} (${range(r.ours)})`, `${fmt.ms(importMs(r.theirs))} (${range(r.theirs)})`, importMs(r.ours) / importMs(r.theirs)],
    ['heapUsed right after import ↓', fmt.mb(r.ours.heapUsedBytes), fmt.mb(r.theirs.heapUsedBytes), r.ours.heapUsedBytes / r.theirs.heapUsedBytes],
    ['heapUsed after import and a full GC ↓', fmt.mb(r.ours.heapAfterGcBytes), fmt.mb(r.theirs.heapAfterGcBytes), r.ours.heapAfterGcBytes / r.theirs.heapAfterGcBytes],
    ['RSS after import ↓', fmt.mb(r.ours.rssBytes), fmt.mb(r.theirs.rssBytes), r.ours.rssBytes / r.theirs.rssBytes],
  ];
  return [
    `### Client library footprint: kube-ambassador ${r.ours.version} vs @kubernetes/client-node ${r.theirs.version}`,
    '',
    `Each package installed alone with \`npm install --omit=dev\` into an empty folder (ours from \`npm pack\`); import time is the wall time of \`node --input-type=module -e "await import('<pkg>')"\`, median of ${r.runs} interleaved runs, minus the median of the same with an empty module (${fmt.ms(base)}); heap figures are \`process.memoryUsage()\` in that child (median of 5; an empty module: heapUsed ${fmt.mb(r.baselineHeapUsedBytes)}, RSS ${fmt.mb(r.baselineRssBytes)}).`,
    '',
    '| metric (↓ lower is better) | kube-ambassador | @kubernetes/client-node | ours ÷ theirs |',
    '|---|--:|--:|--:|',
    ...rows.map(([name, a, b, ratio]) => `| ${name} | ${a} | ${b} | ${ratio.toFixed(2)}× |`),
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runs = Number(/^--runs=(\d+)$/.exec(process.argv.find((a) => a.startsWith('--runs=')) ?? '')?.[1] ?? 15);
  measureClientFootprint({ runs }).then(
    (r) => process.stdout.write(renderFootprint(r)),
    (err: unknown) => {
      process.stderr.write(`client-footprint: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
