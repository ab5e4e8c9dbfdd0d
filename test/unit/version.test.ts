// src/version.ts is kept in step with package.json by hand: this is the check.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { defaultUserAgent, version } from '../../src/version.js';

// build/test/unit/version.test.js → the repository root.
const packageJson = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('version', () => {
  test('equals package.json\'s version', () => assert.equal(version, packageJson.version));
  test('is a semantic version without a leading v', () => assert.match(version, /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/));
});

describe('defaultUserAgent', () => {
  test('has kubectl\'s shape: command/vVERSION (os/arch) ...', () => {
    assert.match(defaultUserAgent(), new RegExp(`^kube-ambassador/v${version.replace(/\./g, '\\.')} \\([a-z0-9]+/[a-z0-9]+\\) node/v\\d+`));
  });
  test('uses Go architecture names', () => {
    const arch = /\([a-z0-9]+\/([a-z0-9]+)\)/.exec(defaultUserAgent())![1];
    assert.ok(['amd64', 'arm64', 'arm', '386', 'ppc64le', 's390x'].includes(arch!) || arch === process.arch, arch);
    if (process.arch === 'x64') assert.equal(arch, 'amd64');
  });
  test('takes another command name', () => assert.ok(defaultUserAgent('podinfo').startsWith(`podinfo/v${version} `)));
});
