// The sidecar: watch the pod and its node, and publish a new version of the
// folder shortly after either changes (events are gathered for a few
// milliseconds from the first one, so a change to both makes one version). Publishing is
// serialized; a change during a write is published right after it. A deleted
// pod or node keeps the last files (the pod is going away anyway).
import type { KubeClient } from '../client/kube-client.js';
import type { Node, Pod } from '../client/types/index.js';
import type { Logger } from '../logging/logger.js';
import { explainError, type Located, nodeClient, podClient, type PodIdentity } from './locate.js';
import { watchObject } from './object-watch.js';

export interface WatchLoopOptions {
  client: KubeClient;
  who: PodIdentity;
  /** The pod and node as already read and published. */
  initial: Located;
  publish(pod: Pod, node: Node): Promise<unknown>;
  logger: Logger;
  signal: AbortSignal;
  /** How long to gather events before publishing (default 20 ms). */
  settleMs?: number;
}

/** Resolves when the signal aborts; rejects on a missing permission or a failed write. */
export async function runWatchLoop(o: WatchLoopOptions): Promise<void> {
  const stop = new AbortController();
  const signal = AbortSignal.any([o.signal, stop.signal]);
  let pod = o.initial.pod;
  let node = o.initial.node;
  const nodeName = pod.spec!.nodeName!;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> | undefined;
  let again = false;
  let failure: unknown;

  const publishNow = async (): Promise<void> => {
    try {
      do {
        again = false;
        await o.publish(pod, node);
      } while (again && !signal.aborted);
    } catch (err) {
      failure ??= err;
      stop.abort();
    } finally {
      writing = undefined;
    }
  };
  const changed = () => {
    if (writing) { again = true; return; }
    // A fixed delay from the first event, not reset by later ones: a stream of changes cannot starve the folder.
    timer ??= setTimeout(() => { timer = undefined; writing = publishNow(); }, o.settleMs ?? 20);
  };
  const onRetry = (what: string) => (err: Error, delayMs: number) =>
    o.logger.warn(`watching the ${what} failed; retrying`, { error: err.message, retryInMs: Math.round(delayMs) });
  const fail = (err: unknown) => { failure ??= err; stop.abort(); };

  const watches = [
    watchObject<Pod>({
      resource: podClient(o.client), name: o.who.name, namespace: o.who.namespace, initial: pod, signal,
      onChange: (next) => {
        if (!next) { o.logger.warn('the pod was deleted; keeping the last files', { pod: `${o.who.namespace}/${o.who.name}` }); return; }
        pod = next;
        changed();
      },
      onRetry: onRetry('pod'),
    }).catch(fail),
    watchObject<Node>({
      resource: nodeClient(o.client), name: nodeName, initial: node, signal,
      onChange: (next) => {
        if (!next) { o.logger.warn('the node was deleted; keeping the last files', { node: nodeName }); return; }
        node = next;
        changed();
      },
      onRetry: onRetry('node'),
    }).catch(fail),
  ];
  o.logger.info('watching the pod and its node', { pod: `${o.who.namespace}/${o.who.name}`, node: nodeName });
  await Promise.all(watches);
  clearTimeout(timer);
  await writing;
  if (failure !== undefined) throw await explainError(o.client, failure, o.who, nodeName, false);
}
