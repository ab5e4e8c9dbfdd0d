// kube-ambassador rbac: the least privilege a program needs, as YAML
// (ServiceAccount, Role/RoleBinding per namespace, ClusterRole/Binding for
// cluster-wide needs) — from --can, or from the filter flags of the proxy it
// talks through. Resource names resolve through discovery when a cluster is
// reachable, else through a built-in table. --check asks the API server
// whether the identity we run as already has every access.
import { connect } from '../../client/connect.js';
import type { ApiResource } from '../../client/discovery.js';
import type { KubeClient } from '../../client/kube-client.js';
import { silentLogger } from '../../logging/logger.js';
import { defaultFilterRules } from '../../proxy/filter.js';
import { checkNeeds } from '../../rbac/check.js';
import { needsFromProxyFlags, ProxyFlagsError } from '../../rbac/from-proxy-flags.js';
import { rbacYaml } from '../../rbac/generate.js';
import { type AccessNeed, NeedError, parseNeed } from '../../rbac/needs.js';
import { resolveNeeds } from '../../rbac/resources.js';
import { defaultUserAgent } from '../../version.js';
import { credentialFlags } from '../connection-flags.js';
import { UsageError } from '../flags.js';
import { formatColumns } from '../output.js';
import { fail, parseCommandFlags } from './client-command.js';

const help = {
  usage: 'kube-ambassador rbac (--can VERB:RESOURCE[:NAMESPACE]… | --accept-paths REGEXP [--reject-methods …]) [--service-account NAME] [-n NAMESPACE] [--check]',
  description: `Print the ServiceAccount, Role/ClusterRole and bindings that grant a program exactly what it needs —
the least privilege instead of cluster-admin — as YAML to pipe into kubectl apply -f -.

Needs come from --can VERB[,VERB…]:RESOURCE[/SUBRESOURCE][:NAMESPACE] (repeatable; no namespace means
-n, * means every namespace), or from the filter flags of the kube-ambassador/kubectl proxy the program
talks through (--accept-paths, --reject-paths, --reject-methods, with kubectl proxy's defaults): every
request the filter lets through becomes a verb. A regexp too open to name its resources (the default
^.*) is refused. Namespaced needs go into a Role and RoleBinding per namespace; cluster-scoped
resources, needs in every namespace and non-resource URLs into a ClusterRole and ClusterRoleBinding.

Resource names (po, deploy, deployments.apps) resolve through the cluster's discovery when one is
configured and reachable, else through a built-in table of common resources (--offline forces it).

--check asks the API server, one SelfSubjectAccessReview per verb, whether the identity the connection
flags give (in a pod: its service account; or --as) already has every access; exit code 1 if not.

Examples:
  kube-ambassador rbac --can get,list,watch:pods --can get:pods/log -n team-a --service-account web | kubectl apply -f -
  kube-ambassador rbac --accept-paths='^/api/v1/namespaces/team-a/pods' --reject-methods='POST,PUT,PATCH,DELETE' -n team-a
  kube-ambassador rbac --can list:nodes --can watch:deployments.apps:* --offline
  kube-ambassador rbac --can get,list:configmaps -n team-a --check`,
  flags: [
    { name: 'can', type: 'stringArray' as const, default: [], help: 'An access the program needs, VERB[,VERB…]:RESOURCE[/SUBRESOURCE][:NAMESPACE] (* = every namespace); repeatable.' },
    { name: 'accept-paths', type: 'string' as const, default: defaultFilterRules.acceptPaths, help: "The proxy's --accept-paths, to derive the needs from." },
    { name: 'reject-paths', type: 'string' as const, default: defaultFilterRules.rejectPaths, help: "The proxy's --reject-paths." },
    { name: 'reject-methods', type: 'string' as const, default: defaultFilterRules.rejectMethods, help: "The proxy's --reject-methods." },
    { name: 'service-account', type: 'string' as const, default: 'kube-ambassador', help: 'Name of the ServiceAccount to grant to (it lives in -n).' },
    { name: 'create-service-account', type: 'bool' as const, default: true, help: 'Include the ServiceAccount object in the output (--create-service-account=false when it exists already).' },
    { name: 'role-name', type: 'string' as const, default: '', help: 'Name of the Roles and RoleBindings (default kube-ambassador:<service-account>; the cluster-wide ones add the namespace).' },
    { name: 'offline', type: 'bool' as const, default: false, help: 'Resolve resource names from the built-in table, without asking a cluster.' },
    { name: 'check', type: 'bool' as const, default: false, help: 'Instead of printing YAML, check with SelfSubjectAccessReviews whether we already have every access.' },
    { name: 'timeout', type: 'duration' as const, default: 5_000, help: 'Limit on each request to the API server.' },
  ],
};

