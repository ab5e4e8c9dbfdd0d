// Differential test against the real kubectl proxy v1.35.2 (kubectl-proxy.md §6).
// One stub API server; for every flag set, a kubectl proxy and a
// kube-ambassador proxy started with the same flags in front of it. Each
// vector sends the same request to both and checks two things:
//   1. kubectl still answers what the spec says (so the harness and the spec
//      stay honest), and
//   2. ours answers exactly what kubectl answered: status, reason, response
//      headers, body, and every request the upstream saw (method, URL,
//      version, headers, body), or, for a DELIBERATE difference (README), the
//      answer we promise instead.
// Normalised away, and nothing else: Date; the connection-management headers
// each server adds itself (Connection: keep-alive/close, the local server's
// Keep-Alive); the default User-Agent (asserted per implementation:
// difference 4) and the Audit-ID we add (difference 5) when the client sent
// none. Vectors where we differ without it being deliberate are `todo`, with
// kubectl's and our answers in the reason.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kubectlPath } from '../support/kubectl.js';
import { type LenientUpstream, startLenientUpstream } from '../support/lenient-upstream.js';
import { type RunningProxy, startProxy } from '../support/proxy-process.js';
import { rawExchange, type RawExchangeResult } from '../support/raw-exchange.js';
import { type RecordedRequest, type StubApiServer, startStubApiServer } from '../support/stub-apiserver.js';

const TOKEN = 'parity-token';
const CLIENT_TOKEN = 'client-token';
const KUBECTL_UA = /^kubectl\/v1\.35\.2 \(linux\/\w+\) kubernetes\/fdc9d74$/;
const OURS_UA = /^kube-ambassador\/v\d+\.\d+\.\d+\S* \(\w+\/\w+\) node\/v20\.\d+\.\d+$/;
const AUDIT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The stub's own Keep-Alive value (Node's default): if it reaches a client, a proxy leaked it. */
const UPSTREAM_KEEP_ALIVE = 'timeout=5';
const WS_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const WS_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';
/** A masked binary frame [0,1,2,3] (mask 01 02 03 04) and the stub's unmasked echo of it. */
const WS_FRAME = Buffer.from([0x82, 0x84, 1, 2, 3, 4, 1, 3, 1, 7]);
const WS_ECHO = '820400010203';
const FORBIDDEN_HEADERS = { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'content-length': '10' };
const NOT_FOUND_HEADERS = { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'content-length': '19' };
const STATIC_FILE = 'static file\n';
const CONFIGMAP = JSON.stringify({ kind: 'ConfigMap', data: { a: 'x'.repeat(20_000) } });

// ---------------------------------------------------------------------------
// The proxy pairs: same flags for both (plus the shared connection flags).

type PairName = 'default' | 'rejectMethods' | 'customPrefix' | 'apiPrefix' | 'www' | 'refused';
interface Env { stub: StubApiServer; lenient: LenientUpstream; www: string; refusedOrigin: string }

const pairs: Record<PairName, { flags: (env: Env) => string[]; upstream?: 'lenient' | 'refused' }> = {
  default: { flags: () => [] },
  // A hand-parsing upstream: Node's parser would refuse the `post` kubectl forwards.
  rejectMethods: { flags: () => ['--reject-methods=POST,PUT'], upstream: 'lenient' },
  customPrefix: { flags: () => ['--api-prefix=/custom/'] },
  apiPrefix: { flags: () => ['--api-prefix=/api/'] },
  www: { flags: (env) => [`--www=${env.www}`] },
  // --server is a port nobody listens on.
  refused: { flags: () => [], upstream: 'refused' },
};

// ---------------------------------------------------------------------------
// Vectors.

/** A request through node:http (placeholders: {port} = the proxy's own port). */
interface HttpSend { method?: string; path: string; headers?: Record<string, string>; body?: string | string[] }
/** Bytes on a raw socket; for upgrades, a probe to echo through the tunnel. */
interface RawSend { raw: string; probe?: Buffer; echoLength?: number; awaitClose?: boolean }

type Want = string | RegExp | undefined;
interface Expect {
  status: number;
  body?: Want;
  /** Response headers (undefined: must be absent). */
  headers?: Record<string, Want>;
  /** null: nothing reached the API server; a string: exactly one request, with this URL. */
  upstream?: null | string;
  upstreamMethod?: string;
  /** Headers of that request ({upstream} = the API server's host:port). */
  upstreamHeaders?: Record<string, Want>;
  /** Hex of what came back through the tunnel after a 101. */
  echo?: string;
  /** Whether the proxy closed the connection after answering (raw sends with awaitClose). */
  closed?: boolean;
}

interface Vector {
  section: string;
  name: string;
  pair: PairName;
  send: HttpSend | RawSend;
  /** What kubectl answers (kubectl-proxy.md); ours must then answer exactly the same. */
  kubectl: Expect;
  /** A README difference: ours must answer this instead of kubectl's answer. */
  deliberate?: { difference: number; ours: Expect };
  /** Also compare what normalisation drops: the HTTP version of the status line, Connection/Keep-Alive. */
  strict?: { version?: boolean; connectionHeaders?: boolean; rawHead?: boolean };
  /** An unexpected difference, reported and not yet fixed: the vector runs but may fail. */
  todo?: string;
}

