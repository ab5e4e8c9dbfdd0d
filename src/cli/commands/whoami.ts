// kube-ambassador whoami: kubectl auth whoami — who the API server says we
// are (SelfSubjectReview), as kubectl's ATTRIBUTE/VALUE table or the object.
import { KubeApiError } from '../../client/errors.js';
import type { KubeObject } from '../../client/objects.js';
import type { UserInfo } from '../../client/self-review.js';
import { UsageError } from '../flags.js';
import { formatColumns, goList, sortKeys, toJson, toYaml } from '../output.js';
import { fail, outputFormat, parseCommandFlags, withClient } from './client-command.js';

const help = {
  usage: 'kube-ambassador whoami [-o json|yaml] [options]',
  description: `Check who you are and your attributes (username, uid, groups, extra), as the API server
sees them: a SelfSubjectReview, like kubectl auth whoami.`,
  flags: [
    { name: 'output', short: 'o', type: 'string' as const, default: '', help: 'Output format: json or yaml (default: a table).' },
  ],
};

interface SelfSubjectReview extends KubeObject {
  status?: { userInfo?: UserInfo };
}

export async function runWhoami(argv: string[]): Promise<number> {
  const parsed = parseCommandFlags(argv, help);
  if (!parsed) return 0;
  if (parsed.args.length > 0) throw new UsageError(`unexpected argument "${parsed.args[0]}"`);
  const output = outputFormat(parsed.values.output, ['json', 'yaml'] as const);
  return withClient(parsed.values, async (client) => {
    let review: SelfSubjectReview;
    try {
      review = await client.requestJson<SelfSubjectReview>({
        method: 'POST', path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      });
    } catch (err) {
      // kubectl's words for the two answers that mean "not available here".
      if (err instanceof KubeApiError && err.isForbidden) return fail('the selfsubjectreviews API is not enabled in the cluster or you do not have permission to call it');
      if (err instanceof KubeApiError && err.isNotFound) return fail('the selfsubjectreviews API is not enabled in the cluster');
      throw err;
    }
    if (output === 'json') process.stdout.write(toJson(review));
    else if (output === 'yaml') process.stdout.write(toYaml(sortKeys(review)));
    else process.stdout.write(userInfoTable(review.status?.userInfo ?? {}));
    return 0;
  });
}

/** kubectl's printTableSelfSubjectAccessReview: empty attributes left out, extra keys sorted. */
export function userInfoTable(user: UserInfo): string {
  const rows = [['ATTRIBUTE', 'VALUE']];
  if (user.username) rows.push(['Username', user.username]);
  if (user.uid) rows.push(['UID', user.uid]);
  if (user.groups?.length) rows.push(['Groups', goList(user.groups)]);
  for (const key of Object.keys(user.extra ?? {}).sort()) rows.push([`Extra: ${key}`, goList(user.extra![key])]);
  return formatColumns(rows);
}
