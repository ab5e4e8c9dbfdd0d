// 5. TLS: is it the API server, not an impostor? The chain is verified
// against the trusted CA (ca.crt in a pod) for the name actually dialled —
// the address in KUBERNETES_SERVICE_HOST, the kubeconfig's host, or
// tls-server-name — and a failure says which names the certificate has and
// which CA it came from.
import { isIP } from 'node:net';
import { checkServerIdentity, connect, type PeerCertificate } from 'node:tls';
import type { TlsSettings } from '../credentials/cluster-connection.js';
import { type DoctorCheck, errorCode, fail, isoTime, pass, skip, warn } from './check.js';
import { oneLine, pemCertificates, subjectAltNames } from './certificates.js';

export interface TlsProbeResult {
  /** The handshake completed (whatever the verification said). */
  handshake: boolean;
  failure?: 'timeout' | 'not-tls' | 'reset' | 'other';
  message?: string;
  /** OpenSSL's verdict on the chain against the trusted CA (e.g. UNABLE_TO_VERIFY_LEAF_SIGNATURE). */
  chainError?: string;
  /** The name the certificate was checked against, and the mismatch if any. */
  name: string;
  nameError?: string;
  subject?: string;
  issuer?: string;
  names: string[];
  validTo?: number;
  protocol?: string;
}

export function tlsProbe(host: string, port: number, tls: TlsSettings, timeoutMs: number): Promise<TlsProbeResult> {
  const name = tls.serverName || host;
  return new Promise((resolve) => {
    const socket = connect({
      host, port,
      servername: isIP(name) ? undefined : name, // SNI carries names only
      ca: tls.ca,
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined, // checked below, apart from the chain
      minVersion: 'TLSv1.2',
    });
    const done = (result: Omit<TlsProbeResult, 'name'>) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ name, ...result });
    };
    const timer = setTimeout(() => done({ handshake: false, failure: 'timeout', message: `no TLS handshake within ${timeoutMs} ms`, names: [] }), timeoutMs);
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate(false) as PeerCertificate;
      const identity = cert && Object.keys(cert).length > 0 ? checkServerIdentity(name, cert) : new Error('no certificate');
      done({
        handshake: true,
        chainError: socket.authorizationError ? String(socket.authorizationError) : undefined,
        nameError: identity?.message,
        subject: oneLine(Object.entries(cert.subject ?? {}).map(([k, v]) => `${k}=${v}`).join('\n')),
        issuer: oneLine(Object.entries(cert.issuer ?? {}).map(([k, v]) => `${k}=${v}`).join('\n')),
        names: subjectAltNames(cert.subjectaltname),
        validTo: cert.valid_to ? Date.parse(cert.valid_to) : undefined,
        protocol: socket.getProtocol() ?? undefined,
      });
    });
    socket.once('error', (err) => {
      const code = errorCode(err);
      const notTls = code === 'EPROTO' || /WRONG_VERSION_NUMBER|wrong version number|packet length too long|http request/i.test(`${code} ${err.message}`);
      done({
        handshake: false,
        failure: notTls ? 'not-tls' : code === 'ECONNRESET' || code === 'EPIPE' ? 'reset' : 'other',
        message: err.message, names: [],
      });
    });
  });
}

const unknownIssuer = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_SIGNATURE_FAILURE',
]);

