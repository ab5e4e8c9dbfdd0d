// Every client request goes through here: rate limit, credentials, retries
// of 429/5xx, one retry after a 401 that a re-read token can cure, a
// timeout, and Status errors. The connection pools are the proxy's.
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Logger } from '../logging/logger.js';
import type { RequestCredentials } from '../transport/request-credentials.js';
import type { Upstream } from '../transport/upstream.js';
import { classifyUpstreamError } from '../transport/upstream-error.js';
import { KubeApiError, KubeTransportError, statusFromBody } from './errors.js';
import { type RateLimit, sleep, TokenBucket } from './rate-limiter.js';
import { defaultRetryPolicy, type RetryPolicy, retryDelay, shouldRetry } from './retry.js';

export type QueryValue = string | number | boolean | undefined;

export interface ApiRequest {
  method: string;
  /** Starts with "/"; may carry a query already. */
  path: string;
  query?: Record<string, QueryValue>;
  /** An object is sent as JSON; a string or Buffer as it is. */
  body?: unknown;
  contentType?: string;
  accept?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Whole-request limit (ms); default from the client. Not applied to streams. */
  timeoutMs?: number;
  /** Declare a non-idempotent request safe to retry on 5xx. */
  retryable?: boolean;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface StreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

export interface ApiTransportOptions {
  upstream: Upstream;
  credentials: RequestCredentials;
  userAgent: string;
  rateLimit: RateLimit;
  retry?: RetryPolicy;
  timeoutMs: number;
  logger: Logger;
}

export class ApiTransport {
  readonly #o: ApiTransportOptions;
  readonly #bucket: TokenBucket;
  readonly #serverPath: string;
  /** Aborted by close(): every request and watch still running ends with it. */
  readonly #closed = new AbortController();

  constructor(options: ApiTransportOptions) {
    this.#o = options;
    this.#bucket = new TokenBucket(options.rateLimit);
    this.#serverPath = options.upstream.connection.serverPath.replace(/\/$/, '');
  }

  /** Ends every request and watch of this transport (the client is closing). */
  close(): void {
    this.#closed.abort(new Error('the client was closed'));
  }

  get closed(): boolean {
    return this.#closed.signal.aborted;
  }

  get origin(): string {
    return this.#o.upstream.connection.origin + this.#o.upstream.connection.serverPath;
  }

  async request(req: ApiRequest): Promise<ApiResponse> {
    const timeout = AbortSignal.timeout(req.timeoutMs ?? this.#o.timeoutMs);
    const signal = AbortSignal.any(req.signal ? [req.signal, timeout, this.#closed.signal] : [timeout, this.#closed.signal]);
    try {
      return await this.#requestWithRetries(req, signal);
    } catch (err) {
      // Whatever was waiting when the time ran out (rate limiter, backoff, body), it is a timeout.
      if (timeout.aborted && !(err instanceof KubeApiError) && !(err instanceof KubeTransportError && err.kind === 'timeout')) {
        throw new KubeTransportError(`${req.method} ${req.path}: timed out after ${req.timeoutMs ?? this.#o.timeoutMs} ms`, 'timeout', err);
      }
      throw err;
    }
  }

  async #requestWithRetries(req: ApiRequest, signal: AbortSignal): Promise<ApiResponse> {
    const policy = this.#o.retry ?? defaultRetryPolicy;
    for (let attempt = 1; ; attempt++) {
      const res = await this.#send(req, signal, false);
      const body = await res.body.text();
      if (res.statusCode < 400) return { status: res.statusCode, headers: res.headers, body };
      const retryAfter = header(res.headers, 'retry-after');
      if (shouldRetry(res.statusCode, req.method, attempt, policy, req.retryable)) {
        const delay = retryDelay(attempt, retryAfter, policy);
        this.#o.logger.debug('retrying', { method: req.method, path: req.path, status: res.statusCode, attempt, delayMs: delay });
        await sleep(delay, signal);
        continue;
      }
      throw new KubeApiError(res.statusCode, statusFromBody(res.statusCode, body), req.method, req.path);
    }
  }

  async requestJson<T>(req: ApiRequest): Promise<T> {
    const res = await this.request({ accept: 'application/json', ...req });
    return (res.body === '' ? undefined : JSON.parse(res.body)) as T;
  }

  /** A streaming response (watch, logs): no overall timeout; errors (>= 400) still throw with the Status. */
  async stream(req: ApiRequest): Promise<StreamResponse> {
    const signal = req.signal ? AbortSignal.any([req.signal, this.#closed.signal]) : this.#closed.signal;
    const res = await this.#send(req, signal, true);
    if (res.statusCode >= 400) {
      const body = await res.body.text();
      throw new KubeApiError(res.statusCode, statusFromBody(res.statusCode, body), req.method, req.path);
    }
    return { status: res.statusCode, headers: res.headers, body: res.body };
  }

  async #send(req: ApiRequest, signal: AbortSignal | undefined, longRunning: boolean): Promise<Dispatcher.ResponseData> {
    await this.#bucket.take(signal);
    const path = this.#serverPath + withQuery(req.path, req.query);
    const body = req.body === undefined ? undefined
      : typeof req.body === 'string' || Buffer.isBuffer(req.body) ? req.body : JSON.stringify(req.body);
    const { credentials, upstream } = this.#o;
    const dispatch = async (authorization: string | undefined) => {
      const headers: Record<string, string | string[]> = {
        'user-agent': this.#o.userAgent,
        accept: req.accept ?? 'application/json',
        ...req.headers,
      };
      if (authorization) headers.authorization = authorization;
      Object.assign(headers, credentials.impersonationHeaderObject);
      if (body !== undefined) headers['content-type'] = req.contentType ?? 'application/json';
      try {
        return await (await upstream.dispatcher(longRunning)).request({
          origin: upstream.origin, path, method: req.method as Dispatcher.HttpMethod, headers, body, signal,
        });
      } catch (err) {
        if (signal?.aborted && (signal.reason as Error)?.name === 'TimeoutError') {
          throw new KubeTransportError(`${req.method} ${req.path}: timed out after ${req.timeoutMs ?? this.#o.timeoutMs} ms`, 'timeout', err);
        }
        if ((err as Error).name === 'AbortError' || signal?.aborted) throw err;
        const failure = classifyUpstreamError(err, upstream.connection.origin);
        throw new KubeTransportError(failure.message, failure.kind, err);
      }
    };
    const authorization = await credentials.authorization().catch((err: unknown) => {
      const failure = classifyUpstreamError(err, upstream.connection.origin);
      throw new KubeTransportError(failure.message, failure.kind, err);
    });
    const res = await dispatch(authorization);
    if (res.statusCode === 401 && authorization && await credentials.refreshAfterUnauthorized(authorization)) {
      await res.body.dump();
      return dispatch(await credentials.authorization());
    }
    return res;
  }
}

export function withQuery(path: string, query?: Record<string, QueryValue>): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const text = params.toString();
  if (!text) return path;
  return path + (path.includes('?') ? '&' : '?') + text;
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
