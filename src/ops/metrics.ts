// Prometheus metrics of the proxy, with prom-client (the ecosystem's
// standard): requests, latency, bytes, upstream errors, what is open now,
// and the token's reloads and remaining life.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { TokenState } from '../credentials/token-source.js';

export class ProxyMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'method' | 'resource' | 'verb' | 'code' | 'source'>;
  readonly duration: Histogram<'verb'>;
  readonly responseBytes: Counter<'verb'>;
  readonly upstreamErrors: Counter<'kind'>;
  readonly inFlight: Gauge;
  readonly openWatches: Gauge;
  readonly openUpgrades: Gauge;
  readonly tokenRetries: Counter<'result'>;

  constructor(tokenState: () => TokenState | undefined, options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'kube_ambassador_requests_total',
      help: 'Requests answered, by method, Kubernetes resource and verb, status code, and who answered (upstream, filter, route, static).',
      labelNames: ['method', 'resource', 'verb', 'code', 'source'], registers,
    });
    this.duration = new Histogram({
      name: 'kube_ambassador_request_duration_seconds',
      help: 'Time from request to the end of the response, by Kubernetes verb (watches last as long as they stay open).',
      labelNames: ['verb'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300], registers,
    });
    this.responseBytes = new Counter({
      name: 'kube_ambassador_response_bytes_total', help: 'Response body bytes sent to clients, by Kubernetes verb.', labelNames: ['verb'], registers,
    });
    this.upstreamErrors = new Counter({
      name: 'kube_ambassador_upstream_errors_total',
      help: 'Requests the API server could not answer, by kind: refused, reset, unreachable, dns, timeout, tls, closed, credentials, other.',
      labelNames: ['kind'], registers,
    });
    this.inFlight = new Gauge({ name: 'kube_ambassador_requests_in_flight', help: 'Requests being served now (watches and upgrades included).', registers });
    this.openWatches = new Gauge({ name: 'kube_ambassador_open_watches', help: 'Long-running responses (watches, log follows) open now.', registers });
    this.openUpgrades = new Gauge({ name: 'kube_ambassador_open_upgrades', help: 'Upgraded connections (exec, attach, port-forward) open now.', registers });
    this.tokenRetries = new Counter({
      name: 'kube_ambassador_token_retries_total',
      help: 'Upstream 401s after which the token was re-read; result "changed" means a new token was found.',
      labelNames: ['result'], registers,
    });
    let counted = 0;
    new Counter({
      name: 'kube_ambassador_token_reloads_total', help: 'Times a changed token was picked up from its file or exec plugin.', registers,
      collect() {
        const reloads = tokenState()?.reloads ?? 0;
        if (reloads > counted) this.inc(reloads - counted);
        counted = reloads;
      },
    });
    new Gauge({
      name: 'kube_ambassador_token_expiry_seconds', help: 'Seconds until the current token expires (negative once expired); absent when unknown.', registers,
      collect() {
        const expiresAt = tokenState()?.expiresAt;
        this.reset();
        if (expiresAt) this.set((expiresAt.getTime() - Date.now()) / 1000);
      },
    });
    new Gauge({
      name: 'kube_ambassador_token_loaded', help: '1 when a token is loaded and its last read succeeded, 0 otherwise; absent without a token.', registers,
      collect() {
        const state = tokenState();
        this.reset();
        if (state) this.set(state.loaded && !state.lastError ? 1 : 0);
      },
    });
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'kube_ambassador_' });
  }
}
