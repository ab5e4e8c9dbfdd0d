// 8. Authorization: a SelfSubjectAccessReview for each access the program
// needs (--can VERB:RESOURCE[:NAMESPACE]), and the rules we hold in the
// namespace (SelfSubjectRulesReview). A denial comes with the rbac command
// that grants exactly what is missing.
import type { ApiResource } from '../client/discovery.js';
import type { RulesAnswer } from '../client/self-review.js';
import { type AccessCheck, checkNeeds } from '../rbac/check.js';
import { NeedError } from '../rbac/needs.js';
import { canArgument, resolveNeeds } from '../rbac/resources.js';
import { type DoctorCheck, fail, pass, skip, warn } from './check.js';

export const authorizationCheck: DoctorCheck = {
  id: 'authorization',
  title: 'Authorization: what we may do',
  async run(ctx) {
    if (!ctx.facts.authenticated) return skip('not authenticated (see authentication)');
    const client = ctx.client();
    const namespace = ctx.inputs.namespace || ctx.inputs.connection?.namespace || 'default';
    const details: string[] = [];

    let checks: AccessCheck[] = [];
    if (ctx.inputs.needs.length > 0) {
      let discovered: ApiResource[] | undefined;
      try {
        discovered = await client.discovery.resources();
      } catch (err) {
        details.push(`discovery failed (${(err as Error).message}); resource names resolved from the built-in table`);
      }
      try {
        const resolution = resolveNeeds(ctx.inputs.needs, { discovered, defaultNamespace: namespace });
        details.push(...resolution.notes);
        checks = await checkNeeds(client, resolution.needs);
      } catch (err) {
        if (err instanceof NeedError) return fail(err.message, 'name a resource the server serves (kubectl api-resources lists them)', details);
        throw err;
      }
      for (const c of checks) {
        details.push(`${c.allowed ? 'allowed' : 'DENIED '}  ${c.access}${!c.allowed && c.reason ? ` (${c.reason})` : ''}${c.evaluationError ? ` [${c.evaluationError}]` : ''}`);
      }
    }

    let rules: RulesAnswer | undefined;
    try {
      rules = await client.rules(namespace);
      details.push(...rulesSummary(rules, namespace));
    } catch (err) {
      details.push(`the rules in ${namespace} could not be listed: ${(err as Error).message}`);
    }

    const username = ctx.facts.user?.username ?? '';
    const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username);
    const denied = checks.filter((c) => !c.allowed);
    if (denied.length > 0) {
      // Every need, not only the missing ones: the generated Role is replaced on each apply.
      const args = [...new Set(checks.map((c) => c.need))].map((need) => `--can ${canArgument(need)}`).join(' ');
      const who = sa ? `--service-account ${sa[2]} -n ${sa[1]}` : '--service-account NAME -n NAMESPACE';
      return fail(`${denied.length} of ${checks.length} needed accesses denied: ${denied.map((c) => c.access).join('; ')}`,
        `grant what the program needs: kube-ambassador rbac ${args} ${who} | kubectl apply -f -`, details);
    }
    const wildcard = rules?.resourceRules.some((r) => r.verbs.includes('*') && r.resources?.includes('*') && r.apiGroups?.includes('*'));
    if (wildcard && sa) {
      return warn(`${username} may do anything (* on *), far more than a program needs`,
        'bind only what the program uses instead of cluster-admin: kube-ambassador rbac --can VERB:RESOURCE[:NAMESPACE] … | kubectl apply -f -', details);
    }
    if (checks.length === 0) return pass(`no --can given; see the rules in ${namespace} below`, details);
    return pass(`all ${checks.length} needed accesses allowed`, details);
  },
};

/** Rules every authenticated user holds through the default roles (system:basic-user, system:discovery, …). */
const defaultUrls = new Set(['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/',
  '/.well-known/openid-configuration', '/.well-known/openid-configuration/', '/openid/v1/jwks', '/openid/v1/jwks/']);
const selfReviews = new Set(['selfsubjectaccessreviews', 'selfsubjectrulesreviews', 'selfsubjectreviews']);

/** A few lines: the rules in the namespace beyond everyone's defaults, with the review's caveats. */
export function rulesSummary(rules: RulesAnswer, namespace: string, limit = 12): string[] {
  const resourceRules = rules.resourceRules.filter((r) => !(r.resources ?? []).every((res) => selfReviews.has(res)));
  const nonResourceRules = rules.nonResourceRules.filter((r) => !(r.nonResourceURLs ?? []).every((u) => defaultUrls.has(u)));
  const lines = resourceRules.map((r) => {
    const groups = (r.apiGroups ?? []).filter((g) => g !== '');
    const suffix = groups.length === 1 && groups[0] !== '*' ? `.${groups[0]}` : '';
    const resources = (r.resources ?? []).map((res) => `${res}${suffix}`).join(', ');
    const names = r.resourceNames?.length ? ` (names: ${r.resourceNames.join(', ')})` : '';
    const groupNote = groups.includes('*') ? ' (every API group)' : groups.length > 1 ? ` (groups: ${r.apiGroups!.join(', ')})` : '';
    return `${r.verbs.join(',')} ${resources}${names}${groupNote}`;
  });
  lines.push(...nonResourceRules.map((r) => `${r.verbs.join(',')} ${(r.nonResourceURLs ?? []).join(', ')}`));
  const out = [`rules in ${namespace} beyond every user's defaults (SelfSubjectRulesReview):`];
  if (lines.length === 0) out.push('  none');
  out.push(...lines.slice(0, limit).map((l) => `  ${l}`));
  if (lines.length > limit) out.push(`  … and ${lines.length - limit} more (kube-ambassador can-i --list -n ${namespace})`);
  if (rules.incomplete) out.push(`  (incomplete: an authorizer cannot list its rules${rules.evaluationError ? `: ${rules.evaluationError}` : ''})`);
  return out;
}
