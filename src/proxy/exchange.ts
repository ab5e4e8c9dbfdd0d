// The hooks through which operations (metrics, access log) see each proxied
// exchange. The proxy calls them; ops/ implements them; tests can too.
import type { RequestInfo } from '../kube/request-info.js';
import type { UpstreamErrorKind } from '../transport/upstream-error.js';

export interface ExchangeInfo {
  requestId: string;
  method: string;
  /** The path the filter saw (decoded, prefix stripped). */
  path: string;
  query: string;
  /** What the path means to Kubernetes (resource, namespace, name, verb). */
  kube: RequestInfo;
  userAgent?: string;
  remoteAddress?: string;
  longRunning: boolean;
  upgrade: boolean;
}

export interface ExchangeOutcome {
  status: number;
  bytesSent: number;
  upstreamError?: UpstreamErrorKind;
  /** The proxy answered by itself: the filter, a route, a static file. */
  local?: 'filter' | 'route' | 'static' | 'health';
}

export interface ExchangeRecord {
  /** Response headers went to the client (a watch is open from here). */
  responded(status: number): void;
  /** The exchange is over; called exactly once. */
  finish(outcome: ExchangeOutcome): void;
}

export interface ExchangeObserver {
  begin(info: ExchangeInfo): ExchangeRecord;
  /** The API server answered 401 and the token was re-read. */
  tokenRetried?(changed: boolean): void;
}

const noopRecord: ExchangeRecord = { responded() {}, finish() {} };
export const noopObserver: ExchangeObserver = { begin: () => noopRecord };
