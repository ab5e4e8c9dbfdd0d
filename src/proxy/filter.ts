// The request filter of kubectl proxy (pkg/proxy/proxy_server.go): reject
// paths, then reject methods, then accept iff both a path and a host rule
// match. Rules are comma-split lists of unanchored regexps. Pure: no I/O.
import { compileGoRegexp } from './go-regexp.js';

export { compileGoRegexp };

export interface FilterRules {
  acceptHosts: string;
  acceptPaths: string;
  rejectPaths: string;
  rejectMethods: string;
}

export const defaultFilterRules: FilterRules = {
  acceptHosts: '^localhost$,^127\\.0\\.0\\.1$,^\\[::1\\]$',
  acceptPaths: '^.*',
  rejectPaths: '^/api/.*/pods/.*/exec,^/api/.*/pods/.*/attach',
  rejectMethods: '^$',
};

export class FilterRuleError extends Error {
  override name = 'FilterRuleError';
}

/**
 * kubectl's MakeRegexpArray: split on every comma (escapes are not honoured),
 * and an empty value is an empty list — an empty accept list rejects all.
 */
export function compileRuleList(flag: string, value: string): RegExp[] {
  if (value === '') return [];
  return value.split(',').map((source) => {
    try {
      return compileGoRegexp(source);
    } catch (err) {
      throw new FilterRuleError(`invalid regular expression ${JSON.stringify(source)} in --${flag}: ${(err as Error).message}`);
    }
  });
}

/**
 * The host the accept-hosts rules see: the Host without its port. Unlike
 * kubectl (kubernetes#77496), an IPv6 literal keeps its brackets whether or
 * not a port follows, so "[::1]:8001" matches the default ^\[::1\]$ rule.
 */
export function filterHost(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end < 0 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  if (colon < 0) return host;
  if (host.indexOf(':', colon + 1) >= 0) return `[${host}]`; // a bare IPv6 literal
  return host.slice(0, colon);
}

export class RequestFilter {
  readonly #acceptHosts: RegExp[];
  readonly #acceptPaths: RegExp[];
  readonly #rejectPaths: RegExp[];
  readonly #rejectMethods: RegExp[];

  constructor(rules: FilterRules) {
    this.#acceptHosts = compileRuleList('accept-hosts', rules.acceptHosts);
    this.#acceptPaths = compileRuleList('accept-paths', rules.acceptPaths);
    this.#rejectPaths = compileRuleList('reject-paths', rules.rejectPaths);
    this.#rejectMethods = compileRuleList('reject-methods', rules.rejectMethods);
  }

  /** `path` is the percent-decoded path after the API prefix is stripped; `host` the Host header as sent. */
  accepts(method: string, host: string, path: string): boolean {
    if (matchesAny(this.#rejectPaths, path)) return false;
    if (matchesAny(this.#rejectMethods, method)) return false;
    return matchesAny(this.#acceptPaths, path) && matchesAny(this.#acceptHosts, filterHost(host));
  }
}

function matchesAny(list: RegExp[], value: string): boolean {
  for (const re of list) if (re.test(value)) return true;
  return false;
}
