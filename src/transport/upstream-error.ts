// What went wrong talking to the API server, in words a user can act on and
// with the HTTP status the proxy answers (502 cannot connect, 504 timed out).
import { CredentialsUnavailableError } from '../credentials/token-source.js';

export type UpstreamErrorKind =
  | 'refused' | 'reset' | 'unreachable' | 'dns' | 'timeout' | 'tls' | 'closed' | 'credentials' | 'other';

export interface UpstreamFailure {
  kind: UpstreamErrorKind;
  status: 502 | 503 | 504;
  message: string;
}

const tlsCodes = /^(ERR_TLS_|ERR_SSL_|UNABLE_TO_|CERT_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH|ERR_OSSL)/;

export function classifyUpstreamError(err: unknown, origin: string): UpstreamFailure {
  if (err instanceof CredentialsUnavailableError) {
    return { kind: 'credentials', status: 503, message: `no credentials for the API server: ${err.message}` };
  }
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = e?.code ?? e?.cause?.code ?? '';
  const detail = e?.message ?? String(err);
  const at = `the API server at ${origin}`;
  switch (code) {
    case 'ECONNREFUSED': return { kind: 'refused', status: 502, message: `cannot connect to ${at}: connection refused` };
    case 'ECONNRESET':
    case 'EPIPE': return { kind: 'reset', status: 502, message: `connection to ${at} was reset` };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL': return { kind: 'unreachable', status: 502, message: `cannot connect to ${at}: ${detail}` };
    case 'ENOTFOUND':
    case 'EAI_AGAIN': return { kind: 'dns', status: 502, message: `cannot resolve the host of ${at}: ${detail}` };
    case 'ETIMEDOUT':
    case 'UPSTREAM_CONNECT_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT': return { kind: 'timeout', status: 504, message: `timed out connecting to ${at} (TCP connect or TLS handshake)` };
    case 'UPSTREAM_HEADERS_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT': return { kind: 'timeout', status: 504, message: `timed out waiting for ${at} to answer` };
    case 'UPSTREAM_CLOSED':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED': return { kind: 'closed', status: 502, message: `${at} closed the connection before answering` };
  }
  if (tlsCodes.test(code)) {
    return { kind: 'tls', status: 502, message: `tls: failed to verify the certificate of ${at}: ${detail}` };
  }
  return { kind: 'other', status: 502, message: `error talking to ${at}: ${detail}` };
}
