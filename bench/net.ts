// Small network helpers: a free port, and a GET that reports status and body size.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface GetResult {
  status: number;
  bytes: number;
  headers: Record<string, string | string[] | undefined>;
}

/** One GET without keep-alive; rejects on connection errors and after timeoutMs. */
export function get(url: string, options: { ca?: string; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<GetResult> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const requestFn = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = requestFn(u, { method: 'GET', agent: false, headers: options.headers, ca: options.ca, timeout: options.timeoutMs ?? 5_000 }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}
