// 7. Authentication: a SelfSubjectReview — who the API server thinks we
// are. A 401 is explained from the token's own claims: expired, revoked
// (the pod or Secret it is bound to is gone), its service account
// recreated, or meant for another audience or issuer.
import { KubeApiError, KubeTransportError } from '../client/errors.js';
import { type CheckOutcome, type DoctorCheck, type DoctorContext, fail, pass, skip, warn } from './check.js';

export const authenticationCheck: DoctorCheck = {
  id: 'authentication',
  title: 'Authentication: who the API server thinks we are',
  async run(ctx) {
    const target = ctx.facts.target;
    if (!target) return skip('no API server address (see locate)');
    if (!ctx.facts.tcp?.ok || (target.https && !ctx.facts.tls?.ok)) return skip('no verified connection to the API server (see above)');
    if (!target.connection) return skip('no credentials to present (see service-account)');
    let user;
    try {
      user = await ctx.client().whoami();
    } catch (err) {
      if (err instanceof KubeApiError && err.isUnauthorized) {
        ctx.facts.authenticated = false;
        return explainUnauthorized(ctx, err);
      }
      if (err instanceof KubeApiError && (err.isNotFound || err.isForbidden)) {
        ctx.facts.authenticated = true;
        return warn(`the server does not answer SelfSubjectReview (HTTP ${err.code}): identity unknown, but the credentials were accepted`,
          err.isNotFound ? 'SelfSubjectReview is GA since Kubernetes 1.28; an older or restricted server cannot say who we are' : 'grant create on selfsubjectreviews.authentication.k8s.io (system:basic-user has it by default)');
      }
      if (err instanceof KubeTransportError && err.kind === 'credentials') return fail(err.message, 'see the token check above');
      if (err instanceof KubeTransportError) return fail(`no answer: ${err.message}`, 'see the network and TLS checks above');
      throw err;
    }
    ctx.facts.authenticated = true;
    ctx.facts.user = user;
    const details: string[] = [];
    if (user.groups?.length) details.push(`groups: ${user.groups.join(', ')}`);
    if (user.uid) details.push(`uid: ${user.uid}`);
    for (const [key, values] of Object.entries(user.extra ?? {})) details.push(`${key}: ${values.join(', ')}`);
    const impersonated = target.connection.impersonate;
    if (impersonated) details.push(`impersonating ${impersonated.user} (--as); the credentials themselves belong to someone else`);
    const sub = ctx.facts.token?.claims.sub;
    if (!impersonated && typeof sub === 'string' && user.username && sub !== user.username) {
      details.push(`the token's subject is ${sub}, yet the server says ${user.username}`);
    }
    if (user.username === 'system:anonymous') {
      return warn('the API server sees system:anonymous: no credentials were presented', 'configure a token or client certificate, or run in a pod with its service-account token', details);
    }
    return pass(`the API server sees ${user.username ?? '(no name)'}`, details);
  },
};

function explainUnauthorized(ctx: DoctorContext, err: KubeApiError): CheckOutcome {
  const token = ctx.facts.token;
  const claims = token?.claims ?? {};
  const summary = `401 Unauthorized: the API server does not accept our credentials (${err.message})`;
  if (!token) {
    return fail(summary, 'the server does not know these credentials: get a current token or client certificate for this cluster',
      ['a token that is not a JWT is one the server was told about (static tokens, a webhook): it was removed or has expired there']);
  }
  if (token.expired) {
    return fail(`401 Unauthorized: the token expired (${err.message})`, ctx.inputs.connection?.source === 'in-cluster'
      ? 'use the token the kubelet keeps current: re-read the projected token file (client-go: at least once a minute) instead of a copy'
      : 'get a fresh token (kubectl create token SERVICE_ACCOUNT, or log in again)');
  }
  const k8s = (claims['kubernetes.io'] ?? {}) as { namespace?: string; serviceaccount?: { name?: string; uid?: string } };
  const causes: string[] = [];
  if (token.boundTo) causes.push(`revoked: it is bound to ${token.boundTo}, which no longer exists (deleted, or recreated with a new uid)`);
  if (k8s.serviceaccount?.name) {
    causes.push(`its service account ${k8s.namespace ? `${k8s.namespace}/` : ''}${k8s.serviceaccount.name} (uid ${k8s.serviceaccount.uid ?? '?'}) was deleted or recreated`);
  }
  const aud = Array.isArray(claims.aud) ? claims.aud.join(', ') : String(claims.aud ?? '(none)');
  causes.push(`a wrong audience: the token is for ${aud}; the API server accepts only its --api-audiences (by default its issuer)`);
  causes.push(`a wrong issuer: ${String(claims.iss ?? '(none)')}; the API server accepts tokens it issued (--service-account-issuer) or from a configured authenticator`);
  return fail(summary,
    token.boundTo
      ? `get a new token: restart the pod (the kubelet mints one bound to the new pod) or request one (kubectl create token)`
      : 'get a token this cluster issues for its own audience (kubectl create token SERVICE_ACCOUNT), or mount the pod\'s own projected token',
    ['the token is not expired; other reasons, most likely first:', ...causes.map((c) => `  - ${c}`)]);
}
