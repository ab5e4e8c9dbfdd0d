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
  // Absolute-form request line: Go takes the path from the URI.
  const absolute = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(target);
  if (absolute) target = target.slice(absolute[0].length) || '/';
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? '' : target.slice(q);
  if (!rawPath.startsWith('/')) return { kind: 'bad-request', message: 'invalid request path' };

  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return { kind: 'bad-request', message: 'invalid URL escape in the request path' };
  }

  const clean = cleanPath(path);
  const prefixes = [options.apiPrefix, options.wwwPrefix].filter((p): p is string => p !== undefined);
  const match = longestPrefix(prefixes, clean);
  if (prefixes.includes(`${clean}/`)) {
    return { kind: 'redirect', location: `${escapePath(`${clean}/`)}${query}` };
  }
  if (clean !== path) return { kind: 'redirect', location: `${escapePath(clean)}${query}` };
  if (!match) return { kind: 'not-found' };

  if (match === options.wwwPrefix && match !== options.apiPrefix) {
    return { kind: 'static', path: `/${path.slice(match.length)}` };
  }
  if (match.startsWith('/api')) return { kind: 'api', filterPath: path, upstreamPath: rawPath + query, query: query.slice(1) };
  // stripLeaveSlash: only the decoded path changes, so Go re-escapes it unless it is unchanged.
  const rest = path.slice(match.length);
  const stripped = rest.startsWith('/') ? rest : `/${rest}`;
  return { kind: 'api', filterPath: stripped, upstreamPath: (stripped === path ? rawPath : escapePath(stripped)) + query, query: query.slice(1) };
}

function longestPrefix(prefixes: string[], path: string): string | undefined {
  let best: string | undefined;
  for (const p of prefixes) if (path.startsWith(p) && (!best || p.length > best.length)) best = p;
  return best;
}

/** Go's net/http cleanPath: path.Clean, keeping a trailing slash. */
export function cleanPath(p: string): string {
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

/** Go's url.PathEscape for a whole path (encodePath mode: "/" and $&+,:;=@ stay). */
export function escapePath(path: string): string {
  return path.replace(/[^A-Za-z0-9\-._~/$&+,:;=@]/gu, (ch) =>
    [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
}
