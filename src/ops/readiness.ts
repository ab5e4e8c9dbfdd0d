// Readiness of the ambassador: credentials loaded, the token not expired, and
// the API server answering us (recently, or to a probe made now). A revoked
// token shows here as a 401 from the probe.
import type { TokenState } from '../credentials/token-source.js';
import type { RequestCredentials } from '../transport/request-credentials.js';
import type { Upstream } from '../transport/upstream.js';
import { classifyUpstreamError } from '../transport/upstream-error.js';

export interface ReadinessCheck {
  name: string;
  ok: boolean;
  message?: string;
}

export interface ReadinessOptions {
  tokenState: () => TokenState | undefined;
  /** Asks the API server something cheap with our credentials; resolves to its status or rejects. */
  probe: () => Promise<number>;
  /** A success this recent counts without a new probe (ms). */
  freshMs?: number;
  now?: () => number;
}

export class Readiness {
  readonly #o: ReadinessOptions;
  #lastSuccess = 0;
  #lastFailure = 0;
  #lastFailureMessage = '';

  constructor(options: ReadinessOptions) {
    this.#o = options;
  }

  /** Called for each answer the API server gave a proxied request. */
  upstreamAnswered(status: number): void {
    if (status === 401) this.#failed('the API server answered 401 Unauthorized: the token is not accepted');
    else this.#lastSuccess = this.#now();
  }

  /** Called when the API server could not be reached. */
  upstreamFailed(message: string): void {
    this.#failed(message);
  }

  async check(): Promise<ReadinessCheck[]> {
    const checks: ReadinessCheck[] = [];
    const state = this.#o.tokenState();
    if (state) {
      checks.push(state.loaded
        ? { name: 'credentials', ok: true }
        : { name: 'credentials', ok: false, message: state.lastError ?? 'no token loaded yet' });
      const expired = state.expiresAt && state.expiresAt.getTime() <= this.#now();
      checks.push(expired
        ? { name: 'token-expiry', ok: false, message: `the token expired at ${state.expiresAt!.toISOString()}` }
        : { name: 'token-expiry', ok: true });
    }
    checks.push(await this.#apiServer());
    return checks;
  }

  async #apiServer(): Promise<ReadinessCheck> {
    const fresh = this.#o.freshMs ?? 10_000;
    if (this.#lastSuccess > this.#lastFailure && this.#now() - this.#lastSuccess < fresh) return { name: 'apiserver', ok: true };
    try {
      const status = await this.#o.probe();
      this.upstreamAnswered(status);
      if (status === 401) return { name: 'apiserver', ok: false, message: this.#lastFailureMessage };
      if (status >= 500) return { name: 'apiserver', ok: false, message: `the API server answered ${status}` };
      return { name: 'apiserver', ok: true };
    } catch (err) {
      this.upstreamFailed((err as Error).message);
      return { name: 'apiserver', ok: false, message: (err as Error).message };
    }
  }

  #failed(message: string): void {
    this.#lastFailure = this.#now();
    this.#lastFailureMessage = message;
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }
}

/** The probe the ambassador uses: GET /readyz on the API server with our credentials. */
export function apiServerProbe(upstream: Upstream, credentials: RequestCredentials, timeoutMs = 3000): () => Promise<number> {
  return async () => {
    const authorization = await credentials.authorization();
    const send = async (auth: string | undefined) => {
      const headers: Record<string, string | string[]> = { accept: 'text/plain', ...credentials.impersonationHeaderObject };
      if (auth) headers.authorization = auth;
      const res = await (await upstream.dispatcher(false)).request({
        origin: upstream.origin, path: `${upstream.connection.serverPath.replace(/\/$/, '')}/readyz`, method: 'GET', headers,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body.dump();
      return res.statusCode;
    };
    let status: number;
    try {
      status = await send(authorization);
    } catch (err) {
      throw new Error(classifyUpstreamError(err, upstream.connection.origin).message);
    }
    // A rotated token file: re-read once, as the proxy does for requests.
    if (status === 401 && authorization && await credentials.refreshAfterUnauthorized(authorization)) {
      return send(await credentials.authorization());
    }
    return status;
  };
}
