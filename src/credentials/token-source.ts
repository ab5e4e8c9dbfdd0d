// Where a bearer token comes from. The proxy and the client ask for the
// current token on every request; a source decides when to re-read it.
import { createHash } from 'node:crypto';

export interface TokenSource {
  /** Stable and non-secret: equal for sources that yield the same tokens (shared connection pools key on it). */
  readonly identity: string;
  /** The token to send now. Throws CredentialsUnavailableError when none can be had. */
  token(): Promise<string>;
  /** The token when it is at hand without any I/O (fresh and cached), else undefined: the proxy's fast path. */
  cached?(): string | undefined;
  /**
   * The API server answered 401 to a request that carried `used`. Re-read the
   * origin now; true when a different token is available (worth one retry).
   */
  refreshAfterUnauthorized(used: string): Promise<boolean>;
  /** What is known about the current token, for /readyz and metrics. */
  state(): TokenState;
  /** Stop watching files or timers. */
  close(): void;
}

export interface TokenState {
  /** A non-secret description, e.g. "token file /var/run/secrets/.../token". */
  description: string;
  /** When the current token expires, if known (JWT exp or exec expirationTimestamp). */
  expiresAt?: Date;
  /** The last failure to obtain a token, if the last attempt failed. */
  lastError?: string;
  /** How many times a different token was picked up after the first. */
  reloads: number;
  /** Whether a token has ever been obtained. */
  loaded: boolean;
}

/** No token can be had right now (unreadable file, failing exec plugin). The proxy answers 503. */
export class CredentialsUnavailableError extends Error {
  override name = 'CredentialsUnavailableError';
}

/** A token given on the command line or inline in a kubeconfig: never changes. */
export class StaticTokenSource implements TokenSource {
  readonly identity: string;
  readonly #token: string;
  readonly #description: string;
  constructor(token: string, description: string) {
    this.#token = token;
    this.#description = description;
    this.identity = `static:${createHash('sha256').update(token).digest('hex').slice(0, 16)}`;
  }
  async token(): Promise<string> { return this.#token; }
  cached(): string { return this.#token; }
  async refreshAfterUnauthorized(): Promise<boolean> { return false; }
  state(): TokenState {
    return { description: this.#description, expiresAt: jwtExpiry(this.#token), reloads: 0, loaded: true };
  }
  close(): void {}
}

export interface JwtClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  iat?: number;
  nbf?: number;
  [claim: string]: unknown;
}

/** The claims of a JWT, decoded without verifying anything; undefined when it is not a JWT. */
export function decodeJwtClaims(token: string): JwtClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return claims !== null && typeof claims === 'object' ? claims as JwtClaims : undefined;
  } catch {
    return undefined;
  }
}

export function jwtExpiry(token: string): Date | undefined {
  const exp = decodeJwtClaims(token)?.exp;
  return typeof exp === 'number' ? new Date(exp * 1000) : undefined;
}
