// The request filter (src/proxy/filter.ts) against kubectl proxy v1.35's
// FilterServer: reference §1.3 and the parity checklist §6 items 2 and 3.
// Expected values were checked against kubectl's own FilterServer
// (k8s.io/kubectl/pkg/proxy) where kubectl and we agree; the one deliberate
// difference ([::1]:port is accepted) is marked in its row.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  compileGoRegexp, compileRuleList, defaultFilterRules, type FilterRules, FilterRuleError, filterHost, RequestFilter,
} from '../../src/proxy/filter.js';
import { route, type RouteOptions } from '../../src/proxy/routes.js';

const defaults = new RequestFilter(defaultFilterRules);
const pod = '/api/v1/namespaces/d/pods/p';

describe('defaultFilterRules', () => {
  test('are the kubectl proxy defaults, verbatim', () => {
    assert.deepEqual(defaultFilterRules, {
      acceptHosts: '^localhost$,^127\\.0\\.0\\.1$,^\\[::1\\]$',
      acceptPaths: '^.*',
      rejectPaths: '^/api/.*/pods/.*/exec,^/api/.*/pods/.*/attach',
      rejectMethods: '^$',
    });
  });
});

describe('RequestFilter with the default rules (§6 item 2)', () => {
  const rows: { name: string; method?: string; host: string; path: string; accepted: boolean }[] = [
    { name: 'localhost with a port is accepted; the port is not checked', host: 'localhost:9999', path: '/api', accepted: true },
    { name: '127.0.0.1 with any port is accepted', host: '127.0.0.1:1', path: '/api', accepted: true },
    { name: 'a foreign host is rejected', host: 'evil.com', path: '/api', accepted: false },
    // Deliberate difference (README): kubectl answers 403 here (kubernetes#77496).
    { name: '[::1]:8001 is accepted (kubectl rejects it: deliberate difference)', host: '[::1]:8001', path: '/api', accepted: true },
    { name: '[::1] without a port is accepted', host: '[::1]', path: '/api', accepted: true },
    { name: 'host matching is case-sensitive: LOCALHOST is rejected', host: 'LOCALHOST', path: '/api', accepted: false },
    { name: 'pod exec is rejected', host: 'localhost', path: `${pod}/exec`, accepted: false },
    { name: 'pod attach is rejected', host: 'localhost', path: `${pod}/attach`, accepted: false },
    { name: 'pod portforward is not rejected by default', host: 'localhost', path: `${pod}/portforward`, accepted: true },
    { name: 'path matching is case-sensitive: EXEC passes', host: 'localhost', path: `${pod}/EXEC`, accepted: true },
    { name: 'exec under /apis/ is not covered by the default reject rule', host: 'localhost', path: '/apis/x/v1/namespaces/d/pods/p/exec', accepted: true },
    { name: 'no Host at all (HTTP/1.0) is rejected', host: '', path: '/api', accepted: false },
    { name: 'a host that merely contains localhost is rejected by the anchored default', host: 'localhost.evil.com', path: '/api', accepted: false },
    { name: 'reject-methods ^$ rejects nothing: DELETE passes', method: 'DELETE', host: 'localhost', path: '/api/v1/namespaces/d/pods/p', accepted: true },
  ];
  for (const row of rows) {
    test(row.name, () => {
      assert.equal(defaults.accepts(row.method ?? 'GET', row.host, row.path), row.accepted);
    });
  }
});

