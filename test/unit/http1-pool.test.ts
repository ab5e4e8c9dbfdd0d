// The keep-alive HTTP/1.1 pool (src/transport/http1-pool.ts, http1-connection.ts,
// connect-socket.ts) against local servers: node:http for well-formed traffic,
// raw TCP servers to script exact bytes and faults, https with a test CA for TLS.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { describe, test, type TestContext } from 'node:test';
import type { ConnectionOptions } from 'node:tls';
import { connectSocket } from '../../src/transport/connect-socket.js';
import { Http1Pool, type Http1PoolOptions } from '../../src/transport/http1-pool.js';
import { silentServer } from '../support/net.js';
import {
  deferred, delay, get, holdingServer, rawServer, trustTestCa, within,
  assertEnded, assertFailed, assertOneOutcome, send, settled,
} from '../support/transport-harness.js';

interface PoolOptions extends Partial<Http1PoolOptions> {
  tls?: ConnectionOptions;
  connectTimeoutMs?: number;
}

/** A pool to `origin` through connectSocket, destroyed when the test ends. */
function pool(t: TestContext, origin: string, options: PoolOptions = {}): Http1Pool {
  const url = new URL(origin);
  const { tls, connectTimeoutMs, ...rest } = options;
  const p = new Http1Pool({
    connect: () => connectSocket({
      origin: url, tls: url.protocol === 'https:' ? tls ?? trustTestCa() : undefined, timeoutMs: connectTimeoutMs ?? 5000, keepAliveMs: null,
    }, { alpn: ['http/1.1'] }),
    host: url.host,
    maxConnections: 4,
    headersTimeoutMs: 0,
    idleTimeoutMs: 30_000,
    ...rest,
  });
  t.after(() => p.destroy());
  return p;
}

