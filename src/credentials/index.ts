export type { Auth, ClusterConnection, ConnectionOrigin, Impersonation, TlsSettings } from './cluster-connection.js';
export { ConfigError } from './cluster-connection.js';
export type { CredentialFlags } from './credential-flags.js';
export { resolveConnection, type ResolveOptions } from './resolve.js';
export { CredentialsUnavailableError, decodeJwtClaims, StaticTokenSource, type JwtClaims, type TokenSource, type TokenState } from './token-source.js';
export { FileTokenSource } from './file-token-source.js';
export { ExecTokenSource } from './exec-plugin.js';
export { defaultServiceAccountDir, inClusterPossible, joinHostPort, serviceAccountDir } from './in-cluster.js';
