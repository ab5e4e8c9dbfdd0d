// FileTokenSource (src/credentials/file-token-source.ts): the projected
// service-account token and kubeconfig tokenFile. Reference §3.3 and §6 item 11,
// plus our additions (re-read on a 401 and on file change). The clock is
// injected; only the last tests use the real file watch.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, renameSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '../../src/credentials/cluster-connection.js';
import { FileTokenSource } from '../../src/credentials/file-token-source.js';
import { CredentialsUnavailableError } from '../../src/credentials/token-source.js';
import { eventually, manualClock, recordingLogger, TempDirs, withTimeout } from './support/fixtures.js';

const temp = new TempDirs();
const sources: FileTokenSource[] = [];
after(() => {
  for (const s of sources) s.close();
  temp.removeAll();
});

/** A token file in a fresh folder, loaded with a hand-driven clock and no watch. */
function setup(initial = 'tok-v1\n') {
  const dir = temp.make('ka-token-');
  const path = join(dir, 'token');
  writeFileSync(path, initial);
  const clock = manualClock();
  const logger = recordingLogger();
  const source = FileTokenSource.load(path, { logger, watch: false, now: clock.now });
  sources.push(source);
  return { dir, path, clock, logger, source };
}

describe('FileTokenSource.load', () => {
  test('reads the token now, trimmed', async () => {
    const { source } = setup('  tok-v1 \n');
    assert.equal(await source.token(), 'tok-v1');
    assert.equal(source.state().loaded, true);
  });
  test('a missing file is a ConfigError naming the file', () => {
    const path = join(temp.make(), 'missing-token');
    assert.throws(() => FileTokenSource.load(path, { logger: recordingLogger(), watch: false }), (err: unknown) =>
      err instanceof ConfigError && err.message.includes(`"${path}"`) && /no such file or directory/.test(err.message));
  });
  test('an empty (whitespace-only) file is a ConfigError', () => {
    const path = join(temp.make(), 'token');
    writeFileSync(path, ' \n');
    assert.throws(() => FileTokenSource.load(path, { logger: recordingLogger(), watch: false }), ConfigError);
  });
});

describe('FileTokenSource: re-reading on a clock', () => {
  const rows: { name: string; advanceMs: number; want: string }[] = [
    { name: 'right after loading, the cached token is used', advanceMs: 0, want: 'tok-v1' },
    { name: 'after 30 s the cached token is still used', advanceMs: 30_000, want: 'tok-v1' },
    { name: 'just under 60 s the cached token is still used', advanceMs: 59_999, want: 'tok-v1' },
    { name: 'at 60 s the file is read again', advanceMs: 60_000, want: 'tok-v2' },
    { name: 'well after 60 s the file is read again', advanceMs: 600_000, want: 'tok-v2' },
  ];
  for (const row of rows) {
    test(row.name, async () => {
      const { path, clock, source } = setup();
      writeFileSync(path, 'tok-v2\n');
      clock.advance(row.advanceMs);
      assert.equal(await source.token(), row.want);
    });
  }

  test('the minute restarts from the last read', async () => {
    const { path, clock, source } = setup();
    clock.advance(60_000);
    assert.equal(await source.token(), 'tok-v1'); // read at t=60s
    writeFileSync(path, 'tok-v2');
    clock.advance(59_000);
    assert.equal(await source.token(), 'tok-v1');
    clock.advance(1_000);
    assert.equal(await source.token(), 'tok-v2');
  });

  test('a changed token counts as a reload and is logged at info, without the token', async () => {
    const { path, clock, logger, source } = setup();
    writeFileSync(path, 'tok-v2');
    clock.advance(60_000);
    await source.token();
    assert.equal(source.state().reloads, 1);
    const infos = logger.at('info');
    assert.equal(infos.length, 1);
    assert.ok(!JSON.stringify(logger.calls).includes('tok-v'), 'no token in the logs');
  });

  test('re-reading an unchanged file is not a reload', async () => {
    const { clock, source, logger } = setup();
    clock.advance(60_000);
    await source.token();
    assert.equal(source.state().reloads, 0);
    assert.equal(logger.calls.length, 0);
  });

  test('maxAgeMs changes the period', async () => {
    const dir = temp.make();
    const path = join(dir, 'token');
    writeFileSync(path, 'a');
    const clock = manualClock();
    const source = FileTokenSource.load(path, { logger: recordingLogger(), watch: false, now: clock.now, maxAgeMs: 10_000 });
    sources.push(source);
    writeFileSync(path, 'b');
    clock.advance(10_000);
    assert.equal(await source.token(), 'b');
  });
});

describe('FileTokenSource: a missing or empty file keeps the last good token', () => {
  const breakers: { name: string; breakIt: (path: string) => void }[] = [
    { name: 'deleted', breakIt: (path) => rmSync(path) },
    { name: 'emptied', breakIt: (path) => writeFileSync(path, '\n') },
  ];
  for (const { name, breakIt } of breakers) {
    test(`file ${name}: the last good token is kept and the failure is logged once per streak`, async () => {
      const { path, clock, logger, source } = setup();
      breakIt(path);
      for (let i = 0; i < 3; i++) {
        clock.advance(60_000);
        assert.equal(await source.token(), 'tok-v1', `attempt ${i + 1}`);
      }
      assert.equal(logger.at('warn').length, 1, 'one warning for the whole streak');
      assert.match(source.state().lastError ?? '', /failed to read token file/);
      assert.equal(logger.at('warn')[0]!.fields?.path, path);

      writeFileSync(path, 'tok-v2');
      clock.advance(60_000);
      assert.equal(await source.token(), 'tok-v2');
      assert.equal(source.state().lastError, undefined);

      breakIt(path);
      clock.advance(60_000);
      assert.equal(await source.token(), 'tok-v2');
      assert.equal(logger.at('warn').length, 2, 'a new streak logs again');
    });
  }

  test('without any good token, token() throws CredentialsUnavailableError', async () => {
    const path = join(temp.make(), 'never-there');
    const source = new FileTokenSource(path, { logger: recordingLogger(), watch: false, now: manualClock().now });
    sources.push(source);
    await assert.rejects(source.token(), CredentialsUnavailableError);
    assert.equal(source.state().loaded, false);
  });
});

