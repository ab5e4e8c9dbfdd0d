// The needs a proxy's filter flags imply: each --accept-paths regexp is read
// as an API path (group, version, namespace, resource, name, subresource),
// then sample requests on that path go through the proxy's own filter
// (accept-paths, reject-paths, reject-methods) and every one it lets through
// becomes a verb, as the API server names it. A regexp too open to name its
// resources (the default ^.*, ^/api, a namespace with anything under it) is
// refused: least privilege cannot be read from it. Pure.
import { requestInfo } from '../kube/request-info.js';
import { compileGoRegexp, RequestFilter } from '../proxy/filter.js';
import { type AccessNeed, allNamespaces, sortVerbs } from './needs.js';

export interface ProxyFilterFlags {
  acceptPaths: string;
  rejectPaths: string;
  rejectMethods: string;
}

export interface ProxyDerivation {
  needs: AccessNeed[];
  notes: string[];
}

/** The flags cannot be turned into least privilege; the message says what to write instead. */
export class ProxyFlagsError extends Error {
  override name = 'ProxyFlagsError';
}

type Segment = { kind: 'literal'; text: string; partial?: boolean } | { kind: 'any' };

interface Skeleton {
  anchored: boolean;
  segments: Segment[];
  /** What follows the plain path, e.g. "$", "(/.*)?$", ".*". */
  tail: string;
}

type Shape =
  | { kind: 'resource'; base: string; group: string; watch: boolean; namespace?: Segment; resource: string; name?: Segment; subresource?: string }
  | { kind: 'incomplete'; path: string }
  | { kind: 'nonResource'; path: string };

const example = 'e.g. --accept-paths=\'^/api/v1/namespaces/my-namespace/pods,^/apis/apps/v1/namespaces/my-namespace/deployments\'';
const publicPaths = new Set(['/version', '/healthz', '/livez', '/readyz', '/openapi/v2', '/openapi/v3', '/.well-known/openid-configuration', '/openid/v1/jwks']);

export function needsFromProxyFlags(flags: ProxyFilterFlags): ProxyDerivation {
  const filter = new RequestFilter({ acceptHosts: '^localhost$', ...flags });
  const accepts = (method: string, path: string) => filter.accepts(method, 'localhost', path);
  if (flags.acceptPaths === '') throw new ProxyFlagsError('an empty --accept-paths lets nothing through: there is nothing to grant');
  const needs: AccessNeed[] = [];
  const notes: string[] = [];
  for (const source of flags.acceptPaths.split(',')) {
    const origin = `--accept-paths ${source}`;
    const regexp = compileGoRegexp(source);
    const skeleton = readSkeleton(source);
    if (hasAlternatives(skeleton.tail)) {
      throw new ProxyFlagsError(`${origin}: alternatives (a|b) cannot be read as paths; write one regexp per path, comma-separated, ${example}`);
    }
    const shape = shapeOf(skeleton, source);
    if (!skeleton.anchored) notes.push(`${origin}: not anchored with ^, so it also matches further inside a path; the rules are for the path it starts with`);
    const path = shape.kind === 'incomplete' || (shape.kind === 'nonResource' && shape.path === '') ? shape.path : undefined;
    if (path !== undefined && ['/x', '/x/y/z', '/v1/namespaces/x/pods'].some((tail) => regexp.test(path + tail))) {
      throw new ProxyFlagsError(path === ''
        ? `${origin} accepts every path: too open to turn into least privilege. Name the resources the program uses, ${example}`
        : `${origin} accepts everything under ${path}: too open to turn into least privilege. Name the resources the program uses, ${example}`);
    }
    if (shape.kind === 'incomplete') {
      if (accepts('GET', shape.path)) notes.push(`${origin}: the discovery document ${shape.path} is readable by every authenticated user (role system:discovery); nothing to grant`);
      else throw new ProxyFlagsError(`${origin}: cannot tell which resource it is for; write one regexp per resource, ${example}`);
      continue;
    }
    if (shape.kind === 'nonResource') {
      if (publicPaths.has(shape.path) || shape.path.startsWith('/openapi/')) {
        notes.push(`${origin}: ${shape.path} is readable by every authenticated user (roles system:discovery, system:public-info-viewer); nothing to grant`);
        continue;
      }
      const verbs = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => accepts(m, shape.path)).map((m) => m.toLowerCase());
      if (verbs.length === 0) throw new ProxyFlagsError(`${origin}: the filter lets no request to ${shape.path} through (see --reject-methods and --reject-paths)`);
      needs.push({ verbs, resource: '', nonResourceURL: shape.path, origin });
      if (verbs.some((v) => accepts(v.toUpperCase(), `${shape.path}/x`))) {
        needs.push({ verbs, resource: '', nonResourceURL: `${shape.path}/*`, origin });
      }
      continue;
    }
    if (shape.resource === 'namespaces' && !shape.namespace && !shape.subresource) {
      // /api/v1/namespaces or /api/v1/namespaces/NAME as a prefix: everything in a namespace, or in all of them.
      const named = shape.name?.kind === 'literal' ? shape.name.text : undefined;
      if (regexp.test(`${shape.base}/namespaces/${named ?? 'x'}/configmaps/x`)) {
        throw new ProxyFlagsError(`${origin} accepts every resource in ${named ? `namespace ${named}` : 'every namespace'}: too open to turn into least privilege. Name the resources the program uses, ${example}`);
      }
    }
    const derived = resourceNeed(shape, origin, accepts);
    if (!derived) throw new ProxyFlagsError(`${origin}: the filter lets no request to ${describeShape(shape)} through (see --reject-methods and --reject-paths)`);
    needs.push(derived.need);
    if (derived.note) notes.push(derived.note);
  }
  return { needs, notes };
}

