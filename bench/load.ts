// Load with wrk, and what its report says: requests, rate, latency
// percentiles, and anything that was not a 2xx.
import type { ProcessSet } from './processes.js';

export interface WrkOptions {
  url: string;
  threads: number;
  connections: number;
  durationSeconds: number;
  headers?: Record<string, string>;
}

export interface WrkResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  /** Latency percentiles in milliseconds. */
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx/3xx responses plus socket errors: should be 0. */
  errors: number;
  raw: string;
}

export async function runWrk(processes: ProcessSet, o: WrkOptions): Promise<WrkResult> {
  const args = [`-t${o.threads}`, `-c${o.connections}`, `-d${o.durationSeconds}s`, '--latency', '--timeout', '10s'];
  for (const [name, value] of Object.entries(o.headers ?? {})) args.push('-H', `${name}: ${value}`);
  args.push(o.url);
  const wrk = processes.spawn('wrk', 'wrk', args);
  const { code } = await wrk.exited;
  const raw = wrk.output();
  if (code !== 0) throw new Error(`wrk ${args.join(' ')} exited with ${code}:\n${raw}`);
  return parseWrk(raw);
}

export function parseWrk(raw: string): WrkResult {
  const done = /(\d+) requests in ([\d.]+)(us|ms|s|m),/.exec(raw);
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(raw);
  if (!done || !rate) throw new Error(`cannot read wrk's report:\n${raw}`);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(raw)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(raw);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return {
    requests: Number(done[1]),
    seconds: toMs(Number(done[2]), done[3]!) / 1000,
    requestsPerSecond: Number(rate[1]),
    p50Ms: percentile(raw, '50%'),
    p99Ms: percentile(raw, '99%'),
    errors: non2xx + socketErrors,
    raw,
  };
}

function percentile(raw: string, which: string): number {
  const m = new RegExp(`^\\s+${which}\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(raw);
  return m ? toMs(Number(m[1]), m[2]!) : Number.NaN;
}

function toMs(value: number, unit: string): number {
  switch (unit) {
    case 'us': return value / 1000;
    case 'ms': return value;
    case 's': return value * 1000;
    case 'm': return value * 60_000;
    default: throw new Error(`unknown unit ${unit}`);
  }
}
