// kube-ambassador as a library: the client, and the pieces a program may
// want to compose itself (credentials, the proxy handler).
export * from './client/index.js';
export { resolveConnection, ConfigError, type ClusterConnection, type CredentialFlags } from './credentials/index.js';
export { version } from './version.js';
