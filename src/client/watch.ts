// One watch request as an async iterable of events. An ERROR event becomes a
// KubeApiError (410 Gone included, so callers relist); a stream that stays
// silent past the inactivity limit is aborted — the half-open connection that
// makes watches "just stop".
import type { ApiTransport, QueryValue } from './api-transport.js';
import { KubeApiError, type Status } from './errors.js';
import type { KubeObject, WatchEvent } from './objects.js';

export interface WatchOptions {
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  allowWatchBookmarks?: boolean;
  /** Server-side end of the watch; the informer picks 300–600 s at random, as client-go. */
  timeoutSeconds?: number;
  sendInitialEvents?: boolean;
  /** Abort when no event (bookmarks included) arrives for this long (ms). Default 150 s. */
  inactivityTimeoutMs?: number;
  signal?: AbortSignal;
}

export class WatchInactiveError extends Error {
  override name = 'WatchInactiveError';
}

export async function* watchEvents<T extends KubeObject>(transport: ApiTransport, path: string, options: WatchOptions = {}): AsyncGenerator<WatchEvent<T>> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const query: Record<string, QueryValue> = {
    watch: 'true',
    resourceVersion: options.resourceVersion,
    labelSelector: options.labelSelector,
    fieldSelector: options.fieldSelector,
    allowWatchBookmarks: options.allowWatchBookmarks ? 'true' : undefined,
    timeoutSeconds: options.timeoutSeconds,
    sendInitialEvents: options.sendInitialEvents ? 'true' : undefined,
    resourceVersionMatch: options.sendInitialEvents ? 'NotOlderThan' : undefined,
  };
  const inactivity = options.inactivityTimeoutMs ?? 150_000;
  let inactive = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => { inactive = true; controller.abort(new WatchInactiveError(`no watch event for ${inactivity} ms`)); }, inactivity);
  };
  try {
    arm();
    const res = await transport.stream({ method: 'GET', path, query, signal: controller.signal });
    let pending = '';
    const decoder = new TextDecoder(); // stream mode: a character split across chunks stays whole
    try {
      for await (const chunk of res.body) {
        arm();
        pending += decoder.decode(chunk as Buffer, { stream: true });
        let nl;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl).trim();
          pending = pending.slice(nl + 1);
          if (!line) continue;
          const event = JSON.parse(line) as WatchEvent<T>;
          if (event.type === 'ERROR') {
            const status = event.object as unknown as Status;
            throw new KubeApiError(status.code ?? 500, status, 'GET', path);
          }
          yield event;
        }
      }
    } catch (err) {
      if (inactive) throw new WatchInactiveError(`no watch event for ${inactivity} ms`);
      throw err;
    }
  } catch (err) {
    if (inactive && !(err instanceof WatchInactiveError)) throw new WatchInactiveError(`no watch event for ${inactivity} ms`);
    throw err;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    controller.abort();
  }
}
