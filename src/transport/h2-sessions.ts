// Long-running requests (watches, log follows) multiplexed over HTTP/2 when the
// API server offers it, as client-go does: a thousand watches then share a few
// TLS connections instead of holding one each (memory, handshakes, and the
// server's connection count). Sessions fill up to the server's
// SETTINGS_MAX_CONCURRENT_STREAMS, then another is opened. Short requests stay
// on HTTP/1.1, which costs less CPU per request in Node.
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import type { Socket } from 'node:net';
import { type ExchangeDispatcher, type ExchangeHandler, type UpstreamRequest, upstreamError } from './exchange.js';

type Http2Module = typeof import('node:http2');

export interface H2SessionsOptions {
  origin: URL;
  /** Opens a verified socket on which the server agreed to h2 (ALPN), or rejects. */
  connect: () => Promise<Socket>;
  /** Waiting for response headers (ms); 0 = no limit. */
  headersTimeoutMs: number;
  /** A session without streams is closed after this long (ms). */
  idleTimeoutMs: number;
}

interface Session {
  session: ClientHttp2Session;
  socket: Socket;
  streams: number;
  usable: boolean;
  idleTimer: NodeJS.Timeout | undefined;
}

// Streams allowed on a session before the server's SETTINGS arrive (RFC 9113 recommends at least 100).
const assumedMaxStreams = 100;
const connectionHeaders = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host']);

export class H2Sessions implements ExchangeDispatcher {
  readonly #options: H2SessionsOptions;
  readonly #sessions = new Set<Session>();
  /** How to fail each request in flight, for destroy(). */
  readonly #inFlight = new Set<(err: Error) => void>();
  #opening: Promise<Session> | undefined;
  #http2: Promise<Http2Module> | undefined;
  #closed = false;

  constructor(options: H2SessionsOptions) {
    this.#options = options;
  }

  /** Adopts a socket on which h2 was already negotiated (the probe that found h2). */
  adopt(socket: Socket): void {
    this.#opening = this.#open(socket);
    this.#opening.catch(() => {}).finally(() => { this.#opening = undefined; });
  }

