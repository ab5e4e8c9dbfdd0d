// Start-up errors as one line and exit 1; listening on TCP and unix sockets;
// graceful shutdown on SIGTERM (kubectl proxy just dies).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { http } from '../support/http.js';
import { runCli, startProxy } from '../support/proxy-process.js';
import { type StubApiServer, startStubApiServer } from '../support/stub-apiserver.js';

describe('proxy lifecycle', () => {
  let stub: StubApiServer;
  let dir: string;
  let upstreamArgs: string[];

  before(async () => {
    stub = await startStubApiServer({ tokens: ['tok'] });
    dir = mkdtempSync(join(tmpdir(), 'kube-ambassador-life-'));
    upstreamArgs = [`--server=${stub.origin}`, `--certificate-authority=${stub.pki.caCertFile}`, '--token=tok'];
  });
  after(async () => {
    await stub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const oneLineError = (r: { code: number | null; stderr: string }, pattern: RegExp) => {
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line, got: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  };

  it('refuses to start with nothing configured, in one line', async () => {
    oneLineError(await runCli(['proxy']), /^error: no cluster configured/);
  });

  it('reports bad flags in one line', async () => {
    oneLineError(await runCli(['proxy', '--nope']), /^error: unknown flag: --nope$/m);
    oneLineError(await runCli(['proxy', '--keepalive=abc', ...upstreamArgs]), /invalid argument "abc" for "--keepalive" flag: time: invalid duration "abc"/);
    oneLineError(await runCli(['proxy', '--unix-socket=/tmp/x.sock', '--port=9000', ...upstreamArgs]), /cannot set --unix-socket and --port at the same time/);
    oneLineError(await runCli(['proxy', '--accept-hosts=^(foo$', ...upstreamArgs]), /invalid regular expression "\^\(foo\$" in --accept-hosts/);
    oneLineError(await runCli(['proxy', '--kubeconfig=/nonexistent']), /^error: stat \/nonexistent: no such file or directory$/m);
    oneLineError(await runCli(['proxy', '--upstream-connections=0', ...upstreamArgs]), /--upstream-connections must be at least 1, not 0/);
  });

  it('reports a port in use in one line', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      oneLineError(await runCli(['proxy', `--port=${port}`, ...upstreamArgs]), new RegExp(`listen tcp 127\\.0\\.0\\.1:${port}: bind: address already in use`));
    } finally {
      taken.close();
    }
  });

  it('serves on a unix socket with mode 0700 (umask 077), replaces a stale socket and removes it on exit', async () => {
    const socketPath = join(dir, 'proxy.sock');
    const first = await startProxy(['proxy', `--unix-socket=${socketPath}`, ...upstreamArgs]);
    assert.equal(first.address, socketPath);
    assert.equal(statSync(socketPath).mode & 0o777, 0o700, 'srwx------ as kubectl');
    assert.equal((await http('http://localhost/api', { socketPath })).status, 200);
    assert.equal(stub.requests.at(-1)!.headers['x-forwarded-for'], undefined, 'no X-Forwarded-For from a unix client');
    await first.stop('SIGKILL'); // leaves the socket file behind
    assert.ok(existsSync(socketPath));
    const second = await startProxy(['proxy', `--unix-socket=${socketPath}`, ...upstreamArgs]);
    assert.equal((await http('http://localhost/api', { socketPath })).status, 200);
    assert.deepEqual(await second.stop('SIGTERM'), { code: 0, signal: null });
    assert.ok(!existsSync(socketPath), 'socket removed on shutdown');
  });

  it('will not replace a regular file with its socket', async () => {
    const file = join(dir, 'not-a-socket');
    writeFileSync(file, 'keep me');
    oneLineError(await runCli(['proxy', `--unix-socket=${file}`, ...upstreamArgs]), /bind: address already in use/);
    assert.ok(existsSync(file));
  });

  it('on SIGTERM finishes in-flight requests, ends watches cleanly and exits 0', async () => {
    const proxy = await startProxy(['proxy', '--port=0', ...upstreamArgs]);
    const watchEnd = new Promise<string>((resolve) => {
      const req = request(`${proxy.url}/stream?name=shutdown&count=100&watch=1`, (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve('end'));
        res.on('aborted', () => resolve('aborted'));
        res.on('error', () => resolve('aborted'));
      });
      req.on('error', () => resolve('error'));
      req.end();
    });
    while (!stub.requests.some((r) => r.url.includes('name=shutdown'))) await new Promise((r) => setTimeout(r, 10));
    const slow = http(`${proxy.url}/slow?ms=700`);
    while (!stub.requests.some((r) => r.url.startsWith('/slow'))) await new Promise((r) => setTimeout(r, 10));
    const exited = proxy.stop('SIGTERM');
    assert.equal(await watchEnd, 'end', 'the watch ended with a proper chunked terminator');
    assert.equal((await slow).status, 200, 'the in-flight request finished');
    assert.deepEqual(await exited, { code: 0, signal: null });
    await assert.rejects(http(`${proxy.url}/api`), /ECONNREFUSED/);
  });
});
