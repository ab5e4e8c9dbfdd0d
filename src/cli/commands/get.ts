// kube-ambassador get: kubectl get for one resource type — the server's own
// Table (the columns kubectl shows), or the objects as JSON, YAML or names.
import type { ApiResource } from '../../client/discovery.js';
import type { KubeClient } from '../../client/kube-client.js';
import type { KubeObject } from '../../client/objects.js';
import type { ResourceClient } from '../../client/resource-client.js';
import { UsageError } from '../flags.js';
import { formatColumns, humanDuration, sortKeys, toJson, toYaml } from '../output.js';
import { fail, lookupResource, noSuchResourceType, outputFormat, parseCommandFlags, withClient } from './client-command.js';

const help = {
  usage: 'kube-ambassador get TYPE[/NAME] [NAME] [-n NAMESPACE | -A] [-l SELECTOR] [--field-selector SELECTOR] [-o json|yaml|name|wide] [options]',
  description: `Display one or many resources of one type, like kubectl get: the columns the API server chooses
(its Table), or the objects as JSON or YAML, or their names.

Examples:
  kube-ambassador get pods
  kube-ambassador get deployments.apps -A
  kube-ambassador get configmap my-config -o yaml
  kube-ambassador get pods -l app=web --field-selector status.phase=Running -o name`,
  flags: [
    { name: 'all-namespaces', short: 'A', type: 'bool' as const, default: false, help: 'If present, list the requested object(s) across all namespaces.' },
    { name: 'selector', short: 'l', type: 'string' as const, default: '', help: 'Selector (label query) to filter on, supports \'=\', \'==\', \'!=\', \'in\', \'notin\'.' },
    { name: 'field-selector', type: 'string' as const, default: '', help: 'Selector (field query) to filter on, supports \'=\', \'==\', and \'!=\'.' },
    { name: 'output', short: 'o', type: 'string' as const, default: '', help: 'Output format: json, yaml, name or wide (default: the server\'s table).' },
    { name: 'no-headers', type: 'bool' as const, default: false, help: 'When using the default or wide output format, don\'t print headers.' },
    { name: 'chunk-size', type: 'int' as const, default: 500, help: 'Return large lists in chunks rather than all at once. Pass 0 to disable.' },
  ],
};

/** What kubectl sends for server-side printing; a server without Table support answers plain JSON. */
const tableAccept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

interface TableColumn { name: string; type?: string; format?: string; priority?: number }
interface TableRow { cells: unknown[]; object?: KubeObject }
interface Table extends KubeObject {
  columnDefinitions?: TableColumn[];
  rows?: TableRow[];
  metadata?: KubeObject['metadata'] & { continue?: string };
  items?: KubeObject[];
}

export async function runGet(argv: string[]): Promise<number> {
  const parsed = parseCommandFlags(argv, help);
  if (!parsed) return 0;
  const v = parsed.values;
  const output = outputFormat(v.output, ['json', 'yaml', 'name', 'wide'] as const);
  const [typeArg, ...names] = parsed.args.flatMap((arg, i) => (i === 0 && arg.includes('/') ? splitTypeName(arg) : [arg]));
  if (!typeArg) throw new UsageError('you must specify the type of resource to get, e.g. "kube-ambassador get pods"');
  if (names.length > 1) throw new UsageError('give one resource type and at most one name');
  const name = names[0];
  const allNamespaces = v['all-namespaces'] === true;
  const selector = v.selector as string;
  const fieldSelector = v['field-selector'] as string;
  if (name !== undefined && allNamespaces) throw new UsageError('a resource cannot be retrieved by name across all namespaces');
  if (name !== undefined && selector) throw new UsageError('name cannot be provided when a selector is specified');
  const chunk = v['chunk-size'] as number;

  return withClient(v, async (client) => {
    const resource = await lookupResource(client, typeArg);
    if (!resource) return fail(noSuchResourceType(typeArg));
    const rc = client.resourceFor(resource);
    const ns = (v.namespace as string) || client.info.namespace;
    const namespace = resource.namespaced && !allNamespaces ? ns : undefined;
    const list = { namespace, allNamespaces, labelSelector: selector, fieldSelector, limit: chunk > 0 ? chunk : undefined };

    if (output === 'json' || output === 'yaml') {
      const shown = name !== undefined
        ? withoutManagedFields(await rc.get(name, { namespace }))
        : kubectlList(await collect(rc.listAll(list)), resource);
      process.stdout.write(output === 'json' ? toJson(sortKeys(shown)) : toYaml(sortKeys(shown)));
      return 0;
    }
    if (output === 'name') {
      const objects = name !== undefined ? [await rc.get(name, { namespace })] : await collect(rc.listAll(list));
      process.stdout.write(objects.map((o) => `${kindGroup(resource)}/${o.metadata?.name ?? ''}\n`).join(''));
      return 0;
    }

    const table = await fetchTable(client, rc, name, list);
    const withNamespace = allNamespaces && resource.namespaced;
    const text = formatTable(table, { wide: output === 'wide', withNamespace, headers: v['no-headers'] !== true });
    if (text === '') {
      process.stderr.write(resource.namespaced && !allNamespaces ? `No resources found in ${ns} namespace.\n` : 'No resources found\n');
    }
    process.stdout.write(text);
    return 0;
  });
}