const ok = (body: string, extra = '') => `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

describe('Http1Pool: requests and responses', () => {
  test('a GET round trip: method, path, Host and headers go out; status, flat headers in their case and order, and the body come back', { timeout: 10_000 }, async (t) => {
    const seen = deferred<{ method?: string; url?: string; rawHeaders: string[] }>();
    const server = await holdingServer({
      answer: ({ req, res }) => {
        seen.resolve(req);
        res.writeHead(201, [['X-Custom', 'a'], ['Set-Cookie', 'one=1'], ['Set-Cookie', 'two=2'], ['content-type', 'text/plain'], ['Content-Length', '5']]);
        res.end('hello');
      },
    });
    t.after(() => server.close());
    const p = pool(t, server.origin);
    const r = send(p, get('/api/v1/namespaces?limit=5&labelSelector=a%3Db', ['Accept', 'application/json', 'X-Two', '1', 'X-Two', '2']));
    await settled(r);
    const req = await seen.promise;
    assert.equal(req.method, 'GET');
    assert.equal(req.url, '/api/v1/namespaces?limit=5&labelSelector=a%3Db');
    assert.deepEqual(req.rawHeaders, ['Host', new URL(server.origin).host, 'Accept', 'application/json', 'X-Two', '1', 'X-Two', '2']);

    assertEnded(r);
    assert.equal(r.status, 201);
    const names = r.headers.filter((_v, i) => i % 2 === 0);
    assert.deepEqual(names.filter((n) => !['Date', 'Connection', 'Keep-Alive'].includes(n)),
      ['X-Custom', 'Set-Cookie', 'Set-Cookie', 'content-type', 'Content-Length']);
    assert.deepEqual(r.header('set-cookie'), ['one=1', 'two=2']);
    assert.deepEqual(r.header('x-custom'), ['a']);
    assert.equal(r.body.toString(), 'hello');
    assert.deepEqual(r.events.filter((e) => e !== 'data'), ['start', 'head', 'end']);
  });

  test('a chunked response with many chunks arrives whole', { timeout: 10_000 }, async (t) => {
    const parts = Array.from({ length: 50 }, (_v, i) => `part-${i};`);
    const server = await holdingServer({
      answer: ({ res }) => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        for (const part of parts) res.write(part);
        res.end();
      },
    });
    t.after(() => server.close());
    const r = send(pool(t, server.origin), get('/chunked'));
    await settled(r);
    assertEnded(r);
    assert.deepEqual(r.header('transfer-encoding'), ['chunked']);
    assert.equal(r.body.toString(), parts.join(''));
  });

  test('more than 32 response headers (delivered by the parser in pieces), written a few bytes at a time, all arrive in order', { timeout: 10_000 }, async (t) => {
    const names = Array.from({ length: 45 }, (_v, i) => [`X-H${i}`, `value-${i}`] as const);
    const response = `HTTP/1.1 200 OK\r\n${names.map(([n, v]) => `${n}: ${v}\r\n`).join('')}Content-Length: 2\r\n\r\nok`;
    const server = await rawServer(async (conn) => {
      await conn.nextRequest();
      for (let i = 0; i < response.length; i += 97) {
        await new Promise<void>((resolve) => conn.socket.write(response.slice(i, i + 97), () => resolve()));
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
    t.after(() => server.close());
    const r = send(pool(t, server.origin), get('/many-headers'));
    await settled(r);
    assertEnded(r);
    assert.deepEqual(r.headers, [...names.flat(), 'Content-Length', '2']);
    assert.equal(r.body.toString(), 'ok');
  });

  test('over TLS (the test CA, ALPN http/1.1): a round trip, and the connection is reused', { timeout: 10_000 }, async (t) => {
    const server = await holdingServer({ tls: true, answer: ({ req, res }) => res.end(`hi ${req.url}`) });
    t.after(() => server.close());
    const p = pool(t, server.origin);
    const a = send(p, get('/a'));
    await settled(a);
    const b = send(p, get('/b'));
    await settled(b);
    assertEnded(a);
    assertEnded(b);
    assert.equal(a.body.toString(), 'hi /a');
    assert.equal(b.body.toString(), 'hi /b');
    assert.equal(server.connections, 1);
  });

  test('a server certificate the CA did not sign fails the request with a TLS error', { timeout: 10_000 }, async (t) => {
    const server = await holdingServer({ tls: true, answer: ({ res }) => res.end() });
    t.after(() => server.close());
    const r = send(pool(t, server.origin, { tls: {} }), get('/'));
    await settled(r);
    assert.ok(r.error);
    assert.match(String((r.error as NodeJS.ErrnoException).code), /CERT|SELF_SIGNED|UNABLE_TO/);
    assertOneOutcome(r);
  });
});

describe('Http1Pool: connection reuse and limits', () => {
  test('two sequential requests use one TCP connection', { timeout: 10_000 }, async (t) => {
    const server = await holdingServer({ answer: ({ res }) => res.end('x') });
    t.after(() => server.close());
    const p = pool(t, server.origin);
    for (const path of ['/1', '/2', '/3']) {
      const r = send(p, get(path));
      await settled(r);
      assertEnded(r);
    }
    assert.equal(server.connections, 1);
  });

  test('the most recently freed idle connection is used first (LIFO)', { timeout: 10_000 }, async (t) => {
    const server = await holdingServer();
    t.after(() => server.close());
    const p = pool(t, server.origin);
    const a = send(p, get('/a'));
    const b = send(p, get('/b'));
    const first = await server.requests.next();
    const second = await server.requests.next();
    const heldA = first.req.url === '/a' ? first : second;
    const heldB = first.req.url === '/a' ? second : first;
    assert.notEqual(heldA.connection, heldB.connection);
    heldA.res.end('a');
    await settled(a);
    heldB.res.end('b');
    await settled(b);
    const c = send(p, get('/c'));
    const heldC = await server.requests.next();
    assert.equal(heldC.connection, heldB.connection, 'the connection freed last carries the next request');
    heldC.res.end('c');
    await settled(c);
    assertEnded(c);
    assert.equal(server.connections, 2);
  });

  test('maxConnections 2 with 5 concurrent requests: never more than 2 connections, the rest queue in order, all 5 complete', { timeout: 10_000 }, async (t) => {
    const server = await holdingServer();
    t.after(() => server.close());
    const p = pool(t, server.origin, { maxConnections: 2 });
    const recorders = [0, 1, 2, 3, 4].map((i) => send(p, get(`/${i}`)));
    const first = await server.requests.next();
    const second = await server.requests.next();
    assert.deepEqual([first.req.url, second.req.url].sort(), ['/0', '/1']);
    // Answer one at a time: each freed connection takes the oldest queued request.
    const byUrl = new Map([[first.req.url, first], [second.req.url, second]]);
    for (const [answer, expectNext] of [['/0', '/2'], ['/1', '/3'], ['/2', '/4']] as const) {
      byUrl.get(answer)!.res.end(`body ${answer}`);
      const next = await server.requests.next();
      assert.equal(next.req.url, expectNext);
      byUrl.set(next.req.url!, next);
    }
    byUrl.get('/3')!.res.end('body /3');
    byUrl.get('/4')!.res.end('body /4');
    await Promise.all(recorders.map((r) => settled(r)));
    recorders.forEach((r, i) => {
      assertEnded(r);
      assert.equal(r.body.toString(), `body /${i}`);
    });
    assert.equal(server.connections, 2);
    assert.equal(server.maxOpen, 2);
  });

  test('a queued request that is aborted leaves the queue at once; the others still complete', { timeout: 10_000 }, async (t) => {
    const server = await holdingServer();
    t.after(() => server.close());
    const p = pool(t, server.origin, { maxConnections: 1 });
    const a = send(p, get('/a'));
    const b = send(p, get('/b'));
    const c = send(p, get('/c'));
    const heldA = await server.requests.next();
    const reason = new Error('client gone');
    b.control!.abort(reason);
    await settled(b);
    assert.equal(b.error, reason);
    assertOneOutcome(b);
    heldA.res.end('a');
    const heldC = await server.requests.next();
    assert.equal(heldC.req.url, '/c', 'the aborted request is never sent');
    heldC.res.end('c');
    await Promise.all([settled(a), settled(c)]);
    assertEnded(a);
    assertEnded(c);
    assert.equal(server.requests.all.length, 2);
  });

  test('a request aborted while its connection is being opened fails at once; the connection, once open, serves the next request', { timeout: 10_000 }, async (t) => {
    const server = await rawServer(async (conn) => {
      await conn.nextRequest();
      conn.socket.write(ok('next'));
    });
    t.after(() => server.close());
    const url = new URL(server.origin);
    const socket = deferred<Socket>();
    let connects = 0;
    const p = new Http1Pool({
      connect: () => { connects++; return socket.promise; }, host: url.host, maxConnections: 1, headersTimeoutMs: 0, idleTimeoutMs: 30_000,
    });
    t.after(() => p.destroy());
    const a = send(p, get('/a'));
    const reason = new Error('client gone');
    a.control!.abort(reason);
    await settled(a);
    assert.equal(a.error, reason);
    assertOneOutcome(a);
    socket.resolve(await connectSocket({ origin: url, tls: undefined, timeoutMs: 2000, keepAliveMs: null }));
    await socket.promise;
    const b = send(p, get('/b'));
    await settled(b);
    assertEnded(b);
    assert.equal(connects, 1);
    assert.equal(server.connections.length, 1);
    assert.match(server.connections[0]!.received.toString('latin1'), /^GET \/b /, 'the aborted request was never written');
  });

  test('a request aborted in onStart fails with the reason and opens no connection', { timeout: 10_000 }, async (t) => {
    const server = await rawServer();
    t.after(() => server.close());
    const reason = new Error('already gone');
    const r = send(pool(t, server.origin), get('/'), { onStart: (control) => control.abort(reason) });
    await settled(r);
    assert.equal(r.error, reason);
    assertOneOutcome(r);
    assert.equal(server.connections.length, 0);
  });

  test('a response with Connection: close is complete and its connection is not reused (the client closes it)', { timeout: 10_000 }, async (t) => {
    const server = await rawServer(async (conn) => {
      await conn.nextRequest();
      conn.socket.write(ok('bye', 'Connection: close\r\n')); // and the server keeps the socket open
    });
    t.after(() => server.close());
    const p = pool(t, server.origin);
    const a = send(p, get('/a'));
    await settled(a);
    assertEnded(a);
    assert.equal(a.body.toString(), 'bye');
    await server.connections[0]!.closed;
    const b = send(p, get('/b'));
    await settled(b);
    assertEnded(b);
    assert.equal(server.connections.length, 2);
  });

  test('an HTTP/1.0 response without keep-alive is not reused', { timeout: 10_000 }, async (t) => {
    const server = await rawServer(async (conn) => {
      await conn.nextRequest();
      conn.socket.write('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    t.after(() => server.close());
    const p = pool(t, server.origin);
    const a = send(p, get('/a'));
    await settled(a);
    assertEnded(a);
    await server.connections[0]!.closed;
    const b = send(p, get('/b'));
    await settled(b);
    assertEnded(b);
    assert.equal(server.connections.length, 2);
  });

  test('an idle connection the server closed is dropped; the next request gets a new one', { timeout: 10_000 }, async (t) => {
    const server = await rawServer(async (conn) => {
      await conn.nextRequest();
      conn.socket.end(ok('one'));
    });
    t.after(() => server.close());
    const p = pool(t, server.origin);
    const a = send(p, get('/a'));
    await settled(a);
    assertEnded(a);
    await server.connections[0]!.closed;
    const b = send(p, get('/b'));
    await settled(b);
    assertEnded(b);
    assert.equal(server.connections.length, 2);
  });

  test('idle connections are closed after idleTimeoutMs by the once-a-second sweep', { timeout: 10_000 }, async (t) => {
    const server = await holdingServer({ answer: ({ res }) => res.end('x') });
    t.after(() => server.close());
    const p = pool(t, server.origin, { idleTimeoutMs: 50 });
    const r = send(p, get('/'));
    await settled(r);
    const started = Date.now();
    await within(server.connectionClosed(0), 3000, 'the idle connection closed');
    assert.ok(Date.now() - started < 2500);
  });
});

describe('Http1Pool: request bodies', () => {
  test('a POST with Content-Length is sent as is (no chunked encoding)', { timeout: 10_000 }, async (t) => {
    const held = deferred<{ headers: Record<string, unknown>; body: Buffer }>();
    const server = await holdingServer({ answer: ({ req, res, body }) => { held.resolve({ headers: req.headers, body }); res.end('done'); } });
    t.after(() => server.close());
    const payload = Buffer.from('{"kind":"ConfigMap","data":{"a":"b"}}');
    const r = send(pool(t, server.origin), {
      method: 'POST', path: '/api/v1/namespaces/default/configmaps',
      headers: ['Content-Type', 'application/json', 'Content-Length', String(payload.length)],
      body: Readable.from([payload.subarray(0, 10), payload.subarray(10)]),
    });
    await settled(r);
    assertEnded(r);
    assert.equal(r.body.toString(), 'done');
    const { headers, body } = await held.promise;
    assert.equal(headers['content-length'], String(payload.length));
    assert.equal(headers['transfer-encoding'], undefined);
    assert.deepEqual(body, payload);
  });

  test('a streamed body without Content-Length goes chunked; empty chunks do not end it early; the connection is reused after it', { timeout: 10_000 }, async (t) => {
    const received: { headers: Record<string, unknown>; body: Buffer }[] = [];
    const server = await holdingServer({ answer: ({ req, res, body }) => { received.push({ headers: req.headers, body }); res.end('ok'); } });
    t.after(() => server.close());
    const p = pool(t, server.origin);
    // Readable.from is in object mode: '' and empty buffers reach 'data' as they are.
    const r = send(p, { method: 'PATCH', path: '/p', headers: ['Content-Type', 'application/merge-patch+json'], body: Readable.from(['ab', '', 'cd', Buffer.alloc(0), 'ef', '']) });
    await settled(r);
    assertEnded(r);
    assert.equal(received.length, 1);
    assert.equal(received[0]!.headers['transfer-encoding'], 'chunked');
    assert.equal(received[0]!.headers['content-length'], undefined);
    assert.equal(received[0]!.body.toString(), 'abcdef');
    const g = send(p, get('/after'));
    await settled(g);
    assertEnded(g);
    assert.equal(server.connections, 1, 'the connection is clean after the chunked body');
  });

  test('the exact wire bytes of a chunked body: sizes in hex, one terminating 0 chunk', { timeout: 10_000 }, async (t) => {
    const server = await rawServer(async (conn) => {
      await conn.nextRequest();
      // Wait for the terminating chunk, then answer.
      while (!conn.received.toString('latin1').endsWith('0\r\n\r\n')) await new Promise((resolve) => conn.socket.once('data', resolve));
      conn.socket.write(ok(''));
    });
    t.after(() => server.close());
    const big = 'x'.repeat(300);
    const r = send(pool(t, server.origin), { method: 'POST', path: '/raw', headers: [], body: Readable.from(['hello', '', big]) });
    await settled(r);
    assertEnded(r);
    const wire = server.connections[0]!.received.toString('latin1');
    const bodyStart = wire.indexOf('\r\n\r\n') + 4;
    assert.match(wire.slice(0, bodyStart), /\r\nTransfer-Encoding: chunked\r\n\r\n$/);
    assert.equal(wire.slice(bodyStart), `5\r\nhello\r\n12c\r\n${big}\r\n0\r\n\r\n`);
  });

  test('a large streamed body (8 MB, with socket backpressure) arrives byte-exact', { timeout: 10_000 }, async (t) => {
    const server = await holdingServer({ answer: ({ res, body }) => res.end(createHash('sha256').update(body).digest('hex')) });
    t.after(() => server.close());
    const payload = randomBytes(8 * 1024 * 1024);
    const pieces: Buffer[] = [];
    for (let i = 0; i < payload.length; i += 256 * 1024) pieces.push(payload.subarray(i, i + 256 * 1024));
    const r = send(pool(t, server.origin), { method: 'PUT', path: '/big', headers: [], body: Readable.from(pieces) });
    await settled(r);
    assertEnded(r);
    assert.equal(r.body.toString(), createHash('sha256').update(payload).digest('hex'));
  });

  test('a response that comes before the request body is all sent ends the exchange, and the connection is not reused', { timeout: 10_000 }, async (t) => {
    const server = await rawServer(async (conn) => {
      await conn.nextRequest();
      if (conn.index === 0) conn.socket.write('HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: 8\r\n\r\ntoo big!');
      else conn.socket.write(ok('next'));
    });
    t.after(() => server.close());
    const p = pool(t, server.origin);
    const body = new Readable({ read() {} });
    body.push('first bytes of a body that never ends');
    const r = send(p, { method: 'POST', path: '/upload', headers: [], body });
    await settled(r);
    assertEnded(r);
    assert.equal(r.status, 413);
    assert.equal(r.body.toString(), 'too big!');
    await server.connections[0]!.closed;
    const g = send(p, get('/g'));
    await settled(g);
    assertEnded(g);
    assert.equal(server.connections.length, 2);
    body.destroy();
  });

  test('a request body stream that fails aborts the exchange with its error and closes the connection', { timeout: 10_000 }, async (t) => {
    const server = await rawServer();
    t.after(() => server.close());
    const boom = new Error('body read failed');
    const body = new Readable({ read() {} });
    const r = send(pool(t, server.origin), { method: 'POST', path: '/', headers: [], body });
    const conn = await server.connection(0);
    await conn.nextRequest();
    body.push('partial');
    body.destroy(boom);
    await settled(r);
    assert.equal(r.error, boom);
    assertOneOutcome(r);
    await conn.closed;
  });
});

describe('Http1Pool: response framing', () => {
  test('HEAD with a Content-Length response header does not wait for a body, and the connection is reused', { timeout: 10_000 }, async (t) => {
    const server = await rawServer(async (conn) => {
      const head = await conn.nextRequest();
      assert.match(head, /^HEAD \/h HTTP\/1\.1\r\n/);
      conn.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nContent-Type: application/json\r\n\r\n');
      await conn.nextRequest();
      conn.socket.write(ok('after head'));
    });
    t.after(() => server.close());
    const p = pool(t, server.origin);
    const h = send(p, { method: 'HEAD', path: '/h', headers: [], body: null });
    await settled(h);
    assertEnded(h);
    assert.deepEqual(h.header('content-length'), ['1234']);
    assert.equal(h.received, 0);
    const g = send(p, get('/g'));
    await settled(g);
    assertEnded(g);
    assert.equal(g.body.toString(), 'after head');
    assert.equal(server.connections.length, 1);
  });

  test('100 Continue and 103 Early Hints before the final response are skipped; the connection stays usable', { timeout: 10_000 }, async (t) => {
    const server = await rawServer(async (conn) => {
      await conn.nextRequest();
      conn.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
      conn.socket.write('HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n');
      conn.socket.write(ok('final', 'X-Final: yes\r\n'));
      await conn.nextRequest();
      conn.socket.write(`HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n${ok('second')}`);
    });
    t.after(() => server.close());
    const p = pool(t, server.origin);
    const a = send(p, get('/a'));
    await settled(a);
    assertEnded(a);
    assert.equal(a.status, 200);
    assert.deepEqual(a.events.filter((e) => e === 'head'), ['head'], 'one onHead');
    assert.deepEqual(a.header('link'), []);
    assert.deepEqual(a.header('x-final'), ['yes']);
    assert.equal(a.body.toString(), 'final');
    const b = send(p, get('/b'));
    await settled(b);
    assertEnded(b);
    assert.equal(b.body.toString(), 'second');
    assert.equal(server.connections.length, 1);
  });

  test('204 and 304 responses have no body even with a Content-Length', { timeout: 10_000 }, async (t) => {
    const server = await rawServer(async (conn) => {
      await conn.nextRequest();
      conn.socket.write('HTTP/1.1 204 No Content\r\n\r\n');
      await conn.nextRequest();
      conn.socket.write('HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\nETag: "1"\r\n\r\n');
      await conn.nextRequest();
      conn.socket.write(ok('third'));
    });
    t.after(() => server.close());
    const p = pool(t, server.origin);
    for (const [path, status, body] of [['/204', 204, ''], ['/304', 304, ''], ['/200', 200, 'third']] as const) {
      const r = send(p, get(path));
      await settled(r);
      assertEnded(r);
      assert.equal(r.status, status);
      assert.equal(r.body.toString(), body);
    }
    assert.equal(server.connections.length, 1);
  });

  test('a body delimited by the server closing the connection (no Content-Length, not chunked) is complete', { timeout: 10_000 }, async (t) => {
    const server = await rawServer(async (conn) => {
      await conn.nextRequest();
      conn.socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello ');
      await new Promise((resolve) => setImmediate(resolve));
      conn.socket.end('world');
    });
    t.after(() => server.close());
    const p = pool(t, server.origin);
    const r = send(p, get('/until-close'));
    await settled(r);
    assertEnded(r);
    assert.equal(r.body.toString(), 'hello world');
    const again = send(p, get('/again'));
    await settled(again);
    assertEnded(again);
    assert.equal(server.connections.length, 2);
  });

  test('a response cut short (fewer bytes than its Content-Length) fails with UPSTREAM_CLOSED, not onEnd', { timeout: 10_000 }, async (t) => {
    const server = await rawServer(async (conn) => {
      await conn.nextRequest();
      conn.socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this');
    });
    t.after(() => server.close());
    const r = send(pool(t, server.origin), get('/short'));
    await settled(r);
    assert.equal(r.status, 200);
    assertFailed(r, 'UPSTREAM_CLOSED');
    assert.equal(r.body.toString(), 'only this');
  });

  test('a malformed status line fails with UPSTREAM_BAD_RESPONSE and closes the connection', { timeout: 10_000 }, async (t) => {
    const server = await rawServer(async (conn) => {
      await conn.nextRequest();
      conn.socket.write('HTTP/1.1 2x0 Nope\r\nContent-Length: 0\r\n\r\n');
    });
    t.after(() => server.close());
    const r = send(pool(t, server.origin), get('/bad'));
    await settled(r);
    assertFailed(r, 'UPSTREAM_BAD_RESPONSE');
    assert.ok(!r.events.includes('head'));
    await server.connections[0]!.closed;
  });

  test('a malformed chunk size in the middle of the body fails with UPSTREAM_BAD_RESPONSE after onHead', { timeout: 10_000 }, async (t) => {
    const server = await rawServer(async (conn) => {
      await conn.nextRequest();
      conn.socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\nbroken\r\n');
    });
    t.after(() => server.close());
    const p = pool(t, server.origin);
    const r = send(p, get('/bad-chunk'));
    await settled(r);
    assert.equal(r.status, 200);
    assertFailed(r, 'UPSTREAM_BAD_RESPONSE');
    assert.equal(r.body.toString(), 'abc');
    await server.connections[0]!.closed;
  });

  test('a 101 Switching Protocols to an ordinary request fails with UPSTREAM_BAD_RESPONSE', { timeout: 10_000 }, async (t) => {
    const server = await rawServer(async (conn) => {
      await conn.nextRequest();
      conn.socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    });
    t.after(() => server.close());
    const r = send(pool(t, server.origin), get('/'));
    await settled(r);
    assertFailed(r, 'UPSTREAM_BAD_RESPONSE');
  });

  test('an unsolicited response on an idle connection drops that connection; the next request succeeds on a new one', { timeout: 10_000 }, async (t) => {
    const server = await rawServer(async (conn) => {
      await conn.nextRequest();
      conn.socket.write(ok('first'));
      if (conn.index === 0) {
        await delay(20);
        conn.socket.write(ok('nobody asked'));
      }
    });
    t.after(() => server.close());
    const p = pool(t, server.origin);
    const a = send(p, get('/a'));
    await settled(a);
    assertEnded(a);
    await server.connections[0]!.closed;
    const b = send(p, get('/b'));
    await settled(b);
    assertEnded(b);
    assert.equal(b.body.toString(), 'first');
    assert.equal(server.connections.length, 2);
  });
});

describe('Http1Pool: failures', () => {
  for (const [how, maxConnections] of [['end', 4], ['reset', 4], ['end', 1]] as const) {
    test(`a kept-alive connection the server ${how === 'end' ? 'closes (FIN)' : 'resets (RST)'} as the next GET arrives: the GET is sent again on a new connection and succeeds (maxConnections ${maxConnections})`, { timeout: 10_000 }, async (t) => {
      const server = await rawServer(async (conn) => {
        await conn.nextRequest();
        if (conn.index === 0) {
          conn.socket.write(ok('first'));
          await conn.nextRequest();
          if (how === 'end') conn.socket.destroy();
          else conn.socket.resetAndDestroy();
        } else {
          conn.socket.write(ok('second, resent'));
        }
      });
      t.after(() => server.close());
      const p = pool(t, server.origin, { maxConnections });
      const a = send(p, get('/a'));
      await settled(a);
      assertEnded(a);
      const b = send(p, get('/b'));
      await settled(b);
      assertEnded(b);
      assert.equal(b.body.toString(), 'second, resent');
      assert.equal(server.connections.length, 2);
      assert.match(server.connections[0]!.received.toString('latin1'), /^GET \/a [^]*GET \/b /);
      assert.match(server.connections[1]!.received.toString('latin1'), /^GET \/b /);
    });
  }

  test('a request with a body is not sent again when the kept-alive connection dies before answering', { timeout: 10_000 }, async (t) => {
    const server = await rawServer(async (conn) => {
      await conn.nextRequest();
      conn.socket.write(ok('first'));
      if (conn.index === 0) {
        await conn.nextRequest();
        conn.socket.resetAndDestroy();
      }
    });
    t.after(() => server.close());
    const p = pool(t, server.origin);
    const a = send(p, get('/a'));
    await settled(a);
    const b = send(p, { method: 'POST', path: '/b', headers: ['Content-Length', '2'], body: Readable.from([Buffer.from('hi')]) });
    await settled(b);
    assert.ok(b.error);
    assert.ok(['UPSTREAM_CLOSED', 'ECONNRESET', 'EPIPE'].includes(b.error.code!), `code ${b.error.code}`);
    assertOneOutcome(b);
    assert.equal(server.connections.length, 1, 'no second attempt');
  });

  test('a GET is sent again at most once (the new connection dying too fails it)', { timeout: 10_000 }, async (t) => {
    const server = await rawServer(async (conn) => {
      await conn.nextRequest();
      if (conn.index === 0) {
        conn.socket.write(ok('first'));
        await conn.nextRequest();
      }
      conn.socket.destroy();
    });
    t.after(() => server.close());
    const p = pool(t, server.origin);
    const a = send(p, get('/a'));
    await settled(a);
    const b = send(p, get('/b'));
    await settled(b);
    assertFailed(b, 'UPSTREAM_CLOSED');
    assert.equal(server.connections.length, 2);
  });

  test('a fresh connection closed before any answer fails with UPSTREAM_CLOSED (no resend)', { timeout: 10_000 }, async (t) => {
    const server = await rawServer(async (conn) => {
      await conn.nextRequest();
      conn.socket.end();
    });
    t.after(() => server.close());
    const r = send(pool(t, server.origin), get('/'));
    await settled(r);
    assertFailed(r, 'UPSTREAM_CLOSED');
    assert.equal(server.connections.length, 1);
  });

  test('a refused connection fails the request and the one queued behind it; the pool still works afterwards', { timeout: 10_000 }, async (t) => {
    let refuse = true;
    const server = await holdingServer({ answer: ({ res }) => res.end('up') });
    t.after(() => server.close());
    const url = new URL(server.origin);
    const p = new Http1Pool({
      connect: () => (refuse ? Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))
        : connectSocket({ origin: url, tls: undefined, timeoutMs: 2000, keepAliveMs: null })),
      host: url.host, maxConnections: 1, headersTimeoutMs: 0, idleTimeoutMs: 30_000,
    });
    t.after(() => p.destroy());
    const a = send(p, get('/a'));
    const b = send(p, get('/b'));
    await Promise.all([settled(a), settled(b)]);
    assertFailed(a, 'ECONNREFUSED');
    assertFailed(b, 'ECONNREFUSED');
    refuse = false;
    const c = send(p, get('/c'));
    await settled(c);
    assertEnded(c);
  });

  test('connect timeout: a TLS handshake that never completes fails with UPSTREAM_CONNECT_TIMEOUT after timeoutMs', { timeout: 10_000 }, async (t) => {
    const accepted: Socket[] = [];
    const server = await silentServer((s) => { accepted.push(s); s.resume(); }); // reads (and ignores) the ClientHello, so it sees the client go
    t.after(() => server.close());
    const p = pool(t, `https://127.0.0.1:${server.port}`, { connectTimeoutMs: 200, maxConnections: 1 });
    const started = Date.now();
    const a = send(p, get('/a'));
    const b = send(p, get('/b')); // queued behind a: must not hang when a's connect fails
    await Promise.all([settled(a, 3000), settled(b, 3000)]);
    const elapsed = Date.now() - started;
    assertFailed(a, 'UPSTREAM_CONNECT_TIMEOUT');
    assertFailed(b, 'UPSTREAM_CONNECT_TIMEOUT');
    assert.ok(elapsed >= 190 && elapsed < 1500, `elapsed ${elapsed} ms`);
    await Promise.all(accepted.map((s) => new Promise((resolve) => (s.destroyed ? resolve(null) : s.once('close', resolve)))));
  });

  test('headers timeout: a server that never answers fails the request with UPSTREAM_HEADERS_TIMEOUT within the sweep period', { timeout: 10_000 }, async (t) => {
    const server = await rawServer(async (conn) => { await conn.nextRequest(); });
    t.after(() => server.close());
    const p = pool(t, server.origin, { headersTimeoutMs: 1000 });
    const started = Date.now();
    const r = send(p, get('/slow'));
    await within(r.done, 4000, 'the headers timeout');
    const elapsed = Date.now() - started;
    assertFailed(r, 'UPSTREAM_HEADERS_TIMEOUT');
    assert.ok(elapsed >= 1000 && elapsed < 2500, `elapsed ${elapsed} ms`);
    await server.connections[0]!.closed;
  });

  test('a header value with CR or LF fails with UPSTREAM_BAD_REQUEST and nothing is written; the connection then carries the next request', { timeout: 10_000 }, async (t) => {
    const server = await rawServer(async (conn) => {
      for (;;) {
        await conn.nextRequest();
        conn.socket.write(ok('fine'));
      }
    });
    t.after(() => server.close());
    const p = pool(t, server.origin);
    for (const value of ['a\r\nX-Injected: 1', 'a\nb', 'a\rb', 'a\0b']) {
      const r = send(p, get('/evil', ['X-Ok', '1', 'X-Evil', value]));
      await settled(r);
      assertFailed(r, 'UPSTREAM_BAD_REQUEST');
    }
    const conn = await server.connection(0);
    assert.equal(conn.received.length, 0, 'no byte of the bad requests reached the server');
    const g = send(p, get('/good'));
    await settled(g);
    assertEnded(g);
    assert.match(conn.received.toString('latin1'), /^GET \/good HTTP\/1\.1\r\n/);
    assert.equal(server.connections.length, 1);
  });
});