  dispatch(request: UpstreamRequest, handler: ExchangeHandler): void {
    let aborted: Error | undefined;
    let stream: ClientHttp2Stream | undefined;
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      this.#inFlight.delete(finish);
      if (err) handler.onError(err);
      else handler.onEnd();
    };
    this.#inFlight.add(finish);
    handler.onStart({
      abort: (reason) => {
        if (done) return;
        aborted = reason;
        if (stream && !stream.destroyed) stream.close(0x8); // CANCEL
        finish(reason);
      },
      pause: () => stream?.pause(),
      resume: () => stream?.resume(),
    });
    if (done) return;
    this.#session().then((s) => {
      if (aborted) return this.#release(s);
      stream = this.#request(s, request, handler, finish);
    }, (err: Error) => finish(err));
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#sessions].map((s) => new Promise<void>((resolve) => {
      if (s.session.closed || s.session.destroyed) resolve();
      else s.session.close(() => resolve());
    })));
  }

  async destroy(): Promise<void> {
    this.#closed = true;
    const shut = upstreamError('UPSTREAM_SHUT', 'the connection to the API server was closed');
    for (const fail of [...this.#inFlight]) fail(shut);
    for (const s of this.#sessions) s.session.destroy();
    this.#sessions.clear();
  }

  #request(s: Session, request: UpstreamRequest, handler: ExchangeHandler, finish: (err?: Error) => void): ClientHttp2Stream {
    const headers: OutgoingHttpHeaders = { ':method': request.method, ':path': request.path };
    const flat = request.headers;
    for (let i = 0; i < flat.length; i += 2) {
      const name = flat[i]!.toLowerCase();
      if (connectionHeaders.has(name) || (name === 'te' && flat[i + 1]!.toLowerCase() !== 'trailers')) continue;
      const prior = headers[name];
      headers[name] = prior === undefined ? flat[i + 1]! : ([] as string[]).concat(prior as string | string[], flat[i + 1]!);
    }
    const stream = s.session.request(headers, { endStream: request.body === null });
    if (request.body) request.body.pipe(stream);
    let timer: NodeJS.Timeout | undefined;
    if (this.#options.headersTimeoutMs > 0) {
      timer = setTimeout(() => {
        stream.close(0x8);
        finish(upstreamError('UPSTREAM_HEADERS_TIMEOUT', `no response headers from the API server within ${this.#options.headersTimeoutMs} ms`));
      }, this.#options.headersTimeoutMs);
    }
    let started = false;
    let ended = false;
    stream.on('response', (response: IncomingHttpHeaders) => {
      clearTimeout(timer);
      if (started) return;
      started = true;
      handler.onHead(Number(response[':status']), responseHeaderList(response));
    });
    stream.on('data', (chunk: Buffer) => handler.onData(chunk));
    // A stream also "ends" when its connection is cut or it is reset: only
    // 'close' tells, by its code, whether the response really was complete.
    stream.on('end', () => { ended = true; });
    stream.on('error', (err) => finish(err));
    stream.on('close', () => {
      clearTimeout(timer);
      this.#release(s);
      if (started && ended && stream.rstCode === 0) finish();
      else {
        finish(upstreamError('UPSTREAM_CLOSED', started
          ? 'the API server ended the stream in the middle of the response'
          : 'the API server closed the stream before answering'));
      }
    });
    return stream;
  }

  /** A session with room for one more stream (counted as taken). */
  async #session(): Promise<Session> {
    for (;;) {
      if (this.#closed) throw upstreamError('UPSTREAM_SHUT', 'the connection to the API server is closed');
      for (const s of this.#sessions) {
        if (s.usable && s.streams < maxStreams(s.session)) {
          this.#take(s);
          return s;
        }
      }
      if (!this.#opening) {
        this.#opening = this.#options.connect().then((socket) => this.#open(socket));
        this.#opening.catch(() => {}).finally(() => { this.#opening = undefined; });
      }
      const opened = await this.#opening;
      if (this.#closed) throw upstreamError('UPSTREAM_SHUT', 'the connection to the API server is closed');
      if (opened.usable && opened.streams < maxStreams(opened.session)) {
        this.#take(opened);
        return opened;
      }
    }
  }

  async #open(socket: Socket): Promise<Session> {
    this.#http2 ??= import('node:http2');
    const http2 = await this.#http2;
    const session = http2.connect(this.#options.origin, { createConnection: () => socket });
    const s: Session = { session, socket, streams: 0, usable: true, idleTimer: undefined };
    const unusable = () => {
      s.usable = false;
      clearTimeout(s.idleTimer);
      if (s.streams === 0) retire(s);
    };
    session.on('goaway', unusable);
    session.on('error', unusable);
    session.on('close', () => {
      unusable();
      this.#sessions.delete(s);
    });
    // Before its SETTINGS arrive the server's stream limit is unknown: wait for them, briefly.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      session.once('remoteSettings', () => { clearTimeout(timer); resolve(); });
      session.once('close', () => { clearTimeout(timer); resolve(); });
    });
    // Only now may others take streams on it: before the SETTINGS, Node reports no limit at all.
    if (this.#closed) {
      session.destroy();
      throw upstreamError('UPSTREAM_SHUT', 'the connection to the API server was closed');
    }
    if (!session.closed && !session.destroyed) this.#sessions.add(s);
    return s;
  }

  #take(s: Session): void {
    s.streams++;
    clearTimeout(s.idleTimer);
    s.idleTimer = undefined;
  }

  #release(s: Session): void {
    s.streams--;
    // A session the server sent GOAWAY on is closed once its last stream ends.
    if (s.streams === 0 && !s.usable) retire(s);
    if (s.streams === 0 && s.usable) {
      s.idleTimer = setTimeout(() => {
        s.usable = false;
        s.session.close();
      }, this.#options.idleTimeoutMs);
      s.idleTimer.unref();
    }
  }
}

/**
 * Ends a session nothing uses any more. After a GOAWAY, Node marks the session
 * closed and destroyed but can leave its socket open: that is closed here too.
 */
function retire(s: Session): void {
  if (!s.session.destroyed) s.session.destroy();
  if (!s.socket.destroyed) s.socket.destroy();
}

function maxStreams(session: ClientHttp2Session): number {
  return session.remoteSettings.maxConcurrentStreams ?? assumedMaxStreams;
}

/** Response headers as a flat list, names in Go's canonical form (as kubectl relays them from an h2 server). */
function responseHeaderList(headers: IncomingHttpHeaders): string[] {
  const out: string[] = [];
  for (const name of Object.keys(headers)) {
    if (name.startsWith(':')) continue;
    const value = headers[name];
    if (value === undefined) continue;
    const canonical = name.replace(/(^|-)([a-z])/g, (_m, dash: string, ch: string) => dash + ch.toUpperCase());
    if (Array.isArray(value)) for (const v of value) out.push(canonical, v);
    else out.push(canonical, String(value));
  }
  return out;
}
