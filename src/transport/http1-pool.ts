// A pool of keep-alive HTTP/1.1 connections to one API server: the most
// recently used idle connection first (its TCP and TLS state are warm), new
// connections up to a limit, then a FIFO queue. A sweep once a second ends
// idle connections before the server's idle timeout would, and requests whose
// answer is overdue.
import type { Socket } from 'node:net';
import { type ExchangeDispatcher, type ExchangeHandler, type UpstreamRequest, upstreamError } from './exchange.js';
import { type ConnectionOwner, Http1Connection, Http1Exchange } from './http1-connection.js';

export interface Http1PoolOptions {
  /** Opens a connected, verified socket. */
  connect: () => Promise<Socket>;
  /** The Host header. */
  host: string;
  /** null: no limit (long-running requests each hold a connection). */
  maxConnections: number | null;
  /** Waiting for response headers (ms); 0 = no limit. */
  headersTimeoutMs: number;
  /** Idle connections are closed after this long (ms). */
  idleTimeoutMs: number;
}

export class Http1Pool implements ExchangeDispatcher, ConnectionOwner {
  readonly #options: Http1PoolOptions;
  readonly #idle: Http1Connection[] = [];
  readonly #connections = new Set<Http1Connection>();
  readonly #queue: Http1Exchange[] = [];
  readonly #inFlight = new Set<Http1Exchange>();
  #connecting = 0;
  #sweep: NodeJS.Timeout | undefined;
  #closing = false;
  #destroyed = false;
  #drained: (() => void) | undefined;
  #closed: Promise<void> | undefined;

  constructor(options: Http1PoolOptions) {
    this.#options = options;
  }

  dispatch(request: UpstreamRequest, handler: ExchangeHandler): void {
    const exchange = new Http1Exchange(request, handler, this.#dequeue, this.#untrack);
    handler.onStart(exchange);
    if (exchange.finished) return; // aborted in onStart
    if (this.#closing) {
      exchange.fail(upstreamError('UPSTREAM_SHUT', 'the connection pool to the API server is closed'));
      return;
    }
    this.#track(exchange);
    this.#assign(exchange, false);
  }

  close(): Promise<void> {
    this.#closing = true;
    this.#closed ??= (async () => {
      if (this.#inFlight.size > 0) await new Promise<void>((resolve) => { this.#drained = resolve; });
      await this.destroy();
    })();
    return this.#closed;
  }

  async destroy(): Promise<void> {
    this.#closing = true;
    this.#destroyed = true;
    clearInterval(this.#sweep);
    this.#sweep = undefined;
    const shut = upstreamError('UPSTREAM_SHUT', 'the connection pool to the API server was closed');
    for (const exchange of this.#queue.splice(0)) exchange.fail(shut);
    // Those still waiting for a new connection to open.
    for (const exchange of [...this.#inFlight]) if (!exchange.connection) exchange.fail(shut);
    const closing = [...this.#connections].map((c) => new Promise<void>((resolve) => {
      if (c.closed) resolve();
      else {
        c.onClosed = resolve;
        c.destroy(shut);
      }
    }));
    await Promise.all(closing);
  }

  free(connection: Http1Connection): void {
    const next = this.#nextQueued();
    if (next) {
      connection.run(next);
      return;
    }
    if (this.#closing) {
      connection.destroy();
      return;
    }
    connection.idleSince = Date.now();
    this.#idle.push(connection);
  }

  closed(connection: Http1Connection): void {
    this.#connections.delete(connection);
    const i = this.#idle.indexOf(connection);
    if (i >= 0) this.#idle.splice(i, 1);
    connection.onClosed?.();
    // A slot opened: a queued request may now get a connection of its own.
    const next = this.#nextQueued();
    if (next) this.#assign(next, true);
  }

  resend(exchange: Http1Exchange): boolean {
    if (this.#closing) return false;
    exchange.resent = true;
    this.#assign(exchange, true);
    return true;
  }

  #track(exchange: Http1Exchange): void {
    this.#inFlight.add(exchange);
    this.#sweep ??= setInterval(() => this.#sweepOnce(), 1000).unref();
  }

  #untrack = (exchange: Http1Exchange): void => {
    this.#inFlight.delete(exchange);
    if (this.#inFlight.size === 0) this.#drained?.();
  };

  #assign(exchange: Http1Exchange, fresh: boolean): void {
    if (!fresh) {
      const idle = this.#idle.pop();
      if (idle) {
        idle.run(exchange);
        return;
      }
    }
    const max = this.#options.maxConnections;
    if (max !== null && this.#connections.size + this.#connecting >= max) {
      this.#queue.push(exchange);
      return;
    }
    this.#connecting++;
    this.#options.connect().then((socket) => {
      this.#connecting--;
      const connection = new Http1Connection(socket, this.#options.host, this);
      this.#connections.add(connection);
      if (this.#destroyed) {
        exchange.fail(upstreamError('UPSTREAM_SHUT', 'the connection pool to the API server was closed'));
        connection.destroy();
      } else if (exchange.finished) {
        this.free(connection);
      } else {
        connection.run(exchange); // also while closing gracefully: it was accepted before close()
      }
    }, (err: Error) => {
      this.#connecting--;
      exchange.fail(this.#destroyed ? upstreamError('UPSTREAM_SHUT', 'the connection pool to the API server was closed') : err);
      const next = this.#nextQueued();
      if (next) this.#assign(next, true);
    });
  }

  #nextQueued(): Http1Exchange | undefined {
    let next = this.#queue.shift();
    while (next?.finished) next = this.#queue.shift();
    return next;
  }

  #dequeue = (exchange: Http1Exchange): void => {
    const i = this.#queue.indexOf(exchange);
    if (i >= 0) this.#queue.splice(i, 1);
  };

  #sweepOnce(): void {
    const now = Date.now();
    const headersTimeout = this.#options.headersTimeoutMs;
    if (headersTimeout > 0) {
      for (const exchange of this.#inFlight) {
        if (exchange.connection && !exchange.headReceived && now - exchange.sentAt > headersTimeout) {
          exchange.abort(upstreamError('UPSTREAM_HEADERS_TIMEOUT', `no response headers from the API server within ${headersTimeout} ms`));
        }
      }
    }
    while (this.#idle.length > 0 && now - this.#idle[0]!.idleSince > this.#options.idleTimeoutMs) this.#idle.shift()!.destroy();
    if (this.#inFlight.size === 0 && this.#connections.size === 0) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
    }
  }
}