const localhost = { Host: 'localhost' };
const ok = (upstream: string, extra: Partial<Expect> = {}): Expect => ({ status: 200, upstream, ...extra });
const forbidden: Expect = { status: 403, body: 'Forbidden\n', headers: FORBIDDEN_HEADERS, upstream: null };
const notFound: Expect = { status: 404, body: '404 page not found\n', headers: NOT_FOUND_HEADERS, upstream: null };
const moved = (location: string): Expect => ({
  status: 301, headers: { location, 'content-type': 'text/html; charset=utf-8' },
  body: `<a href="${location}">Moved Permanently</a>.\n\n`, upstream: null,
});
const wsUpgrade = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n`
  + `Sec-WebSocket-Key: ${WS_KEY}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n${extra}\r\n`;
const pod = '/api/v1/namespaces/d/pods/p';

const vectors: Vector[] = [
  // §6.2 / §1.3 the filter, default flags
  { section: '6.2', name: 'Host localhost:9999 is accepted (port ignored)', pair: 'default', send: { path: '/api', headers: { Host: 'localhost:9999' } }, kubectl: ok('/api', { body: '{"kind":"APIVersions","versions":["v1"],"path":"/api"}' }) },
  { section: '6.2', name: 'Host 127.0.0.1:1 is accepted', pair: 'default', send: { path: '/api', headers: { Host: '127.0.0.1:1' } }, kubectl: ok('/api') },
  { section: '6.2', name: 'Host evil.com: 403 Forbidden\\n, exact headers', pair: 'default', send: { path: '/api', headers: { Host: 'evil.com' } }, kubectl: forbidden },
  { section: '6.2', name: 'Host [::1]:PORT: kubectl 403, ours 200', pair: 'default', send: { path: '/api', headers: { Host: '[::1]:{port}' } }, kubectl: forbidden, deliberate: { difference: 1, ours: ok('/api') } },
  { section: '6.2', name: 'Host [::1] (no port) is accepted', pair: 'default', send: { path: '/api', headers: { Host: '[::1]' } }, kubectl: ok('/api') },
  { section: '6.2', name: 'Host LOCALHOST: 403 (case-sensitive)', pair: 'default', send: { path: '/api', headers: { Host: 'LOCALHOST' } }, kubectl: forbidden },
  { section: '6.2', name: 'exec is rejected', pair: 'default', send: { path: `${pod}/exec`, headers: localhost }, kubectl: forbidden },
  { section: '6.2', name: 'attach is rejected', pair: 'default', send: { path: `${pod}/attach`, headers: localhost }, kubectl: forbidden },
  { section: '6.2', name: 'portforward is accepted', pair: 'default', send: { path: `${pod}/portforward`, headers: localhost }, kubectl: ok(`${pod}/portforward`) },
  { section: '6.2', name: 'EXEC is accepted (case-sensitive)', pair: 'default', send: { path: `${pod}/EXEC`, headers: localhost }, kubectl: ok(`${pod}/EXEC`) },
  { section: '6.2', name: '/apis/.../exec is accepted (only /api/ is rejected)', pair: 'default', send: { path: '/apis/x/v1/namespaces/d/pods/p/exec', headers: localhost }, kubectl: ok('/apis/x/v1/namespaces/d/pods/p/exec') },
  { section: '6.2', name: '%65xec is decoded and rejected', pair: 'default', send: { path: `${pod}/%65xec`, headers: localhost }, kubectl: forbidden },
  { section: '6.2', name: 'HTTP/1.0 without Host: 403', pair: 'default', send: { raw: 'GET /api HTTP/1.0\r\n\r\n' }, kubectl: forbidden },
  { section: '6.2', name: 'HTTP/1.0 is answered as HTTP/1.0', pair: 'default', send: { raw: 'GET /api HTTP/1.0\r\n\r\n' }, kubectl: forbidden, strict: { version: true },
    deliberate: { difference: 12, ours: forbidden } },
  { section: '1.5', name: 'HTTP/1.1 without Host: 400 missing required Host header', pair: 'default', send: { raw: 'GET /api HTTP/1.1\r\n\r\n' },
    kubectl: { status: 400, body: '400 Bad Request: missing required Host header', upstream: null, headers: { 'content-type': 'text/plain; charset=utf-8', connection: 'close' } } },
  { section: '1.5', name: 'a malformed Host: 400 malformed Host header', pair: 'default', send: { raw: 'GET /api HTTP/1.1\r\nHost: local host\r\n\r\n' },
    kubectl: { status: 400, body: '400 Bad Request: malformed Host header', upstream: null, headers: { 'content-type': 'text/plain; charset=utf-8', connection: 'close' } } },
  { section: '1.3', name: 'absolute-form URI host evil.com wins over Host: localhost', pair: 'default', send: { raw: 'GET http://evil.com/api HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' }, kubectl: forbidden },
  { section: '1.3', name: 'absolute-form URI host localhost wins over Host: evil.com', pair: 'default', send: { raw: 'GET http://localhost/api HTTP/1.1\r\nHost: evil.com\r\nConnection: close\r\n\r\n' }, kubectl: ok('/api') },

  // §6.3 --reject-methods=POST,PUT
  { section: '6.3', name: 'POST is rejected', pair: 'rejectMethods', send: { method: 'POST', path: '/api', body: '{}' }, kubectl: forbidden },
  { section: '6.3', name: 'PUT is rejected', pair: 'rejectMethods', send: { method: 'PUT', path: '/api', body: '{}' }, kubectl: forbidden },
  { section: '6.3', name: 'PATCH is accepted', pair: 'rejectMethods', send: { method: 'PATCH', path: '/api', body: '{}', headers: { 'Content-Type': 'application/merge-patch+json' } }, kubectl: ok('/api', { upstreamMethod: 'PATCH', body: '{"method":"PATCH","url":"/api"}' }) },
  { section: '6.3', name: 'DELETE is accepted', pair: 'rejectMethods', send: { method: 'DELETE', path: '/api' }, kubectl: ok('/api', { upstreamMethod: 'DELETE' }) },
  { section: '6.3', name: 'GET is accepted', pair: 'rejectMethods', send: { path: '/api' }, kubectl: ok('/api', { upstreamMethod: 'GET' }) },
  { section: '6.3', name: 'lower-case post is accepted and forwarded as is', pair: 'rejectMethods', send: { raw: 'post /api HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}' }, kubectl: ok('/api', { upstreamMethod: 'post', body: '{"method":"post","url":"/api"}' }),
    deliberate: { difference: 12, ours: { status: 400, upstream: null } } },

  // §6.4 prefixes
  { section: '6.4', name: '/custom/api/v1/pods goes upstream as /api/v1/pods', pair: 'customPrefix', send: { path: '/custom/api/v1/pods?limit=1', headers: localhost }, kubectl: ok('/api/v1/pods?limit=1') },
  { section: '6.4', name: '/custom: 301 to /custom/', pair: 'customPrefix', send: { path: '/custom', headers: localhost }, kubectl: moved('/custom/') },
  { section: '6.4', name: '/custom?a=1: 301 keeps the query', pair: 'customPrefix', send: { path: '/custom?a=1', headers: localhost }, kubectl: moved('/custom/?a=1') },
  { section: '6.4', name: '/ outside the prefix: 404, exact headers', pair: 'customPrefix', send: { path: '/', headers: localhost }, kubectl: notFound },
  { section: '6.4', name: '/api outside the prefix: 404', pair: 'customPrefix', send: { path: '/api/v1/pods', headers: localhost }, kubectl: notFound },
  { section: '6.4', name: '/custom/ goes upstream as /', pair: 'customPrefix', send: { path: '/custom/', headers: localhost }, kubectl: ok('/') },
  { section: '1.4', name: 'a custom prefix decodes %2F', pair: 'customPrefix', send: { path: '/custom/api/v1/namespaces/a%2Fb/pods', headers: localhost }, kubectl: ok('/api/v1/namespaces/a/b/pods') },
  { section: '1.3', name: 'the filter sees the path after the prefix', pair: 'customPrefix', send: { path: `/custom${pod}/exec`, headers: localhost }, kubectl: forbidden },
  { section: '6.4', name: '--api-prefix=/api/: /api/v1/pods is not stripped', pair: 'apiPrefix', send: { path: '/api/v1/pods', headers: localhost }, kubectl: ok('/api/v1/pods') },
  { section: '6.4', name: '--api-prefix=/api/: /apis/... is 404', pair: 'apiPrefix', send: { path: '/apis/apps/v1', headers: localhost }, kubectl: notFound },
  { section: '6.4', name: '--api-prefix=/api/: /api is 301 to /api/', pair: 'apiPrefix', send: { path: '/api', headers: localhost }, kubectl: moved('/api/') },
  { section: '1.4', name: 'the default prefix keeps %2F', pair: 'default', send: { path: '/api/v1/namespaces/a%2Fb/pods', headers: localhost }, kubectl: ok('/api/v1/namespaces/a%2Fb/pods') },
  { section: '1.4', name: 'a non-canonical path is 301 to the clean one', pair: 'default', send: { path: '/api/v1/../v1/x?a=b', headers: localhost }, kubectl: moved('/api/v1/x?a=b') },
  { section: '1.4', name: 'OPTIONS * is 200 with an empty body', pair: 'default', send: { raw: 'OPTIONS * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' }, kubectl: { status: 200, body: '', upstream: null } },

  // §6.5 static files
  { section: '6.5', name: '/static/a.txt for Host evil.com', pair: 'www', send: { path: '/static/a.txt', headers: { Host: 'evil.com' } },
    kubectl: { status: 200, body: STATIC_FILE, upstream: null, headers: { 'content-type': 'text/plain; charset=utf-8', 'accept-ranges': 'bytes', 'last-modified': 'Mon, 02 Jan 2006 15:04:05 GMT', 'content-length': String(STATIC_FILE.length) } } },
  { section: '6.5', name: '/static: 301 to /static/', pair: 'www', send: { path: '/static', headers: { Host: 'evil.com' } }, kubectl: moved('/static/') },
  { section: '1.4', name: '/static/: directory listing', pair: 'www', send: { path: '/static/', headers: localhost }, kubectl: { status: 200, upstream: null, body: /<a href="a\.txt">a\.txt<\/a>/, headers: { 'content-type': 'text/html; charset=utf-8' } } },
  { section: '1.4', name: '/static/missing.txt: 404', pair: 'www', send: { path: '/static/missing.txt', headers: localhost }, kubectl: notFound },
  { section: '6.5', name: 'the API is still served next to --www', pair: 'www', send: { path: '/api', headers: localhost }, kubectl: ok('/api') },

  // §6.6 / §2.3 request headers upstream
  { section: '6.6', name: 'Host replaced, Authorization, X-Forwarded-For and Accept-Encoding added', pair: 'default', send: { path: '/api/v1/pods?limit=1', headers: localhost },
    kubectl: ok('/api/v1/pods?limit=1', { upstreamHeaders: { host: '{upstream}', authorization: `Bearer ${TOKEN}`, 'x-forwarded-for': '127.0.0.1', 'accept-encoding': 'gzip', 'user-agent': KUBECTL_UA, 'audit-id': undefined } }) },
  { section: '6.6', name: 'a client Authorization is passed through instead', pair: 'default', send: { path: '/api', headers: { ...localhost, Authorization: `Bearer ${CLIENT_TOKEN}` } },
    kubectl: ok('/api', { upstreamHeaders: { authorization: `Bearer ${CLIENT_TOKEN}` } }) },
  { section: '6.6', name: 'a client User-Agent is kept', pair: 'default', send: { path: '/api', headers: { ...localhost, 'User-Agent': 'curl/8.5.0' } }, kubectl: ok('/api', { upstreamHeaders: { 'user-agent': 'curl/8.5.0' } }) },
  { section: '6.6', name: 'X-Forwarded-For is appended to', pair: 'default', send: { path: '/api', headers: { ...localhost, 'X-Forwarded-For': '1.2.3.4' } }, kubectl: ok('/api', { upstreamHeaders: { 'x-forwarded-for': '1.2.3.4, 127.0.0.1' } }) },
  { section: '6.6', name: 'a client Accept-Encoding is kept', pair: 'default', send: { path: '/api', headers: { ...localhost, 'Accept-Encoding': 'identity' } }, kubectl: ok('/api', { upstreamHeaders: { 'accept-encoding': 'identity' } }) },
  { section: '6.6', name: 'hop-by-hop and Connection-listed headers are dropped, TE keeps trailers', pair: 'default',
    // Raw: node:http refuses a Trailer header on a request without a chunked body.
    send: { raw: 'GET /api HTTP/1.1\r\nHost: localhost\r\nConnection: X-Secret, X-Other\r\nX-Secret: no\r\nX-Other: no\r\nProxy-Connection: keep-alive\r\nKeep-Alive: timeout=9\r\n'
      + 'Proxy-Authorization: Basic eDp5\r\nTE: trailers, deflate\r\nTrailer: X-Trailer\r\nUpgrade: h2c\r\n\r\n' },
    kubectl: ok('/api', { upstreamHeaders: { 'x-secret': undefined, 'x-other': undefined, 'proxy-connection': undefined, 'keep-alive': undefined, 'proxy-authorization': undefined, te: 'trailers', trailer: undefined, upgrade: undefined } }) },
  { section: '2.3', name: 'TE without trailers is dropped', pair: 'default', send: { path: '/api', headers: { ...localhost, TE: 'deflate' } }, kubectl: ok('/api', { upstreamHeaders: { te: undefined } }) },
  { section: '2.3', name: 'cookies, origin, forwarding, impersonation and Audit-ID headers pass untouched', pair: 'default',
    send: { path: '/api', headers: { ...localhost, Cookie: 'a=1; b=2', Origin: 'http://example.com', Referer: 'http://example.com/x', 'X-Forwarded-Host': 'example.com', 'X-Forwarded-Proto': 'https', Forwarded: 'for=1.2.3.4', 'X-Real-Ip': '1.2.3.4', 'Impersonate-User': 'bob', 'Impersonate-Group': 'devs', 'Audit-ID': 'client-audit-id' } },
    kubectl: ok('/api', { upstreamHeaders: { cookie: 'a=1; b=2', origin: 'http://example.com', 'impersonate-user': 'bob', 'impersonate-group': 'devs', 'audit-id': 'client-audit-id', forwarded: 'for=1.2.3.4' } }) },
  { section: '2.3', name: 'a POST body is forwarded', pair: 'default', send: { method: 'POST', path: '/api/v1/namespaces/d/configmaps', headers: { ...localhost, 'Content-Type': 'application/json' }, body: CONFIGMAP },
    kubectl: ok('/api/v1/namespaces/d/configmaps', { upstreamMethod: 'POST', upstreamHeaders: { 'content-type': 'application/json', 'content-length': String(CONFIGMAP.length) } }) },
  { section: '2.3', name: 'an empty POST is sent with Content-Length: 0', pair: 'default', send: { method: 'POST', path: '/api/v1/namespaces/d/configmaps', headers: localhost, body: '' },
    kubectl: ok('/api/v1/namespaces/d/configmaps', { upstreamMethod: 'POST', upstreamHeaders: { 'content-length': '0', 'transfer-encoding': undefined } }) },
  // The second part comes 100 ms later: a body still arriving must be streamed, not buffered.
  { section: '2.3', name: 'a chunked request body is streamed chunked', pair: 'default', send: { method: 'PATCH', path: '/api/v1/namespaces/d/configmaps/c', headers: { ...localhost, 'Transfer-Encoding': 'chunked' }, body: ['{"data":', '{"a":"b"}}'] },
    kubectl: ok('/api/v1/namespaces/d/configmaps/c', { upstreamMethod: 'PATCH', upstreamHeaders: { 'transfer-encoding': 'chunked', 'content-length': undefined } }) },

  // §6.7 / §2.4 responses
  { section: '6.7', name: 'CORS, Set-Cookie, Audit-Id kept; Connection-listed and Keep-Alive dropped', pair: 'default', send: { path: '/headers', headers: localhost },
    kubectl: ok('/headers', { body: 'ok', headers: { 'access-control-allow-origin': '*', 'set-cookie': 'a=1, b=2', 'audit-id': 'stub-audit', 'x-custom': undefined, 'keep-alive': undefined } }) },
  { section: '6.7', name: 'connection-management headers on a keep-alive response', pair: 'default', send: { raw: 'GET /headers HTTP/1.1\r\nHost: localhost\r\n\r\n' }, kubectl: ok('/headers', { headers: { connection: undefined, 'keep-alive': undefined } }), strict: { connectionHeaders: true },
    deliberate: { difference: 12, ours: ok('/headers', { headers: { connection: 'keep-alive' } }) } },
  { section: '6.7', name: 'a 302 is passed through, not followed', pair: 'default', send: { path: '/redirect', headers: localhost }, kubectl: ok('/redirect', { status: 302, headers: { location: '/target' } }) },
  { section: '6.7', name: 'gzip is transparent: no Accept-Encoding gets plain JSON', pair: 'default', send: { path: '/gzip', headers: localhost },
    kubectl: ok('/gzip', { body: /^\{"kind":"List","items":\[\{"name":"item-0"\}/, headers: { 'content-encoding': undefined, 'content-type': 'application/json' }, upstreamHeaders: { 'accept-encoding': 'gzip' } }) },
  { section: '2.3', name: 'Accept-Encoding: gzip gets the gzip body unchanged', pair: 'default', send: { path: '/gzip', headers: { ...localhost, 'Accept-Encoding': 'gzip' } },
    kubectl: ok('/gzip', { headers: { 'content-encoding': 'gzip', 'content-type': 'application/json' } }) },
  { section: '2.4', name: 'an upstream 401 is passed through', pair: 'default', send: { path: '/api', headers: { ...localhost, Authorization: 'Bearer wrong-token' } }, kubectl: ok('/api', { status: 401, body: /"reason":"Unauthorized"/ }) },
  { section: '2.4', name: 'HEAD is forwarded without Accept-Encoding', pair: 'default', send: { method: 'HEAD', path: '/api', headers: localhost }, kubectl: ok('/api', { upstreamMethod: 'HEAD', body: '', upstreamHeaders: { 'accept-encoding': undefined } }) },
  { section: '2.3', name: 'a Range request gets no Accept-Encoding', pair: 'default', send: { path: '/api', headers: { ...localhost, Range: 'bytes=0-9' } }, kubectl: ok('/api', { upstreamHeaders: { 'accept-encoding': undefined, range: 'bytes=0-9' } }) },

  // §6.9 / §2.6 upgrades
  { section: '6.9', name: 'WebSocket portforward: raw 101 relayed, echo both ways', pair: 'default', send: { raw: wsUpgrade(`${pod}/portforward?ports=80`), probe: WS_FRAME, echoLength: 6 }, strict: { rawHead: true },
    kubectl: { status: 101, upstream: `${pod}/portforward?ports=80`, echo: WS_ECHO,
      headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': WS_ACCEPT, 'sec-websocket-protocol': 'v4.channel.k8s.io' },
      upstreamHeaders: { host: '{upstream}', authorization: `Bearer ${TOKEN}`, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': WS_KEY, 'x-forwarded-for': '127.0.0.1', 'accept-encoding': undefined, 'user-agent': KUBECTL_UA } } },
  { section: '6.9', name: 'SPDY portforward: raw 101 relayed, echo both ways', pair: 'default', strict: { rawHead: true },
    send: { raw: `POST ${pod}/portforward HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\nContent-Length: 0\r\n\r\n`, probe: Buffer.from('ping') },
    kubectl: { status: 101, upstream: `${pod}/portforward`, upstreamMethod: 'POST', echo: Buffer.from('ping').toString('hex'),
      headers: { upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'portforward.k8s.io' },
      upstreamHeaders: { authorization: `Bearer ${TOKEN}`, upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'portforward.k8s.io' } } },
  { section: '6.9', name: 'a client Authorization on an upgrade is passed through', pair: 'default', send: { raw: wsUpgrade(`${pod}/portforward`, `Authorization: Bearer ${CLIENT_TOKEN}\r\n`), probe: WS_FRAME, echoLength: 6 },
    kubectl: { status: 101, upstream: `${pod}/portforward`, echo: WS_ECHO, upstreamHeaders: { authorization: `Bearer ${CLIENT_TOKEN}` } } },
  { section: '6.2', name: 'a WebSocket exec is rejected by the filter', pair: 'default', send: { raw: wsUpgrade(`${pod}/exec?command=sh`) }, kubectl: forbidden },
  { section: '6.9', name: 'an upstream 403 to an upgrade is relayed, then the connection closed', pair: 'default', send: { raw: wsUpgrade('/api/v1/namespaces/d/pods/forbidden/portforward'), awaitClose: true },
    kubectl: { status: 403, upstream: '/api/v1/namespaces/d/pods/forbidden/portforward', closed: true, body: /"reason":"Forbidden"/, headers: { 'content-type': 'application/json', 'content-length': '108' } } },
  { section: '6.9', name: 'an upstream 200 to an upgrade: kubectl 500 text, ours 502 Status', pair: 'default', send: { raw: wsUpgrade('/api/v1/namespaces/d/pods/plain200/portforward') },
    kubectl: { status: 500, upstream: '/api/v1/namespaces/d/pods/plain200/portforward', body: 'invalid upgrade response: status code 200\n', headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' } },
    deliberate: { difference: 6, ours: { status: 502, upstream: '/api/v1/namespaces/d/pods/plain200/portforward', body: /^\{"kind":"Status","apiVersion":"v1",.*"message":"invalid upgrade response: status code 200".*"code":502\}\n$/, headers: { 'content-type': 'application/json' } } } },
  { section: '2.6', name: 'Connection: Upgrade without Upgrade is still an upgrade (upstream 200)', pair: 'default', send: { raw: 'GET /api HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\n\r\n' },
    kubectl: { status: 500, upstream: '/api', body: 'invalid upgrade response: status code 200\n' },
    deliberate: { difference: 11, ours: ok('/api') } },

  // §6.10 / §2.9 upstream failures (difference 2: a Status with 502/503/504 instead of 500 and Go's error text)
  { section: '6.10', name: 'connection refused: kubectl 500 dial error text, ours 502 Status', pair: 'refused', send: { path: '/api', headers: localhost },
    kubectl: { status: 500, upstream: null, body: /^dial tcp 127\.0\.0\.1:\d+: connect: connection refused\n$/, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' } },
    deliberate: { difference: 2, ours: { status: 502, upstream: null, body: /^\{"kind":"Status",.*connection refused.*"code":502\}\n$/, headers: { 'content-type': 'application/json' } } } },
  { section: '6.10', name: 'connection refused on an upgrade: kubectl 500 error dialing backend, ours 502 Status', pair: 'refused', send: { raw: wsUpgrade(`${pod}/portforward`) },
    kubectl: { status: 500, upstream: null, body: /^error dialing backend: dial tcp 127\.0\.0\.1:\d+: connect: connection refused\n$/ },
    deliberate: { difference: 2, ours: { status: 502, upstream: null, body: /^\{"kind":"Status",.*connection refused.*"code":502\}\n$/, headers: { 'content-type': 'application/json' } } } },
];

// ---------------------------------------------------------------------------
// Startup line (§6.1): its own processes, one pair per row.

const startupVectors: { name: string; args: (dir: string, who: string) => string[]; line: (dir: string, who: string) => RegExp }[] = [
  { name: '--port=0 prints 127.0.0.1 and the chosen port', args: () => ['--port=0'], line: () => /^Starting to serve on 127\.0\.0\.1:([1-9]\d*)\n$/ },
  { name: '--address=localhost prints the resolved address', args: () => ['--port=0', '--address=localhost'], line: () => /^Starting to serve on 127\.0\.0\.1:([1-9]\d*)\n$/ },
  { name: '--unix-socket prints the path as is', args: (dir, who) => [`--unix-socket=${dir}/${who}.sock`], line: (dir, who) => new RegExp(`^Starting to serve on ${escape(`${dir}/${who}.sock`)}\\n$`) },
];

// ---------------------------------------------------------------------------

describe('parity with kubectl proxy v1.35.2', () => {
  let env: Env;
  const running: Record<string, { kubectl: RunningProxy; ours: RunningProxy }> = {};
  const started: RunningProxy[] = [];
  const cleanups: (() => unknown)[] = [];
  let requestsAtStartup = -1;

  const connectionFlags = (origin: string) => [`--server=${origin}`, `--certificate-authority=${env.stub.pki.caCertFile}`, `--token=${TOKEN}`];
  const start = async (args: string[], who: 'kubectl' | 'ours') => {
    const proxy = await startProxy(['proxy', ...args], who === 'kubectl' ? { executable: kubectlPath() } : {});
    started.push(proxy);
    return proxy;
  };

  before(async () => {
    const kubectl = kubectlPath(); // extract before anything runs in parallel
    assert.ok(kubectl);
    const stub = await startStubApiServer({ tokens: [TOKEN, CLIENT_TOKEN] });
    cleanups.push(() => stub.close());
    const lenient = await startLenientUpstream({ certFile: stub.pki.servingCertFile, keyFile: stub.pki.servingKeyFile });
    cleanups.push(() => lenient.close());
    const www = mkdtempSync(join(tmpdir(), 'kube-ambassador-parity-www-'));
    cleanups.push(() => rmSync(www, { recursive: true, force: true }));
    writeFileSync(join(www, 'a.txt'), STATIC_FILE);
    const mtime = new Date('2006-01-02T15:04:05Z');
    utimesSync(join(www, 'a.txt'), mtime, mtime);
    env = { stub, lenient, www, refusedOrigin: `https://127.0.0.1:${await closedPort()}` };
    await Promise.all((Object.keys(pairs) as PairName[]).map(async (name) => {
      const pair = pairs[name];
      const origin = pair.upstream === 'lenient' ? lenient.origin : pair.upstream === 'refused' ? env.refusedOrigin : stub.origin;
      const args = ['--port=0', ...connectionFlags(origin), ...pair.flags(env)];
      const [k, o] = await Promise.all([start(args, 'kubectl'), start(args, 'ours')]);
      running[name] = { kubectl: k, ours: o };
    }));
    requestsAtStartup = stub.requests.length + lenient.requests.length;
  });

  after(async () => {
    await Promise.allSettled(started.map((p) => p.stop()));
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  describe('§6.1 startup', () => {
    it('no request reaches the API server at startup', () => {
      assert.equal(requestsAtStartup, 0);
    });

    it('the long-running pairs printed one identical line', () => {
      for (const [name, { kubectl, ours }] of Object.entries(running)) {
        assert.match(kubectl.stdout(), /^Starting to serve on 127\.0\.0\.1:[1-9]\d*\n$/, `kubectl, ${name}`);
        assert.equal(ours.stdout().replace(/:\d+\n$/, ':PORT\n'), kubectl.stdout().replace(/:\d+\n$/, ':PORT\n'), name);
        assert.notEqual(ours.port, 8001);
      }
    });

    for (const v of startupVectors) {
      it(v.name, async () => {
        const dir = mkdtempSync(join(tmpdir(), 'kube-ambassador-parity-'));
        try {
          for (const who of ['kubectl', 'ours'] as const) {
            const proxy = await start([...connectionFlags(env.stub.origin), ...v.args(dir, who)], who);
            const stdout = proxy.stdout();
            await proxy.stop();
            assert.match(stdout, v.line(dir, who), who);
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  });

  const sections = [...new Set(vectors.map((v) => v.section))];
  for (const section of sections) {
    describe(`§${section}`, () => {
      for (const v of vectors.filter((x) => x.section === section)) {
        it(v.name, v.todo ? { todo: v.todo } : {}, async () => {
          const { kubectl, ours } = running[v.pair]!;
          const k = await observe(env, kubectl, v);
          const o = await observe(env, ours, v);
          check('kubectl', k, v.kubectl, env);
          if (v.deliberate) {
            check(`ours (deliberate difference ${v.deliberate.difference})`, o, v.deliberate.ours, env);
            assert.notDeepEqual(normalise(o, 'ours', v), normalise(k, 'kubectl', v), 'a deliberate difference that is no longer a difference');
          } else {
            assert.deepEqual(normalise(o, 'ours', v), normalise(k, 'kubectl', v), 'ours differs from kubectl');
          }
        });
      }
    });
  }
});

// ---------------------------------------------------------------------------
// Sending, checking, normalising.

interface Observed extends RawExchangeResult { upstream: RecordedRequest[]; clientHeaders: Set<string> }

async function observe(env: Env, proxy: RunningProxy, v: Vector): Promise<Observed> {
  const logs = [env.stub.requests, env.lenient.requests];
  const marks = logs.map((l) => l.length);
  const fill = (s: string) => s.replaceAll('{port}', String(proxy.port));
  let result: RawExchangeResult;
  let clientHeaders: Set<string>;
  if ('raw' in v.send) {
    const text = fill(v.send.raw);
    clientHeaders = new Set(text.split('\r\n').slice(1).filter((l) => l.includes(':')).map((l) => l.slice(0, l.indexOf(':')).toLowerCase()));
    result = await rawExchange(proxy.port, text, { probe: v.send.probe, echoLength: v.send.echoLength, awaitClose: v.send.awaitClose });
  } else {
    const headers = Object.fromEntries(Object.entries(v.send.headers ?? {}).map(([name, value]) => [name, fill(value)]));
    clientHeaders = new Set(Object.keys(headers).map((h) => h.toLowerCase()));
    result = await httpExchange(proxy.port, { ...v.send, headers });
  }
  // An upgrade is recorded before the stub answers, an ordinary request
  // before its response is sent: by now everything that will arrive has.
  const upstream = logs.flatMap((l, i) => l.slice(marks[i]));
  return { ...result, upstream, clientHeaders };
}

function httpExchange(port: number, send: HttpSend): Promise<RawExchangeResult> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...send.headers };
    const chunked = Object.keys(headers).some((h) => h.toLowerCase() === 'transfer-encoding');
    const parts = typeof send.body === 'string' ? [send.body] : send.body ?? [];
    if (!chunked && send.body !== undefined) headers['Content-Length'] = String(parts.reduce((n, p) => n + Buffer.byteLength(p), 0));
    const req = request({ host: '127.0.0.1', port, method: send.method ?? 'GET', path: send.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const flat: Record<string, string> = {};
        const rawHeaders: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          const name = res.rawHeaders[i]!;
          const value = res.rawHeaders[i + 1]!;
          rawHeaders.push(`${name}: ${value}`);
          const key = name.toLowerCase();
          flat[key] = key in flat ? `${flat[key]}, ${value}` : value;
        }
        const version = `HTTP/${res.httpVersion}`;
        resolve({
          statusLine: `${version} ${res.statusCode} ${res.statusMessage}`, version, status: res.statusCode ?? 0, reason: res.statusMessage ?? '',
          rawHeaders, headers: flat, body: Buffer.concat(chunks), echo: Buffer.alloc(0), closed: false,
        });
      });
    });
    req.on('error', reject);
    void (async () => {
      for (const [i, part] of parts.entries()) {
        if (i > 0) await new Promise((r) => setTimeout(r, 100));
        req.write(part);
      }
      req.end();
    })();
  });
}

