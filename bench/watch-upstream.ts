// A tiny API server for the watch scenarios, run as its own process so its
// event loop is not the measuring client's: HTTPS offering h2 (250 streams per
// connection, as kube-apiserver) and http/1.1, bearer token checked.
//
// GET /api/v1/namespaces/default/pods?watch=true sends one ADDED event at once
// (so a client knows the watch is open end to end); with &tick=1 the watch
// also gets a MODIFIED event every --interval ms carrying, in an annotation,
// process.hrtime.bigint() taken just before the write; &phase=MS shifts that
// watch's ticks by MS against the others (two watches measured side by side
// then never receive an event at the same moment). That clock is
// CLOCK_MONOTONIC, shared by every process on the machine, so the client can
// subtract it from its own receive time. GET /bench/stats counts connections.
//
// Run alone: node build/bench/watch-upstream.js --cert=F --key=F --token=T [--port=0] [--interval=200]
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { pod, watchPath } from './fixtures.js';
import type { ProcessSet, Spawned } from './processes.js';

export const sentAnnotation = 'bench.kube-ambassador.io/sent-ns';

export interface WatchUpstream {
  port: number;
  url: string;
  process: Spawned;
}

export interface WatchUpstreamStats {
  tcpConnections: number;
  watches: number;
}

/** Starts this file as a child process and waits for its "listening on PORT" line. */
export async function startWatchUpstream(processes: ProcessSet, options: { certFile: string; keyFile: string; token: string; intervalMs: number }): Promise<WatchUpstream> {
  const script = fileURLToPath(import.meta.url);
  const child = processes.spawn('watch-upstream', process.execPath, [script,
    `--cert=${options.certFile}`, `--key=${options.keyFile}`, `--token=${options.token}`, `--interval=${options.intervalMs}`]);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`watch upstream did not start: ${child.output()}`)), 10_000);
    const check = () => {
      const m = /listening on (\d+)/.exec(child.output());
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.child.stdout!.on('data', check);
    void child.exited.then(() => reject(new Error(`watch upstream exited: ${child.output()}`)));
  });
  return { port, url: `https://127.0.0.1:${port}`, process: child };
}

/** What the handler uses of an HTTP/1.1 or an HTTP/2 compatibility response. */
interface Reply {
  writeHead(status: number, headers: Record<string, string>): unknown;
  write(chunk: string): boolean;
  end(chunk?: string): unknown;
  on(event: 'close', listener: () => void): unknown;
}

function serve(args: Map<string, string>): void {
  const token = args.get('token') ?? '';
  const intervalMs = Number(args.get('interval') ?? 200);
  // Ticking watches grouped by phase: each group has its own timer, started `phase` ms after the first.
  const groups = new Map<number, Set<Reply>>();
  const startedAt = Date.now();
  const tick = (group: Set<Reply>) => {
    for (const res of group) res.write(`${before}${process.hrtime.bigint()}${after}\n`);
  };
  const groupFor = (phase: number): Set<Reply> => {
    let group = groups.get(phase);
    if (group) return group;
    const created = (group = new Set<Reply>());
    groups.set(phase, created);
    const delay = (((phase - (Date.now() - startedAt)) % intervalMs) + intervalMs) % intervalMs;
    setTimeout(() => {
      tick(created);
      setInterval(() => tick(created), intervalMs);
    }, delay);
    return created;
  };
  let watches = 0;
  let tcpConnections = 0;

  // The event with a marker where the timestamp goes: one JSON.stringify, then only concatenation per event.
  const marker = '__SENT__';
  const [before, after] = JSON.stringify({ type: 'MODIFIED', object: pod('p', 0, { [sentAnnotation]: marker }) }).split(marker) as [string, string];
  const added = `${JSON.stringify({ type: 'ADDED', object: pod('p', 0) })}\n`;

  const server = createSecureServer({
    key: readFileSync(args.get('key')!),
    cert: readFileSync(args.get('cert')!),
    allowHTTP1: true,
    settings: { maxConcurrentStreams: 250 },
  }, (req: IncomingMessage | Http2ServerRequest, response: ServerResponse | Http2ServerResponse) => {
    const res = response as unknown as Reply;
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Unauthorized","code":401}');
      return;
    }
    const url = new URL(req.url ?? '/', 'https://upstream');
    if (url.pathname === '/bench/stats') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ tcpConnections, watches } satisfies WatchUpstreamStats));
      return;
    }
    if (url.pathname !== watchPath || url.searchParams.get('watch') !== 'true') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}');
      return;
    }
    watches++;
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
    res.write(added);
    const phase = Math.round(Number(url.searchParams.get('phase') ?? 0) || 0);
    const group = url.searchParams.get('tick') === '1' ? groupFor(((phase % intervalMs) + intervalMs) % intervalMs) : undefined;
    group?.add(res);
    res.on('close', () => {
      watches--;
      group?.delete(res);
    });
  });
  server.on('connection', (socket: Socket) => {
    socket.setNoDelay(true);
    tcpConnections++;
    socket.once('close', () => tcpConnections--);
  });
  server.on('sessionError', () => {});
  server.on('tlsClientError', () => {});

  groupFor(0);

  server.listen(Number(args.get('port') ?? 0), '127.0.0.1', () => {
    process.stdout.write(`listening on ${(server.address() as AddressInfo).port}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = new Map(process.argv.slice(2).map((a) => {
    const m = /^--([^=]+)=(.*)$/.exec(a);
    if (!m) throw new Error(`watch-upstream: unexpected argument ${a}`);
    return [m[1]!, m[2]!] as [string, string];
  }));
  serve(args);
}
