// Clients the doctor makes from a connection it already holds: no retries
// (a check wants the first answer), a limit on every request, and closed
// (connection pools destroyed) when the doctor ends.
import { ApiTransport } from '../client/api-transport.js';
import { Discovery } from '../client/discovery.js';
import { KubeClient } from '../client/kube-client.js';
import type { ClusterConnection } from '../credentials/cluster-connection.js';
import { silentLogger } from '../logging/logger.js';
import { RequestCredentials } from '../transport/request-credentials.js';
import { Upstream } from '../transport/upstream.js';

export interface DoctorClientOptions {
  timeoutMs: number;
  userAgent: string;
  /** Also stop the connection's token source on close (the doctor owns it). */
  ownsCredentials: boolean;
}

export function doctorClient(connection: ClusterConnection, options: DoctorClientOptions): KubeClient {
  const upstream = new Upstream(connection, { connectTimeoutMs: options.timeoutMs, headersTimeoutMs: options.timeoutMs });
  const credentials = new RequestCredentials(connection.auth, connection.impersonate);
  const transport = new ApiTransport({
    upstream, credentials, userAgent: options.userAgent, rateLimit: { qps: 0, burst: 0 },
    retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 }, timeoutMs: options.timeoutMs, logger: silentLogger,
  });
  return new KubeClient(transport, new Discovery(transport), {
    server: connection.origin + connection.serverPath,
    namespace: connection.namespace,
    source: connection.source,
    description: connection.description,
  }, async () => {
    if (options.ownsCredentials) credentials.close();
    await upstream.destroy();
  });
}

/** The same server and trust, no credentials: for what anyone may read (/livez, /readyz, /version). */
export function anonymous(connection: ClusterConnection): ClusterConnection {
  return { ...connection, auth: { type: 'none' }, impersonate: undefined, tls: { ...connection.tls, cert: undefined, key: undefined } };
}