export const tlsCheck: DoctorCheck = {
  id: 'tls',
  title: 'TLS: the API server, not an impostor',
  async run(ctx) {
    const target = ctx.facts.target;
    if (!target) return skip('no API server address (see locate)');
    if (!target.https) return skip(`${target.origin} is plain HTTP: no TLS to check`);
    if (!ctx.facts.tcp?.ok) return skip('no TCP connection (see tcp)');
    const result = await tlsProbe(target.host, target.port, target.tls, ctx.inputs.timeoutMs);
    const nameSource = target.tls.serverName ? ' (tls-server-name)' : '';
    if (!result.handshake) {
      ctx.facts.tls = { ok: false };
      switch (result.failure) {
        case 'timeout':
          return fail(`the port accepts connections but completes no TLS handshake within ${ctx.inputs.timeoutMs} ms`,
            'something other than the API server holds this port, or a middlebox swallows the handshake: check the address and port');
        case 'not-tls':
          return fail(`the port does not speak TLS (${result.message})`, `it looks like plain HTTP: use http:// for an ambassador or proxy, https:// only for the API server itself`);
        case 'reset':
          return fail(`the connection was reset during the TLS handshake (${result.message})`, 'something in between (a proxy or firewall) cuts TLS to this address, or the server refuses our TLS version');
        default:
          return fail(`TLS handshake failed: ${result.message}`, 'check that this address serves the Kubernetes API over TLS');
      }
    }
    const details = [
      `certificate: ${result.subject || '(no subject)'}, issued by ${result.issuer || '(no issuer)'}${result.validTo ? `, valid until ${isoTime(result.validTo)}` : ''}`,
      `names in the certificate: ${result.names.join(', ') || '(none)'}`,
      `name dialled: ${result.name}${nameSource}`,
      `trusted CA: ${target.caSource}${target.tls.ca ? ` (${pemCertificates(target.tls.ca).map((c) => oneLine(c.subject)).join('; ')})` : ''}`,
    ];
    if (result.protocol) details.push(`protocol: ${result.protocol}`);
    const verifyProblem = tlsProblem(result, target.caSource, target.port, !target.tls.ca);
    const trusted = target.tls.ca ? pemCertificates(target.tls.ca).map((c) => oneLine(c.subject)) : [];
    if (verifyProblem && result.chainError && unknownIssuer.has(result.chainError) && result.issuer && trusted.includes(result.issuer)) {
      details.push(`the trusted CA has the issuer's name but not its key: the CA was re-created or rotated (re-read ca.crt; the kubelet mounts the current kube-root-ca.crt)`);
    }
    if (target.tls.insecureSkipVerify) {
      ctx.facts.tls = { ok: true };
      return warn(`verification is off (insecure-skip-tls-verify)${verifyProblem ? `, and it would fail: ${verifyProblem.summary}` : ''}`,
        'remove insecure-skip-tls-verify and trust the cluster CA (certificate-authority): anyone in the path can impersonate the API server', details);
    }
    if (verifyProblem) {
      ctx.facts.tls = { ok: false };
      return fail(verifyProblem.summary, verifyProblem.fix, details);
    }
    ctx.facts.tls = { ok: true };
    return pass(`verified: ${result.subject}, valid for ${result.name}, signed by ${target.caSource}`, details);
  },
};

/** What is wrong with a completed handshake, in words; undefined when chain and name are fine. */
export function tlsProblem(result: TlsProbeResult, caSource: string, port: number, systemRoots = false): { summary: string; fix: string } | undefined {
  const code = result.chainError;
  if (code && unknownIssuer.has(code)) {
    const issuer = result.issuer || 'an unknown issuer';
    return systemRoots
      ? {
        summary: `none of the system's trusted roots signs the server's certificate (issued by ${issuer}; ${code})`,
        fix: 'trust the cluster\'s CA: in a pod the kubelet mounts it as ca.crt (see service-account); elsewhere set certificate-authority in the kubeconfig or --certificate-authority',
      }
      : {
        summary: `${caSource} does not sign the server's certificate (issued by ${issuer}; ${code})`,
        fix: 'trust the cluster\'s CA (in a pod: the ca.crt the kubelet mounts; the CA may have rotated — re-read it); if a TLS-intercepting proxy or a mesh presents its own certificate, exempt the API server from it',
      };
  }
  if (code === 'CERT_HAS_EXPIRED') {
    return { summary: `the server's certificate expired${result.validTo ? ` at ${isoTime(result.validTo)}` : ''}`, fix: 'renew the API server\'s serving certificate (or correct this machine\'s clock)' };
  }
  if (code === 'CERT_NOT_YET_VALID') return { summary: 'the server\'s certificate is not valid yet', fix: 'correct this machine\'s clock (NTP)' };
  if (code) return { summary: `the server's certificate does not verify: ${code}`, fix: 'trust the CA that issued the API server\'s certificate' };
  if (result.nameError) {
    const dnsNames = result.names.filter((n) => n.startsWith('DNS:')).map((n) => n.slice(4));
    const suggestion = dnsNames.find((n) => n === 'kubernetes.default.svc') ?? dnsNames[0];
    const dialledIp = isIP(result.name) !== 0;
    return {
      summary: `the certificate is not valid for the name dialled, ${result.name}: it names ${result.names.join(', ') || 'nothing'}`,
      fix: suggestion
        ? `dial a name the certificate has (--tls-server-name=${suggestion}, or server https://${suggestion}:${port}), or add ${dialledIp ? 'IP' : 'DNS'}:${result.name} to the API server's certificate`
        : `add ${dialledIp ? 'IP' : 'DNS'}:${result.name} to the API server's certificate, or dial a name it has`,
    };
  }
  return undefined;
}
