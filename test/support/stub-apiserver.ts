// A protocol double of the API server for what a real one cannot be made to
// do on demand: record exactly what the proxy sent, stream chunks when told,
// hang, drop a connection mid-body, answer an upgrade with 101, 403 or 200.
// Tests that need real Kubernetes behaviour use tools/control-plane instead.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { createPki, type ControlPlanePki } from '../../tools/control-plane/pki.js';

export interface RecordedRequest {
  method: string;
  url: string;
  httpVersion: string;
  /** Lower-cased names, values joined as Node does. */
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
  body: Buffer;
  upgrade: boolean;
}

export interface StubApiServer {
  origin: string;
  port: number;
  pki: ControlPlanePki;
  /** Bearer tokens the stub accepts; change at will. */
  tokens: Set<string>;
  requests: RecordedRequest[];
  /** Resolves the n-th chunk of /stream; the stub sends chunk n+1 only after it is released. */
  release(stream: string): void;
  /** Requests whose client went away before the stub answered (e.g. /hang). */
  abandoned: string[];
  close(): Promise<void>;
}

export async function startStubApiServer(options: { tokens?: string[] } = {}): Promise<StubApiServer> {
  const dir = mkdtempSync(join(tmpdir(), 'kube-ambassador-stub-'));
  const pki = createPki(dir);
  const { readFileSync } = await import('node:fs');
  const tokens = new Set(options.tokens ?? ['stub-token']);
  const requests: RecordedRequest[] = [];
  const abandoned: string[] = [];
  const waiters = new Map<string, (() => void)[]>();
  const sockets = new Set<Socket>();

  const release = (stream: string) => {
    const queue = waiters.get(stream) ?? [];
    queue.shift()?.();
  };
  const nextRelease = (stream: string) => new Promise<void>((resolve) => {
    const queue = waiters.get(stream) ?? [];
    queue.push(resolve);
    waiters.set(stream, queue);
  });

  const record = (req: IncomingMessage, body: Buffer, upgrade: boolean) => requests.push({
    method: req.method ?? '', url: req.url ?? '', httpVersion: req.httpVersion, headers: { ...req.headers },
    rawHeaders: [...req.rawHeaders], body, upgrade,
  });

  const authorized = (req: IncomingMessage) => {
    const auth = req.headers.authorization ?? '';
    return auth.startsWith('Bearer ') ? tokens.has(auth.slice(7)) : auth.startsWith('Basic ');
  };

  const server: Server = createServer({
    cert: readFileSync(pki.servingCertFile), key: readFileSync(pki.servingKeyFile), ALPNProtocols: ['http/1.1'],
  }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      record(req, Buffer.concat(chunks), false);
      void respond(req, res);
    });
  });

  async function respond(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://stub');
    if (!authorized(req)) {
      return json(res, 401, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    }
    switch (url.pathname) {
      case '/echo': return json(res, 200, { method: req.method, url: req.url, headers: req.headers });
      case '/stream': {
        // Chunked like a watch: each event only after the test released the previous one.
        const name = url.searchParams.get('name') ?? 'default';
        const count = Number(url.searchParams.get('count') ?? 3);
        res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
        res.flushHeaders();
        for (let i = 0; i < count; i++) {
          if (i > 0) await nextRelease(name);
          if (res.destroyed) return;
          res.write(`{"type":"ADDED","object":{"n":${i}}}\n`);
        }
        res.end();
        return;
      }
      case '/hang':
        res.once('close', () => { if (!res.writableEnded) abandoned.push(req.url ?? ''); });
        return;
      case '/slow':
        await new Promise((r) => setTimeout(r, Number(url.searchParams.get('ms') ?? 500)));
        return json(res, 200, { slow: true });
      case '/gzip': {
        const body = JSON.stringify({ kind: 'List', items: Array.from({ length: 50 }, (_, i) => ({ name: `item-${i}` })) });
        if ((req.headers['accept-encoding'] ?? '').includes('gzip')) {
          const gz = gzipSync(body);
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'Content-Length': gz.length });
          res.end(gz);
        } else {
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
          res.end(body);
        }
        return;
      }
      case '/redirect':
        res.writeHead(302, { Location: '/target' });
        res.end();
        return;
      case '/headers':
        res.writeHead(200, {
          'Access-Control-Allow-Origin': '*', Connection: 'X-Custom', 'X-Custom': 'dropped', 'Keep-Alive': 'timeout=5',
          'Set-Cookie': ['a=1', 'b=2'], 'Audit-Id': 'stub-audit', 'Content-Type': 'text/plain',
        });
        res.end('ok');
        return;
      case '/close-mid-body':
        res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
        res.write('{"partial":');
        setTimeout(() => res.socket?.destroy(), 50);
        return;
      default:
        return json(res, 200, { kind: 'APIVersions', versions: ['v1'], path: url.pathname });
    }
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    record(req, head, true);
    const path = new URL(req.url ?? '/', 'https://stub').pathname;
    if (!authorized(req) || path.includes('forbidden')) {
      const body = '{"kind":"Status","apiVersion":"v1","status":"Failure","message":"forbidden","reason":"Forbidden","code":403}';
      socket.write(`HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      return; // keep the connection open, as Go's server does: the proxy must close it
    }
    if (path.includes('plain200')) {
      socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      return;
    }
    const key = req.headers['sec-websocket-key'];
    const lines = ['HTTP/1.1 101 Switching Protocols', `Upgrade: ${req.headers.upgrade}`, 'Connection: Upgrade'];
    if (typeof key === 'string') {
      lines.push(`Sec-WebSocket-Accept: ${createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64')}`);
      const protocol = req.headers['sec-websocket-protocol'];
      if (typeof protocol === 'string') lines.push(`Sec-WebSocket-Protocol: ${protocol.split(',')[0]!.trim()}`);
    } else {
      lines.push('X-Stream-Protocol-Version: portforward.k8s.io');
    }
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (typeof key === 'string') {
      echoWebSocketFrames(socket, head);
    } else {
      if (head.length) socket.write(head);
      socket.pipe(socket); // SPDY: echo raw bytes
    }
  });
  server.on('connection', (s: Socket) => { sockets.add(s); s.once('close', () => sockets.delete(s)); });
  server.on('secureConnection', (s) => s.on('error', () => {}));

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `https://127.0.0.1:${port}`, port, pki, tokens, requests, release, abandoned,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Echoes each client frame back unmasked, as a server must (small frames only). */
function echoWebSocketFrames(socket: Duplex, head: Buffer): void {
  let pending: Buffer = head;
  const drain = () => {
    while (pending.length >= 2) {
      const opcode = pending[0]! & 0x0f;
      let length = pending[1]! & 0x7f;
      let offset = 2;
      if (length === 126) { length = pending.readUInt16BE(2); offset = 4; }
      const masked = (pending[1]! & 0x80) !== 0;
      const total = offset + (masked ? 4 : 0) + length;
      if (pending.length < total) return;
      const mask = masked ? pending.subarray(offset, offset + 4) : undefined;
      const payload = Buffer.from(pending.subarray(total - length, total));
      if (mask) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
      pending = pending.subarray(total);
      if (opcode === 8) { socket.end(); return; }
      const header = length < 126 ? Buffer.from([0x80 | opcode, length]) : Buffer.from([0x80 | opcode, 126, length >> 8, length & 0xff]);
      socket.write(Buffer.concat([header, payload]));
    }
  };
  socket.on('data', (c: Buffer) => { pending = Buffer.concat([pending, c]); drain(); });
  drain();
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
