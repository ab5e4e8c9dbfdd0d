// resolve(): kubectl's order — explicit flags and kubeconfig, then in-cluster.
// Unlike kubectl, nothing configured is an error, not http://localhost:8080.
import type { Logger } from '../logging/logger.js';
import { type ClusterConnection, ConfigError } from './cluster-connection.js';
import type { CredentialFlags } from './credential-flags.js';
import { inClusterConnection, inClusterPossible, serviceAccountDir } from './in-cluster.js';
import { loadKubeconfig } from './kubeconfig.js';
import { impersonationFromFlags, kubeconfigConnection } from './kubeconfig-connection.js';
import { proxyFromEnvironment } from './proxy-environment.js';

export interface ResolveOptions {
  flags: CredentialFlags;
  env: NodeJS.ProcessEnv;
  homeDir: string;
  logger: Logger;
  /** Watch token files for changes (default true). */
  watchTokenFile?: boolean;
}

export function resolveConnection(options: ResolveOptions): ClusterConnection {
  const { flags, env } = options;
  if (flags.certificateAuthority && flags.insecureSkipTlsVerify) {
    throw new ConfigError('specifying a root certificates file with the insecure flag is not allowed');
  }
  const config = loadKubeconfig({ explicitPath: flags.kubeconfig, env, homeDir: options.homeDir });
  let connection = kubeconfigConnection({ config, flags, env, logger: options.logger, watchTokenFile: options.watchTokenFile });
  if (!connection) {
    const saDir = serviceAccountDir(flags, env);
    if (!inClusterPossible(env, saDir)) {
      throw new ConfigError(config.files.length > 0
        ? `the kubeconfig (${config.files.join(':')}) names no current context with a server; pass --context or --server`
        : 'no cluster configured: set KUBECONFIG or --kubeconfig, pass --server, or run in a pod with a service-account token (KUBERNETES_SERVICE_HOST/PORT)');
    }
    connection = inClusterConnection({
      flags, env, logger: options.logger, impersonate: impersonationFromFlags(flags, {}), watchTokenFile: options.watchTokenFile,
    });
  }
  if (!connection.proxyUrl) {
    const proxyUrl = proxyFromEnvironment(connection.origin, env);
    if (proxyUrl) connection = { ...connection, proxyUrl };
  }
  return connection;
}
