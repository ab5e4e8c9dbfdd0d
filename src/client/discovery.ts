// Which resources the API server serves: kind → resource, namespaced or not,
// short names. Aggregated discovery (two requests) when the server has it
// (GA in 1.30), the per-group documents otherwise. Cached until a lookup misses.
import type { ApiTransport } from './api-transport.js';

export interface ApiResource {
  group: string;
  version: string;
  /** Plural name used in paths, e.g. "deployments". */
  resource: string;
  kind: string;
  singular: string;
  namespaced: boolean;
  verbs: string[];
  shortNames: string[];
  /** The version the server prefers for this group. */
  preferred: boolean;
}

/** The server serves no such resource (kind or name), even after discovery was refreshed. */
export class UnknownResourceError extends Error {
  override name = 'UnknownResourceError';
}

const aggregatedAccept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';

interface AggregatedList {
  kind: string;
  items?: {
    metadata: { name?: string };
    versions: { version: string; resources: { resource: string; responseKind?: { kind: string }; scope: string; singularResource?: string; verbs?: string[]; shortNames?: string[] }[] }[];
  }[];
}

export class Discovery {
  readonly #transport: ApiTransport;
  #cache: Promise<ApiResource[]> | undefined;

  constructor(transport: ApiTransport) {
    this.#transport = transport;
  }

  resources(): Promise<ApiResource[]> {
    this.#cache ??= this.#load().catch((err) => { this.#cache = undefined; throw err; });
    return this.#cache;
  }

  invalidate(): void {
    this.#cache = undefined;
  }

  /** The resource for apiVersion ("v1", "apps/v1") and kind ("Deployment"). */
  async forKind(apiVersion: string, kind: string): Promise<ApiResource> {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') as [string, string] : ['', apiVersion];
    const match = (list: ApiResource[]) => list.find((r) => r.group === group && r.version === version && r.kind === kind);
    const found = match(await this.resources()) ?? (this.invalidate(), match(await this.resources()));
    if (!found) throw new UnknownResourceError(`the server has no resource for kind "${kind}" in "${apiVersion}"`);
    return found;
  }

  /** As kubectl get reads its argument: "pods", "pod", "po", "Pod", "deployments.apps", "deploy.v1.apps". */
  async find(name: string): Promise<ApiResource> {
    const lookup = (list: ApiResource[]) => resolveResourceName(list, name);
    const found = lookup(await this.resources()) ?? (this.invalidate(), lookup(await this.resources()));
    if (!found) throw new UnknownResourceError(`the server doesn't have a resource type "${name}"`);
    return found;
  }

  async #load(): Promise<ApiResource[]> {
    const [core, groups] = await Promise.all([
      this.#transport.requestJson<AggregatedList>({ method: 'GET', path: '/api', accept: aggregatedAccept }),
      this.#transport.requestJson<AggregatedList>({ method: 'GET', path: '/apis', accept: aggregatedAccept }),
    ]);
    if (core.kind === 'APIGroupDiscoveryList' && groups.kind === 'APIGroupDiscoveryList') {
      return [...fromAggregated(core, ''), ...fromAggregated(groups, undefined)];
    }
    return this.#loadLegacy();
  }

  async #loadLegacy(): Promise<ApiResource[]> {
    const core = await this.#transport.requestJson<{ versions: string[] }>({ method: 'GET', path: '/api' });
    const groups = await this.#transport.requestJson<{ groups: { name: string; versions: { version: string }[]; preferredVersion?: { version: string } }[] }>({ method: 'GET', path: '/apis' });
    const documents = [
      ...core.versions.map((v, i) => ({ group: '', version: v, preferred: i === 0, path: `/api/${v}` })),
      ...groups.groups.flatMap((g) => g.versions.map((v) => ({
        group: g.name, version: v.version, preferred: (g.preferredVersion?.version ?? g.versions[0]?.version) === v.version, path: `/apis/${g.name}/${v.version}`,
      }))),
    ];
    const lists = await Promise.all(documents.map(async (d) => {
      const list = await this.#transport.requestJson<{ resources: { name: string; singularName?: string; namespaced: boolean; kind: string; verbs?: string[]; shortNames?: string[] }[] }>({ method: 'GET', path: d.path })
        .catch(() => ({ resources: [] })); // an unavailable aggregated API must not break the rest
      return list.resources.filter((r) => !r.name.includes('/')).map((r): ApiResource => ({
        group: d.group, version: d.version, resource: r.name, kind: r.kind, singular: r.singularName || r.kind.toLowerCase(),
        namespaced: r.namespaced, verbs: r.verbs ?? [], shortNames: r.shortNames ?? [], preferred: d.preferred,
      }));
    }));
    return lists.flat();
  }
}

function fromAggregated(list: AggregatedList, forcedGroup: string | undefined): ApiResource[] {
  const out: ApiResource[] = [];
  for (const item of list.items ?? []) {
    const group = forcedGroup ?? item.metadata.name ?? '';
    item.versions.forEach((v, index) => {
      for (const r of v.resources) {
        const kind = r.responseKind?.kind ?? '';
        out.push({
          group, version: v.version, resource: r.resource, kind, singular: r.singularResource || kind.toLowerCase(),
          namespaced: r.scope === 'Namespaced', verbs: r.verbs ?? [], shortNames: r.shortNames ?? [], preferred: index === 0,
        });
      }
    });
  }
  return out;
}

/** Pure: kubectl's resource-argument rules over a discovered list. */
export function resolveResourceName(list: ApiResource[], name: string): ApiResource | undefined {
  const [first, ...qualifier] = name.split('.');
  const lower = first!.toLowerCase();
  // "deploy.v1.apps" → version v1, group apps; "deployments.apps" → group apps.
  let version: string | undefined;
  let group: string | undefined;
  if (qualifier.length >= 2 && /^v\d/.test(qualifier[0]!)) {
    version = qualifier[0];
    group = qualifier.slice(1).join('.');
  } else if (qualifier.length > 0) {
    group = qualifier.join('.');
  }
  const candidates = list.filter((r) => (group === undefined || r.group === group) && (version === undefined || r.version === version));
  const matches = (r: ApiResource) => r.resource === lower || r.singular === lower || r.shortNames.includes(lower) || r.kind.toLowerCase() === lower;
  const hits = candidates.filter(matches);
  // Prefer the core group, then preferred versions, as kubectl's priority order does.
  return hits.find((r) => r.group === '' && r.preferred) ?? hits.find((r) => r.preferred) ?? hits[0];
}
