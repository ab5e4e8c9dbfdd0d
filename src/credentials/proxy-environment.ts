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

export function noProxyMatches(host: string, port: string, noProxy: string): boolean {
  for (let entry of noProxy.split(',').map((e) => e.trim().toLowerCase()).filter(Boolean)) {
    if (entry === '*') return true;
    if (entry.includes('/')) {
      const [net, bits] = entry.split('/');
      const family = isIP(net ?? '');
      if (family && isIP(host) === family) {
        const list = new BlockList();
        list.addSubnet(net!, Number(bits), family === 6 ? 'ipv6' : 'ipv4');
        if (list.check(host, family === 6 ? 'ipv6' : 'ipv4')) return true;
      }
      continue;
    }
    const portMatch = /^(.*):(\d+)$/.exec(entry);
    if (portMatch && !entry.startsWith('[') && isIP(entry) !== 6) {
      if (portMatch[2] !== port) continue;
      entry = portMatch[1]!;
    }
    entry = entry.replace(/^\[|\]$/g, '');
    const name = host.toLowerCase();
    if (entry.startsWith('.') ? name.endsWith(entry) || name === entry.slice(1) : name === entry || name.endsWith(`.${entry}`)) {
      return true;
    }
  }
  return false;
}

function isLoopback(host: string): boolean {
  return isIP(host) === 4 ? host.startsWith('127.') : host === '::1';
}