/** The path a regexp is anchored to, segment by segment, up to where it stops being a plain path. */
export function readSkeleton(source: string): Skeleton {
  let i = 0;
  let anchored = false;
  if (source.startsWith('^')) { anchored = true; i = 1; } else if (source.startsWith('\\A')) { anchored = true; i = 2; }
  const segments: Segment[] = [];
  if (source[i] !== '/') return { anchored, segments, tail: source.slice(i) };
  i++;
  let current = '';
  let stopped = false;
  while (i < source.length && !stopped) {
    const c = source[i]!;
    if (c === '/') {
      segments.push({ kind: 'literal', text: current });
      current = '';
      i++;
    } else if (c === '\\' && /^[./\-_~:]$/.test(source[i + 1] ?? '')) {
      current += source[i + 1];
      i += 2;
    } else if (/^[A-Za-z0-9_~:-]$/.test(c)) {
      current += c;
      i++;
    } else if (c === '.' && !/^[*+?{]$/.test(source[i + 1] ?? '')) {
      current += '.'; // an unescaped dot inside a name, as in networking.k8s.io: read as a dot
      i++;
    } else {
      // A whole segment of "anything but a slash" is a wildcard namespace or name.
      const wildcard = /^(\[\^\/\]|\.)[*+]\??/.exec(source.slice(i));
      if (wildcard && current === '') {
        i += wildcard[0].length;
        if (source[i] === '/' || source[i] === undefined || source[i] === '$') {
          segments.push({ kind: 'any' });
          current = '';
          if (source[i] === '/') { i++; continue; }
        }
      }
      stopped = true;
    }
  }
  const tail = source.slice(i);
  // "pods$", "pods(/.*)?" and a bare "pods" end the segment; "web-.*" goes on matching inside it.
  const partial = tail !== '' && !/^(\$|\\z|\/|\\\/|\((\?:)?(\/|\\\/))/.test(tail);
  if (current !== '') segments.push({ kind: 'literal', text: current, ...(partial ? { partial } : {}) });
  return { anchored, segments, tail };
}

function shapeOf(skeleton: Skeleton, source: string): Shape {
  const parts = skeleton.segments;
  const literal = (s: Segment | undefined) => (s?.kind === 'literal' ? s.text : undefined);
  const path = (upTo: number) => `/${parts.slice(0, upTo).map((s) => (s.kind === 'literal' ? s.text : '*')).join('/')}`.replace(/^\/$/, '');
  const refuse = (what: string) => new ProxyFlagsError(`--accept-paths ${source}: ${what}; only a namespace or an object's name may be a wildcard ([^/]+), ${example}`);
  const first = literal(parts[0]);
  let base: string;
  let group = '';
  let rest: Segment[];
  if (first === 'api') {
    if (parts.length < 3) return { kind: 'incomplete', path: path(parts.length) };
    if (!literal(parts[1])) throw refuse('a wildcard API version');
    base = path(2);
    rest = parts.slice(2);
  } else if (first === 'apis') {
    if (parts.length < 4) return { kind: 'incomplete', path: path(parts.length) };
    if (!literal(parts[1]) || !literal(parts[2])) throw refuse('a wildcard API group or version');
    group = literal(parts[1])!;
    base = path(3);
    rest = parts.slice(3);
  } else {
    if (parts.some((s) => s.kind === 'any')) throw refuse('a wildcard in a non-resource path');
    return { kind: 'nonResource', path: path(parts.length) };
  }
  let watch = false;
  if (literal(rest[0]) === 'watch') {
    watch = true;
    rest = rest.slice(1);
    if (rest.length === 0) return { kind: 'incomplete', path: path(parts.length) };
  }
  let namespace: Segment | undefined;
  if (literal(rest[0]) === 'namespaces' && rest.length >= 3 && !['status', 'finalize'].includes(literal(rest[2]) ?? '')) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const resource = literal(rest[0]);
  if (!resource) throw refuse('a wildcard in place of the resource');
  const name = rest[1];
  const subresource = rest[2];
  if (name?.kind === 'literal' && name.partial) {
    throw refuse(`an object name given as a pattern ("${name.text}…"); RBAC resourceNames are exact names`);
  }
  if (subresource && !literal(subresource)) throw refuse('a wildcard subresource');
  if (rest.length > 3 && literal(subresource) !== 'proxy') throw refuse(`an API path longer than RESOURCE/NAME/SUBRESOURCE (${path(parts.length)})`);
  return { kind: 'resource', base, group, watch, namespace, resource, name, subresource: literal(subresource) };
}

function resourceNeed(shape: Extract<Shape, { kind: 'resource' }>, origin: string, accepts: (method: string, path: string) => boolean): { need: AccessNeed; note?: string } | undefined {
  const pick = (s: Segment | undefined) => (s === undefined ? undefined : s.kind === 'any' ? 'x' : s.text);
  const ns = pick(shape.namespace);
  const prefix = `${shape.base}${shape.watch ? '/watch' : ''}${ns === undefined ? '' : `/namespaces/${ns}`}`;
  const collection = `${prefix}/${shape.resource}`;
  const object = `${collection}/${pick(shape.name) ?? 'x'}`;
  const candidates: [method: string, path: string, query: string][] = [];
  if (shape.subresource) {
    for (const m of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) candidates.push([m, `${object}/${shape.subresource}`, '']);
  } else {
    if (!shape.name) {
      candidates.push(['GET', collection, ''], ['GET', collection, 'watch=1']);
      if (!shape.watch) candidates.push(['POST', collection, ''], ['DELETE', collection, '']);
    }
    candidates.push(['GET', object, '']);
    if (!shape.watch) candidates.push(['PUT', object, ''], ['PATCH', object, ''], ['DELETE', object, '']);
  }
  const verbs = new Set<string>();
  for (const [method, path, query] of candidates) {
    if (accepts(method, path)) verbs.add(requestInfo(method, path, query).verb);
  }
  if (verbs.size === 0) return undefined;
  const need: AccessNeed = {
    verbs: sortVerbs(verbs),
    resource: shape.group ? `${shape.resource}.${shape.group}` : shape.resource,
    subresource: shape.subresource,
    namespace: shape.namespace === undefined || shape.namespace.kind === 'any' ? allNamespaces : shape.namespace.text,
    resourceName: shape.name?.kind === 'literal' ? shape.name.text : undefined,
    origin,
    exactResource: true,
  };
  let note: string | undefined;
  if (!shape.subresource && ['GET', 'POST'].some((m) => accepts(m, `${object}/status`))) {
    const nsPart = need.namespace === allNamespaces ? '*' : need.namespace;
    const sub = shape.resource === 'pods' && !shape.group ? 'log' : 'SUBRESOURCE';
    note = `${origin}: the filter also lets subresources through (${object}/…); none is granted — add --can get:${shape.resource}/${sub}:${nsPart} for one the program uses`;
  }
  return { need, note };
}

/** A "|" that makes the regexp several paths in one; "(/.*|$)"-style endings are fine. */
function hasAlternatives(tail: string): boolean {
  if (!tail.includes('|')) return false;
  const ending = /^\((?:\?:)?(.*)\)[?*]?\$?$/.exec(tail);
  if (!ending) return true;
  const alternatives: string[] = [];
  let depth = 0;
  let current = '';
  for (let i = 0; i < ending[1]!.length; i++) {
    const c = ending[1]![i]!;
    if (c === '\\') { current += c + (ending[1]![i + 1] ?? ''); i++; continue; }
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === '|' && depth === 0) { alternatives.push(current); current = ''; continue; }
    current += c;
  }
  alternatives.push(current);
  return !alternatives.every((alt) => alt === '' || /^(\/|\\\/|\$)/.test(alt));
}

function describeShape(shape: Extract<Shape, { kind: 'resource' }>): string {
  const ns = shape.namespace === undefined ? '' : shape.namespace.kind === 'any' ? ' in every namespace' : ` in ${shape.namespace.text}`;
  return `${shape.resource}${shape.subresource ? `/${shape.subresource}` : ''}${ns}`;
}
