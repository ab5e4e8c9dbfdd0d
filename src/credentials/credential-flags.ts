// The connection-related flags kubectl users know (kubectl's global flags),
// as plain data. The CLI fills this in; resolve() turns it into a connection.
export interface CredentialFlags {
  kubeconfig?: string;
  context?: string;
  cluster?: string;
  user?: string;
  server?: string;
  token?: string;
  certificateAuthority?: string;
  clientCertificate?: string;
  clientKey?: string;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
  username?: string;
  password?: string;
  as?: string;
  asGroups?: string[];
  asUid?: string;
  namespace?: string;
  disableCompression?: boolean;
  /** Where the in-cluster token, ca.crt and namespace files live (default: the kubelet's mount). */
  serviceAccountDir?: string;
}
