// --env-out (src/podinfo/env-file.ts): NAME=value lines that a POSIX shell
// reads back exactly, and the atomic replacement of the file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { renderEnvFile, shellQuote, writeFileAtomically } from '../../src/podinfo/env-file.js';
import { TempDirs } from './support/fixtures.js';

const dirs = new TempDirs();
after(() => dirs.removeAll());

describe('shellQuote', () => {
  const rows: [string, string][] = [
    ['', "''"],
    ['zone-a', 'zone-a'],
    ['10.0.0.5', '10.0.0.5'],
    ['a:b,c=d@e%f+g/h', 'a:b,c=d@e%f+g/h'],
    ['two words', "'two words'"],
    ["it's", "'it'\\''s'"],
    ['$HOME', "'$HOME'"],
    ['a\nb', "'a\nb'"],
    ['~', "'~'"],
    ['*', "'*'"],
  ];
  for (const [value, quoted] of rows) it(JSON.stringify(value), () => assert.equal(shellQuote(value), quoted));
});

describe('renderEnvFile', () => {
  it('one NAME=value line per entry, in order', () => {
    assert.equal(renderEnvFile([{ name: 'ZONE', value: 'eu-1a' }, { name: 'NOTE', value: 'a b' }]), "ZONE=eu-1a\nNOTE='a b'\n");
    assert.equal(renderEnvFile([]), '');
  });

  it('refuses a name a shell cannot assign', () => {
    assert.throws(() => renderEnvFile([{ name: 'A-B', value: 'x' }]), /not a valid environment variable name/);
  });

  const values = ['', 'plain', "it's", '"double"', '$HOME $(touch pwned) `touch pwned2` ${X:-y}', 'back\\slash \\n', 'tab\there',
    'multi\nline\n', '\'\'\'', 'glob * ? [a] ~ # ! & | ; < > ( ) { }', 'grüße 😀', ' leading and trailing '];
  for (const shell of ['sh', 'bash', 'dash', 'busybox']) {
    const found = spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;
    it(`${shell} reads every value back exactly and runs nothing`, { skip: found ? false : `${shell} is not installed` }, () => {
      const dir = dirs.make();
      const file = join(dir, 'podinfo.env');
      const entries = values.map((value, i) => ({ name: `V${i}`, value }));
      writeFileSync(file, renderEnvFile(entries));
      const argv = shell === 'busybox' ? ['busybox', 'sh'] : [shell];
      const script = `set -eu; . "$1"; ${entries.map((e) => `printf '%s\\0' "$${e.name}"`).join('; ')}`;
      const run = spawnSync(argv[0]!, [...argv.slice(1), '-c', script, 'sh', file], { cwd: dir, encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(run.stdout.split('\0').slice(0, -1), values);
      assert.deepEqual(readdirSync(dir), ['podinfo.env']);
    });
  }
});

describe('writeFileAtomically', () => {
  it('replaces the file through a rename and leaves no temporary file', async () => {
    const dir = dirs.make();
    const file = join(dir, 'env');
    await writeFileAtomically(file, 'A=1\n');
    const inode = statSync(file).ino;
    await writeFileAtomically(file, 'A=2\n');
    assert.equal(readFileSync(file, 'utf8'), 'A=2\n');
    assert.notEqual(statSync(file).ino, inode);
    assert.equal(statSync(file).mode & 0o777, 0o644 & ~process.umask());
    assert.deepEqual(readdirSync(dir), ['env']);
  });

  it('a folder that does not exist is an error, with nothing left behind', async () => {
    await assert.rejects(writeFileAtomically(join(dirs.make(), 'no', 'env'), 'x'), /ENOENT/);
  });
});
