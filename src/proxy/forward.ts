// Forwarding an ordinary request: headers rewritten, bodies streamed both
// ways with backpressure, each chunk of a watch flushed as it arrives, a 401
// answered by re-reading the token (and one retry when the body allows it).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { type ExchangeControl, type ExchangeHandler, upstreamError } from '../transport/exchange.js';
import { classifyUpstreamError } from '../transport/upstream-error.js';
import type { RequestCredentials } from '../transport/request-credentials.js';
import type { Upstream } from '../transport/upstream.js';
import type { ExchangeObserver, ExchangeRecord } from './exchange.js';
import { flatHeader, requestHeaders, responseHeaders } from './headers.js';
import { sendStatus } from './local-responses.js';

export interface ForwardContext {
  upstream: Upstream;
  credentials: RequestCredentials;
  userAgent: string;
  observer: ExchangeObserver;
  /** Open long-running responses (watches, log follows), ended cleanly on shutdown. */
  streams: Set<OpenStream>;
}

export interface OpenStream {
  /** Stop reading upstream and terminate the response properly, as a server-side watch timeout would. */
  endCleanly(): void;
}

export interface ForwardTarget {
  /** Escaped path and query to request upstream (server path already joined). */
  path: string;
  longRunning: boolean;
  clientIp?: string;
  requestId: string;
}

export function forward(req: IncomingMessage, res: ServerResponse, target: ForwardTarget, ctx: ForwardContext, record: ExchangeRecord): void {
  // Most requests find the token in memory: no promise, no extra turn of the event loop.
  const now = ctx.credentials.authorizationNow();
  if (now) {
    sendUpstream(req, res, target, ctx, record, now.value);
    return;
  }
  ctx.credentials.authorization().then(
    (authorization) => sendUpstream(req, res, target, ctx, record, authorization),
    (err: unknown) => fail(res, record, err, ctx.upstream.connection.origin),
  );
}

function sendUpstream(req: IncomingMessage, res: ServerResponse, target: ForwardTarget, ctx: ForwardContext, record: ExchangeRecord,
  authorization: string | undefined): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined
    || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
  const send = (auth: string | undefined, retryOn401: boolean) => {
    const out = requestHeaders(req.rawHeaders, {
      clientIp: target.clientIp,
      authorization: auth,
      impersonation: ctx.credentials.impersonationHeaders,
      userAgent: ctx.userAgent,
      requestGzip: !ctx.upstream.connection.disableCompression && req.method !== 'HEAD',
      requestId: target.requestId,
    });
    const relay = new ResponseRelay(res, record, ctx, out.addedGzip, target.longRunning,
      !out.clientAuthorization && auth !== undefined ? { used: auth, retry: retryOn401 ? send : undefined } : undefined);
    ctx.upstream.exchanges(target.longRunning).dispatch({
      path: target.path,
      method: req.method!,
      headers: out.headers,
      body: hasBody ? req : null,
    }, relay);
  };
  send(authorization, !hasBody);
}

interface HeldUnauthorized {
  /** The Authorization value that was refused. */
  used: string;
  /** Present when the request may be sent again (it had no body). */
  retry?: (auth: string | undefined, retryOn401: boolean) => void;
}

/** Compressed bytes held for one synchronous gunzip (about 8 MiB inflated for a LIST). */
const gzipHoldLimit = 1024 * 1024;

interface HeldResponse {
  status: number;
  headers: string[];
  chunks: Buffer[];
}

class ResponseRelay implements ExchangeHandler, OpenStream {
  readonly #res: ServerResponse;
  readonly #record: ExchangeRecord;
  readonly #ctx: ForwardContext;
  readonly #addedGzip: boolean;
  readonly #longRunning: boolean;
  readonly #unauthorized: HeldUnauthorized | undefined;
  #controller: ExchangeControl | undefined;
  /** Where the body goes: the response, or a gunzip stream in front of it. */
  #sink: Writable;
  /** A gzip body we decompress, held until it ends while it is small (see #start). */
  #gzipHeld: Buffer[] | undefined;
  #gzipHeldBytes = 0;
  #held: HeldResponse | undefined;
  /** Body chunks that arrive in one turn of the event loop go out in one write (see #write). */
  #flush: NodeJS.Immediate | undefined;
  #bytes = 0;
  #clientGone = false;
  #endingCleanly = false;

