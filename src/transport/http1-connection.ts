// One keep-alive HTTP/1.1 connection to the API server, carrying one exchange
// at a time. Requests are written as one string; responses are parsed by
// Node's native parser reading straight from the socket's handle.
import type { Socket } from 'node:net';
import { type ExchangeControl, type ExchangeHandler, type UpstreamRequest, upstreamError } from './exchange.js';
import { type HeadersCompleteCallback, HTTPParser, type NativeHttpParser } from './native-http-parser.js';

interface StreamHandle {
  isStreamBase?: boolean;
  reading?: boolean;
  readStart(): number;
  readStop(): number;
}

export interface ConnectionOwner {
  /** The response ended and the connection can carry another request. */
  free(connection: Http1Connection): void;
  /** The connection is gone (closed or destroyed). */
  closed(connection: Http1Connection): void;
  /** A reused connection died before any answer: the exchange may be sent again on a fresh one. */
  resend(exchange: Http1Exchange): boolean;
}

/** A request in a pool: queued, then on a connection, then finished. */
export class Http1Exchange implements ExchangeControl {
  readonly request: UpstreamRequest;
  readonly handler: ExchangeHandler;
  connection: Http1Connection | undefined;
  /** Date.now() when the request was written; for the headers timeout. */
  sentAt = 0;
  headReceived = false;
  bodySent = false;
  finished = false;
  resent = false;
  /** Ended by abort() (client gone, timeout, shutdown): never sent again. */
  aborted = false;
  readonly #onAbortQueued: (exchange: Http1Exchange) => void;
  readonly #onFinished: (exchange: Http1Exchange) => void;

  constructor(request: UpstreamRequest, handler: ExchangeHandler, onAbortQueued: (exchange: Http1Exchange) => void,
    onFinished: (exchange: Http1Exchange) => void) {
    this.request = request;
    this.handler = handler;
    this.#onAbortQueued = onAbortQueued;
    this.#onFinished = onFinished;
  }

  abort(reason: Error): void {
    if (this.finished) return;
    this.aborted = true;
    const connection = this.connection;
    if (connection) connection.destroy(reason);
    else {
      this.#onAbortQueued(this);
      this.fail(reason);
    }
  }

  pause(): void {
    this.connection?.pauseReading();
  }

  resume(): void {
    this.connection?.resumeReading();
  }

  fail(err: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.connection = undefined;
    this.#onFinished(this);
    this.handler.onError(err);
  }

  /** The response ended. */
  end(): void {
    this.finished = true;
    this.connection = undefined;
    this.#onFinished(this);
    this.handler.onEnd();
  }
}

const headerValueInvalid = /[\r\n\0]/;

export class Http1Connection {
  readonly #socket: Socket;
  readonly #parser: NativeHttpParser;
  readonly #host: string;
  readonly #owner: ConnectionOwner;
  #handle: StreamHandle | undefined;
  #exchange: Http1Exchange | undefined;
  #headerParts: string[] = [];
  #keepAlive = false;
  #informational = false;
  #paused = false;
  #closed = false;
  /** Exchanges completed on this connection. */
  uses = 0;
  /** Date.now() when it last became idle. */
  idleSince = 0;
  /** Called once the socket has closed (the pool waits for it on destroy). */
  onClosed: (() => void) | undefined;

