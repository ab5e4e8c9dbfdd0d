// A rotated token file is picked up without a restart: on change (watch), at
// least once a minute, and right after a 401 — which is then retried once when
// the request can be replayed, so a rotation costs no failed request.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileTokenSource } from '../../src/credentials/file-token-source.js';
import { createLogger } from '../../src/logging/logger.js';
import { http } from '../support/http.js';
import { type InProcessProxy, startInProcessProxy } from '../support/in-process-proxy.js';
import { type StubApiServer, startStubApiServer } from '../support/stub-apiserver.js';

describe('token reload through the proxy', () => {
  let stub: StubApiServer;
  let dir: string;
  let tokenFile: string;
  let proxy: InProcessProxy;
  const logLines: string[] = [];

  before(async () => {
    stub = await startStubApiServer({ tokens: ['tok-v1'] });
    dir = mkdtempSync(join(tmpdir(), 'kube-ambassador-tokens-'));
    tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'tok-v1\n');
    const logger = createLogger({ format: 'json', level: 'info', write: (l) => logLines.push(l) });
    // No watch: only the 401 path can notice the change.
    const tokens = FileTokenSource.load(tokenFile, { logger, watch: false });
    proxy = await startInProcessProxy({ origin: stub.origin, caFile: stub.pki.caCertFile, tokens });
  });
  after(async () => {
    await proxy?.close();
    await stub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const seenTokens = () => stub.requests.map((r) => r.headers.authorization);

  it('re-reads the token after a 401 and retries a GET once: no failed request', async () => {
    assert.equal((await http(`${proxy.url}/api`)).status, 200);
    stub.tokens.clear();
    stub.tokens.add('tok-v2');
    writeFileSync(tokenFile, 'tok-v2\n');
    const before = stub.requests.length;
    const res = await http(`${proxy.url}/api`);
    assert.equal(res.status, 200);
    assert.deepEqual(seenTokens().slice(before), ['Bearer tok-v1', 'Bearer tok-v2']);
  });

  it('passes a 401 through when the file has no new token, after re-reading it', async () => {
    stub.tokens.clear();
    const res = await http(`${proxy.url}/api`);
    assert.equal(res.status, 401);
    assert.equal(JSON.parse(res.body).reason, 'Unauthorized', "the API server's own Status");
    stub.tokens.add('tok-v2');
  });

  it('does not replay a request with a body, but the next request has the new token', async () => {
    stub.tokens.clear();
    stub.tokens.add('tok-v3');
    writeFileSync(tokenFile, 'tok-v3');
    const before = stub.requests.length;
    const post = await http(`${proxy.url}/api/v1/namespaces/d/configmaps`, { method: 'POST', body: '{"kind":"ConfigMap"}' });
    assert.equal(post.status, 401);
    assert.equal(stub.requests.length, before + 1, 'sent once');
    assert.equal((await http(`${proxy.url}/api`)).status, 200);
    assert.equal(seenTokens().at(-1), 'Bearer tok-v3');
  });

  it('keeps the last good token when the file disappears, and says so once', async () => {
    unlinkSync(tokenFile);
    stub.tokens.add('stale-but-valid');
    stub.tokens.delete('tok-v3');
    // The 401 forces a read of the missing file; the old token stays.
    assert.equal((await http(`${proxy.url}/api`)).status, 401);
    assert.equal((await http(`${proxy.url}/api`)).status, 401);
    assert.equal(seenTokens().at(-1), 'Bearer tok-v3');
    const warnings = logLines.filter((l) => l.includes('keeping the last good token'));
    assert.equal(warnings.length, 1, logLines.join(''));
    assert.ok(!logLines.join('').includes('tok-v'), 'no token in the log');
  });
});
