// A raw HTTP client for tests: unlike fetch it can set Host, use HTTP/1.0,
// talk over a unix socket, and report exactly what came back.
import { request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  socketPath?: string;
  /** Resolve when headers arrive, with the response stream still open. */
  signal?: AbortSignal;
}

export function http(url: string, options: HttpOptions = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({
      host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port, path: u.pathname + u.search, method: options.method ?? 'GET',
      headers: options.headers, socketPath: options.socketPath, signal: options.signal, agent: false,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Sends raw bytes and collects everything until the server closes (or timeoutMs). */
export async function rawHttp(port: number, text: string, timeoutMs = 3000): Promise<string> {
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let out = '';
    socket.on('data', (c: Buffer) => { out += c.toString('latin1'); });
    socket.on('error', reject);
    socket.on('close', () => resolve(out));
    socket.setTimeout(timeoutMs, () => socket.destroy());
  });
}
