// 3. The token, decoded without verifying: issuer, audiences, subject,
// issued/expiry, the kubernetes.io.warnafter staleness mark and the pod,
// node or Secret it is bound to. Never the token itself. analyzeToken is pure.
import { X509Certificate } from 'node:crypto';
import { decodeJwtClaims, type JwtClaims } from '../credentials/token-source.js';
import { type CheckOutcome, type DoctorCheck, fail, humanSpan, isoTime, pass, skip, warn } from './check.js';
import { oneLine } from './certificates.js';

export interface TokenAnalysis extends CheckOutcome {
  claims?: JwtClaims;
  expired: boolean;
  stale: boolean;
  /** "Pod web-1 (uid …)", "Secret session (uid …)": deleting it revokes the token. */
  boundTo?: string;
  legacy: boolean;
}

interface KubernetesClaims {
  namespace?: string;
  serviceaccount?: { name?: string; uid?: string };
  pod?: { name?: string; uid?: string };
  node?: { name?: string; uid?: string };
  secret?: { name?: string; uid?: string };
  warnafter?: number;
}

/** What a token says about itself, and whether that is a problem now. `origin` is "in-cluster" for a kubelet-mounted token. */
export function analyzeToken(token: string, now: number, origin: 'in-cluster' | 'kubeconfig' = 'in-cluster'): TokenAnalysis {
  const claims = decodeJwtClaims(token);
  if (!claims) {
    return { status: 'PASS', summary: 'an opaque bearer token (not a JWT): nothing to decode', details: [], expired: false, stale: false, legacy: false };
  }
  const k8s = (typeof claims['kubernetes.io'] === 'object' && claims['kubernetes.io'] !== null ? claims['kubernetes.io'] : {}) as KubernetesClaims;
  const legacy = claims.iss === 'kubernetes/serviceaccount' || typeof claims['kubernetes.io/serviceaccount/namespace'] === 'string';
  const at = (seconds: number) => `${isoTime(seconds * 1000)} (${seconds * 1000 <= now ? `${humanSpan(now - seconds * 1000)} ago` : `in ${humanSpan(seconds * 1000 - now)}`})`;
  const details: string[] = [];
  if (claims.iss !== undefined) details.push(`issuer: ${claims.iss}`);
  const audiences = Array.isArray(claims.aud) ? claims.aud : claims.aud !== undefined ? [claims.aud] : [];
  if (audiences.length > 0) details.push(`audiences: ${audiences.join(', ')}`);
  if (typeof claims.iat === 'number') details.push(`issued: ${at(claims.iat)}`);
  if (typeof claims.exp === 'number') details.push(`expires: ${at(claims.exp)}`);
  if (typeof k8s.warnafter === 'number') details.push(`stale after (kubernetes.io.warnafter): ${at(k8s.warnafter)}`);
  const bound = k8s.pod?.name ? `Pod ${k8s.namespace ? `${k8s.namespace}/` : ''}${k8s.pod.name}${k8s.pod.uid ? ` (uid ${k8s.pod.uid})` : ''}`
    : k8s.secret?.name ? `Secret ${k8s.namespace ? `${k8s.namespace}/` : ''}${k8s.secret.name}${k8s.secret.uid ? ` (uid ${k8s.secret.uid})` : ''}`
      : undefined;
  if (bound) details.push(`bound to ${bound}${k8s.node?.name ? ` on node ${k8s.node.name}` : ''}: deleting it revokes the token`);
  else if (k8s.node?.name) details.push(`bound to node ${k8s.node.name}`);
  if (k8s.serviceaccount?.uid) details.push(`service account uid: ${k8s.serviceaccount.uid}`);

  const subject = typeof claims.sub === 'string' ? claims.sub : '(no subject)';
  const base = { claims, details, boundTo: bound, legacy };
  const expMs = typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
  if (expMs !== undefined && expMs <= now) {
    return {
      ...base, status: 'FAIL', expired: true, stale: true,
      summary: `${subject}: expired ${humanSpan(now - expMs)} ago (at ${isoTime(expMs)})`,
      fix: origin === 'in-cluster'
        ? 'the kubelet replaces a projected token long before it expires: mount the token as a projected serviceAccountToken volume (not a copy in a Secret or variable) and re-read the file (client-go: at least once a minute)'
        : 'get a fresh token (kubectl create token SERVICE_ACCOUNT, or log in again)',
    };
  }
  const nbf = typeof claims.nbf === 'number' ? claims.nbf : typeof claims.iat === 'number' ? claims.iat : undefined;
  if (nbf !== undefined && nbf * 1000 > now + 60_000) {
    return {
      ...base, status: 'WARN', expired: false, stale: false,
      summary: `${subject}: issued ${humanSpan(nbf * 1000 - now)} in the future`,
      fix: 'this machine\'s clock is behind the API server\'s: synchronise it (NTP), or the server may refuse the token as not yet valid',
    };
  }
  const expiry = expMs === undefined ? 'never expires' : `expires in ${humanSpan(expMs - now)}`;
  if (typeof k8s.warnafter === 'number' && k8s.warnafter * 1000 <= now) {
    return {
      ...base, status: 'WARN', expired: false, stale: true,
      summary: `${subject}: stale for ${humanSpan(now - k8s.warnafter * 1000)} (kubernetes.io.warnafter), ${expiry}`,
      fix: origin === 'in-cluster'
        ? 'the kubelet rotates the file at 80% of the token\'s life and has not: check that this is a projected serviceAccountToken volume and the kubelet is healthy; the server audits each use as authentication.k8s.io/stale-token'
        : 'get a fresh token; the server audits each use of this one as authentication.k8s.io/stale-token',
    };
  }
  if (legacy) {
    return {
      ...base, status: 'WARN', expired: false, stale: false,
      summary: `${subject}: a legacy Secret-based token that never expires`,
      fix: 'use a bound token instead (automountServiceAccountToken, a projected serviceAccountToken volume, or kubectl create token); unused legacy token Secrets are removed since Kubernetes 1.30',
    };
  }
  if (expMs === undefined) {
    return { ...base, status: 'WARN', expired: false, stale: false, summary: `${subject}: never expires`, fix: 'prefer a token with an expiry (a bound service-account token)' };
  }
  return { ...base, status: 'PASS', expired: false, stale: false, summary: `${subject}, ${expiry}` };
}

