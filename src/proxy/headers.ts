// Header rules of Go's ReverseProxy as kubectl proxy applies them: hop-by-hop
// headers (and those named in Connection) are dropped both ways, the client's
// address is appended to X-Forwarded-For, and our credentials are added only
// where the client sent none (a client's Authorization passes through).
import type { IncomingHttpHeaders } from 'node:http';

// Go's ReverseProxy hopHeaders.
const hopByHop = new Set([
  'connection', 'proxy-connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'transfer-encoding', 'upgrade',
]);

export interface OutgoingHeaderContext {
  /** The client's IP (absent for unix-socket clients, as in kubectl). */
  clientIp?: string;
  authorization?: string;
  impersonation: string[];
  userAgent: string;
  /** Ask for gzip when the client did not choose an encoding (Go's transport does). */
  requestGzip: boolean;
  /** Sent as Audit-ID when the client sent none, so the API server's audit log names our request. */
  requestId?: string;
}

export interface OutgoingHeaders {
  /** Flat [name, value, ...] list. */
  headers: string[];
  /** The client sent its own Authorization: the 401 retry does not apply. */
  clientAuthorization: boolean;
  /** We added Accept-Encoding: gzip, so a gzip body is ours to decompress. */
  addedGzip: boolean;
}

/** Headers for an ordinary (non-upgrade) request, from Node's rawHeaders. */
export function requestHeaders(raw: string[], ctx: OutgoingHeaderContext): OutgoingHeaders {
  const dropped = connectionListed(raw);
  // Go keeps "Te: trailers" when the client asked for trailers, even if Connection lists TE.
  let trailers = false;
  const out = copyHeaders(raw, ctx, [], (lower, value) => {
    if (lower === 'te' && /(^|,)\s*trailers\s*(,|$)/i.test(value)) trailers = true;
    // Node's server has already answered "Expect: 100-continue" to the client.
    return dropped.has(lower) || lower === 'expect' || hopByHop.has(lower);
  });
  if (trailers) out.headers.push('Te', 'trailers');
  // Go's transport asks for gzip only when the client chose no encoding and no Range.
  const addedGzip = ctx.requestGzip && !out.seen.has('accept-encoding') && !out.seen.has('range');
  if (addedGzip) out.headers.push('Accept-Encoding', 'gzip');
  return { headers: out.headers, clientAuthorization: out.seen.has('authorization'), addedGzip };
}

/**
 * Headers for an upgrade request: kubectl clones all client headers here
 * (hop-by-hop included: Connection and Upgrade must reach the API server).
 */
export function upgradeRequestHeaders(raw: string[], ctx: OutgoingHeaderContext, upstreamHost: string): OutgoingHeaders {
  const out = copyHeaders(raw, ctx, ['Host', upstreamHost], () => false);
  return { headers: out.headers, clientAuthorization: out.seen.has('authorization'), addedGzip: false };
}

const tracked = new Set(['authorization', 'impersonate-user', 'user-agent', 'accept-encoding', 'audit-id', 'range']);
// client-go adds its own value when the client's is absent or empty.
const replacedWhenEmpty = new Set(['authorization', 'impersonate-user', 'user-agent']);

/** Copies client headers (Host replaced, X-Forwarded-For extended), then adds our identity where the client gave none. */
function copyHeaders(raw: string[], ctx: OutgoingHeaderContext, headers: string[],
  skip: (lower: string, value: string) => boolean): { headers: string[]; seen: Set<string> } {
  const seen = new Set<string>();
  let forwardedFor: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const lower = name.toLowerCase();
    if (lower === 'host' || skip(lower, value)) continue;
    if (value === '' && replacedWhenEmpty.has(lower)) continue;
    if (lower === 'x-forwarded-for') {
      forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
      continue;
    }
    if (tracked.has(lower)) seen.add(lower);
    headers.push(name, value);
  }
  const xff = ctx.clientIp === undefined ? forwardedFor
    : forwardedFor === undefined ? ctx.clientIp : `${forwardedFor}, ${ctx.clientIp}`;
  if (xff !== undefined) headers.push('X-Forwarded-For', xff);
  if (!seen.has('authorization') && ctx.authorization) headers.push('Authorization', ctx.authorization);
  if (!seen.has('impersonate-user')) headers.push(...ctx.impersonation);
  if (!seen.has('user-agent')) headers.push('User-Agent', ctx.userAgent);
  if (!seen.has('audit-id') && ctx.requestId) headers.push('Audit-ID', ctx.requestId);
  return { headers, seen };
}

/** Response headers to pass to the client (flat, repeated names kept): hop-by-hop and Connection-listed ones removed. */
export function responseHeaders(upstream: string[], decompressing: boolean): string[] {
  const dropped = connectionListed(upstream);
  const out: string[] = [];
  for (let i = 0; i < upstream.length; i += 2) {
    const name = upstream[i]!;
    const lower = name.toLowerCase();
    if (hopByHop.has(lower) || dropped.has(lower)) continue;
    if (decompressing && (lower === 'content-encoding' || lower === 'content-length')) continue;
    out.push(name, upstream[i + 1]!);
  }
  return out;
}

/** The value of a header in a flat list (the first, case-insensitive). */
export function flatHeader(headers: string[], lowerName: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.length === lowerName.length && headers[i]!.toLowerCase() === lowerName) return headers[i + 1];
  }
  return undefined;
}

function connectionListed(raw: string[]): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() !== 'connection') continue;
    for (const token of raw[i + 1]!.split(',')) {
      const t = token.trim().toLowerCase();
      if (t) out.add(t);
    }
  }
  return out;
}

/** kubectl's IsUpgradeRequest: any Connection value containing "upgrade", case-insensitive. */
export function isUpgradeRequest(headers: IncomingHttpHeaders): boolean {
  const connection = headers.connection;
  return connection !== undefined && connection.toLowerCase().includes('upgrade');
}