describe('RequestFilter with custom rules', () => {
  const rules = (overrides: Partial<FilterRules>): RequestFilter => new RequestFilter({ ...defaultFilterRules, ...overrides });
  const rows: { name: string; rules: Partial<FilterRules>; method?: string; host?: string; path?: string; accepted: boolean }[] = [
    // §6 item 3: --reject-methods=POST,PUT
    { name: 'reject-methods=POST,PUT rejects POST', rules: { rejectMethods: 'POST,PUT' }, method: 'POST', accepted: false },
    { name: 'reject-methods=POST,PUT rejects PUT', rules: { rejectMethods: 'POST,PUT' }, method: 'PUT', accepted: false },
    { name: 'reject-methods=POST,PUT lets PATCH through', rules: { rejectMethods: 'POST,PUT' }, method: 'PATCH', accepted: true },
    { name: 'reject-methods=POST,PUT lets DELETE through', rules: { rejectMethods: 'POST,PUT' }, method: 'DELETE', accepted: true },
    { name: 'reject-methods=POST,PUT lets lower-case post through (case-sensitive)', rules: { rejectMethods: 'POST,PUT' }, method: 'post', accepted: true },
    { name: 'reject-methods=POST,PUT rejects XPOSTX (unanchored)', rules: { rejectMethods: 'POST,PUT' }, method: 'XPOSTX', accepted: false },
    // Comma splitting: ^a{1,3}$ becomes "^a{1" and "3}$", so a and aa are refused.
    { name: 'accept-hosts=^a{1,3}$ is split at the comma: "aa" is rejected', rules: { acceptHosts: '^a{1,3}$' }, host: 'aa', accepted: false },
    { name: 'accept-hosts=^a{1,3}$ is split at the comma: "a" is rejected', rules: { acceptHosts: '^a{1,3}$' }, host: 'a', accepted: false },
    { name: 'accept-hosts=^a{1,3}$ is split at the comma: "a{1" matches the first half', rules: { acceptHosts: '^a{1,3}$' }, host: 'a{1x', accepted: true },
    // Empty lists.
    { name: 'an empty accept-hosts rejects everything', rules: { acceptHosts: '' }, host: 'localhost', accepted: false },
    { name: 'an empty accept-paths rejects everything', rules: { acceptPaths: '' }, accepted: false },
    { name: 'an empty reject-paths rejects nothing: exec passes', rules: { rejectPaths: '' }, path: `${pod}/exec`, accepted: true },
    { name: 'an empty reject-methods rejects nothing', rules: { rejectMethods: '' }, method: 'POST', accepted: true },
    // Unanchored substring matching.
    { name: 'accept-hosts=localhost accepts localhost.evil.com (substring match)', rules: { acceptHosts: 'localhost' }, host: 'localhost.evil.com', accepted: true },
    { name: 'accept-hosts=localhost accepts evil-localhost (substring match)', rules: { acceptHosts: 'localhost' }, host: 'evil-localhost', accepted: true },
    { name: 'accept-hosts=localhost still rejects LOCALHOST (case-sensitive)', rules: { acceptHosts: 'localhost' }, host: 'LOCALHOST', accepted: false },
    { name: 'accept-hosts=.* accepts a missing Host', rules: { acceptHosts: '.*' }, host: '', accepted: true },
    { name: 'accept-hosts=.* accepts any host', rules: { acceptHosts: '.*' }, host: 'pod-ip.example:8001', accepted: true },
    // Reject wins over accept.
    { name: 'a path both accepted and rejected is rejected', rules: { acceptPaths: '^/api/', rejectPaths: '/secrets' }, path: '/api/v1/secrets', accepted: false },
    { name: 'a rejected method loses even on an accepted path and host', rules: { acceptPaths: '.*', acceptHosts: '.*', rejectMethods: 'DELETE' }, method: 'DELETE', accepted: false },
    { name: 'accept-paths limits what is reachable', rules: { acceptPaths: '^/api/v1/namespaces/team-a/' }, path: '/api/v1/namespaces/team-b/pods', accepted: false },
    { name: 'accept-paths lets a matching path through', rules: { acceptPaths: '^/api/v1/namespaces/team-a/' }, path: '/api/v1/namespaces/team-a/pods', accepted: true },
    // Go RE2 syntax that JavaScript spells differently.
    { name: '(?i) makes a host rule case-insensitive', rules: { acceptHosts: '(?i)^localhost$' }, host: 'LocalHost', accepted: true },
    { name: '\\A and \\z anchor like ^ and $', rules: { acceptHosts: '\\Alocalhost\\z' }, host: 'localhost.evil.com', accepted: false },
  ];
  for (const row of rows) {
    test(row.name, () => {
      assert.equal(rules(row.rules).accepts(row.method ?? 'GET', row.host ?? 'localhost', row.path ?? '/api/v1/pods'), row.accepted);
    });
  }
});

