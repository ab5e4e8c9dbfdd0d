// HTTPS_PROXY / HTTP_PROXY / NO_PROXY (src/credentials/proxy-environment.ts)
// against Go's golang.org/x/net/http/httpproxy (what http.ProxyFromEnvironment
// uses) plus client-go's CIDR support: reference §2.8. Every expected value was
// produced by httpproxy.Config.ProxyFunc on the same input.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { noProxyMatches, proxyFromEnvironment } from '../../src/credentials/proxy-environment.js';

const env = { HTTP_PROXY: 'http://hp:1', HTTPS_PROXY: 'http://sp:2' };
const viaHttps = 'http://sp:2';

describe('proxyFromEnvironment: which variable applies', () => {
  const rows: { name: string; origin: string; env: NodeJS.ProcessEnv; want: string | undefined }[] = [
    { name: 'HTTPS_PROXY for an https server', origin: 'https://api.example:6443', env, want: viaHttps },
    { name: 'HTTP_PROXY for an http server', origin: 'http://api.example:8080', env, want: 'http://hp:1' },
    { name: 'HTTP_PROXY is not used for https', origin: 'https://api.example:6443', env: { HTTP_PROXY: 'http://hp:1' }, want: undefined },
    { name: 'lower-case https_proxy', origin: 'https://api.example', env: { https_proxy: 'http://lower:3' }, want: 'http://lower:3' },
    { name: 'upper case wins over lower case', origin: 'https://api.example', env: { HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:2' }, want: 'http://upper:1' },
    { name: 'a proxy without a scheme is http://', origin: 'https://api.example', env: { HTTPS_PROXY: 'proxy:3128' }, want: 'http://proxy:3128' },
    { name: 'a socks5 proxy is kept as given', origin: 'https://api.example', env: { HTTPS_PROXY: 'socks5://s:1080' }, want: 'socks5://s:1080' },
    { name: 'no proxy variables', origin: 'https://api.example', env: {}, want: undefined },
    { name: 'localhost is never proxied', origin: 'https://localhost:6443', env, want: undefined },
    { name: '127.0.0.1 is never proxied', origin: 'https://127.0.0.1:6443', env, want: undefined },
    { name: 'all of 127/8 is loopback', origin: 'https://127.5.5.5:6443', env, want: undefined },
    { name: '[::1] is never proxied', origin: 'https://[::1]:6443', env, want: undefined },
    { name: 'NO_PROXY applies', origin: 'https://api.example:6443', env: { ...env, NO_PROXY: 'api.example' }, want: undefined },
    { name: 'lower-case no_proxy applies', origin: 'https://api.example:6443', env: { ...env, no_proxy: 'api.example' }, want: undefined },
  ];
  for (const row of rows) test(row.name, () => assert.equal(proxyFromEnvironment(row.origin, row.env), row.want));

  test('an IPv4-mapped loopback address is never proxied (net.IP.IsLoopback)', () => {
      assert.equal(proxyFromEnvironment('https://[::ffff:127.0.0.1]:6443', env), undefined);
    });
});

describe('NO_PROXY matching (httpproxy rules)', () => {
  const rows: { name: string; origin: string; noProxy: string; bypass: boolean; todo?: string }[] = [
    { name: 'a name matches itself', origin: 'https://example.com', noProxy: 'example.com', bypass: true },
    { name: 'a name matches its subdomains', origin: 'https://a.example.com', noProxy: 'example.com', bypass: true },
    { name: 'a name does not match a longer name', origin: 'https://notexample.com', noProxy: 'example.com', bypass: false },
    { name: 'matching is case-insensitive', origin: 'https://EXAMPLE.com', noProxy: 'example.COM', bypass: true },
    { name: '.example.com matches subdomains', origin: 'https://a.example.com', noProxy: '.example.com', bypass: true },
    {
      name: '.example.com does not match example.com itself', origin: 'https://example.com', noProxy: '.example.com', bypass: false,
    },
    {
      name: '*.example.com matches subdomains', origin: 'https://a.example.com', noProxy: '*.example.com', bypass: true,
    },
    { name: '*.example.com does not match example.com', origin: 'https://example.com', noProxy: '*.example.com', bypass: false },
    { name: 'name:port matches that port', origin: 'https://example.com:6443', noProxy: 'example.com:6443', bypass: true },
    { name: 'name:port does not match another port', origin: 'https://example.com:6443', noProxy: 'example.com:443', bypass: false },
    { name: 'name:443 matches the default https port', origin: 'https://example.com', noProxy: 'example.com:443', bypass: true },
    { name: 'an IPv4 CIDR', origin: 'https://10.1.2.3:6443', noProxy: '10.0.0.0/8', bypass: true },
    { name: 'an IPv4 CIDR does not match outside it', origin: 'https://11.1.2.3:6443', noProxy: '10.0.0.0/8', bypass: false },
    { name: 'an IPv4 address', origin: 'https://10.1.2.3', noProxy: '10.1.2.3', bypass: true },
    { name: 'an IPv4 address with the port', origin: 'https://10.1.2.3:6443', noProxy: '10.1.2.3:6443', bypass: true },
    { name: 'an IPv4 address with another port', origin: 'https://10.1.2.3:6443', noProxy: '10.1.2.3:443', bypass: false },
    { name: 'an IPv6 CIDR', origin: 'https://[fd00::1]:6443', noProxy: 'fd00::/8', bypass: true },
    { name: 'an IPv6 address', origin: 'https://[fd00::1]:6443', noProxy: 'fd00::1', bypass: true },
    {
      name: 'a bracketed IPv6 address with its port', origin: 'https://[fd00::1]:6443', noProxy: '[fd00::1]:6443', bypass: true,
    },
    { name: '* matches everything', origin: 'https://x.internal', noProxy: '*', bypass: true },
    { name: 'entries are trimmed and comma-separated', origin: 'https://host', noProxy: ' other , host ', bypass: true },
    { name: 'empty entries are ignored', origin: 'https://host', noProxy: ',,', bypass: false },
  ];
  for (const row of rows) {
    test(row.name, { todo: row.todo }, () => {
      assert.equal(proxyFromEnvironment(row.origin, { ...env, NO_PROXY: row.noProxy }), row.bypass ? undefined : viaHttps);
    });
  }
});

describe('noProxyMatches directly', () => {
  test('host, port and list are all it needs', () => {
    assert.equal(noProxyMatches('api.internal', '6443', 'internal'), true);
    assert.equal(noProxyMatches('api.internal', '6443', 'internal:443'), false);
    assert.equal(noProxyMatches('api.internal', '6443', ''), false);
  });
});
