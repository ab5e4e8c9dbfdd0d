// Operations' view of each proxied exchange: metrics, the access log and
// readiness all fed from the proxy's ExchangeObserver hooks.
import { performance } from 'node:perf_hooks';
import type { ExchangeInfo, ExchangeObserver, ExchangeOutcome, ExchangeRecord } from '../proxy/exchange.js';
import type { AccessLog } from './access-log.js';
import type { ProxyMetrics } from './metrics.js';
import type { Readiness } from './readiness.js';

export class OpsObserver implements ExchangeObserver {
  readonly #metrics: ProxyMetrics | undefined;
  readonly #log: AccessLog | undefined;
  readonly #readiness: Readiness | undefined;

  constructor(parts: { metrics?: ProxyMetrics; accessLog?: AccessLog; readiness?: Readiness }) {
    this.#metrics = parts.metrics;
    this.#log = parts.accessLog;
    this.#readiness = parts.readiness;
  }

  begin(info: ExchangeInfo): ExchangeRecord {
    const started = performance.now();
    const startedAt = Date.now();
    const m = this.#metrics;
    m?.inFlight.inc();
    let open: 'watch' | 'upgrade' | undefined;
    let finished = false;
    return {
      responded: (status) => {
        if (!m || open) return;
        if (info.upgrade && status === 101) open = 'upgrade';
        else if (info.longRunning && status < 300) open = 'watch';
        if (open === 'upgrade') m.openUpgrades.inc();
        else if (open === 'watch') m.openWatches.inc();
      },
      finish: (outcome: ExchangeOutcome) => {
        if (finished) return;
        finished = true;
        const seconds = (performance.now() - started) / 1000;
        if (m) {
          m.inFlight.dec();
          if (open === 'upgrade') m.openUpgrades.dec();
          else if (open === 'watch') m.openWatches.dec();
          const verb = info.kube.verb || info.method.toLowerCase();
          m.requests.inc({
            method: info.method, resource: info.kube.resource || '', verb, code: String(outcome.status), source: outcome.local ?? 'upstream',
          });
          m.duration.observe({ verb }, seconds);
          if (outcome.bytesSent > 0) m.responseBytes.inc({ verb }, outcome.bytesSent);
          if (outcome.upstreamError) m.upstreamErrors.inc({ kind: outcome.upstreamError });
        }
        if (!outcome.local) {
          if (outcome.upstreamError) this.#readiness?.upstreamFailed(`the API server could not be reached: ${outcome.upstreamError}`);
          else if (outcome.status !== 499) this.#readiness?.upstreamAnswered(outcome.status);
        }
        this.#log?.write(info, outcome, startedAt, startedAt + seconds * 1000);
      },
    };
  }

  tokenRetried(changed: boolean): void {
    this.#metrics?.tokenRetries.inc({ result: changed ? 'changed' : 'unchanged' });
  }
}