describe('Http1Pool: abort and backpressure', () => {
  test('abort() during the response: onError with the reason, no onEnd, and the connection is closed, not reused', { timeout: 10_000 }, async (t) => {
    const server = await rawServer(async (conn) => {
      await conn.nextRequest();
      if (conn.index === 0) conn.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nfirst part');
      else conn.socket.write(ok('new'));
    });
    t.after(() => server.close());
    const p = pool(t, server.origin);
    const reason = new Error('client disconnected');
    const r = send(p, get('/a'), { onData: (_c, rec) => rec.control!.abort(reason) });
    await settled(r);
    assert.equal(r.error, reason);
    assertOneOutcome(r);
    r.control!.abort(new Error('again')); // a second abort changes nothing
    assert.deepEqual(r.late, []);
    await server.connections[0]!.closed;
    const b = send(p, get('/b'));
    await settled(b);
    assertEnded(b);
    assert.equal(server.connections.length, 2);
  });

  test('abort() after onEnd does nothing', { timeout: 10_000 }, async (t) => {
    const server = await holdingServer({ answer: ({ res }) => res.end('x') });
    t.after(() => server.close());
    const p = pool(t, server.origin);
    const r = send(p, get('/'));
    await settled(r);
    r.control!.abort(new Error('late'));
    assertEnded(r);
    const again = send(p, get('/'));
    await settled(again);
    assertEnded(again);
    assert.equal(server.connections, 1, 'the connection survived the late abort');
  });

  for (const tls of [false, true]) {
    test(`pause() stops reading the response until resume()${tls ? ' (TLS)' : ''}; the body arrives byte-exact and the connection is reused`, { timeout: 10_000 }, async (t) => {
      const payload = randomBytes(8 * 1024 * 1024);
      const server = await holdingServer({
        tls,
        answer: ({ req, res }) => {
          if (req.url === '/big') res.end(payload);
          else res.end('small');
        },
      });
      t.after(() => server.close());
      const p = pool(t, server.origin);
      const paused = deferred<number>();
      const r = send(p, get('/big'), {
        onData: (_chunk, rec) => {
          if (rec.chunks.length === 1) {
            rec.control!.pause();
            paused.resolve(rec.received);
          }
        },
      });
      const atPause = await paused.promise;
      await delay(100);
      const whilePaused = r.received - atPause;
      assert.ok(whilePaused <= 512 * 1024, `${whilePaused} bytes arrived while paused`);
      assert.ok(!r.settled);
      r.control!.pause(); // twice is harmless
      r.control!.resume();
      await settled(r);
      assertEnded(r);
      assert.equal(r.received, payload.length);
      assert.ok(r.body.equals(payload), 'byte-exact');
      const again = send(p, get('/small'));
      await settled(again);
      assertEnded(again);
      assert.equal(again.body.toString(), 'small');
      assert.equal(server.connections, 1);
    });
  }

  test('a response that ends while paused still ends, and the connection reads again for the next request', { timeout: 10_000 }, async (t) => {
    const server = await rawServer(async (conn) => {
      for (;;) {
        await conn.nextRequest();
        conn.socket.write(ok('complete in one packet'));
      }
    });
    t.after(() => server.close());
    const p = pool(t, server.origin);
    const r = send(p, get('/a'), { onHead: (_s, _h, rec) => rec.control!.pause() });
    await within(r.done, 2000, 'the response ends');
    assertEnded(r);
    const b = send(p, get('/b'));
    await within(b.done, 2000, 'the next response on the same connection');
    assertEnded(b);
    assert.equal(server.connections.length, 1);
  });
});

