// One object kept current with get and watch only — no list, so the RBAC
// podinfo asks for stays "get, watch" (and resourceNames can limit it): get
// the object, watch with fieldSelector=metadata.name=<name> from its
// resourceVersion, re-watch from the last version seen when the server ends
// the watch, get again after 410 Gone. Other errors are retried with backoff
// and jitter; a 403 ends the watch, since waiting will not grant a permission.
import { KubeApiError } from '../client/errors.js';
import type { KubeObject } from '../client/objects.js';
import { sleep } from '../client/rate-limiter.js';
import type { ResourceClient } from '../client/resource-client.js';

export interface ObjectWatchOptions<T extends KubeObject> {
  resource: ResourceClient<T>;
  name: string;
  namespace?: string;
  /** The object as already read; the watch starts from its resourceVersion. */
  initial?: T;
  /** A new version of the object, or undefined when it was deleted. */
  onChange(object: T | undefined): void;
  /** A failed get or watch that will be retried. */
  onRetry?(error: Error, delayMs: number): void;
  backoff?: { initialMs: number; maxMs: number };
  /** Server-side watch timeout, picked at random in this range (client-go: 300–600 s). */
  watchTimeoutSeconds?: { min: number; max: number };
  inactivityTimeoutMs?: number;
  random?: () => number;
  signal: AbortSignal;
}

/** Runs until the signal aborts; rejects only with a 403 (or when the resource client throws synchronously). */
export async function watchObject<T extends KubeObject>(o: ObjectWatchOptions<T>): Promise<void> {
  const backoff = o.backoff ?? { initialMs: 800, maxMs: 30_000 };
  const random = o.random ?? Math.random;
  const range = o.watchTimeoutSeconds ?? { min: 300, max: 600 };
  let resourceVersion = o.initial?.metadata?.resourceVersion;
  let needGet = o.initial === undefined;
  let delay = backoff.initialMs;
  while (!o.signal.aborted) {
    try {
      if (needGet) {
        try {
          const object = await o.resource.get(o.name, { namespace: o.namespace, signal: o.signal });
          resourceVersion = object.metadata?.resourceVersion;
          o.onChange(object);
        } catch (err) {
          if (!(err instanceof KubeApiError && err.isNotFound)) throw err;
          // Gone: a watch without a version starts with the object's ADDED if it comes back.
          resourceVersion = undefined;
          o.onChange(undefined);
        }
        needGet = false;
      }
      const events = o.resource.watch({
        namespace: o.namespace,
        fieldSelector: `metadata.name=${o.name}`,
        resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: Math.floor(range.min + random() * (range.max - range.min)),
        inactivityTimeoutMs: o.inactivityTimeoutMs,
        signal: o.signal,
      });
      for await (const event of events) {
        resourceVersion = event.object.metadata?.resourceVersion ?? resourceVersion;
        if (event.type === 'BOOKMARK' || event.object.metadata?.name !== o.name) continue;
        o.onChange(event.type === 'DELETED' ? undefined : event.object);
        delay = backoff.initialMs;
      }
    } catch (err) {
      if (o.signal.aborted) return;
      if (err instanceof KubeApiError && err.isGone) {
        needGet = true;
        continue;
      }
      if (err instanceof KubeApiError && err.isForbidden) throw err;
      const pause = delay * (0.5 + random());
      o.onRetry?.(err as Error, pause);
      await sleep(pause, o.signal).catch(() => {});
      delay = Math.min(backoff.maxMs, delay * 2);
    }
  }
}
