// classifyUpstreamError (src/transport/upstream-error.ts): what the proxy
// answers when the API server cannot be reached. Our Status-JSON answers use
// 502/503/504 (kubectl always says 500: a deliberate difference, README).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { errors } from 'undici';
import { CredentialsUnavailableError } from '../../src/credentials/token-source.js';
import { classifyUpstreamError, type UpstreamFailure } from '../../src/transport/upstream-error.js';

const origin = 'https://10.0.0.1:6443';
const at = `the API server at ${origin}`;

/** A Node system/TLS error as net, dns and tls raise them. */
function nodeError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

describe('classifyUpstreamError', () => {
  const rows: { name: string; err: unknown; want: UpstreamFailure | Omit<UpstreamFailure, 'message'> & { message: RegExp } }[] = [
    { name: 'connection refused', err: nodeError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:6443'), want: { kind: 'refused', status: 502, message: `cannot connect to ${at}: connection refused` } },
    { name: 'connection reset', err: nodeError('ECONNRESET', 'read ECONNRESET'), want: { kind: 'reset', status: 502, message: `connection to ${at} was reset` } },
    { name: 'broken pipe', err: nodeError('EPIPE', 'write EPIPE'), want: { kind: 'reset', status: 502, message: `connection to ${at} was reset` } },
    { name: 'host unreachable', err: nodeError('EHOSTUNREACH', 'connect EHOSTUNREACH 10.0.0.1:6443'), want: { kind: 'unreachable', status: 502, message: `cannot connect to ${at}: connect EHOSTUNREACH 10.0.0.1:6443` } },
    { name: 'network unreachable', err: nodeError('ENETUNREACH', 'connect ENETUNREACH'), want: { kind: 'unreachable', status: 502, message: /^cannot connect to / } },
    { name: 'DNS: no such host', err: nodeError('ENOTFOUND', 'getaddrinfo ENOTFOUND api.invalid'), want: { kind: 'dns', status: 502, message: `cannot resolve the host of ${at}: getaddrinfo ENOTFOUND api.invalid` } },
    { name: 'DNS: temporary failure', err: nodeError('EAI_AGAIN', 'getaddrinfo EAI_AGAIN api'), want: { kind: 'dns', status: 502, message: /^cannot resolve the host of / } },
    { name: 'TCP connect timeout (ETIMEDOUT)', err: nodeError('ETIMEDOUT', 'connect ETIMEDOUT'), want: { kind: 'timeout', status: 504, message: `timed out connecting to ${at} (TCP connect or TLS handshake)` } },
    { name: 'undici connect timeout', err: new errors.ConnectTimeoutError(), want: { kind: 'timeout', status: 504, message: `timed out connecting to ${at} (TCP connect or TLS handshake)` } },
    { name: 'undici headers timeout', err: new errors.HeadersTimeoutError(), want: { kind: 'timeout', status: 504, message: `timed out waiting for ${at} to answer` } },
    { name: 'undici socket closed', err: new errors.SocketError('other side closed'), want: { kind: 'closed', status: 502, message: `${at} closed the connection before answering` } },
    { name: 'undici client closed', err: new errors.ClientClosedError(), want: { kind: 'closed', status: 502, message: `${at} closed the connection before answering` } },
    {
      name: 'TLS: unknown issuer (UNABLE_TO_VERIFY_LEAF_SIGNATURE)', err: nodeError('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'),
      want: { kind: 'tls', status: 502, message: `tls: failed to verify the certificate of ${at}: unable to verify the first certificate` },
    },
    {
      name: 'TLS: wrong name (ERR_TLS_CERT_ALTNAME_INVALID)', err: nodeError('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames: IP: 10.0.0.1 is not in the cert's list: "),
      want: { kind: 'tls', status: 502, message: /^tls: failed to verify the certificate of the API server at https:\/\/10\.0\.0\.1:6443: Hostname\/IP does not match/ },
    },
    { name: 'TLS: self-signed', err: nodeError('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), want: { kind: 'tls', status: 502, message: /self-signed certificate$/ } },
    { name: 'TLS: self-signed in chain', err: nodeError('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'), want: { kind: 'tls', status: 502, message: /^tls: / } },
    { name: 'TLS: expired', err: nodeError('CERT_HAS_EXPIRED', 'certificate has expired'), want: { kind: 'tls', status: 502, message: /certificate has expired$/ } },
    { name: 'TLS: not TLS at all', err: nodeError('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number'), want: { kind: 'tls', status: 502, message: /^tls: / } },
    { name: 'no credentials', err: new CredentialsUnavailableError('getting credentials: exec: executable kubelogin not found'), want: { kind: 'credentials', status: 503, message: 'no credentials for the API server: getting credentials: exec: executable kubelogin not found' } },
    { name: 'the code of a wrapped cause counts', err: new TypeError('fetch failed', { cause: nodeError('ECONNREFUSED', 'connect ECONNREFUSED') }), want: { kind: 'refused', status: 502, message: /connection refused$/ } },
    { name: 'anything else', err: new Error('something odd'), want: { kind: 'other', status: 502, message: `error talking to ${at}: something odd` } },
    { name: 'a thrown string', err: 'boom', want: { kind: 'other', status: 502, message: `error talking to ${at}: boom` } },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const got = classifyUpstreamError(row.err, origin);
      assert.equal(got.kind, row.want.kind);
      assert.equal(got.status, row.want.status);
      if (row.want.message instanceof RegExp) assert.match(got.message, row.want.message);
      else assert.equal(got.message, row.want.message);
    });
  }

  test('a credentials error wins even when it carries a code', () => {
    const err = Object.assign(new CredentialsUnavailableError('x'), { code: 'ECONNREFUSED' });
    assert.equal(classifyUpstreamError(err, origin).status, 503);
  });
});
