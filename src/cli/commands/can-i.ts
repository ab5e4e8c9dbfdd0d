// kube-ambassador can-i: kubectl auth can-i — may I do VERB on RESOURCE?
// "yes" (exit 0) or "no" (exit 1) from a SelfSubjectAccessReview, or with
// --list every rule a SelfSubjectRulesReview returns, in kubectl's table.
import type { KubeClient } from '../../client/kube-client.js';
import type { RulesAnswer } from '../../client/self-review.js';
import { UsageError } from '../flags.js';
import { formatColumns, goList } from '../output.js';
import { lookupResource, parseCommandFlags, parseResourceArg, warn, withClient } from './client-command.js';

const help = {
  usage: 'kube-ambassador can-i VERB [RESOURCE[/SUBRESOURCE] [NAME] | NONRESOURCEURL] [options]',
  description: `Check whether an action is allowed, like kubectl auth can-i: prints "yes" and exits 0, or "no" and exits 1.

VERB is a Kubernetes API verb like 'get', 'list', 'watch', 'delete'. RESOURCE is a resource type; short
names, kinds and groups are resolved (po, deployments.apps). A subresource is written as in RBAC rules,
pods/log, or with --subresource (unlike kubectl, where pods/log would mean the pod named "log"); NAME is
the name of one object. NONRESOURCEURL is a partial URL that starts with "/", like /healthz.

Examples:
  kube-ambassador can-i list pods
  kube-ambassador can-i get pods/log -n team-a
  kube-ambassador can-i update deployments.apps/scale web
  kube-ambassador can-i get /healthz
  kube-ambassador can-i --list -n team-a`,
  flags: [
    { name: 'all-namespaces', short: 'A', type: 'bool' as const, default: false, help: 'If true, check the specified action in all namespaces.' },
    { name: 'quiet', short: 'q', type: 'bool' as const, default: false, help: 'If true, suppress output and just return the exit code.' },
    { name: 'subresource', type: 'string' as const, default: '', help: 'SubResource such as pod/log or deployment/scale' },
    { name: 'list', type: 'bool' as const, default: false, help: 'If true, prints all allowed actions.' },
    { name: 'no-headers', type: 'bool' as const, default: false, help: 'If true, prints allowed actions without headers' },
  ],
};

