// Where a request goes, decided the way kubectl proxy's Go ServeMux decides:
// unclean paths and a prefix without its slash are redirected, the API prefix
// is stripped (unless it starts with /api), the rest is a 404. Pure: no I/O.

export interface RouteOptions {
  /** Always ends in "/" (normalised by the caller, as kubectl does). */
  apiPrefix: string;
  /** Set only when --www is given; ends in "/". */
  wwwPrefix?: string;
}

export type Route =
  | { kind: 'redirect'; location: string }
  | { kind: 'not-found' }
  | { kind: 'bad-request'; message: string }
  /** filterPath: decoded, prefix stripped; upstreamPath: escaped path plus query, to send upstream; query: raw, no "?". */
  | { kind: 'api'; filterPath: string; upstreamPath: string; query: string }
  /** path: decoded, below the static folder, starts with "/". */
  | { kind: 'static'; path: string };

export function route(requestTarget: string, options: RouteOptions): Route {
  let target = requestTarget;
  // Absolute-form request line: Go takes the path from the URI (an empty path is unclean: 301 to /).
  const absolute = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(target);
  if (absolute) target = target.slice(absolute[0].length);
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? '' : target.slice(q);
  if (!absolute && !rawPath.startsWith('/')) return { kind: 'bad-request', message: 'invalid request path' };

  // Decoded paths are kept as byte strings (latin1) so any %XX byte survives, as in Go.
  const bytes = percentDecode(rawPath);
  if (bytes === undefined) return { kind: 'bad-request', message: 'invalid URL escape in the request path' };

  // Go's ServeMux cleans the escaped path (%2F and %2E are not separators) but matches decoded segments.
  const cleanRaw = cleanPath(rawPath);
  const cleanBytes = percentDecode(cleanRaw)!;
  const prefixes = [options.apiPrefix, options.wwwPrefix].filter((p): p is string => p !== undefined);
  if (!cleanBytes.endsWith('/') && prefixes.includes(`${cleanBytes}/`)) {
    return { kind: 'redirect', location: `${escapeBytes(`${cleanPath(bytes)}/`)}${query}` };
  }
  if (cleanRaw !== rawPath) return { kind: 'redirect', location: `${escapePath(cleanRaw)}${query}` }; // %2F becomes %252F, as in Go
  const match = longestPrefix(prefixes, bytes);
  if (!match) return { kind: 'not-found' };

  if (match === options.wwwPrefix && match !== options.apiPrefix) {
    return { kind: 'static', path: utf8(`/${bytes.slice(match.length)}`) };
  }
  if (match.startsWith('/api')) return { kind: 'api', filterPath: utf8(bytes), upstreamPath: rawPath + query, query: query.slice(1) };
  // stripLeaveSlash: only the decoded path changes, so Go re-escapes it unless it is unchanged.
  const rest = bytes.slice(match.length);
  const stripped = rest.startsWith('/') ? rest : `/${rest}`;
  return {
    kind: 'api', filterPath: utf8(stripped), upstreamPath: (stripped === bytes ? rawPath : escapeBytes(stripped)) + query, query: query.slice(1),
  };
}

/** %XX escapes to bytes, as a latin1 string; undefined for a malformed escape (Go answers 400). */
function percentDecode(raw: string): string | undefined {
  if (!raw.includes('%')) return ascii.test(raw) ? raw : Buffer.from(raw, 'utf8').toString('latin1');
  if (/%(?![0-9A-Fa-f]{2})/.test(raw)) return undefined;
  const bytes: number[] = [];
  const encoded = Buffer.from(raw, 'utf8');
  for (let i = 0; i < encoded.length; i++) {
    if (encoded[i] === 0x25) {
      bytes.push(parseInt(String.fromCharCode(encoded[i + 1]!, encoded[i + 2]!), 16));
      i += 2;
    } else {
      bytes.push(encoded[i]!);
    }
  }
  return Buffer.from(bytes).toString('latin1');
}

// Most paths are plain ASCII, where bytes and characters are the same: no conversion.
const ascii = /^[\x00-\x7f]*$/;

function utf8(byteString: string): string {
  return ascii.test(byteString) ? byteString : Buffer.from(byteString, 'latin1').toString('utf8');
}

/** A "//", "/./" or "/../" segment (or a path ending in "/." or "/.."): something for cleanPath to do. */
const unclean = /\/\/|\/\.\.?(\/|$)/;

function longestPrefix(prefixes: string[], path: string): string | undefined {
  let best: string | undefined;
  for (const p of prefixes) if (path.startsWith(p) && (!best || p.length > best.length)) best = p;
  return best;
}

/** Go's net/http cleanPath: path.Clean, keeping a trailing slash. */
export function cleanPath(p: string): string {
  if (p.startsWith('/') && !unclean.test(p)) return p;
  if (p === '') return '/';
  if (!p.startsWith('/')) p = `/${p}`;
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  let clean = `/${out.join('/')}`;
  if (p.endsWith('/') && clean !== '/') clean += '/';
  return clean;
}

/** Go's url escaping of a path (encodePath mode: "/" and $&+,:;=@ stay), UTF-8 for non-ASCII. */
export function escapePath(path: string): string {
  return escapeBytes(Buffer.from(path, 'utf8').toString('latin1'));
}

/** The same over a byte string (one latin1 character per byte). */
function escapeBytes(bytes: string): string {
  return bytes.replace(/[^A-Za-z0-9\-._~/$&+,:;=@]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
