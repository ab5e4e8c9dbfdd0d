// Where long-running requests go: HTTP/2 sessions when the API server agrees
// to h2 through ALPN (found out once, with the first such request), else a
// connection each over HTTP/1.1. Requests with a body always take HTTP/1.1.
import type { Socket } from 'node:net';
import { negotiatedProtocol } from './connect-socket.js';
import { type ExchangeDispatcher, type ExchangeHandler, type UpstreamRequest, upstreamError } from './exchange.js';
import { H2Sessions } from './h2-sessions.js';

export interface NegotiatedOptions {
  /** Opens a verified socket offering these ALPN protocols. */
  connect: (alpn: string[]) => Promise<Socket>;
  origin: URL;
  http1: ExchangeDispatcher;
  headersTimeoutMs: number;
  idleTimeoutMs: number;
}

export class NegotiatedLongRunning implements ExchangeDispatcher {
  readonly #http1: ExchangeDispatcher;
  readonly #h2: H2Sessions;
  readonly #connect: (alpn: string[]) => Promise<Socket>;
  #mode: 'unknown' | 'h2' | 'http/1.1' = 'unknown';
  #probe: Promise<boolean> | undefined;

  constructor(options: NegotiatedOptions) {
    this.#http1 = options.http1;
    this.#connect = options.connect;
    this.#h2 = new H2Sessions({
      origin: options.origin,
      connect: async () => {
        const socket = await this.#connect(['h2', 'http/1.1']);
        if (negotiatedProtocol(socket) === 'h2') return socket;
        socket.destroy();
        this.#mode = 'http/1.1';
        throw upstreamError('UPSTREAM_CLOSED', 'the API server no longer offers HTTP/2');
      },
      headersTimeoutMs: options.headersTimeoutMs,
      idleTimeoutMs: options.idleTimeoutMs,
    });
  }

  /** "h2" or "http/1.1" once known. */
  get protocol(): string | undefined {
    return this.#mode === 'unknown' ? undefined : this.#mode;
  }

  dispatch(request: UpstreamRequest, handler: ExchangeHandler): void {
    if (request.body !== null || this.#mode === 'http/1.1') return this.#http1.dispatch(request, handler);
    if (this.#mode === 'h2') return this.#h2.dispatch(request, handler);
    this.#probe ??= this.#connect(['h2', 'http/1.1']).then((socket) => {
      if (negotiatedProtocol(socket) === 'h2') {
        this.#mode = 'h2';
        this.#h2.adopt(socket);
      } else {
        this.#mode = 'http/1.1';
        socket.destroy();
      }
      return true;
    }, () => {
      // Unreachable for now: this request takes HTTP/1.1 (which reports why), the next one asks again.
      this.#probe = undefined;
      return false;
    });
    void this.#probe.then((known) => (known ? this.dispatch(request, handler) : this.#http1.dispatch(request, handler)));
  }

  async close(): Promise<void> {
    await Promise.all([this.#h2.close(), this.#http1.close()]);
  }

  async destroy(): Promise<void> {
    await Promise.all([this.#h2.destroy(), this.#http1.destroy()]);
  }
}