const resourceVerbs = new Set(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', 'use', 'bind', 'impersonate', '*', 'approve', 'sign', 'escalate', 'attest']);
const nonResourceURLVerbs = new Set(['get', 'put', 'post', 'head', 'options', 'delete', 'patch', '*']);
/** Resources the authorizer knows that discovery does not list (for the impersonate verb). */
const nonStandardResourceNames = new Set(['users', 'groups', 'userextras', 'uids']);

export async function runCanI(argv: string[]): Promise<number> {
  const parsed = parseCommandFlags(argv, help);
  if (!parsed) return 0;
  const v = parsed.values;
  const allNamespaces = v['all-namespaces'] === true;
  const quiet = v.quiet === true;
  const flagSubresource = v.subresource as string;

  if (v.list) {
    if (parsed.args.length > 0) throw new UsageError('list option must be specified with no arguments');
    if (quiet || allNamespaces || flagSubresource) throw new UsageError("list option can't be specified with neither quiet, all-namespaces nor subresource options");
    return withClient(v, async (client) => {
      const rules = await client.rules((v.namespace as string) || client.info.namespace);
      if (rules.incomplete) warn(`the list may be incomplete: ${rules.evaluationError ?? ''}`);
      process.stdout.write(rulesTable(rules, v['no-headers'] !== true));
      return 0;
    });
  }
  if (v['no-headers']) throw new UsageError('--no-headers cannot be set without --list specified');
  if (parsed.args.length < 2 || parsed.args.length > 3) {
    throw new UsageError("you must specify a verb and a resource: VERB RESOURCE [NAME] or VERB NONRESOURCEURL.\nSee 'kube-ambassador can-i -h' for help and examples.");
  }
  const [verb, target, name] = parsed.args as [string, string, string | undefined];

  return withClient(v, async (client) => {
    let answer;
    if (target.startsWith('/')) {
      if (flagSubresource) throw new UsageError('--subresource can not be used with NonResourceURL');
      if (name !== undefined) throw new UsageError('NonResourceURL and ResourceName can not specified together');
      if (!nonResourceURLVerbs.has(verb)) warn(`verb '${verb}' is not a known verb`);
      answer = await client.canI(verb, target);
    } else {
      const slash = target.indexOf('/');
      const typeArg = slash < 0 ? target : target.slice(0, slash);
      const subresource = slash < 0 ? flagSubresource : target.slice(slash + 1);
      if (slash >= 0 && flagSubresource && flagSubresource !== subresource) {
        throw new UsageError(`two subresources given: "${subresource}" in ${target} and --subresource=${flagSubresource}`);
      }
      const { resource, group, namespaced } = await resolveForReview(client, typeArg);
      if (!resourceVerbs.has(verb)) warn(`verb '${verb}' is not a known verb`);
      // A cluster-scoped resource has no namespace in any real request, so the review gets none either.
      let namespace = allNamespaces ? '' : (v.namespace as string) || client.info.namespace;
      if (!namespaced && namespace) {
        if (v.namespace) warn(group ? `resource '${resource}' is not namespace scoped in group '${group}'` : `resource '${resource}' is not namespace scoped`);
        namespace = '';
      }
      answer = await client.canI(verb, resource, { group, namespace, subresource: subresource || undefined, name });
    }
    if (!quiet) {
      let line = answer.allowed ? 'yes' : 'no';
      if (!answer.allowed && answer.reason) line += ` - ${answer.reason}`;
      if (!answer.allowed && answer.evaluationError) line += ` - ${answer.evaluationError}`;
      process.stdout.write(`${line}\n`);
    }
    return answer.allowed ? 0 : 1;
  });
}

/** kubectl's resourceFor: "*" as it is, else discovery's plural and group, else the argument with a warning. */
async function resolveForReview(client: KubeClient, arg: string): Promise<{ resource: string; group: string; namespaced: boolean }> {
  if (arg === '*') return { resource: '*', group: '', namespaced: true };
  const found = await lookupResource(client, arg);
  if (found) return { resource: found.resource, group: found.group, namespaced: found.namespaced };
  const { resource, group } = parseResourceArg(arg);
  if (!nonStandardResourceNames.has(group ? `${resource}.${group}` : resource)) {
    warn(group ? `the server doesn't have a resource type '${resource}' in group '${group}'` : `the server doesn't have a resource type '${resource}'`);
  }
  return { resource, group, namespaced: true };
}

interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/**
 * kubectl's printStatus: every rule broken down to one verb, group, resource
 * and name; rules that differ only in verb merged again; sorted as kubectl
 * sorts them (by the rule's Go String()); printed as aligned columns.
 */
export function rulesTable(rules: RulesAnswer, headers = true): string {
  const all: PolicyRule[] = [
    ...rules.resourceRules.map((r) => ({ verbs: r.verbs, apiGroups: r.apiGroups, resources: r.resources, resourceNames: r.resourceNames })),
    ...rules.nonResourceRules.map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs })),
  ];
  const compact = compactRules(all.flatMap(breakdownRule));
  const keyed = compact.map((rule) => ({ rule, key: ruleString(rule) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)); // Array.prototype.sort is stable, like sort.Stable
  const rows = headers ? [['Resources', 'Non-Resource URLs', 'Resource Names', 'Verbs']] : [];
  for (const { rule } of keyed) {
    rows.push([combineResourceGroup(rule.resources, rule.apiGroups), goList(rule.nonResourceURLs), goList(rule.resourceNames), goList(rule.verbs)]);
  }
  return formatColumns(rows);
}

/** rbacutil.BreakdownRule. */
function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs) {
        if (rule.resourceNames?.length) {
          for (const name of rule.resourceNames) out.push({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [name] });
        } else {
          out.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
        }
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? []) {
    for (const verb of rule.verbs) out.push({ nonResourceURLs: [url], verbs: [verb] });
  }
  return out;
}

/** rbacutil.CompactRules: rules on one group and resource (and at most one name) that differ only in verbs become one. */
function compactRules(rules: PolicyRule[]): PolicyRule[] {
  const compacted: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule>();
  for (const rule of rules) {
    const isSimple = (rule.resourceNames?.length ?? 0) <= 1 && !rule.nonResourceURLs?.length
      && rule.apiGroups?.length === 1 && rule.resources?.length === 1;
    if (!isSimple) {
      compacted.push(rule);
      continue;
    }
    const key = JSON.stringify([rule.apiGroups![0], rule.resources![0], rule.resourceNames?.length ? rule.resourceNames[0] : null]);
    const existing = simple.get(key);
    if (existing) existing.verbs = [...existing.verbs, ...rule.verbs];
    else simple.set(key, { ...rule, verbs: [...rule.verbs] });
  }
  return [...compacted, ...simple.values()];
}

/** The generated String() of rbacv1.PolicyRule, which kubectl sorts by. */
function ruleString(r: PolicyRule): string {
  return `&PolicyRule{Verbs:${goList(r.verbs)},APIGroups:${goList(r.apiGroups)},Resources:${goList(r.resources)},ResourceNames:${goList(r.resourceNames)},NonResourceURLs:${goList(r.nonResourceURLs)},}`;
}

/** describe.CombineResourceGroup: "deployments.apps/scale" from resource "deployments/scale" and group "apps". */
function combineResourceGroup(resources: string[] | undefined, groups: string[] | undefined): string {
  if (!resources?.length) return '';
  const [resource, subresource] = splitOnce(resources[0]!, '/');
  let out = resource;
  if (groups?.length && groups[0] !== '') out += `.${groups[0]}`;
  if (subresource !== undefined) out += `/${subresource}`;
  return out;
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + sep.length)];
}
