// kube-ambassador podinfo: the Downward API, extended — the pod's and its
// node's metadata as files (kept current, swapped atomically), as an env
// file, or as the environment of a command.
import { hostname } from 'node:os';
import { PodInfoError } from '../../podinfo/errors.js';
import { FieldPathError, type NamedField, parseNamedField } from '../../podinfo/fields.js';
import { checkFieldNames, podInfoFiles } from '../../podinfo/files.js';
import { podinfoRbac } from '../../podinfo/rbac.js';
import { runChild } from '../../podinfo/exec-child.js';
import { runPodinfo } from '../../podinfo/run.js';
import { loggerFromFlags } from '../connection-flags.js';
import { UsageError } from '../flags.js';
import { toYaml } from '../output.js';
import { fail, parseCommandFlags, warn, withClient } from './client-command.js';

const fileRows = podInfoFiles.map((f) => `  ${f.name.padEnd(17)} ${f.help}`).join('\n');

const help = {
  usage: 'kube-ambassador podinfo [--out DIR] [--field NAME=PATH]... [--env-out FILE] [--once [--exec -- CMD ARGS...]] [options]',
  description: `Write this pod's metadata and its node's into a folder, like a Downward API volume but with
the node's labels (zone, instance type, …), addresses and resources, owner references, images and
container states. As an init container (--once) it writes once; as a sidecar (the default) it
watches the pod and the node and rewrites the folder within a second of a change.

The folder is updated the way the kubelet updates a Downward API volume: each version goes into a
new hidden folder ..<timestamp>, the ..data symlink is swapped to it in one rename, and every file
is a symlink through ..data. A reader that resolves ..data once and reads through it never sees a
mix of two versions. Nothing is written while the content stays the same.

Files (single values have no line break at the end, maps are key="value" lines sorted by key,
values quoted as Go's %q — byte for byte what the kubelet writes for labels and annotations):
${fileRows}
  NAME              each --field NAME=PATH

Fields: --field NAME=PATH writes the value at PATH into the file NAME, and into --env-out and
the --exec environment as NAME. PATH starts with pod or node, then .field, ['key'] (any
characters; \\' and \\\\ escape) or [N] (a list item, from 0):
  --field ZONE="node.metadata.labels['topology.kubernetes.io/zone']"
  --field OWNER=pod.metadata.ownerReferences[0].name
  --field NODE_IP=node.status.addresses[0].address
A path the Pod or Node schema cannot have is an error at start; a value absent at run time (a
label not set) is "" with a warning. Strings are written as they are, anything else as JSON.

Finding the pod: --pod-name, else $POD_NAME, else the hostname; the namespace from -n, else
$POD_NAMESPACE, else the service account's namespace. Give both from the Downward API (fieldRef
metadata.name and metadata.namespace). The node is the pod's spec.nodeName; --once waits up to
--timeout for the pod to be scheduled.

--env-out FILE writes the fields as NAME=value lines a POSIX shell reads back exactly
(. FILE); values are single-quoted when needed. The file is replaced atomically. --env-file is
the same flag where node is started with "--" (the kube-ambassador command and the image do
that): a bare "node main.js --env-file F" is claimed by node itself, which exits when F does not
exist yet.

--exec (with --once): run CMD with the fields added to the environment — node labels as
environment variables, which the Downward API cannot give. Node cannot replace its own process
(exec(2)), so CMD runs as a child with the same stdin, stdout and stderr; SIGTERM, SIGINT, SIGHUP,
SIGQUIT and SIGUSR2 are passed on to it, and podinfo exits with CMD's exit code, or 128 + the
signal number when a signal ended it.

Permissions: get (and watch, as a sidecar) on its pod and on nodes. --print-rbac prints the Role,
ClusterRole and bindings for --service-account in -n (with --pod-name: that pod only; with --once:
get only) and exits. Without them podinfo names the missing rule.

Examples:
  # init container: write once, and an env file for the app's shell
  kube-ambassador podinfo --once --out /podinfo --env-out /podinfo/env \\
      --field ZONE="node.metadata.labels['topology.kubernetes.io/zone']"
  # sidecar: keep /podinfo current; ready once written
  kube-ambassador podinfo --out /podinfo --ops-address :9092
  # run a program with node labels in its environment
  kube-ambassador podinfo --once --field ZONE="node.metadata.labels['topology.kubernetes.io/zone']" --exec -- myapp --serve
  # the RBAC for the service account podinfo in namespace shop
  kube-ambassador podinfo --print-rbac -n shop --service-account podinfo`,
  flags: [
    { name: 'out', type: 'string' as const, default: '', help: 'Folder to write the files into (created if missing)' },
    { name: 'field', type: 'stringArray' as const, default: [], help: 'NAME=PATH: a named value from the pod or node, repeatable' },
    { name: 'env-out', type: 'string' as const, default: '', help: 'Write the --field values to this file as shell-safe NAME=value lines' },
    { name: 'env-file', type: 'string' as const, default: '', help: 'The same as --env-out (works where node is started with "--": the image and the kube-ambassador command)' },
    { name: 'once', type: 'bool' as const, default: false, help: 'Write once and exit (init container); default: keep the files current (sidecar)' },
    { name: 'exec', type: 'bool' as const, default: false, help: 'With --once: run the command after "--" with the --field values in its environment' },
    { name: 'timeout', type: 'duration' as const, default: 60_000, help: 'How long to wait for the pod to be scheduled to a node; 0 waits for ever' },
    { name: 'pod-name', type: 'string' as const, default: '', help: 'The pod\'s name (default $POD_NAME, else the hostname)' },
    { name: 'ops-address', type: 'string' as const, default: '', help: 'Sidecar: serve /healthz and /readyz (ready once the files are written) at host:port' },
    { name: 'print-rbac', type: 'bool' as const, default: false, help: 'Print the Role, ClusterRole and bindings podinfo needs, and exit' },
    { name: 'service-account', type: 'string' as const, default: 'podinfo', help: 'With --print-rbac: the service account to bind' },
  ],
};

