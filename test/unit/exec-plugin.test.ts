// Exec credential plugins (src/credentials/exec-plugin.ts) against client-go's
// plugin/pkg/client/auth/exec: reference §3.4 and §6 item 12. The plugin is a
// small sh script in a temp folder that prints response.json, counts its runs
// and records what it was given.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  type ExecConfig, type ExecCredential, ExecTokenSource, type ExecTokenSourceOptions, parseExecCredential,
} from '../../src/credentials/exec-plugin.js';
import { CredentialsUnavailableError } from '../../src/credentials/token-source.js';
import { manualClock, recordingLogger, TempDirs } from './support/fixtures.js';

const temp = new TempDirs();
after(() => temp.removeAll());

const v1 = 'client.authentication.k8s.io/v1';
const v1beta1 = 'client.authentication.k8s.io/v1beta1';

const script = `#!/bin/sh
here=$(dirname "$0")
n=$(cat "$here/runs" 2>/dev/null || echo 0)
echo $((n + 1)) > "$here/runs"
printf '%s' "$KUBERNETES_EXEC_INFO" > "$here/exec-info.json"
printf '%s' "$PLUGIN_GREETING" > "$here/greeting"
printf '%s\\n' "$@" > "$here/args"
if [ -f "$here/sleep" ]; then exec sleep "$(cat "$here/sleep")"; fi
cat "$here/response.json"
exit "$(cat "$here/exit-code" 2>/dev/null || echo 0)"
`;

/** ExecCredential JSON as a plugin prints it. */
function credential(status: object | undefined, apiVersion = v1): string {
  return JSON.stringify({ kind: 'ExecCredential', apiVersion, ...(status ? { status } : {}) });
}

/** A plugin in its own folder; `respond` changes what the next run prints. */
function plugin(response: string) {
  const dir = temp.make('ka-exec-');
  const command = join(dir, 'plugin.sh');
  writeFileSync(command, script);
  chmodSync(command, 0o755);
  writeFileSync(join(dir, 'response.json'), response);
  const read = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : undefined);
  return {
    dir,
    command,
    respond: (text: string) => writeFileSync(join(dir, 'response.json'), text),
    exitWith: (code: number) => writeFileSync(join(dir, 'exit-code'), String(code)),
    sleepFor: (seconds: number) => writeFileSync(join(dir, 'sleep'), String(seconds)),
    runs: () => Number(read('runs') ?? 0),
    execInfo: () => JSON.parse(read('exec-info.json') ?? 'null') as unknown,
    greeting: () => read('greeting'),
    args: () => read('args'),
  };
}

function source(config: Partial<ExecConfig> & { command: string }, options: Partial<ExecTokenSourceOptions> = {}): ExecTokenSource {
  return new ExecTokenSource({ apiVersion: v1, ...config }, { logger: recordingLogger(), env: { PATH: process.env.PATH }, ...options });
}

function rejectsWith(message: string | RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof CredentialsUnavailableError, `want CredentialsUnavailableError, got ${String(err)}`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  };
}

