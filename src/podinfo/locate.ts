// Which pod am I, and on which node? The pod's name comes from --pod-name,
// else POD_NAME (the Downward API's metadata.name), else the hostname (a
// pod's hostname is its name unless spec.hostname says otherwise); its
// namespace from -n, else POD_NAMESPACE, else the client's namespace (in a
// pod: the service-account folder's namespace file). The node is the pod's
// spec.nodeName, waited for when the pod is not scheduled yet.
import type { ApiResource } from '../client/discovery.js';
import { KubeApiError } from '../client/errors.js';
import type { KubeClient } from '../client/kube-client.js';
import { sleep } from '../client/rate-limiter.js';
import type { ResourceClient } from '../client/resource-client.js';
import type { Node, Pod } from '../client/types/index.js';
import type { Logger } from '../logging/logger.js';
import { PodInfoError } from './errors.js';
import { forbiddenError } from './rbac.js';

export interface PodIdentity {
  namespace: string;
  name: string;
  /** Where the name came from, for the not-found message. */
  nameFrom: '--pod-name' | 'POD_NAME' | 'hostname';
}

export interface IdentityInput {
  podNameFlag?: string;
  namespaceFlag?: string;
  env: { POD_NAME?: string; POD_NAMESPACE?: string };
  hostname: string;
  clientNamespace: string;
}

export function podIdentity(input: IdentityInput): PodIdentity {
  const namespace = input.namespaceFlag || input.env.POD_NAMESPACE || input.clientNamespace;
  if (input.podNameFlag) return { namespace, name: input.podNameFlag, nameFrom: '--pod-name' };
  if (input.env.POD_NAME) return { namespace, name: input.env.POD_NAME, nameFrom: 'POD_NAME' };
  return { namespace, name: input.hostname, nameFrom: 'hostname' };
}

// Core v1 never moves: no discovery round trips before the first real request.
const core = { group: '', version: 'v1', preferred: true, verbs: ['get', 'list', 'watch'] };
export const podResource: ApiResource = { ...core, resource: 'pods', kind: 'Pod', singular: 'pod', namespaced: true, shortNames: ['po'] };
export const nodeResource: ApiResource = { ...core, resource: 'nodes', kind: 'Node', singular: 'node', namespaced: false, shortNames: ['no'] };

export function podClient(client: KubeClient): ResourceClient<Pod> {
  return client.resourceFor<Pod>(podResource);
}

export function nodeClient(client: KubeClient): ResourceClient<Node> {
  return client.resourceFor<Node>(nodeResource);
}

export interface LocateOptions {
  /** Give up waiting for the node after this long (ms); 0 waits for ever. */
  timeoutMs: number;
  /** How often to look again while the pod has no node (default 500 ms). */
  pollMs?: number;
  /** RBAC needs named in errors: get only (--once), or get and watch. */
  once: boolean;
  logger: Logger;
  signal?: AbortSignal;
}

export interface Located {
  pod: Pod;
  node: Node;
}

/** The pod (once it has a node) and its node, or a PodInfoError that says what is wrong. */
export async function locate(client: KubeClient, who: PodIdentity, options: LocateOptions): Promise<Located> {
  const pods = podClient(client);
  const started = Date.now();
  const explain = (err: unknown, nodeName?: string) => explainError(client, err, who, nodeName, options.once);
  let pod: Pod;
  for (let waited = false; ; waited = true) {
    try {
      pod = await pods.get(who.name, { namespace: who.namespace, signal: options.signal });
    } catch (err) {
      throw await explain(err);
    }
    if (pod.spec?.nodeName) break;
    if (!waited) options.logger.info('waiting for the pod to be scheduled to a node', { pod: `${who.namespace}/${who.name}` });
    const elapsed = Date.now() - started;
    if (options.timeoutMs > 0 && elapsed >= options.timeoutMs) {
      throw new PodInfoError(`pod "${who.namespace}/${who.name}" is not assigned to a node yet (spec.nodeName is empty); gave up after ${seconds(elapsed)} (--timeout)`);
    }
    const pause = options.pollMs ?? 500;
    await sleep(options.timeoutMs > 0 ? Math.min(pause, options.timeoutMs - elapsed) : pause, options.signal);
  }
  const nodeName = pod.spec!.nodeName!;
  try {
    const node = await nodeClient(client).get(nodeName, { signal: options.signal });
    return { pod, node };
  } catch (err) {
    throw await explain(err, nodeName);
  }
}

/** A 404 or 403 from our own requests, in words; anything else as it was. */
export async function explainError(client: KubeClient, err: unknown, who: PodIdentity, nodeName: string | undefined, once: boolean): Promise<unknown> {
  if (!(err instanceof KubeApiError)) return err;
  if (err.isForbidden) return forbiddenError(client, err, { namespace: who.namespace, podName: who.name, nodeName, once });
  if (err.isNotFound && nodeName === undefined) {
    const hint = who.nameFrom === 'hostname'
      ? ' (the name is this host\'s name: give the pod\'s name in POD_NAME from the Downward API, fieldRef metadata.name, or with --pod-name)'
      : '';
    return new PodInfoError(`pod "${who.name}" not found in namespace "${who.namespace}"${hint}`);
  }
  if (err.isNotFound) return new PodInfoError(`node "${nodeName}" of pod "${who.namespace}/${who.name}" not found`);
  return err;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
}
