// When a request is worth sending again: 429 (priority and fairness) and 5xx
// on idempotent requests, after the Retry-After the server asked for or an
// exponential, jittered backoff. client-go retries up to 10 times.

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** First backoff (ms) when the server gives no Retry-After. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 10, baseDelayMs: 200, maxDelayMs: 10_000 };

const idempotent = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** `retryable` lets a caller declare a non-idempotent request safe (e.g. a create that tolerates 409). */
export function shouldRetry(status: number, method: string, attempt: number, policy: RetryPolicy, retryable?: boolean): boolean {
  if (attempt >= policy.maxAttempts) return false;
  if (status !== 429 && !(status >= 500 && status !== 501)) return false;
  // A 429 means the request was not processed: always safe to repeat.
  return status === 429 || (retryable ?? idempotent.has(method.toUpperCase()));
}

export function retryDelay(attempt: number, retryAfter: string | undefined, policy: RetryPolicy, random = Math.random): number {
  const seconds = retryAfter !== undefined && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) : undefined;
  if (seconds !== undefined) return Math.min(seconds * 1000, policy.maxDelayMs * 6);
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}