  constructor(socket: Socket, host: string, owner: ConnectionOwner) {
    this.#socket = socket;
    this.#host = host;
    this.#owner = owner;
    const parser = new HTTPParser();
    parser.initialize(HTTPParser.RESPONSE, {});
    parser[HTTPParser.kOnHeaders] = (headers: string[]) => { this.#headerParts.push(...headers); };
    parser[HTTPParser.kOnHeadersComplete] = this.#onHeadersComplete;
    parser[HTTPParser.kOnBody] = (chunk: Buffer) => { this.#exchange?.handler.onData(chunk); };
    parser[HTTPParser.kOnMessageComplete] = () => this.#onMessageComplete();
    parser[HTTPParser.kOnExecute] = (ret: number | Error) => {
      if (ret instanceof Error) this.destroy(upstreamError('UPSTREAM_BAD_RESPONSE', `malformed response from the API server: ${ret.message}`));
    };
    this.#parser = parser;
    const handle = (socket as unknown as { _handle?: StreamHandle })._handle;
    if (handle?.isStreamBase) {
      parser.consume(handle);
      this.#handle = handle;
    }
    // With the handle consumed no data arrives here, but the listener keeps the
    // socket flowing so that 'end' is emitted.
    socket.on('data', (data: Buffer) => {
      const ret = parser.execute(data);
      if (ret instanceof Error) this.destroy(upstreamError('UPSTREAM_BAD_RESPONSE', `malformed response from the API server: ${ret.message}`));
    });
    socket.on('end', () => this.#onEnd());
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.#onClose());
  }

  get busy(): boolean {
    return this.#exchange !== undefined;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Writes the request and streams its body; the response arrives through the parser. */
  run(exchange: Http1Exchange): void {
    this.#exchange = exchange;
    exchange.connection = this;
    const { request } = exchange;
    let head = `${request.method} ${request.path} HTTP/1.1\r\nHost: ${this.#host}\r\n`;
    let chunked = request.body !== null;
    const headers = request.headers;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      const value = headers[i + 1]!;
      if (headerValueInvalid.test(value)) {
        this.#exchange = undefined;
        exchange.fail(upstreamError('UPSTREAM_BAD_REQUEST', `header ${name} has a line break or NUL in its value`));
        this.#owner.free(this);
        return;
      }
      if (chunked && name.length === 14 && name.toLowerCase() === 'content-length') chunked = false;
      head += `${name}: ${value}\r\n`;
    }
    head += chunked ? 'Transfer-Encoding: chunked\r\n\r\n' : '\r\n';
    exchange.sentAt = Date.now();
    this.#socket.write(head, 'latin1');
    if (request.body) this.#sendBody(exchange, request.body, chunked);
    else exchange.bodySent = true;
  }

  pauseReading(): void {
    if (this.#paused || this.#closed) return;
    this.#paused = true;
    if (this.#handle) {
      this.#handle.reading = false;
      this.#handle.readStop();
    } else {
      this.#socket.pause();
    }
  }

  resumeReading(): void {
    if (!this.#paused || this.#closed) return;
    this.#paused = false;
    if (this.#handle) {
      this.#handle.reading = true;
      this.#handle.readStart();
    } else {
      this.#socket.resume();
    }
  }

  /** Closes the connection; an exchange on it fails with `reason`. */
  destroy(reason?: Error): void {
    const exchange = this.#exchange;
    this.#exchange = undefined;
    if (exchange && !exchange.finished) this.#lost(exchange, reason ?? upstreamError('UPSTREAM_CLOSED', 'connection closed'));
    if (!this.#socket.destroyed) this.#socket.destroy();
  }

  #sendBody(exchange: Http1Exchange, body: NonNullable<UpstreamRequest['body']>, chunked: boolean): void {
    const socket = this.#socket;
    const onData = (chunk: Buffer | string) => {
      if (chunk.length === 0) return; // an empty chunk would end a chunked body
      let ok: boolean;
      if (chunked) {
        socket.cork();
        socket.write(`${Buffer.byteLength(chunk).toString(16)}\r\n`, 'latin1');
        socket.write(chunk);
        ok = socket.write('\r\n', 'latin1');
        socket.uncork();
      } else {
        ok = socket.write(chunk);
      }
      if (!ok) {
        body.pause();
        socket.once('drain', () => body.resume());
      }
    };
    const cleanup = () => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
    };
    const onEnd = () => {
      cleanup();
      if (chunked && !socket.destroyed) socket.write('0\r\n\r\n', 'latin1');
      exchange.bodySent = true;
    };
    const onError = (err: Error) => {
      cleanup();
      exchange.abort(err);
    };
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', onError);
  }

  #onHeadersComplete: HeadersCompleteCallback = (_major, _minor, headers, _method, _url, status, _message, upgrade, keepAlive) => {
    const exchange = this.#exchange;
    const all = headers ?? this.#headerParts;
    this.#headerParts = [];
    if (!exchange) {
      this.destroy(upstreamError('UPSTREAM_BAD_RESPONSE', 'the API server answered a request we did not send'));
      return 1;
    }
    if (status < 200 && status !== 101) {
      this.#informational = true; // 100 Continue, 103 Early Hints: not forwarded
      return 0;
    }
    if (upgrade || status === 101) {
      this.destroy(upstreamError('UPSTREAM_BAD_RESPONSE', 'the API server switched protocols on an ordinary request'));
      return 1;
    }
    this.#keepAlive = keepAlive;
    exchange.headReceived = true;
    exchange.handler.onHead(status, all);
    // A response to HEAD has no body, whatever its Content-Length says.
    return exchange.request.method === 'HEAD' ? 1 : 0;
  };

  #onMessageComplete(): void {
    if (this.#informational) {
      this.#informational = false;
      return;
    }
    const exchange = this.#exchange;
    if (!exchange) return;
    this.#exchange = undefined;
    this.uses++;
    if (this.#paused) this.resumeReading();
    exchange.end();
    if (this.#keepAlive && exchange.bodySent && !this.#closed) this.#owner.free(this);
    else this.destroy();
  }

  #onEnd(): void {
    // A body delimited by the end of the connection is complete now.
    if (this.#exchange?.headReceived) this.#parser.finish();
    this.destroy(upstreamError('UPSTREAM_CLOSED', this.#exchange?.headReceived
      ? 'the API server closed the connection in the middle of the response'
      : 'the API server closed the connection before answering'));
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    const exchange = this.#exchange;
    this.#exchange = undefined;
    if (exchange && !exchange.finished) this.#lost(exchange, upstreamError('UPSTREAM_CLOSED', 'the API server closed the connection before answering'));
    const parser = this.#parser;
    if (this.#handle) parser.unconsume();
    parser.remove();
    // Not from inside a parser callback: the native parser may still be on the stack.
    setImmediate(() => parser.close());
    this.#owner.closed(this);
  }

  #lost(exchange: Http1Exchange, reason: Error): void {
    // A kept-alive connection the server closed just as we wrote: Go's transport
    // sends such a request again on a new connection, and so do we, once.
    const quiet = !exchange.headReceived && exchange.request.body === null && this.uses > 0 && !exchange.resent && !exchange.aborted;
    exchange.connection = undefined;
    if (quiet && this.#owner.resend(exchange)) return;
    exchange.fail(reason);
  }
}
