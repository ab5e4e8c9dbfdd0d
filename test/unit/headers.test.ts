// Header rules (src/proxy/headers.ts) against Go's ReverseProxy and the
// client-go round trippers kubectl proxy uses: reference §2.3, §2.4, §2.6
// and §6 items 6 and 7.
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, test } from 'node:test';
import {
  isUpgradeRequest, type OutgoingHeaderContext, requestHeaders, responseHeaders, upgradeRequestHeaders,
} from '../../src/proxy/headers.js';

const ctx: OutgoingHeaderContext = {
  clientIp: '127.0.0.1',
  authorization: 'Bearer proxy-token',
  impersonation: [],
  userAgent: 'kube-ambassador/v0.1.0 (linux/amd64)',
  requestGzip: true,
  requestId: 'audit-1',
};

/** All values of a header in a flat [name, value, ...] list, by case-insensitive name. */
function values(flat: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) if (flat[i]!.toLowerCase() === name.toLowerCase()) out.push(flat[i + 1]!);
  return out;
}

describe('requestHeaders: ordinary requests (§2.3)', () => {
  interface Row {
    name: string;
    raw: string[];
    ctx?: Partial<OutgoingHeaderContext>;
    /** header → expected values (an empty list: absent). */
    want: Record<string, string[]>;
    todo?: string;
  }
  const rows: Row[] = [
    { name: 'Host is never copied (the upstream sets its own)', raw: ['Host', 'localhost:8001'], want: { host: [] } },
    {
      name: 'Connection, Keep-Alive, Proxy-Connection, Proxy-Authorization, Transfer-Encoding, Trailer and Upgrade are removed',
      raw: ['Host', 'h', 'Connection', 'keep-alive', 'Keep-Alive', 'timeout=5', 'Proxy-Connection', 'keep-alive', 'Proxy-Authorization', 'Basic eDp5',
        'Transfer-Encoding', 'chunked', 'Trailer', 'X-T', 'Upgrade', 'h2c', 'Accept', 'application/json'],
      want: { connection: [], 'keep-alive': [], 'proxy-connection': [], 'proxy-authorization': [], 'transfer-encoding': [], trailer: [], upgrade: [], accept: ['application/json'] },
    },
    {
      name: 'headers named in Connection are removed, in any case and from any Connection header',
      raw: ['Host', 'h', 'Connection', 'keep-alive, X-Custom', 'connection', 'x-other', 'X-Custom', '1', 'x-custom', '2', 'X-Other', '3', 'X-Kept', '4'],
      want: { 'x-custom': [], 'x-other': [], 'x-kept': ['4'] },
    },
    { name: 'TE: trailers, deflate becomes Te: trailers', raw: ['Host', 'h', 'TE', 'trailers, deflate'], want: { te: ['trailers'] } },
    {
      name: 'TE: trailers listed in Connection (as RFC 9110 asks) still becomes Te: trailers',
      raw: ['Host', 'h', 'Connection', 'TE', 'TE', 'trailers'], want: { te: ['trailers'] },
    },
    { name: 'TE without trailers is removed', raw: ['Host', 'h', 'TE', 'deflate, gzip'], want: { te: [] } },
    {
      name: 'several TE headers asking for trailers give one Te: trailers',
      raw: ['Host', 'h', 'TE', 'trailers', 'TE', 'deflate, trailers'], want: { te: ['trailers'] },
    },
    { name: 'X-Forwarded-For gets the client IP appended', raw: ['Host', 'h', 'X-Forwarded-For', '1.2.3.4'], want: { 'x-forwarded-for': ['1.2.3.4, 127.0.0.1'] } },
    {
      name: 'several X-Forwarded-For headers are folded into one, then the client IP',
      raw: ['Host', 'h', 'X-Forwarded-For', '1.2.3.4', 'x-forwarded-for', '5.6.7.8'], want: { 'x-forwarded-for': ['1.2.3.4, 5.6.7.8, 127.0.0.1'] },
    },
    { name: 'X-Forwarded-For is created when absent', raw: ['Host', 'h'], want: { 'x-forwarded-for': ['127.0.0.1'] } },
    { name: 'no client IP (unix socket): no X-Forwarded-For added', raw: ['Host', 'h'], ctx: { clientIp: undefined }, want: { 'x-forwarded-for': [] } },
    { name: 'no client IP: a client X-Forwarded-For passes unchanged', raw: ['Host', 'h', 'X-Forwarded-For', '1.2.3.4'], ctx: { clientIp: undefined }, want: { 'x-forwarded-for': ['1.2.3.4'] } },
    {
      name: 'X-Forwarded-Host/Proto, Forwarded, Cookie, Origin pass untouched',
      raw: ['Host', 'h', 'X-Forwarded-Host', 'a', 'X-Forwarded-Proto', 'https', 'Forwarded', 'for=1.2.3.4', 'Cookie', 'c=1', 'Origin', 'http://o'],
      want: { 'x-forwarded-host': ['a'], 'x-forwarded-proto': ['https'], forwarded: ['for=1.2.3.4'], cookie: ['c=1'], origin: ['http://o'] },
    },
    { name: 'Authorization is added when the client sent none', raw: ['Host', 'h'], want: { authorization: ['Bearer proxy-token'] } },
    { name: "a client's Authorization passes unchanged and ours is not added", raw: ['Host', 'h', 'Authorization', 'Bearer CLIENT'], want: { authorization: ['Bearer CLIENT'] } },
    { name: 'no credentials (client certificate): no Authorization', raw: ['Host', 'h'], ctx: { authorization: undefined }, want: { authorization: [] } },
    {
      name: 'an EMPTY client Authorization is replaced by ours (client-go tests Header.Get(...) != "")',
      raw: ['Host', 'h', 'Authorization', ''], want: { authorization: ['Bearer proxy-token'] },
    },
    {
      name: 'Impersonate-* headers are added when the client sent no Impersonate-User',
      raw: ['Host', 'h'], ctx: { impersonation: ['Impersonate-User', 'jane', 'Impersonate-Group', 'devs', 'Impersonate-Group', 'ops', 'Impersonate-Uid', '123'] },
      want: { 'impersonate-user': ['jane'], 'impersonate-group': ['devs', 'ops'], 'impersonate-uid': ['123'] },
    },
    {
      name: "a client's Impersonate-User replaces ours wholesale (no groups of ours added)",
      raw: ['Host', 'h', 'Impersonate-User', 'mallory'], ctx: { impersonation: ['Impersonate-User', 'jane', 'Impersonate-Group', 'devs'] },
      want: { 'impersonate-user': ['mallory'], 'impersonate-group': [] },
    },
    {
      name: 'a client Impersonate-Group alone does not stop ours being added (only Impersonate-User counts)',
      raw: ['Host', 'h', 'Impersonate-Group', 'x'], ctx: { impersonation: ['Impersonate-User', 'jane'] },
      want: { 'impersonate-user': ['jane'], 'impersonate-group': ['x'] },
    },
    { name: 'the default User-Agent is set when the client sent none', raw: ['Host', 'h'], want: { 'user-agent': ['kube-ambassador/v0.1.0 (linux/amd64)'] } },
    { name: "the client's User-Agent is kept", raw: ['Host', 'h', 'User-Agent', 'curl/8.5.0'], want: { 'user-agent': ['curl/8.5.0'] } },
    {
      name: 'an EMPTY client User-Agent is replaced by the default (client-go tests Header.Get(...) != "")',
      raw: ['Host', 'h', 'User-Agent', ''], want: { 'user-agent': ['kube-ambassador/v0.1.0 (linux/amd64)'] },
    },
    { name: 'Accept-Encoding: gzip is added when absent and compression is on', raw: ['Host', 'h'], want: { 'accept-encoding': ['gzip'] } },
    { name: "the client's Accept-Encoding is kept and gzip is not added", raw: ['Host', 'h', 'Accept-Encoding', 'identity'], want: { 'accept-encoding': ['identity'] } },
    { name: 'no Accept-Encoding is added with --disable-compression', raw: ['Host', 'h'], ctx: { requestGzip: false }, want: { 'accept-encoding': [] } },
    {
      name: 'no Accept-Encoding: gzip is added to a Range request (Go transport rule)',
      raw: ['Host', 'h', 'Range', 'bytes=0-99'], want: { 'accept-encoding': [], range: ['bytes=0-99'] },
    },
    { name: 'Audit-ID is added when absent', raw: ['Host', 'h'], want: { 'audit-id': ['audit-1'] } },
    { name: "the client's Audit-ID is kept", raw: ['Host', 'h', 'Audit-Id', 'client-id'], want: { 'audit-id': ['client-id'] } },
    { name: 'no request id: no Audit-ID', raw: ['Host', 'h'], ctx: { requestId: undefined }, want: { 'audit-id': [] } },
    { name: 'Expect is dropped (Node already answered 100-continue)', raw: ['Host', 'h', 'Expect', '100-continue'], want: { expect: [] } },
    { name: 'ordinary end-to-end headers keep their order and case', raw: ['Host', 'h', 'Accept', 'a', 'X-Two', 'b', 'x-two', 'c'], want: { accept: ['a'], 'x-two': ['b', 'c'] } },
  ];
  for (const row of rows) {
    test(row.name, { todo: row.todo }, () => {
      const out = requestHeaders(row.raw, { ...ctx, ...row.ctx });
      for (const [name, want] of Object.entries(row.want)) {
        assert.deepEqual(values(out.headers, name), want, `${name} in ${JSON.stringify(out.headers)}`);
      }
    });
  }

  test('clientAuthorization tells whether the client sent its own Authorization', () => {
    assert.equal(requestHeaders(['Host', 'h'], ctx).clientAuthorization, false);
    assert.equal(requestHeaders(['Host', 'h', 'authorization', 'Bearer x'], ctx).clientAuthorization, true);
  });

  test('addedGzip is true only when we added Accept-Encoding: gzip', () => {
    assert.equal(requestHeaders(['Host', 'h'], ctx).addedGzip, true);
    assert.equal(requestHeaders(['Host', 'h', 'Accept-Encoding', 'gzip'], ctx).addedGzip, false);
    assert.equal(requestHeaders(['Host', 'h'], { ...ctx, requestGzip: false }).addedGzip, false);
  });

  test('the flat list has an even length and the original header names', () => {
    const out = requestHeaders(['Host', 'h', 'X-Mixed-Case', 'v'], ctx).headers;
    assert.equal(out.length % 2, 0);
    assert.ok(out.includes('X-Mixed-Case'));
  });
});

