// A TCP relay between a client and the API server that can misbehave on
// demand: cut every open connection (a graceful FIN or an abrupt RST), turn
// new connections away, or keep connections open while forwarding nothing (a
// silent half-open connection). It never looks inside the bytes, so TLS goes
// straight through: the client verifies the API server's own certificate.
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';

export interface FaultRelay {
  port: number;
  /** https://127.0.0.1:<port>: the API server's certificate has IP SAN 127.0.0.1, so it verifies. */
  url: string;
  /** Connections accepted and relayed since start (refused ones not included). */
  readonly accepted: number;
  /** Connections open now. */
  readonly open: number;
  /** Connections turned away since start. */
  readonly refused: number;
  /** Closes every open connection on both sides; `reset` sends an RST instead of a FIN. Returns how many. */
  cutAll(options?: { reset?: boolean }): number;
  /** While refusing, a new connection is accepted and reset at once; relaying resumes with refuse(false). */
  refuse(on: boolean): void;
  /** Open connections stay open but no byte passes any more, either way. Returns how many. */
  stallAll(): number;
  /** Resolves when at least `count` connections have been accepted in all. */
  waitForAccepted(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

export async function startFaultRelay(target: { host: string; port: number }): Promise<FaultRelay> {
  const pairs = new Set<Pair>();
  let refusing = false;
  let accepted = 0;
  let refused = 0;
  const waiters: { count: number; resolve: () => void }[] = [];

  const server: Server = createServer((client) => {
    client.on('error', () => {});
    if (refusing) {
      refused++;
      client.resetAndDestroy();
      return;
    }
    accepted++;
    const upstream = tcpConnect(target.port, target.host);
    upstream.on('error', () => {});
    const pair: Pair = { client, upstream };
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.once('close', drop);
    upstream.once('close', drop);
    for (const w of [...waiters]) {
      if (accepted >= w.count) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  return {
    port,
    url: `https://127.0.0.1:${port}`,
    get accepted() { return accepted; },
    get open() { return pairs.size; },
    get refused() { return refused; },
    cutAll(options = {}) {
      const n = pairs.size;
      for (const { client, upstream } of [...pairs]) {
        if (options.reset) {
          client.resetAndDestroy();
          upstream.resetAndDestroy();
        } else {
          // As a server that closes: FIN to the client, then let go of both.
          client.unpipe();
          upstream.unpipe();
          client.end(() => client.destroy());
          upstream.destroy();
        }
      }
      return n;
    },
    refuse(on) {
      refusing = on;
    },
    stallAll() {
      for (const { client, upstream } of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
      return pairs.size;
    },
    waitForAccepted(count, timeoutMs = 10_000) {
      if (accepted >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const waiter = { count, resolve: () => { clearTimeout(timer); resolve(); } };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`relay: ${accepted} connections accepted, expected ${count} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    async close() {
      refusing = true;
      for (const { client, upstream } of [...pairs]) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
