// One upstream (connection pools and credentials) per cluster and identity,
// shared by every client that resolves to the same pair, released when the
// last one closes.
import { createHash } from 'node:crypto';
import type { ClusterConnection } from '../credentials/cluster-connection.js';
import { RequestCredentials } from './request-credentials.js';
import { Upstream, type UpstreamOptions } from './upstream.js';

export interface SharedUpstream {
  upstream: Upstream;
  credentials: RequestCredentials;
  release(): Promise<void>;
}

interface Entry {
  upstream: Upstream;
  credentials: RequestCredentials;
  users: number;
}

export class UpstreamRegistry {
  readonly #entries = new Map<string, Entry>();

  acquire(connection: ClusterConnection, options?: UpstreamOptions): SharedUpstream {
    const key = identityKey(connection);
    let entry = this.#entries.get(key);
    if (entry) {
      // Same cluster and identity: the existing token source already follows the file.
      if (connection.auth.type === 'bearer' && entry.credentials.tokenState() !== undefined) connection.auth.tokens.close();
    } else {
      entry = {
        upstream: new Upstream(connection, options),
        credentials: new RequestCredentials(connection.auth, connection.impersonate),
        users: 0,
      };
      this.#entries.set(key, entry);
    }
    entry.users++;
    let released = false;
    const held = entry;
    return {
      upstream: held.upstream,
      credentials: held.credentials,
      release: async () => {
        if (released) return;
        released = true;
        if (--held.users > 0) return;
        this.#entries.delete(key);
        held.credentials.close();
        // close() waits for requests in flight; a watch nobody ended could hold it for minutes.
        let timer: NodeJS.Timeout | undefined;
        const graceful = await Promise.race([
          held.upstream.close().then(() => true),
          new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), 2000); }),
        ]);
        clearTimeout(timer);
        if (!graceful) await held.upstream.destroy();
      },
    };
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** Cluster (origin and server path, trust, proxy) plus identity (credential origin, client cert, impersonation). */
export function identityKey(c: ClusterConnection): string {
  const hash = (b?: Buffer | string) => (b ? createHash('sha256').update(b).digest('hex').slice(0, 16) : '-');
  const auth = c.auth.type === 'bearer' ? `bearer:${hash(c.auth.tokens.identity)}`
    : c.auth.type === 'basic' ? `basic:${hash(`${c.auth.username}:${c.auth.password}`)}` : 'none';
  return [
    c.origin + c.serverPath, c.tls.serverName ?? '', hash(c.tls.ca), c.tls.insecureSkipVerify, hash(c.tls.cert), c.proxyUrl ?? '',
    auth, c.impersonate ? hash(JSON.stringify(c.impersonate)) : '-',
  ].join('|');
}

/** The registry clients share unless they are given their own. */
export const defaultRegistry = new UpstreamRegistry();
