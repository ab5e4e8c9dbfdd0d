// --ops-address for the sidecar: /healthz answers while the process runs,
// /readyz once the folder holds its first version, so a native sidecar's
// startupProbe holds the app container until the files are there.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PodInfoError } from './errors.js';

export class ProbeServer {
  readonly #server: Server;
  ready = false;

  constructor() {
    this.#server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const send = (status: number, body: string) => {
        res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      };
      if (path === '/healthz' || path === '/livez') return send(200, 'ok');
      if (path === '/readyz') return this.ready ? send(200, 'ok') : send(503, 'the podinfo files are not written yet\n');
      send(404, '404 page not found\n');
    });
  }

  /** "host:port" or ":port" (all interfaces); resolves with the bound address. */
  async listen(address: string): Promise<string> {
    const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(address);
    if (!m) throw new PodInfoError(`--ops-address must be host:port or :port, not "${address}"`);
    const host = m[1] ?? m[2] ?? '';
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', (err: NodeJS.ErrnoException) => reject(new PodInfoError(`listen tcp ${address}: ${err.code === 'EADDRINUSE' ? 'bind: address already in use' : err.message}`)));
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
