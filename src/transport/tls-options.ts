// One place turns TlsSettings into socket options, so ordinary requests and
// upgrades verify the API server the same way (kubectl's upgrade path does not).
import type { ConnectionOptions } from 'node:tls';
import type { TlsSettings } from '../credentials/cluster-connection.js';

export function tlsConnectionOptions(tls: TlsSettings): ConnectionOptions {
  return {
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    rejectUnauthorized: !tls.insecureSkipVerify,
    servername: tls.serverName,
    minVersion: 'TLSv1.2',
  };
}
