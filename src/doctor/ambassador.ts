// 9. Through an ambassador: does a proxy on localhost:8001 (or --ambassador)
// answer /version, and as whom does the API server see its requests
// (a SelfSubjectReview sent through it). Nothing listening is only a warning
// unless the user named the ambassador.
import { KubeApiError, KubeTransportError } from '../client/errors.js';
import type { UserInfo } from '../client/self-review.js';
import { unauthenticatedConnection } from '../credentials/cluster-connection.js';
import { type CheckOutcome, type DoctorCheck, fail, pass, skip, warn } from './check.js';

export const ambassadorCheck: DoctorCheck = {
  id: 'ambassador',
  title: 'Through an ambassador',
  async run(ctx) {
    const { ambassadorUrl: url, ambassadorExplicit: explicit } = ctx.inputs;
    if (!url) return skip('not asked (--ambassador is empty)');
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return fail(`--ambassador=${url} is not a URL`, 'give the ambassador as a URL, e.g. --ambassador=http://127.0.0.1:8001');
    }
    const connection = unauthenticatedConnection({
      origin: parsed.origin, serverPath: parsed.pathname.replace(/\/$/, ''), source: 'ambassador', description: `ambassador at ${url}`,
    });
    const client = ctx.clientFor(connection);
    const missing = (summary: string, fix: string): CheckOutcome => (explicit
      ? fail(summary, fix)
      : warn(summary, `fine if this pod has no ambassador sidecar; otherwise: ${fix}`));

    let gitVersion: string | undefined;
    try {
      const version = await client.requestJson<{ gitVersion?: string }>({ method: 'GET', path: '/version' });
      gitVersion = version?.gitVersion;
    } catch (err) {
      if (err instanceof KubeTransportError && err.kind === 'refused') {
        return missing(`nothing listens at ${url}`, 'start the ambassador (kube-ambassador proxy) in the pod, or point --ambassador at it');
      }
      if (err instanceof KubeTransportError) return missing(`no answer from ${url}: ${err.message}`, 'check the ambassador container (its logs and readiness)');
      if (err instanceof KubeApiError) {
        return missing(`${url} answers /version with HTTP ${err.code} (${err.message})`, 'let /version through the ambassador\'s filter (--accept-paths), or check that this is the ambassador');
      }
      if (err instanceof SyntaxError) return missing(`${url} answers, but not with the API server's JSON`, 'something else listens there: check the address and port');
      throw err;
    }
    if (!gitVersion) return missing(`${url} answers /version, but not with a Kubernetes version`, 'something else listens there: check the address and port');
    ctx.facts.ambassadorClient = client;

    let user: UserInfo;
    try {
      user = await client.whoami();
    } catch (err) {
      const why = err instanceof KubeApiError ? `HTTP ${err.code} ${err.message}` : (err as Error).message;
      return warn(`${url} answers (${gitVersion}), but a SelfSubjectReview through it failed: ${why}`,
        err instanceof KubeApiError && err.isForbidden && err.message === 'Forbidden' // kubectl proxy's filter answers a bare "Forbidden"
          ? 'the ambassador\'s filter refuses the POST (--reject-methods / --accept-paths); allow POST /apis/authentication.k8s.io/v1/selfsubjectreviews to see its identity'
          : 'check the ambassador\'s credentials (its logs, and kube-ambassador doctor inside its container)');
    }
    const details: string[] = [];
    if (user.groups?.length) details.push(`groups: ${user.groups.join(', ')}`);
    const direct = ctx.facts.user?.username;
    if (direct) details.push(direct === user.username ? 'the same identity as the direct connection' : `a different identity than the direct connection (${direct})`);
    return pass(`${url} answers (${gitVersion}) as ${user.username ?? '(no name)'}`, details);
  },
};