function check(who: string, got: Observed, want: Expect, env: Env): void {
  const fill = (w: Want) => (typeof w === 'string' ? w.replaceAll('{upstream}', `127.0.0.1:${env.stub.port}`) : w);
  const same = (actual: string | undefined, expected: Want, what: string) => {
    const e = fill(expected);
    if (e instanceof RegExp) assert.match(actual ?? '', e, `${who}: ${what}`);
    else assert.equal(actual, e, `${who}: ${what}`);
  };
  assert.equal(got.status, want.status, `${who}: status (body ${JSON.stringify(got.body.toString())})`);
  if ('body' in want) same(got.body.toString('utf8'), want.body, 'body');
  for (const [name, value] of Object.entries(want.headers ?? {})) same(got.headers[name], value, `response header ${name}`);
  if (want.echo !== undefined) assert.equal(got.echo.toString('hex'), want.echo, `${who}: bytes echoed through the tunnel`);
  if (want.closed !== undefined) assert.equal(got.closed, want.closed, `${who}: connection closed after the answer`);
  if (want.upstream === null) {
    assert.deepEqual(got.upstream.map((r) => `${r.method} ${r.url}`), [], `${who}: nothing may reach the API server`);
  } else if (want.upstream !== undefined) {
    assert.deepEqual(got.upstream.map((r) => r.url), [want.upstream], `${who}: the URL the API server saw`);
    const seen = got.upstream[0]!;
    if (want.upstreamMethod) assert.equal(seen.method, want.upstreamMethod, `${who}: upstream method`);
    for (const [name, value] of Object.entries(want.upstreamHeaders ?? {})) same(headerValue(seen.headers[name]), value, `upstream header ${name}`);
  }
}

