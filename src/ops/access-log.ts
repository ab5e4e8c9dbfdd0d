// The access log: one structured line per request. What it carries is
// chosen field by field — never a header value other than the User-Agent,
// never a query string (it can hold anything), never a body.
import type { Logger } from '../logging/logger.js';
import type { ExchangeInfo, ExchangeOutcome } from '../proxy/exchange.js';

export function accessRecord(info: ExchangeInfo, outcome: ExchangeOutcome, startedAt: number, endedAt: number): Record<string, unknown> {
  const k = info.kube;
  return {
    time: new Date(endedAt).toISOString(),
    request_id: info.requestId,
    method: info.method,
    path: info.path,
    verb: k.verb || undefined,
    resource: k.resource || undefined,
    subresource: k.subresource || undefined,
    namespace: k.namespace || undefined,
    name: k.name || undefined,
    api_group: k.isResourceRequest ? k.apiGroup || 'core' : undefined,
    status: outcome.status,
    duration_ms: Math.round((endedAt - startedAt) * 10) / 10,
    bytes: outcome.bytesSent,
    upstream_error: outcome.upstreamError,
    answered_by: outcome.local ?? 'upstream',
    user_agent: info.userAgent,
    remote: info.remoteAddress,
  };
}

export class AccessLog {
  readonly #logger: Logger;
  constructor(logger: Logger) {
    this.#logger = logger;
  }
  write(info: ExchangeInfo, outcome: ExchangeOutcome, startedAt: number, endedAt: number): void {
    this.#logger.record(accessRecord(info, outcome, startedAt, endedAt));
  }
}