export async function runRbac(argv: string[]): Promise<number> {
  const parsed = parseCommandFlags(argv, help);
  if (!parsed) return 0;
  if (parsed.args.length > 0) throw new UsageError(`unexpected argument "${parsed.args[0]}"`);
  const v = parsed.values;
  const notes: string[] = [];
  const needs: AccessNeed[] = [];
  try {
    needs.push(...(v.can as string[]).map(parseNeed));
  } catch (err) {
    if (err instanceof NeedError) throw new UsageError(err.message);
    throw err;
  }
  const fromProxy = ['accept-paths', 'reject-paths', 'reject-methods'].some((f) => parsed.given.has(f));
  if (fromProxy) {
    try {
      const derived = needsFromProxyFlags({
        acceptPaths: v['accept-paths'] as string, rejectPaths: v['reject-paths'] as string, rejectMethods: v['reject-methods'] as string,
      });
      needs.push(...derived.needs);
      notes.push(...derived.notes);
    } catch (err) {
      if (err instanceof ProxyFlagsError) return fail(err.message);
      throw err;
    }
  }
  if (needs.length === 0) {
    if (fromProxy) return fail('the filter flags leave nothing to grant (only paths every authenticated user may read)');
    throw new UsageError('say what the program needs: --can VERB:RESOURCE[:NAMESPACE] (repeatable), or the proxy\'s --accept-paths/--reject-methods');
  }

  const check = v.check === true;
  const timeoutMs = v.timeout as number;
  let client: KubeClient | undefined;
  let discovered: ApiResource[] | undefined;
  try {
    if (check || v.offline !== true) {
      try {
        client = await connect({
          ...credentialFlags(v), logger: silentLogger, userAgent: defaultUserAgent('kube-ambassador'),
          timeoutMs, retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 }, upstream: { connectTimeoutMs: timeoutMs },
        });
        discovered = await client.discovery.resources();
      } catch (err) {
        if (check) throw err;
        notes.push(`resource names resolved from the built-in table: no cluster to ask (${(err as Error).message.split('\n')[0]})`);
      }
    }
    const namespace = (v.namespace as string) || client?.namespace || 'default';
    let resolution;
    try {
      resolution = resolveNeeds(needs, { discovered, defaultNamespace: namespace });
    } catch (err) {
      if (err instanceof NeedError) return fail(err.message);
      throw err;
    }
    notes.push(...resolution.notes);
    for (const note of notes) process.stderr.write(`note: ${note}\n`);

    if (check) return await printCheck(client!, resolution.needs);

    const serviceAccount = { name: v['service-account'] as string, namespace };
    const header = [
      `Needs: ${[...(v.can as string[]).map((c) => `--can ${c}`), ...(fromProxy ? [`--accept-paths '${v['accept-paths']}'`, `--reject-paths '${v['reject-paths']}'`, `--reject-methods '${v['reject-methods']}'`] : [])].join(' ')}`,
      'Apply with kubectl apply -f - (again after a change: the roles are replaced, not added to);',
      'check from the pod with the same needs and --check.',
    ];
    process.stdout.write(rbacYaml(resolution.needs, {
      serviceAccount, createServiceAccount: v['create-service-account'] !== false, roleName: (v['role-name'] as string) || undefined, header, notes,
    }));
    return 0;
  } finally {
    await client?.close();
  }
}

async function printCheck(client: KubeClient, needs: Parameters<typeof checkNeeds>[1]): Promise<number> {
  const who = await client.whoami().then((u) => u.username, () => undefined);
  const results = await checkNeeds(client, needs);
  const rows = [['ACCESS', 'RESULT', 'FROM']];
  for (const r of results) rows.push([r.access, r.allowed ? 'allowed' : 'DENIED', r.need.origin]);
  process.stdout.write(`As ${who ?? 'the configured identity'} (one SelfSubjectAccessReview per verb):\n`);
  process.stdout.write(formatColumns(rows));
  const missing = results.filter((r) => !r.allowed).length;
  process.stdout.write(missing === 0
    ? `\nall ${results.length} accesses allowed\n`
    : `\n${missing} of ${results.length} accesses missing: apply the output of the same command without --check (kubectl apply -f -)\n`);
  return missing === 0 ? 0 : 1;
}
