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
import { type Column, fmt, metric, record, type Scenario } from './report.js';
import type { NginxUpstream } from './upstream-nginx.js';
import { measurePairedWatchLatency, openManyWatches, type OpenWatches } from './watch-latency.js';
import type { WatchUpstream, WatchUpstreamStats } from './watch-upstream.js';

export interface BenchOptions {
  reps: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** Small GET runs once per connection count (16 and 64 by default). */
  smallConnections: number[];
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
  /** The watch upstream's tick interval; the direct watch ticks half of it after the proxied one. */
  watchIntervalMs: number;
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
export const rotate = <T>(list: T[], by: number): T[] => list.map((_, i) => list[(i + by) % list.length]!);

function nginxFlags(ctx: BenchContext): ProxyFlags {
  return { server: ctx.nginx.url, caFile: ctx.caFile, token: ctx.token };
}

export async function withProxy<T>(ctx: BenchContext, target: ProxyTarget, flags: ProxyFlags, fn: (p: RunningProxy) => Promise<T>): Promise<T> {
  const proxy = await startProxy(ctx.processes, target, flags, { scratch: ctx.scratch });
  try {
    return await fn(proxy);
  } finally {
    await ctx.processes.stop(proxy.process);
  }
}

/** A GET through the proxy must return the fixture before it is put under load. */
export async function checkServes(proxy: RunningProxy, path: string, bytes: number, slack = 0): Promise<void> {
  const r = await get(proxy.url + path);
  if (r.status !== 200 || Math.abs(r.bytes - bytes) > slack) {
    throw new Error(`${proxy.target.label} answered ${path} with ${r.status} and ${r.bytes} bytes (want 200 and ${bytes}${slack ? ` ± ${slack}` : ''}): ${proxy.process.output()}`);
  }
}

export function checkNoErrors(label: string, w: WrkResult, notes: string[]): void {
  if (w.errors > 0) notes.push(`**${label}: ${w.errors} errors (non-2xx or socket errors) during load** — see the raw wrk output in the log.`);
}

export async function startupScenario(ctx: BenchContext, targets: ProxyTarget[]): Promise<Scenario> {
  const ready = metric('serving-line', '"Starting to serve" printed', 'lower', 'ms');
  const first = metric('first-200', 'first 200 through the proxy', 'lower', 'ms');
  const idle = metric('idle-rss', 'idle RSS (1 s after the first 200)', 'lower', 'bytes');
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

export interface LoadSpec {
  id: string;
  title: string;
  path: string;
  /** The body size every proxy must return before it is put under load. */
  bytes: number;
  /** How far the size may differ (a list carries the current resourceVersion). */
  bytesSlack?: number;
  connections: number;
  perRequest: 'µs' | 'ms';
  method: string;
  /** The upstream the proxies are pointed at and wrk runs against directly; nginx unless said otherwise. */
  upstream?: { url: string; flags: ProxyFlags; label: string };
  /** Another process whose CPU per request is reported too (kube-apiserver), under this metric name. */
  upstreamCpu?: { pid: number; name: string };
}

export async function loadScenario(ctx: BenchContext, targets: ProxyTarget[], spec: LoadSpec): Promise<Scenario> {
  const o = ctx.options;
  const large = spec.perRequest === 'ms';
  const upstream = spec.upstream ?? { url: ctx.nginx.url, flags: nginxFlags(ctx), label: 'nginx directly (ceiling)' };
  const rate = metric('throughput', large ? 'responses/s' : 'requests/s', 'higher', 'per-second');
  const cpu = metric('cpu-per-request', large ? 'CPU ms per response' : 'CPU µs per request', 'lower', large ? 'ms' : 'µs');
  const rss = metric('rss-after-load', 'RSS after load', 'lower', 'bytes');
  const p50 = metric('latency-p50', 'latency p50 (wrk)', 'lower', 'ms');
  const p99 = metric('latency-p99', 'latency p99 (wrk)', 'lower', 'ms');
  const upstreamCpu = spec.upstreamCpu ? metric('upstream-cpu-per-request', spec.upstreamCpu.name, 'lower', large ? 'ms' : 'µs') : undefined;
  const perRequest = (seconds: number, requests: number) => (seconds / requests) * (large ? 1e3 : 1e6);
  const upstreamCpuNow = () => (spec.upstreamCpu ? cpuSeconds(spec.upstreamCpu.pid) : 0);
  const notes: string[] = [];
  const wrk = (url: string, seconds: number, headers?: Record<string, string>) =>
    runWrk(ctx.processes, { url, threads: 1, connections: spec.connections, durationSeconds: seconds, headers });
  const measure = async (column: Column, url: string, label: string, headers?: Record<string, string>, pid?: number) => {
    if (o.warmupSeconds > 0 && pid !== undefined) await wrk(url, o.warmupSeconds, headers);
    const before = pid === undefined ? 0 : cpuSeconds(pid);
    const upstreamBefore = upstreamCpuNow();
    const w = await wrk(url, o.durationSeconds, headers);
    const upstreamUsed = upstreamCpuNow() - upstreamBefore;
    checkNoErrors(label, w, notes);
    record(rate, column, w.requestsPerSecond);
    if (pid !== undefined) {
      record(cpu, column, perRequest(cpuSeconds(pid) - before, w.requests));
      record(rss, column, rssBytes(pid));
    }
    if (upstreamCpu) record(upstreamCpu, column, perRequest(upstreamUsed, w.requests));
    record(p50, column, w.p50Ms);
    record(p99, column, w.p99Ms);
  };

  for (let rep = 0; rep < o.reps; rep++) {
    ctx.log(`${spec.id}: ${upstream.label}, repetition ${rep + 1}`);
    await measure('direct', upstream.url + spec.path, upstream.label, { Authorization: `Bearer ${upstream.flags.token}` });
    for (const target of rotate(targets, rep)) {
      ctx.log(`${spec.id}: ${target.label}, repetition ${rep + 1}`);
      await withProxy(ctx, target, upstream.flags, async (p) => {
        await checkServes(p, spec.path, spec.bytes, spec.bytesSlack);
        await measure(target.id, p.url + spec.path, target.label, undefined, p.pid);
      });
    }
  }
  return {
    id: spec.id,
    title: spec.title,
    directLabel: upstream.label,
    method: `${spec.method} \`wrk -t1 -c${spec.connections} -d${o.durationSeconds}s\` after a ${o.warmupSeconds} s warm-up on the same proxy process; CPU is the proxy's user+system time (/proc/PID/stat) over the measured run divided by the responses wrk counted. ${plural(o.reps, 'repetition')}; median (min–max).`,
    metrics: upstreamCpu ? [rate, cpu, upstreamCpu, rss, p50, p99] : [rate, cpu, rss, p50, p99],
    notes,
  };
}

/** Small GET once per connection count (--small-connections, 16 and 64 by default): one scenario each. */
export async function smallGetScenarios(ctx: BenchContext, targets: ProxyTarget[], onDone: (s: Scenario) => void): Promise<void> {
  for (const connections of ctx.options.smallConnections) {
    onDone(await loadScenario(ctx, targets, {
      id: `small-get-c${connections}`, title: `Small GET (0.5 KB pod), ${connections} connections`, path: podPath, bytes: ctx.nginx.podBytes,
      connections, perRequest: 'µs',
      method: `GET ${podPath} (${ctx.nginx.podBytes} bytes) through each proxy to nginx over HTTPS.`,
    }));
  }
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

/**
 * Watch event latency, absolute and added by the proxy. Each measurement runs a
 * watch straight to the upstream and one through the proxy side by side (their
 * ticks half an interval apart), so "added" is proxied − direct in the same
 * window. With otherWatches > 0 that many idle watches are held open through
 * the same proxy while the one ticking watch is measured.
 */
export async function watchLatencyScenario(ctx: BenchContext, targets: ProxyTarget[], otherWatches: number): Promise<Scenario> {
  const o = ctx.options;
  const loaded = otherWatches > 0;
  const p50 = metric('latency-p50', 'event latency p50', 'lower', 'ms');
  const p99 = metric('latency-p99', 'event latency p99', 'lower', 'ms');
  const added50 = metric('added-p50', 'latency the proxy adds, p50 (proxied p50 − direct p50)', 'lower', 'ms', 'difference');
  const added99 = metric('added-p99', 'latency the proxy adds, p99 (proxied p99 − direct p99)', 'lower', 'ms', 'difference');
  const flags: ProxyFlags = { server: ctx.watchUpstream.url, caFile: ctx.caFile, token: ctx.token };
  const direct = { origin: ctx.watchUpstream.url, ca: ctx.caPem, headers: { Authorization: `Bearer ${ctx.token}` } };
  const others = otherWatches.toLocaleString('en-US');
  const id = loaded ? 'watch-latency-loaded' : 'watch-latency';
  for (let rep = 0; rep < o.reps; rep++) {
    for (const target of rotate(targets, rep)) {
      ctx.log(`${id}: ${target.label}${loaded ? ` with ${others} other watches` : ''}, repetition ${rep + 1} (${o.events} events)`);
      await withProxy(ctx, target, flags, async (p) => {
        let open: OpenWatches | undefined;
        try {
          if (loaded) {
            open = await openManyWatches({ origin: p.url }, otherWatches);
            await sleep(1_000);
          }
          const r = await measurePairedWatchLatency(direct, { origin: p.url }, o.events, ctx.watchIntervalMs / 2);
          record(p50, 'direct', r.direct.p50Ms);
          record(p99, 'direct', r.direct.p99Ms);
          record(p50, target.id, r.proxied.p50Ms);
          record(p99, target.id, r.proxied.p99Ms);
          record(added50, target.id, r.proxied.p50Ms - r.direct.p50Ms);
          record(added99, target.id, r.proxied.p99Ms - r.direct.p99Ms);
        } finally {
          open?.close();
        }
      });
    }
  }
  return {
    id,
    title: loaded ? `Watch event latency, ${others} other watches open through the proxy` : 'Watch event latency, 1 watch',
    directLabel: 'direct to upstream (same window)',
    method: `A watch through each proxy to a small Node HTTPS upstream (h2 and http/1.1 offered) that writes an event every ${ctx.watchIntervalMs} ms stamped with process.hrtime.bigint() (CLOCK_MONOTONIC, the same clock in every process); the client subtracts it from its own receive time. In the same window the same client runs a second watch straight to the upstream, ticking ${ctx.watchIntervalMs / 2} ms out of step so the two events never arrive together: "direct" is that watch, and the latency the proxy adds is proxied − direct of the same window (p50 − p50, p99 − p99), then the median over repetitions. ${loaded ? `Before measuring, ${others} idle watches (no events after the first) are opened through the same proxy and held open for the whole measurement. ` : ''}${o.events} events per measurement after 3 warm-up events; ${plural(o.reps, 'repetition')}, a fresh proxy for each.`,
    metrics: [p50, p99, added50, added99],
    notes: ['The direct figures are every measurement\'s direct watch (one per proxy per repetition). The issue\'s target is an added p99 of at most 1 ms.'],
  };
}

export async function openWatchesScenario(ctx: BenchContext, targets: ProxyTarget[]): Promise<Scenario> {
  const o = ctx.options;
  const rss = metric('rss-open-watches', `RSS with ${o.watches.toLocaleString('en-US')} watches open`, 'lower', 'bytes');
  const growth = metric('rss-growth', 'RSS growth over idle', 'lower', 'bytes');
  const cpu = metric('cpu-to-open', `CPU to open ${o.watches.toLocaleString('en-US')} watches`, 'lower', 'ms');
  const connections = metric('upstream-connections', 'TCP connections to the upstream', 'lower', 'count');
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