describe('compileRuleList', () => {
  test('splits on every comma, escapes are not honoured', () => {
    assert.deepEqual(compileRuleList('accept-hosts', '^a{1,3}$').map((re) => re.source), ['^a{1', '3}$']);
    // "a\,b" is not an escaped comma: it splits into "a\" (a trailing backslash, invalid as in Go) and "b".
    assert.throws(() => compileRuleList('accept-paths', 'a\\,b'), FilterRuleError);
  });
  test('an empty value is an empty list', () => {
    assert.deepEqual(compileRuleList('reject-paths', ''), []);
  });
  test('empty pieces between commas match everything (as Go: an empty regexp matches)', () => {
    const list = compileRuleList('reject-methods', 'POST,');
    assert.equal(list.length, 2);
    assert.ok(list[1]!.test('GET'));
  });

  const invalid: { name: string; flag: string; value: string; todo?: string }[] = [
    { name: 'an unclosed group in accept-hosts', flag: 'accept-hosts', value: '^(foo$' },
    { name: 'an unclosed class in accept-paths', flag: 'accept-paths', value: '^/api/[' },
    { name: 'a bad second piece in reject-paths', flag: 'reject-paths', value: '^/ok,(' },
    { name: 'a dangling quantifier in reject-methods', flag: 'reject-methods', value: '*POST' },
    {
      name: 'a Perl lookahead, which RE2 does not support (kubectl exits 255)', flag: 'accept-hosts', value: '(?=l)localhost',
    },
  ];
  for (const row of invalid) {
    test(`throws FilterRuleError naming --${row.flag} for ${row.name}`, { todo: row.todo }, () => {
      assert.throws(() => compileRuleList(row.flag, row.value), (err: unknown) => {
        assert.ok(err instanceof FilterRuleError, `want FilterRuleError, got ${String(err)}`);
        assert.match(err.message, new RegExp(`--${row.flag}\\b`));
        return true;
      });
    });
  }

  test('the RequestFilter constructor reports which flag holds the bad rule', () => {
    assert.throws(() => new RequestFilter({ ...defaultFilterRules, rejectPaths: '^(exec' }), (err: unknown) =>
      err instanceof FilterRuleError && err.message.includes('--reject-paths') && err.message.includes('^(exec'));
  });
});

describe('compileGoRegexp', () => {
  const rows: { name: string; source: string; input: string; matches: boolean; todo?: string }[] = [
    { name: 'plain regexps are unanchored', source: 'b', input: 'abc', matches: true },
    { name: '(?i) leading flag', source: '(?i)^abc$', input: 'ABC', matches: true },
    { name: 'without (?i) matching is case-sensitive', source: '^abc$', input: 'ABC', matches: false },
    { name: '(?s) lets . match a newline', source: '(?s)^a.b$', input: 'a\nb', matches: true },
    { name: 'without (?s) . does not match a newline', source: '^a.b$', input: 'a\nb', matches: false },
    { name: '(?P<name>...) named groups', source: '^(?P<host>[a-z]+)$', input: 'localhost', matches: true },
    { name: '\\A anchors at the start', source: '\\Aapi', input: 'xapi', matches: false },
    { name: '\\z anchors at the end', source: 'api\\z', input: 'apix', matches: false },
    { name: 'a{1 is a literal in RE2 (and here)', source: '^a{1', input: 'a{1', matches: true },
    {
      name: 'a (?i) flag group after ^ works in RE2', source: '^(?i)localhost$', input: 'LOCALHOST', matches: true,
    },
    {
      name: 'a scoped flag group (?i:...) works in RE2', source: '(?i:LOCAL)host', input: 'localhost', matches: true,
    },
    {
      name: '\\Q...\\E quotes a literal in RE2', source: '^\\Qa.b\\E$', input: 'a.b', matches: true,
    },
    {
      name: 'POSIX classes such as [[:alpha:]] work in RE2', source: '^[[:alpha:]]+$', input: 'localhost', matches: true,
    },
    {
      name: '\\pL (Unicode class without braces) works in RE2', source: '^\\pL+$', input: 'localhost', matches: true,
    },
  ];
  for (const row of rows) {
    test(row.name, { todo: row.todo }, () => {
      assert.equal(compileGoRegexp(row.source).test(row.input), row.matches);
    });
  }
});

