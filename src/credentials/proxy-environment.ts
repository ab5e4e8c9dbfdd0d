// HTTPS_PROXY / HTTP_PROXY / NO_PROXY as Go's net/http reads them (with the
// CIDR entries client-go adds): which proxy, if any, catches a given origin.
import { BlockList, isIP } from 'node:net';

export function proxyFromEnvironment(origin: string, env: NodeJS.ProcessEnv): string | undefined {
  const url = new URL(origin);
  const proxy = url.protocol === 'https:'
    ? env.HTTPS_PROXY || env.https_proxy
    : env.HTTP_PROXY || env.http_proxy;
  if (!proxy) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || isLoopback(host)) return undefined; // Go never proxies loopback
  if (noProxyMatches(host, url.port || (url.protocol === 'https:' ? '443' : '80'), env.NO_PROXY || env.no_proxy || '')) {
    return undefined;
  }
  return proxy.includes('://') ? proxy : `http://${proxy}`;
}

/** golang.org/x/net/http/httpproxy's NO_PROXY rules: "*", CIDRs, IPs, domains (".x" or "*.x": subdomains only), optional ports. */
export function noProxyMatches(host: string, port: string, noProxy: string): boolean {
  const name = host.toLowerCase();
  const family = isIP(name);
  for (const raw of noProxy.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    if (entry.includes('/')) {
      const [net, bits] = entry.split('/');
      const netFamily = isIP(net ?? '');
      if (netFamily && family === netFamily) {
        const list = new BlockList();
        list.addSubnet(net!, Number(bits), netFamily === 6 ? 'ipv6' : 'ipv4');
        if (list.check(name, family === 6 ? 'ipv6' : 'ipv4')) return true;
      }
      continue;
    }
    let entryHost = entry;
    let entryPort = '';
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    const hostPort = /^([^:]+):(\d+)$/.exec(entry);
    if (bracketed) [entryHost, entryPort] = [bracketed[1]!, bracketed[2] ?? ''];
    else if (hostPort) [entryHost, entryPort] = [hostPort[1]!, hostPort[2]!];
    if (entryPort && entryPort !== port) continue;
    if (isIP(entryHost)) {
      if (family && sameIp(entryHost, name)) return true;
      continue;
    }
    if (entryHost.startsWith('*.')) entryHost = entryHost.slice(1);
    if (entryHost.startsWith('.') ? name.endsWith(entryHost) : name === entryHost || name.endsWith(`.${entryHost}`)) return true;
  }
  return false;
}

function sameIp(a: string, b: string): boolean {
  const list = new BlockList();
  list.addAddress(a, isIP(a) === 6 ? 'ipv6' : 'ipv4');
  return list.check(b, isIP(b) === 6 ? 'ipv6' : 'ipv4');
}

function isLoopback(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || /^::ffff:127\./i.test(host) || /^::ffff:7f[0-9a-f]{2}:/i.test(host);
}
