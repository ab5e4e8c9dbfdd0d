// The proxy's view of one request to the API server: what is sent, and the
// events of its response. Headers travel as flat [name, value, ...] lists, as
// Node's parsers produce them, so nothing is copied into objects on the hot path.
import type { Readable } from 'node:stream';

export interface UpstreamRequest {
  method: string;
  /** Escaped path and query. */
  path: string;
  /** Flat [name, value, ...]; no Host, no hop-by-hop headers. */
  headers: string[];
  /** The request body to stream, or null. Without a Content-Length header it is sent chunked. */
  body: Readable | null;
}

/** Given to the handler once the request is on its way. */
export interface ExchangeControl {
  /** Give up: the handler gets onError(reason) unless the response already ended. */
  abort(reason: Error): void;
  /** Backpressure: stop reading the response until resume(). */
  pause(): void;
  resume(): void;
}

export interface ExchangeHandler {
  onStart(control: ExchangeControl): void;
  /** Final (non-1xx) status and the response headers, flat. */
  onHead(status: number, headers: string[]): void;
  onData(chunk: Buffer): void;
  onEnd(): void;
  /** Exactly one of onEnd and onError is called. */
  onError(err: Error): void;
}

export interface ExchangeDispatcher {
  dispatch(request: UpstreamRequest, handler: ExchangeHandler): void;
  /** Stop taking requests; resolves when those in flight are done. */
  close(): Promise<void>;
  /** Cut everything now. */
  destroy(): Promise<void>;
}

/** An error with a code that classifyUpstreamError understands. */
export function upstreamError(code: UpstreamErrorCode, message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code });
}

export type UpstreamErrorCode =
  | 'UPSTREAM_CONNECT_TIMEOUT' | 'UPSTREAM_HEADERS_TIMEOUT' | 'UPSTREAM_CLOSED' | 'UPSTREAM_BAD_RESPONSE'
  | 'UPSTREAM_BAD_REQUEST' | 'UPSTREAM_SHUT';
