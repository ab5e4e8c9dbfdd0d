// Fixtures for the transport's unit tests (src/transport/): a handler that
// records every callback, scriptable raw TCP servers for exact response bytes,
// and http/https/h2 servers that hand each request to the test to answer.
// Every server tracks its sockets and close() destroys them all.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import {
  createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse, type Http2Session,
  type SecureServerOptions, type ServerHttp2Stream, type IncomingHttpHeaders,
} from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import type { ExchangeControl, ExchangeDispatcher, ExchangeHandler, UpstreamRequest } from '../../src/transport/exchange.js';
import { createPki } from '../../tools/control-plane/pki.js';

// ---------------------------------------------------------------- small tools

/** A queue whose next() waits for the next item pushed. */
export class AsyncQueue<T> {
  readonly all: T[] = [];
  readonly #items: T[] = [];
  readonly #waiters: ((item: T) => void)[] = [];

  push(item: T): void {
    this.all.push(item);
    const waiter = this.#waiters.shift();
    if (waiter) waiter(item);
    else this.#items.push(item);
  }

  next(): Promise<T> {
    const item = this.#items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Items pushed and not yet taken with next(). */
  get waiting(): number {
    return this.#items.length;
  }
}

export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (err: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Rejects if `promise` has not settled within `ms` (for waits that would otherwise hang a broken test). */
export function within<T>(promise: Promise<T>, ms: number, what: string | (() => string)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${typeof what === 'function' ? what() : what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** All values of a header in a flat [name, value, ...] list, by case-insensitive name. */
export function headerValues(flat: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) if (flat[i]!.toLowerCase() === name.toLowerCase()) out.push(flat[i + 1]!);
  return out;
}

// ---------------------------------------------------------------- PKI

export interface TestPki {
  /** The CA's certificate (PEM), to trust. */
  ca: string;
  /** A serving certificate for 127.0.0.1 and localhost, and its key. */
  cert: Buffer;
  key: Buffer;
}

let pki: TestPki | undefined;

/** A CA and a serving certificate, made once per process; the folder openssl needs is removed at once. */
export function testPki(): TestPki {
  if (!pki) {
    const dir = mkdtempSync(join(tmpdir(), 'kube-ambassador-transport-'));
    try {
      const made = createPki(dir);
      pki = { ca: made.caPem, cert: readFileSync(made.servingCertFile), key: readFileSync(made.servingKeyFile) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return pki;
}

/** TLS options that trust the test CA (for connectSocket targets). */
export function trustTestCa(): ConnectionOptions {
  return { ca: testPki().ca };
}

// ---------------------------------------------------------------- the handler

export interface RecorderHooks {
  onStart?: (control: ExchangeControl, r: Recorder) => void;
  onHead?: (status: number, headers: string[], r: Recorder) => void;
  onData?: (chunk: Buffer, r: Recorder) => void;
}

/** An ExchangeHandler that records what it is told; `done` settles on onEnd or onError. */
export class Recorder implements ExchangeHandler {
  control: ExchangeControl | undefined;
  status: number | undefined;
  headers: string[] = [];
  readonly chunks: Buffer[] = [];
  /** Every callback by name, in order. */
  readonly events: string[] = [];
  error: (Error & { code?: string }) | undefined;
  /** Callbacks that came after onEnd/onError (there must be none). */
  readonly late: string[] = [];
  readonly done: Promise<void>;
  readonly #hooks: RecorderHooks;
  #settle!: () => void;
  #settled = false;
  #head = deferred();

  constructor(hooks: RecorderHooks = {}) {
    this.#hooks = hooks;
    this.done = new Promise((resolve) => { this.#settle = resolve; });
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** Resolves when onHead was called (or the exchange failed before it). */
  get head(): Promise<void> {
    return this.#head.promise;
  }

  get body(): Buffer {
    return Buffer.concat(this.chunks);
  }

  get received(): number {
    let n = 0;
    for (const c of this.chunks) n += c.length;
    return n;
  }

  header(name: string): string[] {
    return headerValues(this.headers, name);
  }

  onStart(control: ExchangeControl): void {
    this.#event('start');
    this.control = control;
    this.#hooks.onStart?.(control, this);
  }

  onHead(status: number, headers: string[]): void {
    this.#event('head');
    this.status = status;
    this.headers = [...headers];
    this.#head.resolve();
    this.#hooks.onHead?.(status, headers, this);
  }

  onData(chunk: Buffer): void {
    this.#event('data');
    // Kept as given, not copied, as the proxy queues it on the client's socket:
    // the byte-exact checks then also catch a transport that reuses its buffers.
    this.chunks.push(chunk);
    this.#hooks.onData?.(chunk, this);
  }

  onEnd(): void {
    this.#event('end');
    this.#finish();
  }

  onError(err: Error): void {
    this.#event('error');
    this.error = err;
    this.#finish();
  }

  #event(name: string): void {
    if (this.#settled) this.late.push(name);
    this.events.push(name);
  }

  #finish(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#head.resolve();
    this.#settle();
  }
}

export function get(path: string, headers: string[] = []): UpstreamRequest {
  return { method: 'GET', path, headers, body: null };
}

// ---------------------------------------------------------------- a raw TCP server

export interface RawConnection {
  /** 0 for the server's first connection, and so on. */
  index: number;
  socket: Socket;
  /** Every byte received so far. */
  readonly received: Buffer;
  /** The next request head (up to and including the blank line), as latin1 text; rejects if the socket closes first. */
  nextRequest(): Promise<string>;
  /** Resolves when the socket has closed. */
  closed: Promise<void>;
  /** Whether the socket has closed. */
  readonly isClosed: boolean;
}

export interface RawServer {
  port: number;
  origin: string;
  connections: RawConnection[];
  /** Resolves with the index-th connection once it exists. */
  connection(index: number): Promise<RawConnection>;
  /** Highest number of connections open at once. */
  readonly maxOpen: number;
  close(): Promise<void>;
}

/**
 * A TCP server that gives each connection to `script`, which reads request
 * heads and writes exact response bytes. Requests are expected without bodies.
 */
export async function rawServer(script: (conn: RawConnection) => Promise<void> | void = () => {}): Promise<RawServer> {
  const connections: RawConnection[] = [];
  const waiters = new Map<number, (conn: RawConnection) => void>();
  let open = 0;
  let maxOpen = 0;
  const server: NetServer = createNetServer((socket) => {
    open++;
    maxOpen = Math.max(maxOpen, open);
    let buffer = Buffer.alloc(0);
    let all = Buffer.alloc(0);
    let isClosed = false;
    const heads: ((head: string | Error) => void)[] = [];
    const ready: string[] = [];
    const closed = deferred();
    const scan = () => {
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.subarray(0, end + 4).toString('latin1');
        buffer = buffer.subarray(end + 4);
        const waiter = heads.shift();
        if (waiter) waiter(head);
        else ready.push(head);
      }
    };
    socket.on('data', (data: Buffer) => {
      all = Buffer.concat([all, data]);
      buffer = Buffer.concat([buffer, data]);
      scan();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      open--;
      isClosed = true;
      for (const waiter of heads.splice(0)) waiter(new Error('the client closed the connection'));
      closed.resolve();
    });
    const conn: RawConnection = {
      index: connections.length,
      socket,
      get received() { return all; },
      nextRequest() {
        const head = ready.shift();
        if (head !== undefined) return Promise.resolve(head);
        if (isClosed) return Promise.reject(new Error('the client closed the connection'));
        return new Promise((resolve, reject) => heads.push((h) => (h instanceof Error ? reject(h) : resolve(h))));
      },
      closed: closed.promise,
      get isClosed() { return isClosed; },
    };
    connections.push(conn);
    waiters.get(conn.index)?.(conn);
    waiters.delete(conn.index);
    Promise.resolve().then(() => script(conn)).catch(() => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    connections,
    connection(index) {
      const existing = connections[index];
      if (existing) return Promise.resolve(existing);
      return new Promise((resolve) => waiters.set(index, resolve));
    },
    get maxOpen() { return maxOpen; },
    async close() {
      for (const c of connections) c.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------- http/https servers that hold requests

export interface HeldRequest {
  req: IncomingMessage;
  res: ServerResponse;
  /** The request body, read in full. */
  body: Buffer;
  /** The index of the TCP connection it came on (0 = first). */
  connection: number;
}

export interface HoldingServer {
  port: number;
  origin: string;
  /** Requests in arrival order; answer them with `res`. */
  requests: AsyncQueue<HeldRequest>;
  /** TCP connections accepted. */
  readonly connections: number;
  /** Highest number of connections open at once. */
  readonly maxOpen: number;
  /** Resolves when the index-th connection has closed. */
  connectionClosed(index: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * An HTTP/1.1 server (https with the test certificate when `tls`) that hands
 * every request, body read, to the test; `answer` may answer instead.
 */
export async function holdingServer(options: { tls?: boolean; alpn?: string[]; answer?: (r: HeldRequest) => void } = {}): Promise<HoldingServer> {
  const requests = new AsyncQueue<HeldRequest>();
  const sockets: Socket[] = [];
  const closedSockets = new Map<number, Promise<void>>();
  let open = 0;
  let maxOpen = 0;
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const held = { req, res, body: Buffer.concat(chunks), connection: sockets.indexOf(req.socket) };
      if (options.answer) options.answer(held);
      else requests.push(held);
    });
  };
  const server: HttpServer = options.tls
    ? createHttpsServer({ cert: testPki().cert, key: testPki().key, ALPNProtocols: options.alpn ?? ['http/1.1'] }, onRequest)
    : createHttpServer(onRequest);
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket: Socket) => {
    const index = sockets.length;
    sockets.push(socket);
    open++;
    maxOpen = Math.max(maxOpen, open);
    closedSockets.set(index, new Promise((resolve) => socket.once('close', () => { open--; resolve(); })));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    get connections() { return sockets.length; },
    get maxOpen() { return maxOpen; },
    connectionClosed: (index) => closedSockets.get(index) ?? Promise.reject(new Error(`no connection ${index}`)),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------- an h2 server (with HTTP/1.1 too when allowHTTP1)

export interface H2Stream {
  stream: ServerHttp2Stream;
  headers: IncomingHttpHeaders;
  /** The index of the session (TCP connection) it came on (0 = first). */
  session: number;
}

export interface H2Server {
  port: number;
  origin: string;
  /** h2 streams in arrival order (when no HTTP/1.1 compatibility handler answers them). */
  streams: AsyncQueue<H2Stream>;
  /** HTTP/1.1 requests (allowHTTP1), with their httpVersion. */
  http1: AsyncQueue<{ req: Http2ServerRequest; res: Http2ServerResponse }>;
  /** h2 sessions opened. */
  readonly sessions: Http2Session[];
  /** TCP connections accepted (h2 and HTTP/1.1). */
  readonly connections: number;
  /** The accepted TCP sockets themselves (below TLS), to cut a connection as a crashing server would. */
  readonly sockets: Socket[];
  close(): Promise<void>;
}

export async function h2Server(options: { settings?: SecureServerOptions['settings']; allowHTTP1?: boolean } = {}): Promise<H2Server> {
  const streams = new AsyncQueue<H2Stream>();
  const http1 = new AsyncQueue<{ req: Http2ServerRequest; res: Http2ServerResponse }>();
  const sessions: Http2Session[] = [];
  const sockets = new Set<Socket>();
  const accepted: Socket[] = [];
  let connections = 0;
  const server: Http2SecureServer = createSecureServer({
    cert: testPki().cert, key: testPki().key, allowHTTP1: options.allowHTTP1 ?? false, settings: options.settings,
  });
  server.on('connection', (socket: Socket) => {
    connections++;
    accepted.push(socket);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('session', (session: Http2Session) => {
    sessions.push(session);
    session.on('error', () => {});
  });
  server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    stream.on('error', () => {});
    streams.push({ stream, headers, session: sessions.indexOf(stream.session!) });
  });
  if (options.allowHTTP1) {
    // The compatibility 'request' event fires for h2 streams too: keep only HTTP/1.1 ones here.
    server.on('request', (req: Http2ServerRequest, res: Http2ServerResponse) => {
      if (req.httpVersion !== '2.0') http1.push({ req, res });
    });
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: `https://127.0.0.1:${port}`,
    streams,
    http1,
    sessions,
    get connections() { return connections; },
    sockets: accepted,
    async close() {
      for (const s of sessions) s.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Dispatches `request` with a fresh Recorder. */
export function send(d: ExchangeDispatcher, request: UpstreamRequest, hooks: RecorderHooks = {}): Recorder {
  const r = new Recorder(hooks);
  d.dispatch(request, r);
  return r;
}

/** The exchange's end (onEnd or onError); a test whose exchange hangs fails here instead of timing out. */
export const settled = (r: Recorder, ms = 5000) => within(r.done, ms, () => `the exchange settling (events so far: ${r.events.join(',')})`);

/** Exactly one of onEnd/onError, and nothing after it. */
export function assertOneOutcome(r: Recorder): void {
  assert.equal(r.events.filter((e) => e === 'end' || e === 'error').length, 1, `events: ${r.events.join(',')}`);
  assert.deepEqual(r.late, [], 'no callback after onEnd/onError');
}

export function assertEnded(r: Recorder): void {
  assert.equal(r.error, undefined, `unexpected error: ${r.error?.stack}`);
  assert.equal(r.events.at(-1), 'end');
  assertOneOutcome(r);
}

/** Failed (with `code`, when given), never ended. */
export function assertFailed(r: Recorder, code?: string): void {
  assert.ok(r.error, `expected an error${code ? ` ${code}` : ''}, got events ${r.events.join(',')}`);
  if (code) assert.equal(r.error.code, code, `error: ${r.error.message}`);
  assert.ok(!r.events.includes('end'));
  assertOneOutcome(r);
}
