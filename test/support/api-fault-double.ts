// An HTTP fault double in front of the real API server: plain HTTP on
// 127.0.0.1, it forwards every request over HTTPS (verified with the test CA,
// as admin unless the request brings its own Authorization) and streams the
// answer back, watches included. Rules answer the next N matching requests
// itself — 429 with Retry-After, 503, a Status — or never answer at all.
// Every request is recorded with its query, so a test can see what the
// client sent.
import { Agent, request as httpsRequest } from 'node:https';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface FaultRule {
  /** Upper-case method; any method when omitted. */
  method?: string;
  /** Matched against the path without the query: a RegExp, or a string the path must equal. */
  path: RegExp | string;
  /** How many matching requests this rule answers; it then lets them through. */
  times: number;
  status?: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON. Default: a Status for `status`. */
  body?: unknown;
  /** Never answer (the connection stays open until the client gives up). */
  hang?: boolean;
  /** Send the status, headers and part of the body, then nothing more. */
  stallBody?: boolean;
}

export interface RecordedCall {
  method: string;
  path: string;
  query: URLSearchParams;
  /** 'fault' when a rule answered, 'upstream' when the API server did. */
  answeredBy: 'fault' | 'upstream';
  status?: number;
  at: number;
}

export interface ApiFaultDouble {
  port: number;
  url: string;
  calls: RecordedCall[];
  inject(rule: FaultRule): void;
  /** Calls whose path matches, in order. */
  callsTo(path: RegExp | string, method?: string): RecordedCall[];
  close(): Promise<void>;
}

export interface FaultDoubleTarget {
  host: string;
  port: number;
  caPem: string;
  /** Sent as a bearer token when the request has no Authorization. */
  token?: string;
}

export async function startApiFaultDouble(target: FaultDoubleTarget): Promise<ApiFaultDouble> {
  const agent = new Agent({ ca: target.caPem, keepAlive: true });
  const rules: FaultRule[] = [];
  const calls: RecordedCall[] = [];
  const hanging = new Set<ServerResponse>();
  const matches = (p: RegExp | string, path: string) => (typeof p === 'string' ? p === path : p.test(path));

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://relay');
    const call: RecordedCall = { method: req.method ?? '', path: url.pathname, query: url.searchParams, answeredBy: 'upstream', at: Date.now() };
    calls.push(call);
    const rule = rules.find((r) => r.times > 0 && (!r.method || r.method === req.method) && matches(r.path, url.pathname));
    if (rule) {
      rule.times--;
      call.answeredBy = 'fault';
      req.resume();
      if (rule.hang || rule.stallBody) {
        if (rule.stallBody) {
          call.status = rule.status ?? 200;
          res.writeHead(call.status, { 'content-type': 'application/json', ...rule.headers });
          res.write('{"kind":"ConfigMap","apiVersion":"v1",');
        }
        hanging.add(res);
        res.once('close', () => hanging.delete(res));
        return;
      }
      const status = rule.status ?? 500;
      call.status = status;
      const body = rule.body === undefined
        ? { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: status, reason: reasonOf(status), message: `fault double: ${status} for ${url.pathname}` }
        : rule.body;
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', ...rule.headers });
      res.end(text);
      return;
    }
    const headers = { ...req.headers, host: `${target.host}:${target.port}` };
    if (!headers.authorization && target.token) headers.authorization = `Bearer ${target.token}`;
    const upstream = httpsRequest({
      host: target.host, port: target.port, method: req.method, path: req.url, headers, agent,
    }, (up) => {
      call.status = up.statusCode;
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
      up.on('error', () => res.destroy());
    });
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`fault double: ${err.message}`);
    });
    res.once('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    calls,
    inject: (rule) => { rules.push(rule); },
    callsTo: (path, method) => calls.filter((c) => matches(path, c.path) && (!method || c.method === method)),
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

function reasonOf(status: number): string {
  return ({ 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout' } as Record<number, string>)[status] ?? 'Unknown';
}
