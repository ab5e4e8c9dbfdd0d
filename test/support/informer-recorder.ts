// What an informer told its handlers, as one line per event
// ("add a v=1", "update a v=1->v=2", "delete a"), so a test can compare the
// whole history with what it changed — nothing lost, nothing twice, in order —
// plus a poll-until helper for integration tests.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Informer, KubeObject } from '../../src/client/index.js';

export interface ConfigMapLike extends KubeObject {
  data?: Record<string, string>;
}

export interface InformerRecord {
  events: string[];
  errors: Error[];
}

/** Handlers that log every event; the version shown is data.v. */
export function recordInformer(informer: Informer<ConfigMapLike>): InformerRecord {
  const record: InformerRecord = { events: [], errors: [] };
  const v = (o: ConfigMapLike) => `v=${o.data?.v ?? ''}`;
  informer.on({
    add: (o) => record.events.push(`add ${o.metadata?.name} ${v(o)}`),
    update: (o, old) => record.events.push(`update ${o.metadata?.name} ${v(old)}->${v(o)}`),
    delete: (o) => record.events.push(`delete ${o.metadata?.name}`),
    error: (e) => record.errors.push(e),
  });
  return record;
}

/** Polls until check() holds; fails with message (and what describe() says) after timeoutMs. */
export async function until(check: () => boolean | Promise<boolean>, message: string, timeoutMs = 15_000, describe?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${message}${describe ? `\n${describe()}` : ''}`);
    await sleep(20);
  }
}
