// The operations listener (of the proxy, and of the podinfo sidecar), apart from the proxy port: the kubelet probes the
// pod IP while the proxy stays on 127.0.0.1, and no Host filter applies.
//   /healthz, /livez  the process serves
//   /readyz           credentials loaded, token not expired, API server answering
//   /metrics          Prometheus text format
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../credentials/cluster-connection.js';
import type { ProxyMetrics } from './metrics.js';
import type { ReadinessCheck } from './readiness.js';

/** Anything that can say whether it is ready: the proxy's Readiness, podinfo's first write. */
export interface ReadinessSource {
  check(): Promise<ReadinessCheck[]>;
}

export class OpsServer {
  readonly #server: Server;

  constructor(parts: { metrics?: ProxyMetrics; readiness: ReadinessSource }) {
    this.#server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const verbose = (req.url ?? '').includes('verbose');
      const text = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
        res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      };
      if (path === '/healthz' || path === '/livez') return text(200, verbose ? '[+]ping ok\nhealthz check passed\n' : 'ok');
      if (path === '/readyz') {
        void parts.readiness.check().then((checks) => {
          const ok = checks.every((c) => c.ok);
          const lines = checks.map((c) => (c.ok ? `[+]${c.name} ok` : `[-]${c.name} failed: ${c.message}`));
          text(ok ? 200 : 503, ok && !verbose ? 'ok' : `${lines.join('\n')}\nreadyz check ${ok ? 'passed' : 'failed'}\n`);
        }, (err: Error) => text(500, `readyz check errored: ${err.message}\n`));
        return;
      }
      if (path === '/metrics' && parts.metrics) {
        const registry = parts.metrics.registry;
        void registry.metrics().then((body) => text(200, body, registry.contentType), (err: Error) => text(500, err.message));
        return;
      }
      text(404, '404 page not found\n');
    });
  }

  /** "host:port" (":9091" means all interfaces); returns the bound address. */
  async listen(address: string): Promise<string> {
    const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(address);
    if (!m) throw new ConfigError(`--ops-address must be host:port or :port, not "${address}"`);
    const host = m[1] ?? m[2] ?? '';
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', (err: NodeJS.ErrnoException) => reject(new ConfigError(`listen tcp ${address}: ${err.code === 'EADDRINUSE' ? 'bind: address already in use' : err.message}`)));
      this.#server.listen(Number(m[3]), host === '' ? '::' : host, resolve);
    });
    const a = this.#server.address() as AddressInfo;
    return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}
