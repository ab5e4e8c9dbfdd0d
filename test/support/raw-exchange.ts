// One HTTP exchange over a raw TCP socket, for requests a normal client
// cannot make or answers it would hide: HTTP/1.0 without Host, absolute-form
// request lines, lower-case methods, `OPTIONS *`, and upgrades (a 101 head,
// then bytes echoed through the tunnel; or an error answer and whether the
// proxy closed the connection after it).
import { connect } from 'node:net';

export interface RawExchangeOptions {
  /** After a 101: write these bytes into the tunnel... */
  probe?: Buffer;
  /** ...and wait until this many bytes have come back through it. */
  echoLength?: number;
  /** After a complete non-101 answer: wait (up to timeoutMs) to see whether the server closes. */
  awaitClose?: boolean;
  timeoutMs?: number;
}

export interface RawExchangeResult {
  /** e.g. "HTTP/1.1 403 Forbidden" */
  statusLine: string;
  version: string;
  status: number;
  reason: string;
  /** Header lines as sent (without the status line), in order. */
  rawHeaders: string[];
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The body, de-chunked when chunked (empty for a 101). */
  body: Buffer;
  /** Bytes that came back through an upgraded tunnel. */
  echo: Buffer;
  /** True when the server closed the connection before we gave up. */
  closed: boolean;
}

export function rawExchange(port: number, request: string | Buffer, options: RawExchangeOptions = {}): Promise<RawExchangeResult> {
  const timeoutMs = options.timeoutMs ?? 3000;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let data = Buffer.alloc(0);
    let head: Omit<RawExchangeResult, 'body' | 'echo' | 'closed'> | undefined;
    let headEnd = -1;
    let probed = false;
    let settled = false;
    let closeTimer: NodeJS.Timeout | undefined;

    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(closeTimer);
      socket.destroy();
      if (!head) {
        reject(new Error(`no complete response head from port ${port}; got ${JSON.stringify(data.toString('latin1'))}`));
        return;
      }
      const rest = data.subarray(headEnd);
      const upgraded = head.status === 101;
      resolve({
        ...head,
        body: upgraded ? Buffer.alloc(0) : bodyOf(head.headers, rest),
        echo: upgraded ? Buffer.from(rest) : Buffer.alloc(0),
        closed,
      });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);

    const progress = () => {
      if (!head) {
        const end = data.indexOf('\r\n\r\n');
        if (end < 0) return;
        head = parseHead(data.subarray(0, end).toString('latin1'));
        headEnd = end + 4;
      }
      const rest = data.subarray(headEnd);
      if (head.status === 101) {
        if (!options.probe) return finish(false);
        if (!probed) { probed = true; socket.write(options.probe); }
        if (rest.length >= (options.echoLength ?? options.probe.length)) finish(false);
        return;
      }
      if (bodyComplete(head.headers, rest)) {
        if (!options.awaitClose) return finish(false);
        closeTimer ??= setTimeout(() => finish(false), timeoutMs);
      }
    };

    socket.on('data', (chunk: Buffer) => { data = Buffer.concat([data, chunk]); progress(); });
    socket.on('error', () => { /* a reset counts as closed */ });
    socket.on('close', () => finish(true));
  });
}

function parseHead(text: string): Omit<RawExchangeResult, 'body' | 'echo' | 'closed'> {
  const [statusLine = '', ...rawHeaders] = text.split('\r\n');
  const m = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(statusLine);
  const headers: Record<string, string> = {};
  for (const line of rawHeaders) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { statusLine, version: m?.[1] ?? '', status: Number(m?.[2] ?? 0), reason: m?.[3] ?? '', rawHeaders, headers };
}

function bodyComplete(headers: Record<string, string>, rest: Buffer): boolean {
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) return rest.includes('\r\n0\r\n\r\n') || rest.subarray(0, 5).toString() === '0\r\n\r\n';
  if (headers['content-length'] !== undefined) return rest.length >= Number(headers['content-length']);
  return false; // delimited by close
}

function bodyOf(headers: Record<string, string>, rest: Buffer): Buffer {
  if (!/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    return headers['content-length'] !== undefined ? Buffer.from(rest.subarray(0, Number(headers['content-length']))) : Buffer.from(rest);
  }
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = rest.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(rest.subarray(at, eol).toString('latin1'), 16);
    if (!(size > 0)) break;
    parts.push(rest.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
