// The kubelet's AtomicWriter steps (src/podinfo/atomic-writer.ts) on a real
// folder: layout, modes, no-op writes, removed names, leftovers of a crash.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AtomicWriter, timestamp, validateName } from '../../src/podinfo/atomic-writer.js';
import { TempDirs } from './support/fixtures.js';

const dirs = new TempDirs();
after(() => dirs.removeAll());

const versions = (dir: string) => readdirSync(dir).filter((e) => /^\.\.\d{4}_/.test(e));
const payload = (entries: Record<string, string>) => new Map(Object.entries(entries));

describe('AtomicWriter', () => {
  it('first write: a timestamped folder, ..data pointing at it, a link per name', async () => {
    const dir = join(dirs.make(), 'out'); // created if missing
    const writer = new AtomicWriter(dir, { now: () => new Date(Date.UTC(2024, 4, 1, 12, 3, 4)) });
    assert.equal(await writer.write(payload({ name: 'web-0', labels: 'app="web"' })), true);
    const [version] = versions(dir);
    assert.match(version!, /^\.\.2024_05_01_12_03_04\.\d+$/);
    assert.equal(readlinkSync(join(dir, '..data')), version);
    assert.equal(readlinkSync(join(dir, 'name')), '..data/name');
    assert.equal(readFileSync(join(dir, 'labels'), 'utf8'), 'app="web"');
    assert.equal(statSync(join(dir, version!)).mode & 0o777, 0o755);
    assert.equal(statSync(join(dir, version!, 'name')).mode & 0o777, 0o644);
    assert.deepEqual(readdirSync(dir).sort(), ['..data', version!, 'labels', 'name'].sort());
  });

  it('the same content again: nothing written, the version stays', async () => {
    const dir = dirs.make();
    const writer = new AtomicWriter(dir);
    await writer.write(payload({ a: '1', b: '2' }));
    const before = readlinkSync(join(dir, '..data'));
    assert.equal(await writer.write(payload({ b: '2', a: '1' })), false);
    assert.equal(readlinkSync(join(dir, '..data')), before);
    assert.deepEqual(versions(dir), [before]);
  });

  it('a change: a new version, the old folder removed, links unchanged', async () => {
    const dir = dirs.make();
    const writer = new AtomicWriter(dir);
    await writer.write(payload({ a: '1', b: '2' }));
    const first = readlinkSync(join(dir, '..data'));
    assert.equal(await writer.write(payload({ a: '1', b: '3' })), true);
    const second = readlinkSync(join(dir, '..data'));
    assert.notEqual(second, first);
    assert.deepEqual(versions(dir), [second]);
    assert.equal(readFileSync(join(dir, 'b'), 'utf8'), '3');
    assert.ok(!existsSync(join(dir, '..data_tmp')));
  });

  it('a name no longer written loses its link; a new name gets one', async () => {
    const dir = dirs.make();
    const writer = new AtomicWriter(dir);
    await writer.write(payload({ a: '1', gone: 'x' }));
    await writer.write(payload({ a: '1', added: 'y' }));
    assert.deepEqual(readdirSync(dir).filter((e) => !e.startsWith('..')).sort(), ['a', 'added']);
    assert.equal(readFileSync(join(dir, 'added'), 'utf8'), 'y');
  });

  it('a missing link is put back even when the content is unchanged (kubernetes#121472)', async () => {
    const dir = dirs.make();
    const writer = new AtomicWriter(dir);
    await writer.write(payload({ a: '1' }));
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 'a'));
    assert.equal(await writer.write(payload({ a: '1' })), false);
    assert.ok(lstatSync(join(dir, 'a')).isSymbolicLink());
  });

  it('leaves other files in the folder alone, and replaces a ..data_tmp left by a crash', async () => {
    const dir = dirs.make();
    writeFileSync(join(dir, 'env'), 'X=1\n');
    symlinkSync('..nowhere', join(dir, '..data_tmp'));
    const writer = new AtomicWriter(dir);
    await writer.write(payload({ a: '1' }));
    await writer.write(payload({ a: '2' }));
    assert.equal(readFileSync(join(dir, 'env'), 'utf8'), 'X=1\n');
    assert.ok(!existsSync(join(dir, '..data_tmp')));
  });

  it('writes Buffers byte for byte, and honours the mode whatever the umask', async () => {
    const dir = dirs.make();
    const writer = new AtomicWriter(dir, { mode: 0o600 });
    await writer.write(new Map([['bin', Buffer.from([0, 255, 10])]]));
    assert.deepEqual(readFileSync(join(dir, 'bin')), Buffer.from([0, 255, 10]));
    assert.equal(statSync(join(dir, 'bin')).mode & 0o777, 0o600);
  });

  it('refuses names it cannot hold, before touching the folder', async () => {
    const dir = join(dirs.make(), 'never');
    for (const name of ['', '..data', '..x', '..', 'a/b', 'x'.repeat(256)]) {
      await assert.rejects(new AtomicWriter(dir).write(payload({ [name]: '1' })), /invalid path/, JSON.stringify(name));
    }
    assert.ok(!existsSync(dir));
    validateName('.hidden');
    validateName('pod.json');
  });

  it('a failed write leaves the previous version in place and no new folder behind', async () => {
    const dir = dirs.make();
    const writer = new AtomicWriter(dir);
    await writer.write(payload({ a: '1' }));
    const before = readlinkSync(join(dir, '..data'));
    mkdirSync(join(dir, '..data_tmp', 'in-the-way'), { recursive: true }); // not a symlink the writer may replace
    await assert.rejects(writer.write(payload({ a: '2' })));
    assert.equal(readlinkSync(join(dir, '..data')), before);
    assert.equal(readFileSync(join(dir, 'a'), 'utf8'), '1');
    assert.deepEqual(versions(dir), [before]);
  });
});

describe('timestamp', () => {
  it('Go\'s 2006_01_02_15_04_05 in UTC', () => {
    assert.equal(timestamp(new Date(Date.UTC(2009, 10, 10, 23, 0, 5))), '2009_11_10_23_00_05');
  });
});