describe('filterHost', () => {
  const rows: { name: string; host: string; want: string }[] = [
    { name: 'a name without a port stays', host: 'localhost', want: 'localhost' },
    { name: 'the port is stripped', host: 'localhost:8001', want: 'localhost' },
    { name: 'an empty port is stripped too (net.SplitHostPort)', host: 'localhost:', want: 'localhost' },
    { name: 'IPv4 with a port', host: '127.0.0.1:1', want: '127.0.0.1' },
    { name: 'bracketed IPv6 with a port keeps its brackets (our difference)', host: '[::1]:8001', want: '[::1]' },
    { name: 'bracketed IPv6 without a port', host: '[::1]', want: '[::1]' },
    { name: 'a bare IPv6 literal is bracketed', host: '::1', want: '[::1]' },
    { name: 'an unterminated bracket is kept raw', host: '[::1', want: '[::1' },
    { name: 'no Host at all', host: '', want: '' },
    { name: 'case is kept', host: 'LOCALHOST:80', want: 'LOCALHOST' },
  ];
  for (const row of rows) {
    test(row.name, () => assert.equal(filterHost(row.host), row.want));
  }
});

describe('route() then filter.accepts(): the filter sees the decoded, prefix-stripped path', () => {
  const rows: { name: string; target: string; options: RouteOptions; accepted: boolean }[] = [
    { name: '%65xec is decoded to exec and rejected', target: `${pod}/%65xec`, options: { apiPrefix: '/' }, accepted: false },
    { name: 'p%2Fexec is decoded to p/exec and rejected', target: '/api/v1/namespaces/d/pods/p%2Fexec', options: { apiPrefix: '/' }, accepted: false },
    { name: '%61ttach is decoded to attach and rejected', target: `${pod}/%61ttach`, options: { apiPrefix: '/' }, accepted: false },
    { name: 'under --api-prefix=/custom/ the stripped path is filtered: exec rejected', target: `/custom${pod}/exec`, options: { apiPrefix: '/custom/' }, accepted: false },
    { name: 'under --api-prefix=/k8s-api/ the stripped path is filtered: exec rejected', target: `/k8s-api${pod}/exec`, options: { apiPrefix: '/k8s-api/' }, accepted: false },
    { name: 'under --api-prefix=/custom/ an ordinary path is accepted', target: '/custom/api/v1/pods', options: { apiPrefix: '/custom/' }, accepted: true },
    { name: 'under --api-prefix=/api/ nothing is stripped: exec still rejected', target: `${pod}/exec`, options: { apiPrefix: '/api/' }, accepted: false },
    // kubectl does not strip /api-prefixed prefixes, so the reject rule (^/api/) no longer matches.
    { name: 'under --api-prefix=/apifoo/ the path keeps /apifoo and exec slips past ^/api/ (as in kubectl)', target: `/apifoo${pod}/exec`, options: { apiPrefix: '/apifoo/' }, accepted: true },
    { name: 'a custom prefix with %2F: decoded before filtering', target: '/custom/api/v1/namespaces/d/pods/p%2Fexec', options: { apiPrefix: '/custom/' }, accepted: false },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const r = route(row.target, row.options);
      assert.equal(r.kind, 'api', `route: ${JSON.stringify(r)}`);
      if (r.kind !== 'api') return;
      assert.equal(defaults.accepts('GET', 'localhost', r.filterPath), row.accepted, `filterPath ${r.filterPath}`);
    });
  }
});
