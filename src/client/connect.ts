// connect(): find the API server as the proxy does — kubeconfig, then
// in-cluster — or talk to an ambassador (http://localhost:8001: no TLS, no
// token), and hand back a client on a shared connection pool.
import { homedir } from 'node:os';
import type { ClusterConnection } from '../credentials/cluster-connection.js';
import type { CredentialFlags } from '../credentials/credential-flags.js';
import { podNamespace, serviceAccountDir } from '../credentials/in-cluster.js';
import { resolveConnection } from '../credentials/resolve.js';
import { type Logger, silentLogger } from '../logging/logger.js';
import { defaultRegistry, type UpstreamRegistry } from '../transport/shared-upstreams.js';
import { RequestCredentials } from '../transport/request-credentials.js';
import { Upstream, type UpstreamOptions } from '../transport/upstream.js';
import { defaultUserAgent } from '../version.js';
import { ApiTransport } from './api-transport.js';
import { Discovery } from './discovery.js';
import { KubeClient } from './kube-client.js';
import type { RateLimit } from './rate-limiter.js';
import type { RetryPolicy } from './retry.js';

/** How a client behaves, whatever the connection. */
export interface ClientOptions {
  /** Default 50 requests/s with bursts of 100; `{ qps: 0, burst: 0 }` turns it off. */
  rateLimit?: RateLimit;
  retry?: RetryPolicy;
  /** Limit on a whole non-streaming request (ms), default 60 s. */
  timeoutMs?: number;
  userAgent?: string;
  logger?: Logger;
  upstream?: UpstreamOptions;
  /**
   * Clients with the same registry, cluster and identity share connections (default: one
   * registry per process). null: a private pool, destroyed when the client closes.
   */
  registry?: UpstreamRegistry | null;
}

export interface ConnectOptions extends CredentialFlags, ClientOptions {
  /** Use an ambassador: true means http://127.0.0.1:8001, or give its URL. Same as `server` with an http URL. */
  ambassador?: boolean | string;
  /** Where to look for kubeconfig and in-cluster variables (default: this process). */
  env?: NodeJS.ProcessEnv;
  homeDir?: string;
}

export async function connect(options: ConnectOptions = {}): Promise<KubeClient> {
  const logger = options.logger ?? silentLogger;
  const ambassador = options.ambassador === true ? 'http://127.0.0.1:8001' : options.ambassador || undefined;
  const flags: CredentialFlags = { ...options, server: ambassador ?? options.server };
  const env = options.env ?? process.env;
  let connection: ClusterConnection = resolveConnection({ flags, env, homeDir: options.homeDir ?? homedir(), logger });
  if (ambassador) {
    // The app's own namespace, as in-cluster: POD_NAMESPACE, the service-account folder, else default.
    const namespace = options.namespace || podNamespace(env, serviceAccountDir(options, env));
    connection = { ...connection, namespace, source: 'ambassador', description: `ambassador at ${ambassador}` };
  }
  for (const warning of connection.warnings) logger.warn(warning);

  return clientFor(connection, options);
}

/** A client on a connection already resolved (connect() resolves one from kubeconfig or in-cluster). */
export function clientFor(connection: ClusterConnection, options: ClientOptions = {}): KubeClient {
  let upstream: Upstream;
  let credentials: RequestCredentials;
  let release: () => Promise<void>;
  if (options.registry === null) {
    upstream = new Upstream(connection, options.upstream);
    credentials = new RequestCredentials(connection.auth, connection.impersonate);
    release = async () => { credentials.close(); await upstream.destroy(); };
  } else {
    const shared = (options.registry ?? defaultRegistry).acquire(connection, options.upstream);
    ({ upstream, credentials, release } = shared);
  }
  const transport = new ApiTransport({
    upstream,
    credentials,
    userAgent: options.userAgent ?? defaultUserAgent('kube-ambassador-client'),
    rateLimit: options.rateLimit ?? { qps: 50, burst: 100 },
    retry: options.retry,
    timeoutMs: options.timeoutMs ?? 60_000,
    logger: options.logger ?? silentLogger,
  });
  return new KubeClient(transport, new Discovery(transport), {
    server: connection.origin + connection.serverPath,
    namespace: connection.namespace,
    source: connection.source,
    description: connection.description,
  }, release);
}