describe('ExecTokenSource: when the plugin runs', () => {
  test('lazily: constructing the source runs nothing', () => {
    const p = plugin(credential({ token: 'tok-1' }));
    const s = source({ command: p.command });
    assert.equal(p.runs(), 0);
    assert.equal(s.state().loaded, false);
  });

  test('the first token() runs it; later calls use the cached token', async () => {
    const p = plugin(credential({ token: 'tok-1' }));
    const s = source({ command: p.command });
    assert.equal(await s.token(), 'tok-1');
    assert.equal(await s.token(), 'tok-1');
    assert.equal(p.runs(), 1);
    assert.equal(s.state().loaded, true);
  });

  test('concurrent token() calls share one run', async () => {
    const p = plugin(credential({ token: 'tok-1' }));
    const s = source({ command: p.command });
    assert.deepEqual(await Promise.all([s.token(), s.token(), s.token()]), ['tok-1', 'tok-1', 'tok-1']);
    assert.equal(p.runs(), 1);
  });

  const expiry = Date.parse('2026-01-01T01:00:00Z');
  const rows: { name: string; nowMs: number; runs: number; token: string }[] = [
    { name: 'well before expirationTimestamp: cached', nowMs: expiry - 30 * 60_000, runs: 1, token: 'tok-1' },
    { name: 'one second before expiry: cached', nowMs: expiry - 1000, runs: 1, token: 'tok-1' },
    { name: 'one second after expiry: run again', nowMs: expiry + 1000, runs: 2, token: 'tok-2' },
    { name: 'a day after expiry: run again', nowMs: expiry + 86_400_000, runs: 2, token: 'tok-2' },
  ];
  for (const row of rows) {
    test(`cached until expirationTimestamp: ${row.name}`, async () => {
      const p = plugin(credential({ token: 'tok-1', expirationTimestamp: new Date(expiry).toISOString() }));
      const clock = manualClock(expiry - 3_600_000);
      const s = source({ command: p.command }, { now: clock.now });
      assert.equal(await s.token(), 'tok-1');
      p.respond(credential({ token: 'tok-2', expirationTimestamp: new Date(expiry + 7_200_000).toISOString() }));
      clock.set(row.nowMs);
      assert.equal(await s.token(), row.token);
      assert.equal(p.runs(), row.runs);
    });
  }

  test('without expirationTimestamp the token is kept for good', async () => {
    const p = plugin(credential({ token: 'tok-1' }));
    const clock = manualClock();
    const s = source({ command: p.command }, { now: clock.now });
    await s.token();
    clock.advance(30 * 86_400_000);
    p.respond(credential({ token: 'tok-2' }));
    assert.equal(await s.token(), 'tok-1');
    assert.equal(p.runs(), 1);
  });

  test('refreshAfterUnauthorized runs the plugin again and reports a new token', async () => {
    const p = plugin(credential({ token: 'tok-1' }));
    const s = source({ command: p.command });
    await s.token();
    p.respond(credential({ token: 'tok-2' }));
    assert.equal(await s.refreshAfterUnauthorized('tok-1'), true);
    assert.equal(p.runs(), 2);
    assert.equal(await s.token(), 'tok-2');
  });

  test('a new token from refreshAfterUnauthorized counts as a reload in state()', async () => {
      const p = plugin(credential({ token: 'tok-1' }));
      const s = source({ command: p.command });
      await s.token();
      p.respond(credential({ token: 'tok-2' }));
      await s.refreshAfterUnauthorized('tok-1');
      assert.equal(s.state().reloads, 1);
    });

  test('a re-run after expiry counts as a reload in state()', async () => {
    const p = plugin(credential({ token: 'tok-1', expirationTimestamp: '2026-01-01T00:01:00Z' }));
    const clock = manualClock(Date.parse('2026-01-01T00:00:00Z'));
    const s = source({ command: p.command }, { now: clock.now });
    await s.token();
    p.respond(credential({ token: 'tok-2' }));
    clock.advance(120_000);
    assert.equal(await s.token(), 'tok-2');
    assert.equal(s.state().reloads, 1);
  });

  test('refreshAfterUnauthorized gives false when the plugin returns the same token', async () => {
    const p = plugin(credential({ token: 'tok-1' }));
    const s = source({ command: p.command });
    await s.token();
    assert.equal(await s.refreshAfterUnauthorized('tok-1'), false);
    assert.equal(p.runs(), 2);
  });

  test('refreshAfterUnauthorized for an older token does not run the plugin', async () => {
    const p = plugin(credential({ token: 'tok-1' }));
    const s = source({ command: p.command });
    await s.token();
    assert.equal(await s.refreshAfterUnauthorized('tok-0'), true);
    assert.equal(p.runs(), 1);
  });

  test('refreshAfterUnauthorized gives false when the plugin now fails', async () => {
    const p = plugin(credential({ token: 'tok-1' }));
    const s = source({ command: p.command });
    await s.token();
    p.exitWith(1);
    assert.equal(await s.refreshAfterUnauthorized('tok-1'), false);
  });

  test('after a failed refresh the cached credential is kept (client-go keeps cachedCreds on a refresh error)', async () => {
      const p = plugin(credential({ token: 'tok-1' }));
      const s = source({ command: p.command });
      await s.token();
      p.exitWith(1);
      await s.refreshAfterUnauthorized('tok-1');
      assert.equal(await s.token(), 'tok-1');
    });
});