describe('FileTokenSource.refreshAfterUnauthorized', () => {
  test('a changed file is picked up at once, before the minute is over', async () => {
    const { path, source } = setup();
    writeFileSync(path, 'tok-v2');
    assert.equal(await source.refreshAfterUnauthorized('tok-v1'), true);
    assert.equal(await source.token(), 'tok-v2');
  });
  test('an unchanged file gives false', async () => {
    const { source } = setup();
    assert.equal(await source.refreshAfterUnauthorized('tok-v1'), false);
    assert.equal(await source.token(), 'tok-v1');
  });
  test('a missing file gives false and keeps the token', async () => {
    const { path, source } = setup();
    rmSync(path);
    assert.equal(await source.refreshAfterUnauthorized('tok-v1'), false);
    assert.equal(await source.token(), 'tok-v1');
  });
  test('when the 401 was for an older token than the current one: true without reading', async () => {
    const { path, source } = setup();
    rmSync(path); // a read would fail; the answer must not depend on it
    assert.equal(await source.refreshAfterUnauthorized('tok-v0'), true);
  });
});

describe('FileTokenSource: concurrent token() calls share one read', () => {
  // A FIFO serves exactly one read per write: two separate reads could not both get the token.
  test('two calls waiting on the same read both get its token', { timeout: 10_000 }, async () => {
    const dir = temp.make();
    const fifo = join(dir, 'token');
    execFileSync('mkfifo', [fifo]);
    const source = new FileTokenSource(fifo, { logger: recordingLogger(), watch: false, now: manualClock().now });
    sources.push(source);
    try {
      const both = Promise.allSettled([source.token(), source.token()]);
      let fd: number | undefined;
      const opened = await eventually(() => {
        try {
          fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK); // ENXIO until a reader is waiting
          return true;
        } catch {
          return false;
        }
      });
      assert.ok(opened && fd !== undefined, 'the source never opened the file');
      writeSync(fd!, 'fifo-token\n');
      closeSync(fd!);
      const settled = await withTimeout(both, 3000);
      assert.notEqual(settled, 'timeout', 'a second read is still waiting for a writer');
      assert.deepEqual(settled, [{ status: 'fulfilled', value: 'fifo-token' }, { status: 'fulfilled', value: 'fifo-token' }]);
    } finally {
      // Release any reader still blocked in open() (only if the source is broken).
      closeSync(openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK));
    }
  });
});

describe('FileTokenSource.state', () => {
  test('describes the file and reads exp from a JWT without logging it', async () => {
    const exp = Date.parse('2030-01-01T00:00:00Z') / 1000;
    const jwt = ['{"alg":"none"}', JSON.stringify({ sub: 'system:serviceaccount:d:sa', exp }), 'sig']
      .map((p, i) => (i < 2 ? Buffer.from(p).toString('base64url') : p)).join('.');
    const { path, source } = setup(jwt);
    assert.deepEqual(source.state(), {
      description: `token file ${path}`, expiresAt: new Date(exp * 1000), lastError: undefined, reloads: 0, loaded: true,
    });
  });
  test('an opaque token has no expiry', () => {
    assert.equal(setup('opaque').source.state().expiresAt, undefined);
  });
});

describe('FileTokenSource with watch: true', () => {
  test('a rewritten file is used well before the minute is over', { timeout: 10_000 }, async () => {
    const dir = temp.make();
    const path = join(dir, 'token');
    writeFileSync(path, 'tok-v1');
    const source = FileTokenSource.load(path, { logger: recordingLogger(), watch: true });
    sources.push(source);
    assert.equal(await source.token(), 'tok-v1');
    await sleep(50); // let the watch settle
    writeFileSync(path, 'tok-v2');
    assert.ok(await eventually(async () => (await source.token()) === 'tok-v2', 2000), 'the new token was not seen within 2 s');
  });

  test('the kubelet\'s ..data symlink swap is picked up', { timeout: 10_000 }, async () => {
    // The projected volume layout: token -> ..data/token, ..data -> ..<timestamp>/
    const dir = temp.make();
    mkdirSync(join(dir, '..2026_01_01_v1'));
    writeFileSync(join(dir, '..2026_01_01_v1', 'token'), 'sa-v1');
    symlinkSync('..2026_01_01_v1', join(dir, '..data'));
    symlinkSync('..data/token', join(dir, 'token'));
    const source = FileTokenSource.load(join(dir, 'token'), { logger: recordingLogger(), watch: true });
    sources.push(source);
    assert.equal(await source.token(), 'sa-v1');
    await sleep(50);

    mkdirSync(join(dir, '..2026_01_01_v2'));
    writeFileSync(join(dir, '..2026_01_01_v2', 'token'), 'sa-v2');
    symlinkSync('..2026_01_01_v2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    assert.ok(await eventually(async () => (await source.token()) === 'sa-v2', 2000), 'the swapped token was not seen within 2 s');
  });
});