function normalise(r: Observed, who: 'kubectl' | 'ours', v: Vector) {
  const headers = { ...r.headers };
  delete headers.date;
  if (!v.strict?.connectionHeaders) {
    if (/^(keep-alive|close)$/i.test(headers.connection ?? '')) delete headers.connection;
    if (headers['keep-alive'] !== undefined && headers['keep-alive'] !== UPSTREAM_KEEP_ALIVE) delete headers['keep-alive'];
  }
  const encoded = headers['content-encoding'] !== undefined;
  return {
    ...(v.strict?.version ? { version: r.version } : {}),
    status: r.status,
    reason: r.reason,
    headers,
    ...(v.strict?.rawHead ? { rawHead: r.rawHeaders.filter((h) => !/^date:/i.test(h)) } : {}),
    body: r.body.toString(encoded ? 'base64' : 'utf8'),
    echo: r.echo.toString('hex'),
    ...('raw' in v.send && v.send.awaitClose ? { closed: r.closed } : {}),
    upstream: r.upstream.map((u) => normaliseUpstream(u, who, r.clientHeaders)),
  };
}

function normaliseUpstream(u: RecordedRequest, who: 'kubectl' | 'ours', client: Set<string>) {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(u.headers)) if (value !== undefined) headers[name] = headerValue(value)!;
  // HTTP/1.1 connection management between proxy and upstream is each client's own.
  if (/^(keep-alive|close)$/i.test(headers.connection ?? '')) delete headers.connection;
  if (!client.has('user-agent')) {
    assert.match(headers['user-agent'] ?? '', who === 'kubectl' ? KUBECTL_UA : OURS_UA, `${who}'s default User-Agent (difference 4)`);
    headers['user-agent'] = '<default User-Agent>';
  }
  if (!client.has('audit-id') && who === 'ours') {
    assert.match(headers['audit-id'] ?? '', AUDIT_ID, 'ours adds an Audit-ID when the client sent none (difference 5)');
    delete headers['audit-id'];
  }
  return { method: u.method, url: u.url, httpVersion: u.httpVersion, upgrade: u.upgrade, headers, body: u.body.toString('utf8') };
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

/** A loopback port that was free a moment ago and has no listener now. */
async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
