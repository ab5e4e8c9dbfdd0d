// Requests for one kind of resource: get, list (and every page of a list),
// create, replace, patch in all four flavours, delete, watch.
import type { ApiTransport } from './api-transport.js';
import type { ApiResource } from './discovery.js';
import type { KubeList, KubeObject, WatchEvent } from './objects.js';
import { watchEvents, type WatchOptions } from './watch.js';

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

const patchContentTypes: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface Scope {
  /** For namespaced resources; defaults to the client's namespace (or the object's). */
  namespace?: string;
}

export interface ListOptions extends Scope {
  /** List across all namespaces. */
  allNamespaces?: boolean;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  signal?: AbortSignal;
}

export interface WriteOptions extends Scope {
  dryRun?: boolean;
  fieldManager?: string;
  signal?: AbortSignal;
}

export interface PatchOptions extends WriteOptions {
  type?: PatchType;
  /** Server-side apply: take ownership of conflicting fields. */
  force?: boolean;
  subresource?: string;
}

export interface DeleteOptions extends Scope {
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  gracePeriodSeconds?: number;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export class ResourceClient<T extends KubeObject = KubeObject> {
  readonly resource: ApiResource;
  readonly #transport: ApiTransport;
  readonly #defaultNamespace: string;

  constructor(transport: ApiTransport, resource: ApiResource, defaultNamespace: string) {
    this.#transport = transport;
    this.resource = resource;
    this.#defaultNamespace = defaultNamespace;
  }

  /** The client this resource belongs to was closed. */
  get closed(): boolean {
    return this.#transport.closed;
  }

  /** The collection or object path, e.g. /apis/apps/v1/namespaces/ns/deployments/name/status. */
  path(namespace: string | undefined, name?: string, subresource?: string): string {
    const r = this.resource;
    let p = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    if (r.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
    p += `/${r.resource}`;
    if (name !== undefined) p += `/${encodeURIComponent(name)}`;
    if (subresource) p += `/${subresource}`;
    return p;
  }

  get(name: string, options: Scope & { signal?: AbortSignal } = {}): Promise<T> {
    return this.#transport.requestJson<T>({ method: 'GET', path: this.path(this.#ns(options), name), signal: options.signal });
  }

  list(options: ListOptions = {}): Promise<KubeList<T>> {
    return this.#transport.requestJson<KubeList<T>>({
      method: 'GET',
      path: this.path(options.allNamespaces ? undefined : this.#ns(options)),
      query: {
        labelSelector: options.labelSelector, fieldSelector: options.fieldSelector, limit: options.limit,
        continue: options.continue, resourceVersion: options.resourceVersion, resourceVersionMatch: options.resourceVersionMatch,
      },
      signal: options.signal,
    });
  }

  /** Every page of a list, following `continue` (default 500 items a page). */
  async *pages(options: ListOptions = {}): AsyncGenerator<KubeList<T>> {
    let token = options.continue;
    do {
      const page = await this.list({ limit: 500, ...options, continue: token });
      yield page;
      token = page.metadata.continue || undefined;
    } while (token);
  }

  /** Every item of a list, page by page. */
  async *listAll(options: ListOptions = {}): AsyncGenerator<T> {
    for await (const page of this.pages(options)) yield* page.items;
  }

  create(object: T, options: WriteOptions = {}): Promise<T> {
    return this.#transport.requestJson<T>({
      method: 'POST', path: this.path(this.#ns(options, object)), body: this.#withKind(object),
      query: writeQuery(options), signal: options.signal,
    });
  }

  replace(object: T, options: WriteOptions = {}): Promise<T> {
    return this.#transport.requestJson<T>({
      method: 'PUT', path: this.path(this.#ns(options, object), nameOf(object)), body: this.#withKind(object),
      query: writeQuery(options), signal: options.signal,
    });
  }

  /** Merge patch unless `type` says otherwise; a JSON patch is an array of operations. */
  patch(name: string, patch: unknown, options: PatchOptions = {}): Promise<T> {
    const type = options.type ?? 'merge';
    return this.#transport.requestJson<T>({
      method: 'PATCH', path: this.path(this.#ns(options), name, options.subresource), body: patch,
      contentType: patchContentTypes[type],
      query: { ...writeQuery(options), force: type === 'apply' && options.force ? 'true' : undefined },
      signal: options.signal,
    });
  }

  /** Server-side apply of a whole object; `fieldManager` is required by the API server. */
  apply(object: T, options: PatchOptions & { fieldManager: string }): Promise<T> {
    return this.patch(nameOf(object), JSON.stringify(this.#withKind(object)), {
      ...options, type: 'apply', namespace: this.#ns(options, object),
    });
  }

  delete(name: string, options: DeleteOptions = {}): Promise<KubeObject> {
    return this.#transport.requestJson<KubeObject>({
      method: 'DELETE', path: this.path(this.#ns(options), name),
      query: {
        propagationPolicy: options.propagationPolicy, gracePeriodSeconds: options.gracePeriodSeconds,
        dryRun: options.dryRun ? 'All' : undefined,
      },
      signal: options.signal,
    });
  }

  /** One watch request; see Informer for list-then-watch that survives reconnects. */
  watch(options: WatchOptions & Omit<ListOptions, 'limit' | 'continue'> = {}): AsyncGenerator<WatchEvent<T>> {
    return watchEvents<T>(this.#transport, this.path(options.allNamespaces ? undefined : this.#ns(options)), options);
  }

  #ns(options: Scope, object?: KubeObject): string | undefined {
    if (!this.resource.namespaced) return undefined;
    return options.namespace ?? object?.metadata?.namespace ?? this.#defaultNamespace;
  }

  #withKind(object: T): T {
    const r = this.resource;
    return { apiVersion: r.group ? `${r.group}/${r.version}` : r.version, kind: r.kind, ...object };
  }
}

function writeQuery(options: WriteOptions): Record<string, string | undefined> {
  return { dryRun: options.dryRun ? 'All' : undefined, fieldManager: options.fieldManager };
}

function nameOf(object: KubeObject): string {
  const name = object.metadata?.name;
  if (!name) throw new Error('the object has no metadata.name');
  return name;
}
