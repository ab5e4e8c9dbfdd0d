// The headers that carry our identity on every request: Authorization
// (bearer or basic) and Impersonate-*. Shared by the proxy and the client.
import type { Auth, Impersonation } from '../credentials/cluster-connection.js';
import type { TokenState } from '../credentials/token-source.js';

export class RequestCredentials {
  readonly #auth: Auth;
  readonly #basic: string | undefined;
  /** Flat [name, value, ...] list, computed once. */
  readonly impersonationHeaders: string[];
  /** The same as a header object (repeated names as arrays), for undici requests. */
  readonly impersonationHeaderObject: Record<string, string | string[]>;

  constructor(auth: Auth, impersonate?: Impersonation) {
    this.#auth = auth;
    this.#basic = auth.type === 'basic'
      ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`
      : undefined;
    this.impersonationHeaders = impersonate ? impersonationHeaders(impersonate) : [];
    this.impersonationHeaderObject = {};
    for (let i = 0; i < this.impersonationHeaders.length; i += 2) {
      const name = this.impersonationHeaders[i]!.toLowerCase();
      const value = this.impersonationHeaders[i + 1]!;
      const prior = this.impersonationHeaderObject[name];
      this.impersonationHeaderObject[name] = prior === undefined ? value : ([] as string[]).concat(prior, value);
    }
  }

  #lastToken: string | undefined;
  #lastBearer: string | undefined;

  /**
   * The Authorization value when it is at hand without waiting: `{ value }`
   * (value undefined when we authenticate otherwise), or undefined when only
   * authorization() can tell.
   */
  authorizationNow(): { value: string | undefined } | undefined {
    if (this.#auth.type !== 'bearer') return { value: this.#basic };
    const token = this.#auth.tokens.cached?.();
    if (token === undefined) return undefined;
    if (token !== this.#lastToken) {
      this.#lastToken = token;
      this.#lastBearer = `Bearer ${token}`;
    }
    return { value: this.#lastBearer };
  }

  /** The Authorization value to send now, or undefined when we authenticate otherwise (client certificate, none). */
  async authorization(): Promise<string | undefined> {
    if (this.#auth.type === 'bearer') return `Bearer ${await this.#auth.tokens.token()}`;
    return this.#basic;
  }

  /** After a 401 to `used`: true when a different credential is now available. */
  async refreshAfterUnauthorized(used: string): Promise<boolean> {
    if (this.#auth.type !== 'bearer' || !used.startsWith('Bearer ')) return false;
    return this.#auth.tokens.refreshAfterUnauthorized(used.slice('Bearer '.length));
  }

  tokenState(): TokenState | undefined {
    return this.#auth.type === 'bearer' ? this.#auth.tokens.state() : undefined;
  }

  close(): void {
    if (this.#auth.type === 'bearer') this.#auth.tokens.close();
  }
}

function impersonationHeaders(imp: Impersonation): string[] {
  const out = ['Impersonate-User', imp.user];
  for (const group of imp.groups) out.push('Impersonate-Group', group);
  if (imp.uid) out.push('Impersonate-Uid', imp.uid);
  for (const [key, values] of Object.entries(imp.extra)) {
    for (const value of values) out.push(`Impersonate-Extra-${encodeURIComponent(key)}`, value);
  }
  return out;
}