describe('upgradeRequestHeaders: exec/attach/port-forward (§2.6)', () => {
  const raw = [
    'Host', 'localhost:8001', 'Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k==', 'Sec-WebSocket-Protocol', 'v5.channel.k8s.io',
    'Cookie', 'c=1', 'X-Forwarded-For', '1.1.1.1', 'Accept-Encoding', 'br',
  ];
  const out = upgradeRequestHeaders(raw, ctx, '10.0.0.1:6443');

  const rows: { name: string; header: string; want: string[] }[] = [
    { name: 'Host is replaced by the upstream host', header: 'host', want: ['10.0.0.1:6443'] },
    { name: 'Connection is kept (hop-by-hop headers are not stripped here)', header: 'connection', want: ['Upgrade'] },
    { name: 'Upgrade is kept', header: 'upgrade', want: ['websocket'] },
    { name: 'Sec-WebSocket-* are kept', header: 'sec-websocket-protocol', want: ['v5.channel.k8s.io'] },
    { name: 'Cookie is kept', header: 'cookie', want: ['c=1'] },
    { name: 'X-Forwarded-For gets the client IP appended', header: 'x-forwarded-for', want: ['1.1.1.1, 127.0.0.1'] },
    { name: 'Authorization is added when absent', header: 'authorization', want: ['Bearer proxy-token'] },
    { name: 'User-Agent is added when absent', header: 'user-agent', want: ['kube-ambassador/v0.1.0 (linux/amd64)'] },
    { name: "the client's Accept-Encoding is kept as is", header: 'accept-encoding', want: ['br'] },
  ];
  for (const row of rows) test(row.name, () => assert.deepEqual(values(out.headers, row.header), row.want));

  test('Host comes first', () => assert.deepEqual(out.headers.slice(0, 2), ['Host', '10.0.0.1:6443']));
  test('no Accept-Encoding is added on the upgrade path', () => {
    const plain = upgradeRequestHeaders(['Host', 'h', 'Connection', 'Upgrade', 'Upgrade', 'SPDY/3.1'], ctx, 'up:443');
    assert.deepEqual(values(plain.headers, 'accept-encoding'), []);
    assert.equal(plain.addedGzip, false);
  });
  test("a client's Authorization and Impersonate-User go upstream unchanged", () => {
    const own = upgradeRequestHeaders(['Host', 'h', 'Connection', 'Upgrade', 'Authorization', 'Bearer CLIENTTOKEN', 'Impersonate-User', 'bob'],
      { ...ctx, impersonation: ['Impersonate-User', 'jane'] }, 'up:443');
    assert.deepEqual(values(own.headers, 'authorization'), ['Bearer CLIENTTOKEN']);
    assert.deepEqual(values(own.headers, 'impersonate-user'), ['bob']);
    assert.equal(own.clientAuthorization, true);
  });
});

