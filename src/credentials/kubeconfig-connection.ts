// From a merged kubeconfig plus the command-line overrides to a connection:
// which context, cluster and user, and the client-go override rules.
import type { Logger } from '../logging/logger.js';
import { type Auth, type ClusterConnection, ConfigError, type Impersonation } from './cluster-connection.js';
import type { CredentialFlags } from './credential-flags.js';
import { type ExecClusterInfo, ExecTokenSource } from './exec-plugin.js';
import { FileTokenSource } from './file-token-source.js';
import type { Kubeconfig, KubeconfigCluster, KubeconfigUser } from './kubeconfig.js';
import { decodePemData, readPemFile } from './pem-files.js';
import { StaticTokenSource } from './token-source.js';

export interface KubeconfigConnectionOptions {
  config: Kubeconfig;
  flags: CredentialFlags;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  watchTokenFile?: boolean;
}

/**
 * The connection the kubeconfig and flags describe, or undefined when they
 * name no server at all (an "empty" config: the caller tries in-cluster next).
 */
export function kubeconfigConnection(options: KubeconfigConnectionOptions): ClusterConnection | undefined {
  const { config, flags } = options;
  const contextName = flags.context || config.currentContext;
  const context = contextName ? config.contexts.get(contextName) : undefined;
  if (flags.context && !context) throw new ConfigError(`context "${flags.context}" does not exist`);

  const clusterName = flags.cluster || context?.cluster;
  const userName = flags.user || context?.user;
  const cluster: KubeconfigCluster | undefined = clusterName ? config.clusters.get(clusterName) : undefined;
  if (flags.cluster && !cluster) throw new ConfigError(`cluster "${flags.cluster}" does not exist`);
  const user: KubeconfigUser = (userName ? config.users.get(userName) : undefined) ?? {};
  if (flags.user && !config.users.has(flags.user)) throw new ConfigError(`auth info "${flags.user}" does not exist`);

  const server = flags.server || cluster?.server;
  if (!server) {
    if (context && clusterName && !cluster) {
      throw new ConfigError(`context "${contextName}" uses cluster "${clusterName}", which does not exist`);
    }
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new ConfigError(`invalid server URL "${server}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`server URL "${server}" must use https or http`);
  }

  // Override rules of client-go's clientcmd (client_config.go).
  const caFlag = flags.certificateAuthority;
  const insecure = flags.insecureSkipTlsVerify ?? (caFlag ? false : cluster?.['insecure-skip-tls-verify'] === true);
  let ca: Buffer | undefined;
  if (caFlag) ca = readPemFile(caFlag, 'certificate-authority');
  else if (!flags.insecureSkipTlsVerify && cluster?.['certificate-authority']) {
    ca = readPemFile(cluster['certificate-authority'], 'certificate-authority');
  } else if (!flags.insecureSkipTlsVerify && cluster?.['certificate-authority-data']) {
    ca = decodePemData(cluster['certificate-authority-data'], `certificate-authority-data of cluster "${clusterName}"`);
  }
  if (insecure && ca) throw new ConfigError('specifying a root certificates file with the insecure flag is not allowed');
  const serverName = flags.tlsServerName || (flags.server ? undefined : cluster?.['tls-server-name']) || undefined;

  const proxyUrl = cluster?.['proxy-url'];
  if (proxyUrl && !/^(https?|socks5):\/\//.test(proxyUrl)) {
    throw new ConfigError(`unsupported scheme for proxy-url "${proxyUrl}", must be http, https, or socks5`);
  }

  // client-go applies user credentials only to https servers.
  const https = url.protocol === 'https:';
  const cert = https ? clientCertificate(flags, user, userName) : undefined;
  const auth = https ? userAuth(options, user, userName, { server, cluster, ca, insecure, serverName }) : { type: 'none' as const };

  const path = url.pathname === '/' ? '' : url.pathname;
  const where = config.files.length > 0 ? `kubeconfig ${config.files.join(':')}` : 'command-line flags';
  return {
    origin: url.origin,
    serverPath: path,
    tls: { ca, insecureSkipVerify: insecure, serverName, cert: cert?.cert, key: cert?.key },
    auth,
    impersonate: impersonation(flags, user),
    proxyUrl: proxyUrl || undefined,
    disableCompression: flags.disableCompression ?? cluster?.['disable-compression'] === true,
    namespace: flags.namespace || context?.namespace || 'default',
    source: config.files.length > 0 ? 'kubeconfig' : 'flags',
    description: contextName && context ? `${where}, context ${contextName}` : where,
    warnings: [],
  };
}

function clientCertificate(flags: CredentialFlags, user: KubeconfigUser, userName?: string): { cert: Buffer; key: Buffer } | undefined {
  const cert = flags.clientCertificate ? readPemFile(flags.clientCertificate, 'client-certificate')
    : user['client-certificate'] ? readPemFile(user['client-certificate'], 'client-certificate')
      : user['client-certificate-data'] ? decodePemData(user['client-certificate-data'], `client-certificate-data of user "${userName}"`)
        : undefined;
  const key = flags.clientKey ? readPemFile(flags.clientKey, 'client-key')
    : user['client-key'] ? readPemFile(user['client-key'], 'client-key')
      : user['client-key-data'] ? decodePemData(user['client-key-data'], `client-key-data of user "${userName}"`)
        : undefined;
  if (!cert && !key) return undefined;
  if (!cert || !key) {
    throw new ConfigError(`user "${userName ?? ''}" has a client ${cert ? 'certificate without a key' : 'key without a certificate'}`);
  }
  return { cert, key };
}

interface ClusterFacts {
  server: string;
  cluster?: KubeconfigCluster;
  ca?: Buffer;
  insecure: boolean;
  serverName?: string;
}

function userAuth(options: KubeconfigConnectionOptions, user: KubeconfigUser, userName: string | undefined, facts: ClusterFacts): Auth {
  const { flags, logger } = options;
  const token = flags.token || user.token;
  const tokenFile = flags.token ? undefined : user.tokenFile;
  const username = flags.username || user.username;
  const password = flags.password || user.password;
  const methods = [token || tokenFile ? 'token' : '', username || password ? 'basicAuth' : ''].filter(Boolean);
  if (methods.length > 1) {
    throw new ConfigError(`more than one authentication method found for ${userName ?? 'the user'}; found [${methods.join(' ')}], only one is allowed`);
  }
  if (tokenFile) {
    // The file wins once it has been read (client-go); a token beside it stands in until then.
    return { type: 'bearer', tokens: FileTokenSource.load(tokenFile, { logger, watch: options.watchTokenFile, fallback: user.token }) };
  }
  if (token) return { type: 'bearer', tokens: new StaticTokenSource(token, flags.token ? '--token' : `token of user "${userName}"`) };
  if (username || password) return { type: 'basic', username: username ?? '', password: password ?? '' };
  if (user.exec && !flags.clientCertificate && !user['client-certificate'] && !user['client-certificate-data']) {
    const cluster: ExecClusterInfo = {
      server: facts.server,
      ...(facts.serverName ? { 'tls-server-name': facts.serverName } : {}),
      ...(facts.insecure ? { 'insecure-skip-tls-verify': true } : {}),
      ...(facts.ca ? { 'certificate-authority-data': facts.ca.toString('base64') } : {}),
      ...(facts.cluster?.['proxy-url'] ? { 'proxy-url': facts.cluster['proxy-url'] } : {}),
      config: facts.cluster?.extensions?.find((e) => e.name === 'client.authentication.k8s.io/exec')?.extension,
    };
    return { type: 'bearer', tokens: new ExecTokenSource(user.exec, { logger, env: options.env, cluster }) };
  }
  if (user['auth-provider']) {
    throw new ConfigError(`auth-provider "${user['auth-provider'].name}" is not supported; use an exec credential plugin (kubelogin for oidc)`);
  }
  return { type: 'none' };
}

function impersonation(flags: CredentialFlags, user: KubeconfigUser): Impersonation | undefined {
  const name = flags.as || user.as;
  const groups = flags.asGroups?.length ? flags.asGroups : user['as-groups'] ?? [];
  const uid = flags.asUid || user['as-uid'];
  const extra = user['as-user-extra'] ?? {};
  if (!name) {
    if (groups.length > 0 || uid) throw new ConfigError('requesting uid or groups for impersonation requires specifying a user with --as');
    return undefined;
  }
  return { user: name, groups, uid: uid || undefined, extra };
}

export { impersonation as impersonationFromFlags };