function splitTypeName(arg: string): string[] {
  const i = arg.indexOf('/');
  return [arg.slice(0, i), arg.slice(i + 1)];
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** The Table for one object, or for a whole list page by page (columns from the first page). */
async function fetchTable(
  client: KubeClient, rc: ResourceClient, name: string | undefined,
  list: { namespace?: string; labelSelector: string; fieldSelector: string; limit?: number },
): Promise<Table> {
  const path = rc.path(list.namespace, name);
  if (name !== undefined) return asTable(await client.requestJson<Table>({ method: 'GET', path, accept: tableAccept }));
  let merged: Table | undefined;
  let token: string | undefined;
  do {
    const page = asTable(await client.requestJson<Table>({
      method: 'GET', path, accept: tableAccept,
      query: { labelSelector: list.labelSelector, fieldSelector: list.fieldSelector, limit: list.limit, continue: token },
    }));
    if (merged) merged.rows!.push(...page.rows!);
    else merged = page;
    token = page.metadata?.continue || undefined;
  } while (token);
  return merged!;
}

/** A Table as it came, or kubectl's default NAME and AGE columns for a server that answered with objects. */
function asTable(body: Table): Table {
  if (body.kind === 'Table') return { ...body, columnDefinitions: body.columnDefinitions ?? [], rows: body.rows ?? [] };
  const objects = Array.isArray(body.items) ? body.items : [body];
  const now = Date.now();
  return {
    kind: 'Table',
    metadata: { continue: body.metadata?.continue },
    columnDefinitions: [{ name: 'Name', type: 'string', format: 'name' }, { name: 'Age', type: 'string' }],
    rows: objects.map((o) => {
      const created = o.metadata?.creationTimestamp;
      return { cells: [o.metadata?.name ?? '', created ? humanDuration(now - Date.parse(created)) : '<unknown>'], object: o };
    }),
  };
}

/** kubectl's table printer: priority-0 columns (all with wide), NAMESPACE first for -A, nothing at all when there are no rows. */
export function formatTable(table: Table, options: { wide: boolean; withNamespace: boolean; headers: boolean }): string {
  const rows = table.rows ?? [];
  if (rows.length === 0) return '';
  const columns = table.columnDefinitions ?? [];
  const shown = columns.map((c, i) => ({ c, i })).filter(({ c }) => options.wide || !c.priority);
  const lines: string[][] = [];
  if (options.headers) lines.push([...(options.withNamespace ? ['NAMESPACE'] : []), ...shown.map(({ c }) => c.name.toUpperCase())]);
  for (const row of rows) {
    const cells = shown.map(({ i }) => formatCell(row.cells[i]));
    if (options.withNamespace) cells.unshift(row.object?.metadata?.namespace ?? '');
    lines.push(cells);
  }
  return formatColumns(lines);
}

/** A cell as kubectl prints it: fmt.Sprint of the value, cut at a line break ("..."), escape characters made visible. */
export function formatCell(value: unknown): string {
  const text = goSprint(value);
  const cut = text.search(/[\f\n\r]/);
  return (cut < 0 ? text : `${text.slice(0, cut)}...`).replace(/\x1b/g, '^[');
}

function goSprint(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(goSprint).join(' ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, v]) => `${k}:${goSprint(v)}`).join(' ')}]`;
  }
  return String(value);
}

/** "configmap", "deployment.apps": how kubectl -o name spells a kind. */
export function kindGroup(resource: ApiResource): string {
  return (resource.group ? `${resource.kind}.${resource.group}` : resource.kind).toLowerCase();
}

/** kubectl's List for -o json/yaml: items with apiVersion and kind, managedFields left out. */
function kubectlList(items: KubeObject[], resource: ApiResource): KubeObject & { items: KubeObject[] } {
  const apiVersion = resource.group ? `${resource.group}/${resource.version}` : resource.version;
  return {
    apiVersion: 'v1',
    items: items.map((item) => withoutManagedFields({ apiVersion, kind: resource.kind, ...item })),
    kind: 'List',
    metadata: { resourceVersion: '' },
  };
}

/** kubectl hides metadata.managedFields unless --show-managed-fields. */
function withoutManagedFields<T extends KubeObject>(object: T): T {
  if (!object.metadata || !('managedFields' in object.metadata)) return object;
  const { managedFields: _, ...metadata } = object.metadata;
  return { ...object, metadata };
}