describe('responseHeaders (§2.4, §6 item 7)', () => {
  const rows: { name: string; upstream: IncomingHttpHeaders; decompressing?: boolean; want: IncomingHttpHeaders; todo?: string }[] = [
    {
      name: 'Connection, Keep-Alive and headers named in Connection are removed',
      upstream: { connection: 'X-Custom, close', 'x-custom': '1', 'keep-alive': 'timeout=5', 'content-type': 'application/json' },
      want: { 'content-type': 'application/json' },
    },
    {
      name: 'Transfer-Encoding, Trailer, Upgrade and Proxy-Connection are removed',
      upstream: { 'transfer-encoding': 'chunked', trailer: 'X-T', upgrade: 'h2c', 'proxy-connection': 'keep-alive', 'audit-id': 'a' },
      want: { 'audit-id': 'a' },
    },
    {
      name: 'Proxy-Authenticate is removed (it is in Go\'s hop-by-hop list)',
      upstream: { 'proxy-authenticate': 'Basic realm="x"', 'content-type': 'text/plain' },
      want: { 'content-type': 'text/plain' },
    },
    {
      name: 'CORS, Set-Cookie, HSTS, Warning and Audit-Id are kept',
      upstream: {
        'access-control-allow-origin': '*', 'access-control-allow-headers': 'Authorization', 'set-cookie': ['a=1', 'b=2'],
        'strict-transport-security': 'max-age=1', warning: '299 - "deprecated"', 'audit-id': 'x',
      },
      want: {
        'access-control-allow-origin': '*', 'access-control-allow-headers': 'Authorization', 'set-cookie': ['a=1', 'b=2'],
        'strict-transport-security': 'max-age=1', warning: '299 - "deprecated"', 'audit-id': 'x',
      },
    },
    {
      name: 'Content-Encoding and Content-Length are dropped when we decompress',
      upstream: { 'content-encoding': 'gzip', 'content-length': '36', 'content-type': 'application/json' }, decompressing: true,
      want: { 'content-type': 'application/json' },
    },
    {
      name: 'Content-Encoding and Content-Length are kept when the client asked for gzip itself',
      upstream: { 'content-encoding': 'gzip', 'content-length': '36' }, decompressing: false,
      want: { 'content-encoding': 'gzip', 'content-length': '36' },
    },
    {
      name: 'a redirect Location passes unchanged',
      upstream: { location: '/target', 'content-length': '0' },
      want: { location: '/target', 'content-length': '0' },
    },
  ];
  for (const row of rows) {
    test(row.name, { todo: row.todo }, () => {
      assert.deepEqual(responseHeaders(flat(row.upstream), row.decompressing ?? false), flat(row.want));
    });
  }
  test('names keep their case, repeated headers stay separate lines, Connection may name a header in any case', () => {
    const upstream = ['Connection', 'x-secret', 'X-Secret', '1', 'Warning', 'a', 'Warning', 'b', 'Content-Type', 'text/plain'];
    assert.deepEqual(responseHeaders(upstream, false), ['Warning', 'a', 'Warning', 'b', 'Content-Type', 'text/plain']);
  });
});

