// One place turns TlsSettings into socket options, so ordinary requests and
// upgrades verify the API server the same way (kubectl's upgrade path does not).
import { type ConnectionOptions, createSecureContext } from 'node:tls';
import type { TlsSettings } from '../credentials/cluster-connection.js';

/**
 * One secure context (CA, client certificate) per upstream, built once: given
 * ca/cert/key instead, Node would parse them again for every connection.
 */
export function tlsConnectionOptions(tls: TlsSettings): ConnectionOptions {
  return {
    secureContext: createSecureContext({ ca: tls.ca, cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }),
    rejectUnauthorized: !tls.insecureSkipVerify,
    servername: tls.serverName,
  };
}
