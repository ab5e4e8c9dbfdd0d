// A client-side token bucket (client-go's QPS and burst), so a busy program
// does not set off the API server's priority-and-fairness 429s.

export interface RateLimit {
  /** Sustained requests per second; 0 or less turns limiting off. */
  qps: number;
  /** Requests allowed at once after a quiet spell. */
  burst: number;
}

export class TokenBucket {
  readonly #qps: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  constructor(limit: RateLimit, now: () => number = Date.now) {
    this.#qps = limit.qps;
    this.#burst = Math.max(1, limit.burst);
    this.#now = now;
    this.#tokens = this.#burst;
    this.#last = now();
  }

  /** Milliseconds to wait before the next request may go; takes its token. */
  reserve(): number {
    if (this.#qps <= 0) return 0;
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#qps);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.#qps) * 1000);
  }

  async take(signal?: AbortSignal): Promise<void> {
    const wait = this.reserve();
    if (wait > 0) await sleep(wait, signal);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(timer); reject(signal!.reason); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
