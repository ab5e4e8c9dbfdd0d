// In-cluster configuration: KUBERNETES_SERVICE_HOST/PORT and the
// service-account folder the kubelet mounts into every pod.
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../logging/logger.js';
import { type ClusterConnection, ConfigError, type Impersonation } from './cluster-connection.js';
import type { CredentialFlags } from './credential-flags.js';
import { FileTokenSource } from './file-token-source.js';
import { readPemFile } from './pem-files.js';
import { StaticTokenSource } from './token-source.js';

export const defaultServiceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

export function serviceAccountDir(flags: CredentialFlags, env: NodeJS.ProcessEnv): string {
  return flags.serviceAccountDir || env.KUBE_AMBASSADOR_SERVICE_ACCOUNT_DIR || defaultServiceAccountDir;
}

/** https://host:port with an IPv6 host bracketed (net.JoinHostPort). */
export function joinHostPort(host: string, port: string | number): string {
  const bare = host.replace(/^\[(.*)\]$/, '$1'); // tolerate an already-bracketed address
  return isIP(bare) === 6 || bare.includes(':') ? `[${bare}]:${port}` : `${bare}:${port}`;
}

/** client-go's rule: both variables set and a token file (not a folder) present. */
export function inClusterPossible(env: NodeJS.ProcessEnv, saDir: string): boolean {
  if (!env.KUBERNETES_SERVICE_HOST || !env.KUBERNETES_SERVICE_PORT) return false;
  try {
    return !statSync(join(saDir, 'token')).isDirectory();
  } catch {
    return false;
  }
}

export function podNamespace(env: NodeJS.ProcessEnv, saDir: string): string {
  if (env.POD_NAMESPACE) return env.POD_NAMESPACE;
  try {
    const ns = readFileSync(join(saDir, 'namespace'), 'utf8').trim();
    if (ns) return ns;
  } catch {
    // fall through to "default", as client-go does
  }
  return 'default';
}

export interface InClusterOptions {
  flags: CredentialFlags;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  impersonate?: Impersonation;
  watchTokenFile?: boolean;
}

export function inClusterConnection(options: InClusterOptions): ClusterConnection {
  const { flags, env } = options;
  const saDir = serviceAccountDir(flags, env);
  const warnings: string[] = [];
  const origin = flags.server
    ? new URL(flags.server).origin
    : `https://${joinHostPort(env.KUBERNETES_SERVICE_HOST!, env.KUBERNETES_SERVICE_PORT!)}`;
  try {
    new URL(origin);
  } catch {
    throw new ConfigError(`KUBERNETES_SERVICE_HOST/PORT (${env.KUBERNETES_SERVICE_HOST}, ${env.KUBERNETES_SERVICE_PORT}) do not make a valid URL: ${origin}`);
  }

  let ca: Buffer | undefined;
  if (flags.certificateAuthority) {
    ca = readPemFile(flags.certificateAuthority, 'certificate-authority');
  } else if (!flags.insecureSkipTlsVerify) {
    const caPath = join(saDir, 'ca.crt');
    try {
      ca = readFileSync(caPath);
    } catch (err) {
      // As client-go: carry on with the system roots. Unlike kubectl, never without verification.
      warnings.push(`cannot read ${caPath} (${(err as Error).message}); verifying the API server with the system roots`);
    }
  }

  const tokens = flags.token
    ? new StaticTokenSource(flags.token, '--token')
    : FileTokenSource.load(join(saDir, 'token'), { logger: options.logger, watch: options.watchTokenFile });

  return {
    origin,
    serverPath: '',
    tls: {
      ca,
      insecureSkipVerify: flags.insecureSkipTlsVerify === true,
      serverName: flags.tlsServerName || undefined,
    },
    auth: { type: 'bearer', tokens },
    impersonate: options.impersonate,
    disableCompression: flags.disableCompression === true,
    namespace: flags.namespace || podNamespace(env, saDir),
    source: 'in-cluster',
    description: `in-cluster, service account folder ${saDir}`,
    warnings,
  };
}