describe('Http1Pool: close and destroy', () => {
  test('close() waits for the request in flight, refuses new ones with UPSTREAM_SHUT, then closes the connections', { timeout: 10_000 }, async (t) => {
    const server = await holdingServer();
    t.after(() => server.close());
    const p = pool(t, server.origin);
    const r = send(p, get('/in-flight'));
    const held = await server.requests.next();
    let closed = false;
    const closing = p.close().then(() => { closed = true; });
    const late = send(p, get('/late'));
    await settled(late);
    assertFailed(late, 'UPSTREAM_SHUT');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(closed, false, 'close() waits');
    held.res.end('finished');
    await closing;
    assertEnded(r);
    assert.equal(r.body.toString(), 'finished');
    await server.connectionClosed(0);
    assert.equal(server.requests.all.length, 1);
  });

  test('close() also waits for queued requests, which are still sent', { timeout: 10_000 }, async (t) => {
    const server = await holdingServer();
    t.after(() => server.close());
    const p = pool(t, server.origin, { maxConnections: 1 });
    const a = send(p, get('/a'));
    const b = send(p, get('/b'));
    const heldA = await server.requests.next();
    const closing = p.close();
    heldA.res.end('a');
    const heldB = await server.requests.next();
    heldB.res.end('b');
    await closing;
    assertEnded(a);
    assertEnded(b);
  });

  test('destroy() fails the request in flight and the queued ones with UPSTREAM_SHUT and closes every connection', { timeout: 10_000 }, async (t) => {
    const server = await holdingServer();
    t.after(() => server.close());
    const p = pool(t, server.origin, { maxConnections: 1 });
    const recorders = [send(p, get('/a')), send(p, get('/b')), send(p, get('/c'))];
    await server.requests.next();
    await p.destroy();
    await Promise.all(recorders.map((r) => settled(r)));
    for (const r of recorders) assertFailed(r, 'UPSTREAM_SHUT');
    await server.connectionClosed(0);
    assert.equal(server.requests.all.length, 1);
    const after = send(p, get('/after'));
    await settled(after);
    assertFailed(after, 'UPSTREAM_SHUT');
  });

  test('destroy() while a request is still connecting fails that request', {
    timeout: 10_000,
  }, async (t) => {
    const server = await rawServer();
    t.after(() => server.close());
    const url = new URL(server.origin);
    const socket = deferred<Socket>();
    const p = new Http1Pool({ connect: () => socket.promise, host: url.host, maxConnections: 4, headersTimeoutMs: 0, idleTimeoutMs: 30_000 });
    t.after(() => p.destroy());
    const r = send(p, get('/'));
    await p.destroy();
    socket.resolve(await connectSocket({ origin: url, tls: undefined, timeoutMs: 2000, keepAliveMs: null }));
    const conn = await server.connection(0);
    await conn.closed; // the pool has dealt with the late socket by now
    assert.equal(conn.received.length, 0);
    assert.ok(r.settled, 'the handler got onError');
    assertFailed(r, 'UPSTREAM_SHUT');
  });

  test('close() while a request is still connecting sends it and resolves once it is answered', {
    timeout: 10_000,
  }, async (t) => {
    const server = await rawServer(async (conn) => {
      await conn.nextRequest();
      conn.socket.write(ok('answered'));
    });
    t.after(() => server.close());
    const url = new URL(server.origin);
    const socket = deferred<Socket>();
    const p = new Http1Pool({ connect: () => socket.promise, host: url.host, maxConnections: 4, headersTimeoutMs: 0, idleTimeoutMs: 30_000 });
    t.after(() => p.destroy());
    const r = send(p, get('/'));
    const closing = p.close();
    socket.resolve(await connectSocket({ origin: url, tls: undefined, timeoutMs: 2000, keepAliveMs: null }));
    const conn = await server.connection(0);
    await conn.closed;
    assert.match(conn.received.toString('latin1'), /^GET \/ HTTP\/1\.1\r\n/, 'the request was sent');
    await within(closing, 1000, 'close()');
    assertEnded(r);
  });

  test('close() called twice: both calls resolve', {
    timeout: 10_000,
  }, async (t) => {
    const server = await holdingServer();
    t.after(() => server.close());
    const p = pool(t, server.origin);
    const r = send(p, get('/'));
    const held = await server.requests.next();
    const first = p.close();
    const second = p.close();
    held.res.end('x');
    await second;
    await settled(r);
    await within(first, 1000, 'the first close()');
  });
});
