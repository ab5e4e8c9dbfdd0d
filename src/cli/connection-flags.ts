// The flags every command that talks to a cluster shares: kubectl's global
// connection flags, the service-account folder override, and logging.
import { homedir } from 'node:os';
import { type ClusterConnection, resolveConnection } from '../credentials/index.js';
import type { CredentialFlags } from '../credentials/credential-flags.js';
import { createLogger, type Logger, type LogFormat } from '../logging/logger.js';
import { type FlagSpec, type FlagValues, UsageError } from './flags.js';

export const connectionFlagSpecs: FlagSpec[] = [
  { name: 'kubeconfig', type: 'string', default: '', help: 'Path to the kubeconfig file to use for CLI requests.' },
  { name: 'context', type: 'string', default: '', help: 'The name of the kubeconfig context to use' },
  { name: 'cluster', type: 'string', default: '', help: 'The name of the kubeconfig cluster to use' },
  { name: 'user', type: 'string', default: '', help: 'The name of the kubeconfig user to use' },
  { name: 'server', short: 's', type: 'string', default: '', help: 'The address and port of the Kubernetes API server' },
  { name: 'token', type: 'string', default: '', help: 'Bearer token for authentication to the API server' },
  { name: 'certificate-authority', type: 'string', default: '', help: 'Path to a cert file for the certificate authority' },
  { name: 'client-certificate', type: 'string', default: '', help: 'Path to a client certificate file for TLS' },
  { name: 'client-key', type: 'string', default: '', help: 'Path to a client key file for TLS' },
  { name: 'insecure-skip-tls-verify', type: 'bool', default: false, help: "If true, the server's certificate will not be checked for validity" },
  { name: 'tls-server-name', type: 'string', default: '', help: 'Server name to use for server certificate validation' },
  { name: 'username', type: 'string', default: '', help: 'Username for basic authentication to the API server', hidden: true },
  { name: 'password', type: 'string', default: '', help: 'Password for basic authentication to the API server', hidden: true },
  { name: 'as', type: 'string', default: '', help: 'Username to impersonate for the operation' },
  { name: 'as-group', type: 'stringArray', default: [], help: 'Group to impersonate for the operation, repeatable' },
  { name: 'as-uid', type: 'string', default: '', help: 'UID to impersonate for the operation' },
  { name: 'namespace', short: 'n', type: 'string', default: '', help: 'The namespace scope for this request' },
  { name: 'disable-compression', type: 'bool', default: false, help: 'If true, opt-out of response compression for all requests to the server' },
  { name: 'service-account-dir', type: 'string', default: '', help: 'Folder with the in-cluster token, ca.crt and namespace (default $KUBE_AMBASSADOR_SERVICE_ACCOUNT_DIR or /var/run/secrets/kubernetes.io/serviceaccount)' },
  { name: 'log-format', type: 'string', default: 'text', help: 'Format of log lines on stderr: text or json' },
  { name: 'v', short: 'v', type: 'int', default: 0, help: 'Log verbosity: 0 info, 4 and above debug' },
];

export function credentialFlags(values: FlagValues): CredentialFlags {
  const str = (name: string) => (values[name] as string | undefined) || undefined;
  return {
    kubeconfig: str('kubeconfig'),
    context: str('context'),
    cluster: str('cluster'),
    user: str('user'),
    server: str('server'),
    token: str('token'),
    certificateAuthority: str('certificate-authority'),
    clientCertificate: str('client-certificate'),
    clientKey: str('client-key'),
    insecureSkipTlsVerify: values['insecure-skip-tls-verify'] === true ? true : undefined,
    tlsServerName: str('tls-server-name'),
    username: str('username'),
    password: str('password'),
    as: str('as'),
    asGroups: values['as-group'] as string[],
    asUid: str('as-uid'),
    namespace: str('namespace'),
    disableCompression: values['disable-compression'] === true ? true : undefined,
    serviceAccountDir: str('service-account-dir'),
  };
}

export function loggerFromFlags(values: FlagValues): Logger {
  const format = values['log-format'];
  if (format !== 'text' && format !== 'json') throw new UsageError(`--log-format must be text or json, not "${String(format)}"`);
  return createLogger({ format: format as LogFormat, level: (values.v as number) >= 4 ? 'debug' : 'info' });
}

export function connectionFromFlags(values: FlagValues, logger: Logger): ClusterConnection {
  const connection = resolveConnection({ flags: credentialFlags(values), env: process.env, homeDir: homedir(), logger });
  for (const warning of connection.warnings) logger.warn(warning);
  return connection;
}