describe('ExecTokenSource: what the plugin is given', () => {
  test('KUBERNETES_EXEC_INFO is a v1 ExecCredential with interactive: false', async () => {
    const p = plugin(credential({ token: 't' }));
    await source({ command: p.command }).token();
    assert.deepEqual(p.execInfo(), { kind: 'ExecCredential', apiVersion: v1, spec: { interactive: false } });
  });

  test('v1beta1 plugins get a v1beta1 ExecCredential', async () => {
    const p = plugin(credential({ token: 'beta-token' }, v1beta1));
    assert.equal(await source({ command: p.command, apiVersion: v1beta1 }).token(), 'beta-token');
    assert.deepEqual(p.execInfo(), { kind: 'ExecCredential', apiVersion: v1beta1, spec: { interactive: false } });
  });

  test('provideClusterInfo adds spec.cluster', async () => {
    const p = plugin(credential({ token: 't' }));
    const cluster = { server: 'https://10.0.0.1:6443', 'certificate-authority-data': 'Q0E=', config: { audience: 'k8s' } };
    await source({ command: p.command, provideClusterInfo: true }, { cluster }).token();
    assert.deepEqual(p.execInfo(), { kind: 'ExecCredential', apiVersion: v1, spec: { interactive: false, cluster } });
  });

  test('without provideClusterInfo no cluster is sent', async () => {
    const p = plugin(credential({ token: 't' }));
    await source({ command: p.command }, { cluster: { server: 'https://x' } }).token();
    assert.deepEqual(p.execInfo(), { kind: 'ExecCredential', apiVersion: v1, spec: { interactive: false } });
  });

  test('env entries from the kubeconfig reach the plugin', async () => {
    const p = plugin(credential({ token: 't' }));
    await source({ command: p.command, env: [{ name: 'PLUGIN_GREETING', value: 'hello plugin' }] }).token();
    assert.equal(p.greeting(), 'hello plugin');
  });

  test('the given environment reaches the plugin', async () => {
    const p = plugin(credential({ token: 't' }));
    await source({ command: p.command }, { env: { PATH: process.env.PATH, PLUGIN_GREETING: 'from env' } }).token();
    assert.equal(p.greeting(), 'from env');
  });

  test('kubeconfig env entries win over the inherited environment', async () => {
    const p = plugin(credential({ token: 't' }));
    await source({ command: p.command, env: [{ name: 'PLUGIN_GREETING', value: 'kubeconfig' }] },
      { env: { PATH: process.env.PATH, PLUGIN_GREETING: 'inherited' } }).token();
    assert.equal(p.greeting(), 'kubeconfig');
  });

  test('args are passed one by one', async () => {
    const p = plugin(credential({ token: 't' }));
    await source({ command: p.command, args: ['get-token', '--cluster', 'a b'] }).token();
    assert.equal(p.args(), 'get-token\n--cluster\na b\n');
  });
});

describe('ExecTokenSource: failures are CredentialsUnavailableErrors ("getting credentials: ...")', () => {
  test('a non-zero exit', async () => {
    const p = plugin(credential({ token: 't' }));
    p.exitWith(3);
    const s = source({ command: p.command });
    await assert.rejects(s.token(), rejectsWith(`getting credentials: exec: executable ${p.command} failed with exit code 3`));
    assert.match(s.state().lastError ?? '', /exit code 3/);
    assert.equal(s.state().loaded, false);
  });

  test('a missing command says "not found" and shows the installHint', async () => {
    const s = source({ command: '/nonexistent/kubelogin', installHint: 'Install kubelogin: https://example.invalid/kubelogin' });
    await assert.rejects(s.token(), (err: unknown) => {
      assert.ok(err instanceof CredentialsUnavailableError);
      assert.ok(err.message.startsWith('getting credentials: exec: executable /nonexistent/kubelogin not found'), err.message);
      assert.ok(err.message.includes('Install kubelogin: https://example.invalid/kubelogin'), err.message);
      return true;
    });
  });

  test('a plugin answering with another apiVersion', async () => {
    const p = plugin(credential({ token: 't' }, v1beta1));
    await assert.rejects(source({ command: p.command, apiVersion: v1 }).token(),
      rejectsWith(`getting credentials: exec plugin is configured to use API version ${v1}, plugin returned version ${v1beta1}`));
  });

  test('a configured apiVersion that is not supported fails at construction', () => {
    assert.throws(() => source({ command: '/bin/true', apiVersion: 'client.authentication.k8s.io/v1alpha1' }),
      rejectsWith(/unsupported apiVersion "client\.authentication\.k8s\.io\/v1alpha1"/));
  });

  test('output that is not JSON', async () => {
    const p = plugin('this is not json');
    await assert.rejects(source({ command: p.command }).token(), rejectsWith(/^getting credentials: decoding stdout/));
  });

  test('a certificate-only credential has no token for token()', async () => {
    const p = plugin(credential({ clientCertificateData: 'CERT', clientKeyData: 'KEY' }));
    const s = source({ command: p.command });
    await assert.rejects(s.token(), CredentialsUnavailableError);
    const cred = await s.credential();
    assert.equal(cred.clientCertificateData, 'CERT');
    assert.equal(cred.clientKeyData, 'KEY');
  });

  test('a plugin that hangs is killed after timeoutMs', { timeout: 10_000 }, async () => {
    const p = plugin(credential({ token: 't' }));
    p.sleepFor(5);
    const started = Date.now();
    await assert.rejects(source({ command: p.command }, { timeoutMs: 300 }).token(), rejectsWith(/did not finish within 0\.3s/));
    assert.ok(Date.now() - started < 4000, 'gave up in time');
  });

  test('after a failure the next token() runs the plugin again', async () => {
    const p = plugin(credential({ token: 'tok-1' }));
    p.exitWith(1);
    const s = source({ command: p.command });
    await assert.rejects(s.token());
    p.exitWith(0);
    assert.equal(await s.token(), 'tok-1');
    assert.equal(p.runs(), 2);
    assert.equal(s.state().lastError, undefined);
  });
});

