// The proxy as a process in front of an HTTPS double of the API server:
// what reaches the API server and what comes back (kubectl-proxy.md §2.3, §2.4).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { http } from '../support/http.js';
import { type RunningProxy, startProxy } from '../support/proxy-process.js';
import { type StubApiServer, startStubApiServer } from '../support/stub-apiserver.js';

describe('proxy forwarding', () => {
  let stub: StubApiServer;
  let proxy: RunningProxy;

  before(async () => {
    stub = await startStubApiServer({ tokens: ['stub-token'] });
    proxy = await startProxy(['proxy', '--port=0', `--server=${stub.origin}`, `--certificate-authority=${stub.pki.caCertFile}`, '--token=stub-token']);
  });
  after(async () => {
    await proxy?.stop();
    await stub?.close();
  });

  const last = () => stub.requests.at(-1)!;

  it('prints the startup line with the chosen port', () => {
    assert.match(proxy.stdout(), /^Starting to serve on 127\.0\.0\.1:\d+\n$/);
    assert.ok(proxy.port > 0);
  });

  it('adds the bearer token, X-Forwarded-For and a User-Agent, and replaces Host', async () => {
    const res = await http(`${proxy.url}/api/v1/pods?limit=1`, { headers: { Host: 'localhost' } });
    assert.equal(res.status, 200);
    const req = last();
    assert.equal(req.url, '/api/v1/pods?limit=1');
    assert.equal(req.headers.authorization, 'Bearer stub-token');
    assert.equal(req.headers.host, `127.0.0.1:${stub.port}`);
    assert.equal(req.headers['x-forwarded-for'], '127.0.0.1');
    assert.match(String(req.headers['user-agent']), /^kube-ambassador\/v\d/);
    assert.equal(req.headers['accept-encoding'], 'gzip');
    assert.ok(req.headers['audit-id'], 'a request id goes upstream as Audit-ID');
  });

  it('passes a client Authorization and User-Agent through unchanged', async () => {
    stub.tokens.add('client-token');
    const res = await http(`${proxy.url}/api`, { headers: { Authorization: 'Bearer client-token', 'User-Agent': 'curl/8' } });
    assert.equal(res.status, 200);
    assert.equal(last().headers.authorization, 'Bearer client-token');
    assert.equal(last().headers['user-agent'], 'curl/8');
  });

  it('appends to an existing X-Forwarded-For and drops hop-by-hop headers', async () => {
    await http(`${proxy.url}/api`, {
      headers: { 'X-Forwarded-For': '1.2.3.4', Connection: 'X-Secret', 'X-Secret': 'no', 'Proxy-Authorization': 'x', TE: 'trailers, deflate' },
    });
    const h = last().headers;
    assert.equal(h['x-forwarded-for'], '1.2.3.4, 127.0.0.1');
    assert.equal(h['x-secret'], undefined);
    assert.equal(h['proxy-authorization'], undefined);
    assert.equal(h.te, 'trailers');
  });

  it('decompresses gzip it asked for, and passes gzip through when the client asked', async () => {
    const plain = await http(`${proxy.url}/gzip`);
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(JSON.parse(plain.body).items.length, 50);

    const zipped = await http(`${proxy.url}/gzip`, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(last().headers['accept-encoding'], 'gzip');
  });

  it('forwards request bodies and methods', async () => {
    const body = JSON.stringify({ kind: 'ConfigMap', data: { a: 'x'.repeat(100_000) } });
    const res = await http(`${proxy.url}/api/v1/namespaces/d/configmaps`, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
    assert.equal(res.status, 200);
    assert.equal(last().method, 'POST');
    assert.equal(last().body.toString(), body);
  });

  it('keeps CORS, Set-Cookie and Audit-Id, drops Connection-listed headers and Keep-Alive', async () => {
    const res = await http(`${proxy.url}/headers`);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.deepEqual(res.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(res.headers['audit-id'], 'stub-audit');
    assert.equal(res.headers['x-custom'], undefined);
    assert.notEqual(res.headers['keep-alive'], 'timeout=5');
  });

  it('passes redirects through without following them', async () => {
    const res = await http(`${proxy.url}/redirect`);
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, '/target');
  });

  it('answers the filter, routing and percent-decoding like kubectl', async () => {
    assert.equal((await http(`${proxy.url}/api`, { headers: { Host: 'evil.com' } })).body, 'Forbidden\n');
    assert.equal((await http(`${proxy.url}/api/v1/namespaces/d/pods/p/%65xec`)).status, 403);
    assert.equal((await http(`${proxy.url}/api/v1/namespaces/d/pods/p/portforward`)).status, 200);
    assert.equal((await http(`${proxy.url}/api`, { headers: { Host: `[::1]:${proxy.port}` } })).status, 200, 'IPv6 with a port is accepted (kubectl rejects it)');
  });
});
