// An HTTPS/1.1 upstream that parses requests by hand, so it accepts what
// Node's HTTP parser refuses (a lower-case method such as `post`, which
// kubectl proxy forwards as is). It records each request like the stub API
// server does and answers every one with 200 and a small JSON body.
import type { AddressInfo, Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { createServer, type TLSSocket } from 'node:tls';
import type { RecordedRequest } from './stub-apiserver.js';

export interface LenientUpstream {
  origin: string;
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** certFile/keyFile: a serving pair valid for 127.0.0.1 (e.g. the stub API server's). */
export async function startLenientUpstream(tls: { certFile: string; keyFile: string }): Promise<LenientUpstream> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile), ALPNProtocols: ['http/1.1'] }, (socket: TLSSocket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const [line = '', ...lines] = pending.subarray(0, end).toString('latin1').split('\r\n');
        const rawHeaders: string[] = [];
        const headers: Record<string, string> = {};
        for (const l of lines) {
          const colon = l.indexOf(':');
          const name = l.slice(0, colon).trim();
          const value = l.slice(colon + 1).trim();
          rawHeaders.push(name, value);
          const key = name.toLowerCase();
          headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
        }
        const length = Number(headers['content-length'] ?? 0); // chunked request bodies are not supported
        if (pending.length < end + 4 + length) return;
        const body = Buffer.from(pending.subarray(end + 4, end + 4 + length));
        pending = pending.subarray(end + 4 + length);
        const [method = '', url = '', version = ''] = line.split(' ');
        requests.push({ method, url, httpVersion: version.replace('HTTP/', ''), headers, rawHeaders, body, upgrade: false });
        const text = JSON.stringify({ method, url });
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
        if (/close/i.test(headers.connection ?? '')) { socket.end(); return; }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `https://127.0.0.1:${port}`, port, requests,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