describe('parseExecCredential', () => {
  const exp = '2030-01-01T00:00:00Z';
  const ok: { name: string; stdout: string; want: ExecCredential }[] = [
    { name: 'a token', stdout: credential({ token: 't' }), want: { token: 't', clientCertificateData: undefined, clientKeyData: undefined } },
    { name: 'a token with an expiry', stdout: credential({ token: 't', expirationTimestamp: exp }), want: { token: 't', clientCertificateData: undefined, clientKeyData: undefined, expiresAt: new Date(exp) } },
    { name: 'a certificate and key', stdout: credential({ clientCertificateData: 'C', clientKeyData: 'K' }), want: { token: undefined, clientCertificateData: 'C', clientKeyData: 'K' } },
    { name: 'an empty token next to a certificate and key', stdout: credential({ token: '', clientCertificateData: 'C', clientKeyData: 'K' }), want: { token: undefined, clientCertificateData: 'C', clientKeyData: 'K' } },
    { name: 'surrounding whitespace', stdout: `\n  ${credential({ token: 't' })}\n`, want: { token: 't', clientCertificateData: undefined, clientKeyData: undefined } },
    { name: 'unknown fields are ignored', stdout: JSON.stringify({ kind: 'ExecCredential', apiVersion: v1, spec: { interactive: false }, status: { token: 't', extra: 1 } }), want: { token: 't', clientCertificateData: undefined, clientKeyData: undefined } },
  ];
  for (const row of ok) test(`accepts ${row.name}`, () => assert.deepEqual(parseExecCredential(row.stdout, v1), row.want));

  const bad: { name: string; stdout: string; message: string | RegExp; todo?: string }[] = [
    { name: 'not JSON', stdout: 'token: t', message: /^decoding stdout/ },
    { name: 'empty output', stdout: '', message: /^decoding stdout/ },
    { name: 'another kind', stdout: JSON.stringify({ kind: 'Status', apiVersion: v1, status: { token: 't' } }), message: /kind "Status"/ },
    { name: 'another apiVersion', stdout: credential({ token: 't' }, v1beta1), message: `exec plugin is configured to use API version ${v1}, plugin returned version ${v1beta1}` },
    { name: 'no status', stdout: credential(undefined), message: "exec plugin didn't return a status field" },
    { name: 'an empty status', stdout: credential({}), message: "exec plugin didn't return a token or cert/key pair" },
    { name: 'a certificate without a key', stdout: credential({ clientCertificateData: 'C' }), message: /cert/ },
    {
      name: 'a token plus a certificate without its key', stdout: credential({ token: 't', clientCertificateData: 'C' }), message: 'exec plugin returned only certificate or key, not both',
    },
    { name: 'an invalid expirationTimestamp', stdout: credential({ token: 't', expirationTimestamp: 'tomorrow' }), message: /invalid expirationTimestamp "tomorrow"/ },
  ];
  for (const row of bad) {
    test(`rejects ${row.name}`, { todo: row.todo }, () => {
      assert.throws(() => parseExecCredential(row.stdout, v1), typeof row.message === 'string' ? { message: row.message } : { message: row.message });
    });
  }
});
