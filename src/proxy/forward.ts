// Forwarding an ordinary request: headers rewritten, bodies streamed both
// ways with backpressure, each chunk of a watch flushed as it arrives, a 401
// answered by re-reading the token (and one retry when the body allows it).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Dispatcher } from 'undici';
import { classifyUpstreamError } from '../transport/upstream-error.js';
import type { RequestCredentials } from '../transport/request-credentials.js';
import type { Upstream } from '../transport/upstream.js';
import type { ExchangeObserver, ExchangeRecord } from './exchange.js';
import { requestHeaders, responseHeaders } from './headers.js';
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

type IncomingHeaders = Record<string, string | string[] | undefined>;

export async function forward(req: IncomingMessage, res: ServerResponse, target: ForwardTarget, ctx: ForwardContext, record: ExchangeRecord): Promise<void> {
  let authorization: string | undefined;
  try {
    authorization = await ctx.credentials.authorization();
  } catch (err) {
    fail(res, record, err, ctx.upstream.connection.origin);
    return;
  }
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
    ctx.upstream.dispatcher(target.longRunning).dispatch({
      origin: ctx.upstream.origin,
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

class ResponseRelay implements Dispatcher.DispatchHandler, OpenStream {
  readonly #res: ServerResponse;
  readonly #record: ExchangeRecord;
  readonly #ctx: ForwardContext;
  readonly #addedGzip: boolean;
  readonly #longRunning: boolean;
  readonly #unauthorized: HeldUnauthorized | undefined;
  #controller: Dispatcher.DispatchController | undefined;
  #sink: Writable | undefined;
  #held: { status: number; headers: IncomingHeaders; chunks: Buffer[] } | undefined;
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
    res.once('close', this.#onClientClose);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#clientGone) controller.abort(new Error('client disconnected'));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, status: number, headers: IncomingHeaders): void {
    if (status < 200) return; // 1xx informational
    if (status === 401 && this.#unauthorized) {
      this.#held = { status, headers, chunks: [] };
      return;
    }
    this.#start(status, headers);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#held) {
      this.#held.chunks.push(chunk);
      return;
    }
    // undici hands over an empty chunk on resume: not worth a write call.
    if (chunk.length === 0) return;
    const sink = this.#sink!;
    this.#bytes += chunk.length;
    if (!sink.write(chunk)) {
      controller.pause();
      sink.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    if (this.#held) {
      void this.#afterUnauthorized(this.#held);
      return;
    }
    this.#sink?.end();
    this.#done(this.#res.statusCode);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.#endingCleanly) {
      this.#sink?.end();
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

  #start(status: number, headers: IncomingHeaders): void {
    const decompress = this.#addedGzip && headers['content-encoding'] === 'gzip';
    this.#res.writeHead(status, responseHeaders(headers, decompress));
    // A watch's headers go out now, not with its first event; other responses
    // send headers and the first body chunk in one write.
    if (this.#longRunning) this.#res.flushHeaders();
    this.#record.responded(status);
    if (this.#longRunning) this.#ctx.streams.add(this);
    if (decompress) {
      // Large output chunks: each one is a round trip to libuv's thread pool.
      const gunzip = createGunzip({ chunkSize: 128 * 1024 });
      gunzip.on('error', (err) => this.#res.destroy(err));
      gunzip.pipe(this.#res);
      this.#sink = gunzip;
    } else {
      this.#sink = this.#res;
    }
  }

  async #afterUnauthorized(held: { status: number; headers: IncomingHeaders; chunks: Buffer[] }): Promise<void> {
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
    for (const chunk of held.chunks) this.#bytes += chunk.length;
    this.#sink!.end(Buffer.concat(held.chunks));
    this.#done(held.status);
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
