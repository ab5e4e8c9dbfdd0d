// The resolved form of "how to reach and authenticate to one API server".
// Everything that reads kubeconfig files, environment variables or the
// service-account folder ends in this plain value; the transport, the proxy
// and the client only ever see a ClusterConnection.
import type { TokenSource } from './token-source.js';

export interface TlsSettings {
  /** PEM bundle to verify the server with; undefined means the system roots. */
  ca?: Buffer;
  /** Skip verification of the server certificate (kubeconfig insecure-skip-tls-verify). */
  insecureSkipVerify: boolean;
  /** Name used for SNI and verification instead of the host in the server URL. */
  serverName?: string;
  /** Client certificate and key (PEM). */
  cert?: Buffer;
  key?: Buffer;
}

export type Auth =
  | { type: 'none' }
  | { type: 'bearer'; tokens: TokenSource }
  | { type: 'basic'; username: string; password: string };

export interface Impersonation {
  user: string;
  groups: string[];
  uid?: string;
  extra: Record<string, string[]>;
}

/** Where the connection came from; shown by cluster-info, doctor and the logs. */
export type ConnectionOrigin = 'flags' | 'kubeconfig' | 'in-cluster' | 'ambassador';

export interface ClusterConnection {
  /** Scheme, host and port of the API server, e.g. https://10.0.0.1:443 (no path). */
  origin: string;
  /** Path part of the configured server URL ("" when none), for --append-server-path. */
  serverPath: string;
  tls: TlsSettings;
  auth: Auth;
  impersonate?: Impersonation;
  /** http, https or socks5 proxy to reach the API server through (kubeconfig proxy-url or HTTPS_PROXY). */
  proxyUrl?: string;
  /** Do not ask the API server for gzip (kubeconfig disable-compression). */
  disableCompression: boolean;
  /** The namespace a client uses when none is given. */
  namespace: string;
  source: ConnectionOrigin;
  /** A human description of the source, e.g. "kubeconfig /root/.kube/config, context kind-kind". Never a secret. */
  description: string;
  /** Startup warnings worth logging once (e.g. a missing ca.crt in-cluster). */
  warnings: string[];
}

/** A configuration problem found while resolving; the CLI prints it as one line and exits 1. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A connection that sends no credentials: an ambassador's URL, or an address known only from the in-cluster variables. */
export function unauthenticatedConnection(fields: {
  origin: string; serverPath?: string; tls?: TlsSettings; source: ConnectionOrigin; description: string; namespace?: string;
}): ClusterConnection {
  return {
    origin: fields.origin, serverPath: fields.serverPath ?? '', tls: fields.tls ?? { insecureSkipVerify: false },
    auth: { type: 'none' }, disableCompression: false, namespace: fields.namespace ?? 'default',
    source: fields.source, description: fields.description, warnings: [],
  };
}