  constructor(res: ServerResponse, record: ExchangeRecord, ctx: ForwardContext, addedGzip: boolean, longRunning: boolean,
    unauthorized: HeldUnauthorized | undefined) {
    this.#res = res;
    this.#record = record;
    this.#ctx = ctx;
    this.#addedGzip = addedGzip;
    this.#longRunning = longRunning;
    this.#unauthorized = unauthorized;
    this.#sink = res;
    res.once('close', this.#onClientClose);
  }

  onStart(controller: ExchangeControl): void {
    this.#controller = controller;
    if (this.#clientGone) controller.abort(new Error('client disconnected'));
  }

  onHead(status: number, headers: string[]): void {
    if (this.#finished || this.#res.headersSent) return; // a transport's late echo: the exchange is over
    if (status === 401 && this.#unauthorized) {
      this.#held = { status, headers, chunks: [] };
      return;
    }
    this.#start(status, headers);
  }

  onData(chunk: Buffer): void {
    if (this.#held) {
      this.#held.chunks.push(chunk);
      return;
    }
    if (chunk.length === 0) return;
    if (this.#gzipHeld) {
      this.#gzipHeld.push(chunk);
      this.#gzipHeldBytes += chunk.length;
      if (this.#gzipHeldBytes <= gzipHoldLimit) return;
      // Too large to hold: decompress as a stream from here on.
      chunk = Buffer.concat(this.#gzipHeld);
      this.#gzipHeld = undefined;
      this.#streamGunzip();
    }
    const sink = this.#sink;
    // A large body arrives 16 KiB (one TLS record) at a time. From the second
    // chunk on, corked until the next turn, the chunks of one read leave in a
    // single writev instead of one system call each (a third of the CPU of a
    // large LIST). The first chunk goes at once with the headers, so a small
    // response never waits; so do watch events.
    if (this.#bytes > 0 && !this.#longRunning && this.#flush === undefined && sink === this.#res) {
      this.#res.cork();
      this.#flush = setImmediate(this.#uncork);
    }
    this.#bytes += chunk.length;
    if (!sink.write(chunk)) {
      const controller = this.#controller!;
      controller.pause();
      sink.once('drain', () => controller.resume());
    }
  }

  onEnd(): void {
    if (this.#held) {
      void this.#afterUnauthorized(this.#held);
      return;
    }
    if (!this.#started) {
      this.onError(upstreamError('UPSTREAM_CLOSED', 'the API server ended the exchange without a response'));
      return;
    }
    this.#uncork();
    if (this.#gzipHeld) {
      const compressed = Buffer.concat(this.#gzipHeld);
      this.#gzipHeld = undefined;
      let body: Buffer;
      try {
        body = gunzipSync(compressed, { chunkSize: 256 * 1024 }); // fewer, larger pieces: half the time of the default 16 KiB
      } catch (err) {
        this.#res.destroy(err as Error);
        this.#done(this.#res.statusCode, 'other');
        return;
      }
      this.#bytes = body.length;
      this.#res.end(body);
    } else {
      this.#sink.end();
    }
    this.#done(this.#res.statusCode);
  }

  #uncork = (): void => {
    if (this.#flush === undefined) return;
    clearImmediate(this.#flush);
    this.#flush = undefined;
    this.#res.uncork();
  };

  onError(err: Error): void {
    this.#uncork();
    this.#gzipHeld = undefined;
    if (this.#endingCleanly) {
      if (this.#res.headersSent) this.#sink.end();
      this.#done(this.#res.statusCode);
      return;
    }
    if (this.#clientGone) {
      this.#done(499);
      return;
    }
    if (!this.#res.headersSent) {
      fail(this.#res, this.#record, err, this.#ctx.upstream.connection.origin);
      this.#res.off('close', this.#onClientClose);
      return;
    }
    // Mid-body failure: abort the client connection rather than end it cleanly,
    // so the client sees a truncated response, not a complete one.
    const failure = classifyUpstreamError(err, this.#ctx.upstream.connection.origin);
    this.#res.destroy(err);
    this.#done(this.#res.statusCode, failure.kind);
  }

  #started = false;
  #start(status: number, headers: string[]): void {
    this.#started = true;
    const decompress = this.#addedGzip && flatHeader(headers, 'content-encoding') === 'gzip';
    this.#res.writeHead(status, responseHeaders(headers, decompress));
    // A watch's headers go out now, not with its first event; other responses
    // send headers and the first body chunk in one write.
    if (this.#longRunning) this.#res.flushHeaders();
    this.#record.responded(status);
    if (this.#longRunning) this.#ctx.streams.add(this);
    if (decompress) {
      // A gzip body below the limit is held and inflated in one synchronous
      // call when it ends: a zlib stream would send every 16 KiB chunk to the
      // thread pool and back, which costs more than inflating. Watches, and
      // bodies that grow past the limit, are decompressed as a stream.
      if (this.#longRunning) this.#streamGunzip();
      else this.#gzipHeld = [];
    }
  }

  #streamGunzip(): void {
    // Large output chunks: each one is a round trip to libuv's thread pool.
    const gunzip = createGunzip({ chunkSize: 128 * 1024 });
    gunzip.on('error', (err) => this.#res.destroy(err));
    gunzip.pipe(this.#res);
    this.#sink = gunzip;
  }

  async #afterUnauthorized(held: HeldResponse): Promise<void> {
    const unauthorized = this.#unauthorized!;
    let changed = false;
    try {
      changed = await this.#ctx.credentials.refreshAfterUnauthorized(unauthorized.used);
    } catch {
      changed = false;
    }
    this.#ctx.observer.tokenRetried?.(changed);
    if (changed && unauthorized.retry && !this.#clientGone) {
      this.#res.off('close', this.#onClientClose);
      let auth: string | undefined;
      try {
        auth = await this.#ctx.credentials.authorization();
      } catch (err) {
        fail(this.#res, this.#record, err, this.#ctx.upstream.connection.origin);
        return;
      }
      unauthorized.retry(auth, false);
      return;
    }
    this.#held = undefined;
    this.#start(held.status, held.headers);
    this.onData(Buffer.concat(held.chunks));
    this.onEnd();
  }

  endCleanly(): void {
    this.#endingCleanly = true;
    this.#controller?.abort(new Error('the proxy is shutting down'));
  }

  #onClientClose = (): void => {
    if (this.#res.writableFinished) return;
    this.#clientGone = true;
    this.#controller?.abort(new Error('client disconnected'));
  };

  #finished = false;
  #done(status: number, upstreamError?: ReturnType<typeof classifyUpstreamError>['kind']): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#ctx.streams.delete(this);
    this.#record.finish({ status, bytesSent: this.#bytes, upstreamError });
  }
}

function fail(res: ServerResponse, record: ExchangeRecord, err: unknown, origin: string): void {
  const failure = classifyUpstreamError(err, origin);
  if (!res.headersSent && !res.destroyed) sendStatus(res, failure.status, failure.message);
  record.finish({ status: failure.status, bytesSent: 0, upstreamError: failure.kind });
}
