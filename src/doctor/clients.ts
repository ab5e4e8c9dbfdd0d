// Clients the doctor makes from a connection it already holds: no retries
// (a check wants the first answer), a limit on every request, and closed
// (connection pools destroyed) when the doctor ends.
import { clientFor } from '../client/connect.js';
import type { KubeClient } from '../client/kube-client.js';
import type { ClusterConnection } from '../credentials/cluster-connection.js';

export interface DoctorClientOptions {
  timeoutMs: number;
  userAgent: string;
}

export function doctorClient(connection: ClusterConnection, options: DoctorClientOptions): KubeClient {
  return clientFor(connection, {
    registry: null, // a private pool, destroyed when the doctor ends
    upstream: { connectTimeoutMs: options.timeoutMs, headersTimeoutMs: options.timeoutMs },
    rateLimit: { qps: 0, burst: 0 },
    retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
    timeoutMs: options.timeoutMs,
    userAgent: options.userAgent,
  });
}

/** The same server and trust, no credentials: for what anyone may read (/livez, /readyz, /version). */
export function anonymous(connection: ClusterConnection): ClusterConnection {
  return { ...connection, auth: { type: 'none' }, impersonate: undefined, tls: { ...connection.tls, cert: undefined, key: undefined } };
}
