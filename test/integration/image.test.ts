// The container image builds (buildah, from scratch: no registry here) and
// its result starts, serves /healthz and exits cleanly on SIGTERM.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repositoryRoot } from '../../tools/control-plane/binaries.js';

const haveBuildah = spawnSync('buildah', ['--version']).status === 0 && process.getuid?.() === 0;

describe('container image', { skip: haveBuildah ? false : 'needs buildah and root (.ci/run installs buildah)' }, () => {
  it('builds with buildah and passes the smoke test', { timeout: 300_000 }, () => {
    const root = repositoryRoot();
    const tag = 'localhost/kube-ambassador:test';
    const build = spawnSync(join(root, 'tools/image/build.sh'), [tag], { cwd: root, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
    const smoke = spawnSync(join(root, 'tools/image/smoke.sh'), [tag], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    assert.equal(smoke.status, 0, `${smoke.stdout}\n${smoke.stderr}`);
    assert.match(smoke.stdout, /smoke: ok/);
    spawnSync('buildah', ['--storage-driver', 'vfs', 'rmi', tag]);
  });
});