export const tokenCheck: DoctorCheck = {
  id: 'token',
  title: 'The credentials, decoded',
  async run(ctx, signal) {
    const connection = ctx.inputs.connection;
    const now = ctx.now();
    let token: string | undefined;
    let origin: 'in-cluster' | 'kubeconfig' = 'in-cluster';
    if (connection) {
      origin = connection.source === 'in-cluster' ? 'in-cluster' : 'kubeconfig';
      const auth = connection.auth;
      if (auth.type === 'basic') {
        return warn(`basic authentication as ${auth.username}`, 'the API server dropped basic authentication in Kubernetes 1.19: use a token or a client certificate');
      }
      if (auth.type === 'bearer') {
        try {
          token = await Promise.race([auth.tokens.token(), aborted(signal)]);
        } catch (err) {
          return fail(`no token: ${(err as Error).message}`, connection.source === 'in-cluster'
            ? 'mount the service-account token (see the service-account check)'
            : 'fix the credentials of the kubeconfig user (token, tokenFile or exec plugin)');
        }
      } else if (connection.tls.cert) {
        return clientCertificate(connection.tls.cert, now);
      } else {
        if (new URL(connection.origin).protocol === 'http:') {
          return pass(`no credentials: ${connection.origin} is plain HTTP (an ambassador adds its own)`);
        }
        return warn('no credentials: requests are anonymous (system:anonymous)', 'configure a token or client certificate (kubeconfig user), or run in a pod with its service-account token');
      }
    } else if (ctx.facts.folder?.token.readable && ctx.facts.folder.token.text) {
      token = ctx.facts.folder.token.text;
    } else {
      return skip('no token to decode');
    }
    const analysis = analyzeToken(token, now, origin);
    ctx.facts.token = { claims: analysis.claims ?? {}, expired: analysis.expired, boundTo: analysis.boundTo };
    const { status, summary, details, fix } = analysis;
    return { status, summary, details, fix };
  },
};

function clientCertificate(pem: Buffer, now: number): CheckOutcome {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (err) {
    return fail(`the client certificate cannot be read: ${(err as Error).message}`, 'fix client-certificate / client-certificate-data in the kubeconfig');
  }
  const subject = oneLine(cert.subject);
  const user = /CN=([^,\n]+)/.exec(cert.subject)?.[1];
  const groups = [...cert.subject.matchAll(/O=([^,\n]+)/g)].map((m) => m[1]);
  const details = [`user ${user ?? '(no CN)'}${groups.length ? `, groups ${groups.join(', ')}` : ''}`, `issuer: ${oneLine(cert.issuer)}`, `valid until ${isoTime(Date.parse(cert.validTo))}`];
  const until = Date.parse(cert.validTo);
  if (until <= now) return fail(`client certificate ${subject} expired ${humanSpan(now - until)} ago`, 'renew the client certificate (kubeadm certs renew, or your cluster\'s tooling)', details);
  if (Date.parse(cert.validFrom) > now + 60_000) return warn(`client certificate ${subject} is not valid yet`, 'synchronise this machine\'s clock (NTP)', details);
  return pass(`client certificate ${subject}, expires in ${humanSpan(until - now)}`, details);
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(new Error('timed out'));
    signal.addEventListener('abort', () => reject(new Error('timed out')), { once: true });
  });
}
