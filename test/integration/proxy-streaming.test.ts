// Watches and upgrades through the proxy process: every chunk is forwarded
// as it arrives (the double sends the next one only after the test has
// received the previous), and upgrades are tunnelled both ways.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { rawHttp } from '../support/http.js';
import { type RunningProxy, startProxy } from '../support/proxy-process.js';
import { type StubApiServer, startStubApiServer } from '../support/stub-apiserver.js';

describe('proxy streaming and upgrades', () => {
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

  it('sends watch headers at once and each event as it happens', async () => {
    const events: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = request(`${proxy.url}/stream?name=w1&count=4&watch=true`, (res) => {
        assert.equal(res.statusCode, 200);
        assert.equal(res.headers['transfer-encoding'], 'chunked');
        let pending = '';
        res.on('data', (c: Buffer) => {
          pending += c.toString();
          let nl;
          while ((nl = pending.indexOf('\n')) >= 0) {
            events.push(pending.slice(0, nl));
            pending = pending.slice(nl + 1);
            stub.release('w1'); // the next event exists only once this one has arrived
          }
        });
        res.on('end', resolve);
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    assert.deepEqual(events.map((e) => JSON.parse(e).object.n), [0, 1, 2, 3]);
  });

  it('tunnels a WebSocket upgrade with credentials and echoes both ways', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/api/v1/namespaces/d/pods/p/portforward?ports=80`, ['v4.channel.k8s.io']);
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    assert.equal(ws.protocol, 'v4.channel.k8s.io');
    const echoed = new Promise<Buffer>((resolve) => ws.once('message', (d: Buffer) => resolve(d)));
    ws.send(Buffer.from([0, 1, 2, 3]));
    assert.deepEqual([...await echoed], [0, 1, 2, 3]);
    ws.close();
    const up = stub.requests.filter((r) => r.upgrade).at(-1)!;
    assert.equal(up.headers.authorization, 'Bearer stub-token');
    assert.equal(up.headers.upgrade, 'websocket');
    assert.equal(up.httpVersion, '1.1');
  });

  it('tunnels a SPDY upgrade and relays the raw 101', async () => {
    const socket = connect(proxy.port, '127.0.0.1');
    const got = await new Promise<string>((resolve, reject) => {
      let out = '';
      socket.on('data', (c: Buffer) => {
        out += c.toString('latin1');
        if (out.includes('\r\n\r\n') && !out.includes('ping')) socket.write('ping');
        if (out.endsWith('ping')) resolve(out);
      });
      socket.on('error', reject);
      socket.write('POST /api/v1/namespaces/d/pods/p/portforward HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n');
    });
    socket.destroy();
    assert.match(got, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(got, /X-Stream-Protocol-Version: portforward\.k8s\.io/);
  });

  it('relays an upstream 403 to an upgrade and closes the connection', async () => {
    const out = await rawHttp(proxy.port, 'GET /api/v1/namespaces/d/pods/forbidden/portforward HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    assert.match(out, /^HTTP\/1\.1 403 Forbidden\r\n/);
    assert.match(out, /"reason":"Forbidden"/);
  });

  it('answers an upstream 200 to an upgrade with an invalid-upgrade Status', async () => {
    const out = await rawHttp(proxy.port, 'GET /api/v1/namespaces/d/pods/plain200/portforward HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    assert.match(out, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
    assert.match(out, /invalid upgrade response: status code 200/);
  });

  it('rejects exec and attach upgrades by default, before dialing upstream', async () => {
    const before = stub.requests.length;
    const out = await rawHttp(proxy.port, 'GET /api/v1/namespaces/d/pods/p/exec?command=sh HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    assert.match(out, /^HTTP\/1\.1 403 Forbidden\r\n[\s\S]*\r\n\r\nForbidden\n$/);
    assert.equal(stub.requests.length, before);
  });

  it('cancels the upstream request when the client goes away', async () => {
    const controller = new AbortController();
    const req = request(`${proxy.url}/hang`, { signal: controller.signal });
    req.on('error', () => {});
    req.end();
    const deadline = Date.now() + 5000;
    while (!stub.requests.some((r) => r.url === '/hang') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    while (!stub.abandoned.includes('/hang') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(stub.abandoned.includes('/hang'), 'the API server saw the request cancelled');
  });

  it('aborts (not ends) the client response when upstream fails mid-body', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const req = request(`${proxy.url}/close-mid-body`, (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve('end'));
        res.on('error', () => resolve('aborted'));
        res.on('aborted', () => resolve('aborted'));
      });
      req.on('error', () => resolve('aborted'));
      req.end();
    });
    assert.equal(outcome, 'aborted');
  });
});
