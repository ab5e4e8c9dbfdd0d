// The proxy scenarios. Each repeats `reps` times; within a repetition every
// proxy runs once, in an order rotated per repetition so none is always first.
// Every measurement gets a fresh proxy process, stopped before the next starts.
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipPodListPath, podListPath, podPath } from './fixtures.js';
import { runWrk, type WrkResult } from './load.js';
import { get } from './net.js';
import type { ProcessSet } from './processes.js';
import { cpuSeconds, rssBytes } from './proc-stats.js';
import { type ProxyFlags, type ProxyTarget, type RunningProxy, startProxy } from './proxies.js';
import { fmt, metric, record, type Scenario } from './report.js';
import type { NginxUpstream } from './upstream-nginx.js';
import { measureWatchLatency, openManyWatches } from './watch-latency.js';
import type { WatchUpstream, WatchUpstreamStats } from './watch-upstream.js';

export interface BenchOptions {
  reps: number;
  durationSeconds: number;
  warmupSeconds: number;
  smallConnections: number;
  largeConnections: number;
  events: number;
  watches: number;
}

export interface BenchContext {
  processes: ProcessSet;
  scratch: string;
  token: string;
  caFile: string;
  caPem: string;
  nginx: NginxUpstream;
  watchUpstream: WatchUpstream;
  options: BenchOptions;
  log: (line: string) => void;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const rotate = <T>(list: T[], by: number): T[] => list.map((_, i) => list[(i + by) % list.length]!);

function nginxFlags(ctx: BenchContext): ProxyFlags {
  return { server: ctx.nginx.url, caFile: ctx.caFile, token: ctx.token };
}

async function withProxy<T>(ctx: BenchContext, target: ProxyTarget, flags: ProxyFlags, fn: (p: RunningProxy) => Promise<T>): Promise<T> {
  const proxy = await startProxy(ctx.processes, target, flags, { scratch: ctx.scratch });
  try {
    return await fn(proxy);
  } finally {
    await ctx.processes.stop(proxy.process);
  }
}

/** A GET through the proxy must return the fixture before it is put under load. */
async function checkServes(proxy: RunningProxy, path: string, bytes: number): Promise<void> {
  const r = await get(proxy.url + path);
  if (r.status !== 200 || r.bytes !== bytes) {
    throw new Error(`${proxy.target.label} answered ${path} with ${r.status} and ${r.bytes} bytes (want 200 and ${bytes}): ${proxy.process.output()}`);
  }
}

function checkNoErrors(label: string, w: WrkResult, notes: string[]): void {
  if (w.errors > 0) notes.push(`**${label}: ${w.errors} errors (non-2xx or socket errors) during load** — see the raw wrk output in the log.`);
}

export async function startupScenario(ctx: BenchContext, targets: ProxyTarget[]): Promise<Scenario> {
  const ready = metric('"Starting to serve" printed', 'lower', fmt.ms);
  const first = metric('first 200 through the proxy', 'lower', fmt.ms);
  const idle = metric('idle RSS (1 s after the first 200)', 'lower', fmt.mb);
  for (let rep = 0; rep < ctx.options.reps; rep++) {
    for (const target of rotate(targets, rep)) {
      ctx.log(`startup: ${target.label}, repetition ${rep + 1}`);
      await withProxy(ctx, target, nginxFlags(ctx), async (p) => {
        for (;;) {
          const r = await get(p.url + podPath).catch(() => undefined);
          if (r?.status === 200) break;
          await sleep(1);
        }
        const okAt = process.hrtime.bigint();
        record(ready, target.id, Number(p.servingAt - p.spawnedAt) / 1e6);
        record(first, target.id, Number(okAt - p.spawnedAt) / 1e6);
        await sleep(1_000);
        record(idle, target.id, rssBytes(p.pid));
      });
    }
  }
  return {
    id: 'startup',
    title: 'Start-up and idle memory',
    method: `Time from spawn to the "Starting to serve on" line and to the first 200 for the 0.5 KB pod through the proxy (polled as fast as possible; includes the first TLS handshake to nginx), then RSS after 1 s idle. ${plural(ctx.options.reps, 'repetition')}.`,
    metrics: [ready, first, idle],
    notes: [],
  };
}

interface LoadSpec {
  id: string;
  title: string;
  path: string;
  bytes: number;
  connections: number;
  perRequest: 'µs' | 'ms';
  method: string;
}

async function loadScenario(ctx: BenchContext, targets: ProxyTarget[], spec: LoadSpec): Promise<Scenario> {
  const o = ctx.options;
  const large = spec.perRequest === 'ms';
  const rate = metric(large ? 'responses/s' : 'requests/s', 'higher', fmt.rate);
  const cpu = metric(large ? 'CPU ms per response' : 'CPU µs per request', 'lower', large ? fmt.ms : fmt.us);
  const rss = metric('RSS after load', 'lower', fmt.mb);
  const p50 = metric('latency p50 (wrk)', 'lower', fmt.ms);
  const p99 = metric('latency p99 (wrk)', 'lower', fmt.ms);
  const notes: string[] = [];
  const wrk = (url: string, seconds: number, headers?: Record<string, string>) =>
    runWrk(ctx.processes, { url, threads: 1, connections: spec.connections, durationSeconds: seconds, headers });

  for (let rep = 0; rep < o.reps; rep++) {
    ctx.log(`${spec.id}: nginx directly, repetition ${rep + 1}`);
    const direct = await wrk(ctx.nginx.url + spec.path, o.durationSeconds, { Authorization: `Bearer ${ctx.token}` });
    checkNoErrors('nginx directly', direct, notes);
    record(rate, 'nginx', direct.requestsPerSecond);
    record(p50, 'nginx', direct.p50Ms);
    record(p99, 'nginx', direct.p99Ms);
    for (const target of rotate(targets, rep)) {
      ctx.log(`${spec.id}: ${target.label}, repetition ${rep + 1}`);
      await withProxy(ctx, target, nginxFlags(ctx), async (p) => {
        await checkServes(p, spec.path, spec.bytes);
        if (o.warmupSeconds > 0) await wrk(p.url + spec.path, o.warmupSeconds);
        const before = cpuSeconds(p.pid);
        const w = await wrk(p.url + spec.path, o.durationSeconds);
        const used = cpuSeconds(p.pid) - before;
        checkNoErrors(target.label, w, notes);
        record(rate, target.id, w.requestsPerSecond);
        record(cpu, target.id, (used / w.requests) * (large ? 1e3 : 1e6));
        record(rss, target.id, rssBytes(p.pid));
        record(p50, target.id, w.p50Ms);
        record(p99, target.id, w.p99Ms);
      });
    }
  }
  return {
    id: spec.id,
    title: spec.title,
    method: `${spec.method} \`wrk -t1 -c${spec.connections} -d${o.durationSeconds}s\` after a ${o.warmupSeconds} s warm-up on the same proxy process; CPU is the proxy's user+system time (/proc/PID/stat) over the measured run divided by the responses wrk counted. ${plural(o.reps, 'repetition')}; median (min–max).`,
    metrics: [rate, cpu, rss, p50, p99],
    notes,
  };
}

export function smallGetScenario(ctx: BenchContext, targets: ProxyTarget[]): Promise<Scenario> {
  return loadScenario(ctx, targets, {
    id: 'small-get', title: 'Small GET (0.5 KB pod)', path: podPath, bytes: ctx.nginx.podBytes,
    connections: ctx.options.smallConnections, perRequest: 'µs',
    method: `GET ${podPath} (${ctx.nginx.podBytes} bytes) through each proxy to nginx over HTTPS.`,
  });
}

export function largeListScenario(ctx: BenchContext, targets: ProxyTarget[]): Promise<Scenario> {
  return loadScenario(ctx, targets, {
    id: 'large-list', title: 'Large LIST (2.5 MB, 5,000 pods, uncompressed upstream)', path: podListPath, bytes: ctx.nginx.podListBytes,
    connections: ctx.options.largeConnections, perRequest: 'ms',
    method: `GET ${podListPath} (${fmt.mb(ctx.nginx.podListBytes)}) through each proxy; nginx sends it uncompressed whatever the Accept-Encoding.`,
  });
}

export function gzipListScenario(ctx: BenchContext, targets: ProxyTarget[]): Promise<Scenario> {
  return loadScenario(ctx, targets, {
    id: 'gzip-list', title: 'Large LIST, gzip from upstream (as kube-apiserver above 128 KB)', path: gzipPodListPath, bytes: ctx.nginx.podListBytes,
    connections: ctx.options.largeConnections, perRequest: 'ms',
    method: `GET ${gzipPodListPath}: the same list, which nginx sends gzip-compressed (${fmt.mb(ctx.nginx.podListGzipBytes)}, level 1) when asked. wrk sends no Accept-Encoding, so each proxy asks for gzip itself (as Go's transport does) and decompresses for the client: this is what a plain \`curl\` through the proxy costs. nginx directly sends the uncompressed file here.`,
  });
}

export async function watchLatencyScenario(ctx: BenchContext, targets: ProxyTarget[]): Promise<Scenario> {
  const o = ctx.options;
  const p50 = metric('event latency p50', 'lower', fmt.ms);
  const p99 = metric('event latency p99', 'lower', fmt.ms);
  const flags: ProxyFlags = { server: ctx.watchUpstream.url, caFile: ctx.caFile, token: ctx.token };
  for (let rep = 0; rep < o.reps; rep++) {
    ctx.log(`watch-latency: direct, repetition ${rep + 1} (${o.events} events)`);
    const direct = await measureWatchLatency({ origin: ctx.watchUpstream.url, ca: ctx.caPem, headers: { Authorization: `Bearer ${ctx.token}` } }, o.events);
    record(p50, 'direct', direct.p50Ms);
    record(p99, 'direct', direct.p99Ms);
    for (const target of rotate(targets, rep)) {
      ctx.log(`watch-latency: ${target.label}, repetition ${rep + 1} (${o.events} events)`);
      await withProxy(ctx, target, flags, async (p) => {
        const r = await measureWatchLatency({ origin: p.url }, o.events);
        record(p50, target.id, r.p50Ms);
        record(p99, target.id, r.p99Ms);
      });
    }
  }
  return {
    id: 'watch-latency',
    title: 'Watch event latency',
    method: `One watch through each proxy to a small Node HTTPS upstream (h2 and http/1.1 offered) that writes an event every 200 ms stamped with process.hrtime.bigint() (CLOCK_MONOTONIC, the same clock in every process); the client subtracts it from its own receive time. ${o.events} events per repetition after 3 warm-up events; p50 and p99 per repetition, then median (min–max) over ${plural(o.reps, 'repetition')}. "direct" is the same client talking HTTPS to the upstream.`,
    metrics: [p50, p99],
    notes: [],
  };
}

export async function openWatchesScenario(ctx: BenchContext, targets: ProxyTarget[]): Promise<Scenario> {
  const o = ctx.options;
  const rss = metric(`RSS with ${o.watches.toLocaleString('en-US')} watches open`, 'lower', fmt.mb);
  const growth = metric('RSS growth over idle', 'lower', fmt.mb);
  const cpu = metric(`CPU to open ${o.watches.toLocaleString('en-US')} watches`, 'lower', fmt.ms);
  const connections = metric('TCP connections to the upstream', 'lower', fmt.int);
  const flags: ProxyFlags = { server: ctx.watchUpstream.url, caFile: ctx.caFile, token: ctx.token };
  const upstreamStats = async (): Promise<WatchUpstreamStats> => {
    const r = await fetchJson(ctx, '/bench/stats');
    return r as WatchUpstreamStats;
  };
  for (let rep = 0; rep < o.reps; rep++) {
    for (const target of rotate(targets, rep)) {
      ctx.log(`open-watches: ${target.label}, repetition ${rep + 1}`);
      await withProxy(ctx, target, flags, async (p) => {
        await sleep(500);
        const idle = rssBytes(p.pid);
        const baseline = await upstreamStats();
        const cpuBefore = cpuSeconds(p.pid);
        const open = await openManyWatches({ origin: p.url }, o.watches);
        try {
          const cpuOpen = cpuSeconds(p.pid) - cpuBefore;
          await sleep(2_000);
          const held = rssBytes(p.pid);
          const stats = await upstreamStats();
          if (stats.watches - baseline.watches !== o.watches) throw new Error(`upstream sees ${stats.watches - baseline.watches} watches, not ${o.watches}`);
          record(rss, target.id, held);
          record(growth, target.id, held - idle);
          record(cpu, target.id, cpuOpen * 1e3);
          record(connections, target.id, stats.tcpConnections - baseline.tcpConnections);
        } finally {
          open.close();
        }
        await sleep(300);
      });
    }
  }
  return {
    id: 'open-watches',
    title: `${o.watches.toLocaleString('en-US')} open watches`,
    method: `${o.watches.toLocaleString('en-US')} watches opened through each proxy (50 at a time) to the Node upstream, each counted once its first event arrived; RSS of the proxy 2 s later, and the upstream's count of TCP connections from the proxy. ${plural(o.reps, 'repetition')}.`,
    metrics: [rss, growth, cpu, connections],
    notes: ['kubectl talks HTTP/2 to the upstream, so its watches share a few connections (250 streams each); kube-ambassador uses HTTP/1.1, one upstream connection per watch.'],
  };
}

async function fetchJson(ctx: BenchContext, path: string): Promise<unknown> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(ctx.watchUpstream.url + path, { ca: ctx.caPem, agent: false, headers: { Authorization: `Bearer ${ctx.token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}