export async function runPodinfoCommand(argv: string[]): Promise<number> {
  const parsed = parseCommandFlags(argv, help);
  if (!parsed) return 0;
  const v = parsed.values;
  if (parsed.args.length > 0) throw new UsageError(`unexpected argument "${parsed.args[0]}"; a command to run goes after --exec --`);
  const once = v.once === true;
  const namespaceFlag = (v.namespace as string) || undefined;
  const podNameFlag = (v['pod-name'] as string) || undefined;

  if (v['print-rbac']) {
    const docs = podinfoRbac({
      namespace: namespaceFlag ?? process.env.POD_NAMESPACE ?? 'default',
      serviceAccount: v['service-account'] as string,
      podName: podNameFlag,
      once,
    });
    process.stdout.write(docs.map((d) => `# ${d.comment}\n${toYaml(d.object)}`).join('---\n'));
    return 0;
  }

  const outDir = (v.out as string) || undefined;
  if (v['env-out'] && v['env-file']) throw new UsageError('give --env-out or --env-file, not both');
  const envFile = (v['env-out'] as string) || (v['env-file'] as string) || undefined;
  const exec = v.exec === true;
  if (exec && !once) throw new UsageError('--exec needs --once: the command starts after the values are read, and its environment cannot change later');
  if (exec && parsed.rest.length === 0) throw new UsageError('--exec needs a command after "--", e.g. --exec -- myapp --serve');
  if (!exec && parsed.rest.length > 0) throw new UsageError(`a command after "--" runs only with --exec (got "${parsed.rest[0]}")`);
  if (!outDir && !envFile && !exec) throw new UsageError('nothing to write: give --out DIR, --env-out FILE or --exec');
  if (v['ops-address'] && once) throw new UsageError('--ops-address is for the sidecar; --once exits when the files are written');

  let fields: NamedField[];
  try {
    fields = (v.field as string[]).map(parseNamedField);
    checkFieldNames(fields);
  } catch (err) {
    if (err instanceof FieldPathError) throw new UsageError(err.message);
    throw err;
  }
  if ((envFile || exec) && fields.length === 0) warn('no --field given: the env file and the command\'s environment get no values');

  const logger = loggerFromFlags(v);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  if (!once) for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, onSignal);
  let values: { name: string; value: string }[];
  try {
    const rendered = await withClient(v, (client) => runPodinfo(client, {
      identity: { podNameFlag, namespaceFlag, env: { POD_NAME: process.env.POD_NAME, POD_NAMESPACE: process.env.POD_NAMESPACE }, hostname: hostname() },
      once, outDir, envFile, fields, timeoutMs: v.timeout as number, opsAddress: (v['ops-address'] as string) || undefined, logger, signal: stop.signal,
    }));
    values = rendered.values;
  } catch (err) {
    if (stop.signal.aborted) return 0;
    if (err instanceof PodInfoError) return fail(err.message);
    throw err;
  } finally {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.off(signal, onSignal);
  }
  if (!exec) return 0;
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const { name, value } of values) env[name] = value;
  try {
    return await runChild(parsed.rest[0]!, parsed.rest.slice(1), env);
  } catch (err) {
    if (err instanceof PodInfoError) return fail(err.message);
    throw err;
  }
}
