// The local listener: TCP (as kubectl, plain HTTP/1.x) or a unix socket
// (stale sockets replaced, created srwx------), and a graceful shutdown that kubectl
// proxy lacks: stop accepting, end watches cleanly, let other requests finish
// within the grace period, then cut what is left and remove the socket file.
import { lstatSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ConfigError } from '../credentials/cluster-connection.js';
import type { ProxyHandler } from './proxy-handler.js';

export type ListenSpec = { address: string; port: number } | { socketPath: string };

export class ProxyServer {
  readonly #server: Server;
  readonly #handler: ProxyHandler;
  readonly #inflight = new Set<ServerResponse>();
  readonly #tunnels = new Set<Duplex>();
  #socketPath: string | undefined;
  #closing = false;

  constructor(handler: ProxyHandler) {
    this.#handler = handler;
    // Host is checked here, with Go's answers, rather than by Node (requireHostHeader).
    // A 64 KiB socket buffer: at the default 16 KiB (undici's chunk size) every write of a large
    // response would report backpressure and pause the upstream once per chunk.
    this.#server = createServer({
      keepAliveTimeout: 60_000, requestTimeout: 0, headersTimeout: 60_000, requireHostHeader: false, highWaterMark: 64 * 1024,
    }, (req, res) => {
      if (rejectBadHost(req, req.socket)) return;
      this.#inflight.add(res);
      res.once('close', () => {
        this.#inflight.delete(res);
        if (this.#closing) this.#server.closeIdleConnections();
      });
      if (this.#closing) res.shouldKeepAlive = false;
      handler.onRequest(req, res);
    });
    this.#server.on('upgrade', (req, socket, head) => {
      if (rejectBadHost(req, socket)) return;
      this.#tunnels.add(socket);
      socket.once('close', () => this.#tunnels.delete(socket));
      handler.onUpgrade(req, socket, head);
    });
    this.#server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      if (!socket.writable) return socket.destroy();
      const message = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${message}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${message}`);
    });
  }

  /** Listens and returns the address as kubectl prints it ("127.0.0.1:8001", "[::]:8001", a socket path). */
  async listen(spec: ListenSpec): Promise<string> {
    if ('socketPath' in spec) {
      removeStaleSocket(spec.socketPath);
      // Created srwx------, as kubectl's: the umask is narrowed only for the synchronous bind.
      await this.#listen(() => {
        const previous = process.umask(0o077);
        try {
          this.#server.listen(spec.socketPath);
        } finally {
          process.umask(previous);
        }
      }, `unix ${spec.socketPath}`);
      this.#socketPath = spec.socketPath;
      return spec.socketPath;
    }
    // Go listens dual-stack for "" and 0.0.0.0 and prints [::]; brackets are optional for us.
    const host = spec.address === '' || spec.address === '0.0.0.0' ? '::' : spec.address.replace(/^\[(.*)\]$/, '$1');
    await this.#listen(() => this.#server.listen(spec.port, host), `tcp ${spec.address}:${spec.port}`);
    const address = this.#server.address() as AddressInfo;
    return address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
  }

  /** Stop accepting, end watches, wait up to graceMs for the rest, then close everything. */
  async shutdown(graceMs: number): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    for (const stream of [...this.#handler.streams]) stream.endCleanly();
    const deadline = Date.now() + graceMs;
    while ((this.#inflight.size > 0 || this.#tunnels.size > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      this.#server.closeIdleConnections();
    }
    for (const tunnel of this.#tunnels) tunnel.destroy();
    this.#server.closeAllConnections();
    await closed;
    if (this.#socketPath) removeStaleSocket(this.#socketPath);
  }

  #listen(start: () => void, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        this.#server.off('listening', onListening);
        const reason = err.code === 'EADDRINUSE' ? 'bind: address already in use'
          : err.code === 'EACCES' ? 'bind: permission denied'
            : err.code === 'EADDRNOTAVAIL' ? 'bind: cannot assign requested address' : err.message;
        reject(new ConfigError(`listen ${what}: ${reason}`));
      };
      const onListening = () => {
        this.#server.off('error', onError);
        resolve();
      };
      this.#server.once('error', onError);
      this.#server.once('listening', onListening);
      start();
    });
  }
}

// Go's httpguts.ValidHostHeader.
const validHost = /^[0-9A-Za-z!$%&'()*+,\-.:;=\[\]_~\x80-\xff]*$/;

/** Go's server answers these itself, before any handler: a missing (HTTP/1.1) or malformed Host. */
function rejectBadHost(req: IncomingMessage, socket: Duplex): boolean {
  const host = req.headers.host;
  let reason: string | undefined;
  if (host === undefined && req.httpVersion === '1.1') reason = 'missing required Host header';
  else if (host !== undefined && !validHost.test(host)) reason = 'malformed Host header';
  if (!reason) return false;
  const text = `400 Bad Request: ${reason}`;
  socket.end(`HTTP/1.1 ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${text}`);
  return true;
}

/** A socket file left by an earlier run is replaced; any other file is an error (kubectl's rule). */
function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // absent: nothing to remove
  }
}