/** An object of headers as the flat list a parser produces. */
function flat(headers: IncomingHttpHeaders): string[] {
  return Object.entries(headers).flatMap(([name, value]) => (Array.isArray(value) ? value.flatMap((v) => [name, v]) : [name, value!]));
}

describe('isUpgradeRequest (httpstream.IsUpgradeRequest)', () => {
  const rows: { name: string; headers: IncomingHttpHeaders; want: boolean }[] = [
    { name: 'Connection: Upgrade', headers: { connection: 'Upgrade', upgrade: 'websocket' }, want: true },
    { name: 'upgrade among other tokens, any case', headers: { connection: 'keep-alive, UPGRADE' }, want: true },
    { name: 'a substring match is enough', headers: { connection: 'xupgradex' }, want: true },
    { name: 'Connection: Upgrade without an Upgrade header still counts', headers: { connection: 'Upgrade' }, want: true },
    { name: 'Upgrade without Connection: upgrade is not an upgrade', headers: { upgrade: 'websocket' }, want: false },
    { name: 'Connection: keep-alive is not an upgrade', headers: { connection: 'keep-alive' }, want: false },
    { name: 'no headers', headers: {}, want: false },
    { name: 'curl --http2 (h2c) counts as an upgrade', headers: { connection: 'Upgrade, HTTP2-Settings', upgrade: 'h2c' }, want: true },
  ];
  for (const row of rows) test(row.name, () => assert.equal(isUpgradeRequest(row.headers), row.want));
});
