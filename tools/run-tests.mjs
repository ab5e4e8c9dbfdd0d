#!/usr/bin/env node
// Runs every compiled test file with node:test. Unit tests first (fast
// feedback), then integration tests, which start real processes and a real
// control plane. Afterwards it checks that the tests left no process and no
// temporary folder of ours behind.
// Usage: node tools/run-tests.mjs [unit|integration] [name-filter]
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [suite, filter] = process.argv.slice(2);
const suites = suite === 'unit' || suite === 'integration' ? [suite] : ['unit', 'integration'];

function find(dir) {
  let out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(find(path));
    else if (name.endsWith('.test.js') && (!filter || path.includes(filter))) out.push(path);
  }
  return out.sort();
}

/** Our temporary folders and the processes our tests start (control plane, proxies, kubectl proxy). */
function leftovers() {
  const folders = readdirSync(tmpdir()).filter((n) => n.startsWith('kube-ambassador-'));
  let processes = [];
  try {
    processes = execFileSync('pgrep', ['-af', 'kube-apiserver|/etcd |cli/main.js|kubectl proxy|kube-ambassador.mjs'], { encoding: 'utf8' })
      .split('\n').filter((l) => l && !l.includes('pgrep'));
  } catch {
    // pgrep exits 1 when nothing matches
  }
  return { folders: new Set(folders), processes: new Set(processes) };
}

const before = leftovers();
let failed = false;
for (const s of suites) {
  const files = find(join('build', 'test', s));
  if (files.length === 0) continue;
  console.log(`\n== ${s} tests: ${files.length} files ==`);
  const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=1', ...files], { stdio: 'inherit' });
  if (result.status !== 0) failed = true;
}

// Give processes stopped in the last test's after() a moment to go.
await new Promise((resolve) => setTimeout(resolve, 1000));
const after = leftovers();
const newFolders = [...after.folders].filter((f) => !before.folders.has(f));
const newProcesses = [...after.processes].filter((p) => !before.processes.has(p));
if (newFolders.length > 0 || newProcesses.length > 0) {
  console.error('\nThe tests left things behind:');
  for (const f of newFolders) console.error(`  folder ${join(tmpdir(), f)}`);
  for (const p of newProcesses) console.error(`  process ${p}`);
  failed = true;
} else {
  console.log('\nNo process or temporary folder left behind.');
}
process.exitCode = failed ? 1 : 0;
