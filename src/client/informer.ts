// A local cache of one resource kept current the way client-go's reflector
// does: list, then watch from the list's resourceVersion with bookmarks; on a
// server-side timeout re-watch from the last version seen (nothing lost,
// nothing twice); on 410 Gone relist and report the difference; on errors
// back off with jitter; a silent connection is abandoned after a limit.
import { KubeApiError } from './errors.js';
import type { KubeObject } from './objects.js';
import type { ListOptions, ResourceClient } from './resource-client.js';
import { sleep } from './rate-limiter.js';

export interface InformerOptions extends Pick<ListOptions, 'namespace' | 'allNamespaces' | 'labelSelector' | 'fieldSelector'> {
  /** Items per list page (default 500). */
  pageSize?: number;
  inactivityTimeoutMs?: number;
  /** Backoff after a failed list or watch: first and largest delay (ms). */
  backoff?: { initialMs: number; maxMs: number };
  /** Server-side watch timeout in seconds, chosen at random between these (client-go: 300–600). */
  watchTimeoutSeconds?: { min: number; max: number };
  random?: () => number;
}

export interface InformerHandlers<T> {
  add?(object: T): void;
  update?(object: T, old: T): void;
  delete?(object: T): void;
  /** A list or watch failed; the informer retries by itself. */
  error?(error: Error): void;
}

export class Informer<T extends KubeObject = KubeObject> {
  readonly #client: ResourceClient<T>;
  readonly #options: InformerOptions;
  readonly #handlers: InformerHandlers<T>[] = [];
  readonly #cache = new Map<string, T>();
  readonly #stop = new AbortController();
  #resourceVersion = '';
  #synced: Promise<void>;
  #markSynced!: () => void;
  #failSynced!: (err: Error) => void;
  #hasSynced = false;
  #running: Promise<void> | undefined;
  /** How many lists (first one included) and watch connections the informer made; for tests and metrics. */
  readonly stats = { lists: 0, watches: 0, relists: 0, errors: 0 };

  constructor(client: ResourceClient<T>, options: InformerOptions = {}) {
    this.#client = client;
    this.#options = options;
    this.#synced = new Promise((resolve, reject) => { this.#markSynced = resolve; this.#failSynced = reject; });
    this.#synced.catch(() => {}); // start() hands the rejection to whoever awaits it
  }

  on(handlers: InformerHandlers<T>): this {
    this.#handlers.push(handlers);
    return this;
  }

  /**
   * Starts the loop; resolves once the first list is in the cache, rejects if
   * that first list is refused outright (401, 403, 404: retrying will not help
   * until someone changes RBAC or the resource). The loop itself keeps trying
   * until stop().
   */
  start(): Promise<void> {
    this.#running ??= this.#run();
    return this.#synced;
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    if (!this.#hasSynced) this.#failSynced(new Error('the informer was stopped before its first list'));
    await this.#running?.catch(() => {});
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#cache.get(key(namespace, name));
  }

  list(): T[] {
    return [...this.#cache.values()];
  }

  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    const backoff = this.#options.backoff ?? { initialMs: 800, maxMs: 30_000 };
    let delay = backoff.initialMs;
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.#list(signal);
          needList = false;
          this.#hasSynced = true;
          this.#markSynced();
        }
        const started = Date.now();
        const events = await this.#watch(signal);
        // A watch that ends at once with nothing in it is a failure in disguise (as client-go sees it):
        // pause before the next one rather than spin.
        if (events === 0 && Date.now() - started < 1000) {
          await sleep(delay, signal).catch(() => {});
          delay = Math.min(backoff.maxMs, delay * 2);
        } else {
          delay = backoff.initialMs;
        }
      } catch (err) {
        if (signal.aborted || this.#client.closed) break; // stopped, or its client was closed
        if (err instanceof KubeApiError && err.code === 410) {
          // Our version is too old for a watch: list again, no pause.
          needList = true;
          this.stats.relists++;
          continue;
        }
        this.stats.errors++;
        this.#emit('error', err as Error);
        if (!this.#hasSynced && err instanceof KubeApiError && err.code >= 400 && err.code < 500 && err.code !== 429) {
          this.#failSynced(err);
        }
        const random = this.#options.random ?? Math.random;
        await sleep(delay * (0.5 + random()), signal).catch(() => {});
        delay = Math.min(backoff.maxMs, delay * 2);
      }
    }
  }

  async #list(signal: AbortSignal): Promise<void> {
    this.stats.lists++;
    const seen = new Map<string, T>();
    let resourceVersion = '';
    for await (const page of this.#client.pages({ ...this.#listScope(), limit: this.#options.pageSize ?? 500, signal })) {
      for (const item of page.items) seen.set(key(item.metadata?.namespace, item.metadata?.name ?? ''), item);
      resourceVersion = page.metadata.resourceVersion ?? resourceVersion;
    }
    // Report the difference between what we had and what is there now.
    for (const [k, old] of this.#cache) if (!seen.has(k)) { this.#cache.delete(k); this.#emit('delete', old); }
    for (const [k, item] of seen) {
      const old = this.#cache.get(k);
      this.#cache.set(k, item);
      if (!old) this.#emit('add', item);
      else if (old.metadata?.resourceVersion !== item.metadata?.resourceVersion) this.#emit('update', item, old);
    }
    this.#resourceVersion = resourceVersion;
  }

  /** One watch until it ends; resolves with the number of events it carried. */
  async #watch(signal: AbortSignal): Promise<number> {
    this.stats.watches++;
    let count = 0;
    const range = this.#options.watchTimeoutSeconds ?? { min: 300, max: 600 };
    const random = this.#options.random ?? Math.random;
    const events = this.#client.watch({
      ...this.#listScope(),
      resourceVersion: this.#resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: Math.floor(range.min + random() * (range.max - range.min)),
      inactivityTimeoutMs: this.#options.inactivityTimeoutMs,
      signal,
    });
    for await (const event of events) {
      count++;
      const object = event.object;
      const rv = object.metadata?.resourceVersion;
      if (event.type === 'BOOKMARK') {
        if (rv) this.#resourceVersion = rv;
        continue;
      }
      const k = key(object.metadata?.namespace, object.metadata?.name ?? '');
      const old = this.#cache.get(k);
      if (event.type === 'DELETED') {
        this.#cache.delete(k);
        this.#emit('delete', object);
      } else {
        this.#cache.set(k, object);
        if (old) this.#emit('update', object, old);
        else this.#emit('add', object);
      }
      if (rv) this.#resourceVersion = rv;
    }
    return count;
  }

  #listScope(): ListOptions {
    const { namespace, allNamespaces, labelSelector, fieldSelector } = this.#options;
    return { namespace, allNamespaces, labelSelector, fieldSelector };
  }

  #emit(kind: 'add' | 'update' | 'delete' | 'error', ...args: unknown[]): void {
    for (const h of this.#handlers) {
      try {
        (h[kind] as ((...a: unknown[]) => void) | undefined)?.(...args);
      } catch {
        // a failing handler must not stop the informer
      }
    }
  }
}

function key(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}
