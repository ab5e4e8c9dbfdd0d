// Watch clients: one watch whose events carry their send time (latency from
// upstream write to client read), and many idle watches held open at once.
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { watchPath } from './fixtures.js';
import { sentAnnotation } from './watch-upstream.js';

export interface WatchClientOptions {
  /** Proxy (http) or upstream (https) origin. */
  origin: string;
  headers?: Record<string, string>;
  ca?: string;
}

export interface LatencyResult {
  /** Upstream write → client read, milliseconds, in arrival order. */
  latenciesMs: number[];
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const sentPattern = new RegExp(`"${sentAnnotation.replace(/[.\/]/g, '\\$&')}":"(\\d+)"`);

function openWatch(o: WatchClientOptions, query: string, agent: HttpAgent, onResponse: (res: IncomingMessage) => void, onError: (err: Error) => void): ClientRequest {
  const url = new URL(`${watchPath}?watch=true${query}`, o.origin);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const req = request(url, { agent, headers: o.headers, ca: o.ca }, (res) => {
    if (res.statusCode !== 200) {
      onError(new Error(`watch through ${o.origin}: HTTP ${res.statusCode}`));
      res.resume();
      return;
    }
    onResponse(res);
  });
  req.on('error', onError);
  req.end();
  return req;
}

function agentFor(o: WatchClientOptions): HttpAgent {
  return o.origin.startsWith('https:') ? new HttpsAgent({ keepAlive: false, maxSockets: Infinity, ca: o.ca }) : new HttpAgent({ keepAlive: false, maxSockets: Infinity });
}

/**
 * Opens one ticking watch, records `events` timed events after `warmup` more, then closes it.
 * phaseMs shifts this watch's ticks against the upstream's other ticking watches.
 */
export function measureWatchLatency(o: WatchClientOptions, events: number, warmup = 3, phaseMs = 0, signal?: AbortSignal): Promise<LatencyResult> {
  const agent = agentFor(o);
  return new Promise<LatencyResult>((resolve, reject) => {
    const abort = () => {
      req.destroy();
      agent.destroy();
      reject(new Error(`watch through ${o.origin} aborted`));
    };
    const latencies: number[] = [];
    let skipped = 0;
    let buffered = '';
    const req = openWatch(o, `&tick=1${phaseMs ? `&phase=${phaseMs}` : ''}`, agent, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const receivedAt = process.hrtime.bigint();
        buffered += chunk;
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          const m = sentPattern.exec(line);
          if (!m) continue; // the ADDED event
          if (skipped < warmup) {
            skipped++;
            continue;
          }
          latencies.push(Number(receivedAt - BigInt(m[1]!)) / 1e6);
          if (latencies.length === events) {
            signal?.removeEventListener('abort', abort);
            req.destroy();
            agent.destroy();
            const sorted = [...latencies].sort((a, b) => a - b);
            resolve({ latenciesMs: latencies, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99), maxMs: sorted[sorted.length - 1]! });
          }
        }
      });
      res.on('end', () => reject(new Error(`watch through ${o.origin} ended after ${latencies.length} events`)));
    }, (err) => {
      agent.destroy();
      reject(err);
    });
    if (signal?.aborted) abort();
    else signal?.addEventListener('abort', abort, { once: true });
  });
}

export interface PairedLatency {
  direct: LatencyResult;
  proxied: LatencyResult;
}

/**
 * One watch straight to the upstream and one through the proxy, measured in
 * the same window so that what the proxy adds is proxied − direct under the
 * same conditions. Their ticks are half an interval apart, so the client never
 * handles both events at once.
 */
export async function measurePairedWatchLatency(direct: WatchClientOptions, proxied: WatchClientOptions, events: number, offsetMs: number): Promise<PairedLatency> {
  // When one fails, the other is closed rather than left open to the end of the run.
  const controller = new AbortController();
  const both = [measureWatchLatency(direct, events, 3, offsetMs, controller.signal), measureWatchLatency(proxied, events, 3, 0, controller.signal)];
  try {
    const [d, p] = await Promise.all(both);
    return { direct: d!, proxied: p! };
  } catch (err) {
    controller.abort();
    await Promise.allSettled(both);
    throw err;
  }
}

export interface OpenWatches {
  count: number;
  close(): void;
}

/** Opens `count` watches, `concurrency` at a time, each counted once its first event arrived. */
export async function openManyWatches(o: WatchClientOptions, count: number, concurrency = 50, timeoutMs = 60_000): Promise<OpenWatches> {
  const agent = agentFor(o);
  const requests: ClientRequest[] = [];
  const close = () => {
    for (const r of requests) r.destroy();
    agent.destroy();
  };
  const openOne = () => new Promise<void>((resolve, reject) => {
    const req = openWatch(o, '', agent, (res) => {
      res.once('data', () => resolve());
      res.on('data', () => {});
      res.once('end', () => reject(new Error('a watch ended early')));
    }, reject);
    requests.push(req);
  });
  const deadline = setTimeout(() => close(), timeoutMs);
  try {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next++;
        await openOne();
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  } catch (err) {
    close();
    throw err;
  } finally {
    clearTimeout(deadline);
  }
  return { count, close };
}

/** Nearest-rank quantile of sorted values. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}
