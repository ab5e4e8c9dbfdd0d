// Errors from the API server keep its Status (code, reason, message,
// details), so callers can branch on reason the way client-go users do.
import { statusReason } from '../kube/status-reason.js';

export interface Status {
  kind?: 'Status';
  apiVersion?: string;
  status?: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: { reason?: string; message?: string; field?: string }[]; retryAfterSeconds?: number };
}

export class KubeApiError extends Error {
  override name = 'KubeApiError';
  readonly code: number;
  readonly reason: string;
  readonly status: Status;
  readonly method: string;
  readonly path: string;

  constructor(code: number, status: Status, method: string, path: string) {
    super(status.message || `${method} ${path}: HTTP ${code}`);
    this.code = code;
    this.reason = status.reason ?? statusReason(code);
    this.status = status;
    this.method = method;
    this.path = path;
  }

  get isNotFound(): boolean { return this.code === 404; }
  get isConflict(): boolean { return this.code === 409; }
  get isForbidden(): boolean { return this.code === 403; }
  get isUnauthorized(): boolean { return this.code === 401; }
  get isGone(): boolean { return this.code === 410; }
}

/** The Status an error body holds, or one made from the code when the body is not a Status. */
export function statusFromBody(code: number, body: string): Status {
  try {
    const parsed = JSON.parse(body) as Status;
    if (parsed && parsed.kind === 'Status') return parsed;
  } catch {
    // not JSON: an intermediary answered
  }
  return { kind: 'Status', status: 'Failure', code, reason: statusReason(code), message: body.trim().slice(0, 500) || `HTTP ${code}` };
}


/** The request never got an HTTP answer (connect, TLS, timeout); cause is the transport error. */
export class KubeTransportError extends Error {
  override name = 'KubeTransportError';
  readonly kind: string;
  constructor(message: string, kind: string, cause: unknown) {
    super(message, { cause });
    this.kind = kind;
  }
}
