#!/usr/bin/env node
// Runs every compiled test file with node:test. Unit tests first (fast
// feedback), then integration tests, which start real processes and a real
// control plane. Usage: node tools/run-tests.mjs [unit|integration] [name-filter]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
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

let failed = false;
for (const s of suites) {
  const files = find(join('build', 'test', s));
  if (files.length === 0) continue;
  console.log(`\n== ${s} tests: ${files.length} files ==`);
  const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=1', ...files], { stdio: 'inherit' });
  if (result.status !== 0) failed = true;
}
process.exitCode = failed ? 1 : 0;
