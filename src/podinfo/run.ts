// podinfo, start to end: find the pod and its node, publish the folder (and
// env file) once, then — unless --once — keep it current until stopped.
import type { KubeClient } from '../client/kube-client.js';
import type { Logger } from '../logging/logger.js';
import type { NamedField } from './fields.js';
import type { RenderedPodInfo } from './files.js';
import { type IdentityInput, locate, podIdentity } from './locate.js';
import { OpsServer } from '../ops/ops-server.js';
import { Publisher } from './publisher.js';
import { runWatchLoop } from './watch-loop.js';

export interface PodinfoOptions {
  /** Where the pod's name and namespace come from; the client's namespace is added here. */
  identity: Omit<IdentityInput, 'clientNamespace'>;
  once: boolean;
  outDir?: string;
  envFile?: string;
  fields: readonly NamedField[];
  /** How long to wait for the pod to get a node (ms); 0 waits for ever. */
  timeoutMs: number;
  /** Sidecar only: serve /healthz and /readyz here. */
  opsAddress?: string;
  logger: Logger;
  /** Ends the sidecar (SIGTERM). */
  signal: AbortSignal;
}

/** Resolves with the last rendering: after the first write with once, else when the signal aborts. */
export async function runPodinfo(client: KubeClient, o: PodinfoOptions): Promise<RenderedPodInfo> {
  const who = podIdentity({ ...o.identity, clientNamespace: client.info.namespace });
  // /readyz answers once the folder holds its first version, so a native sidecar's
  // startupProbe holds the app container until the files are there.
  let written = false;
  const probes = !o.once && o.opsAddress ? new OpsServer({
    readiness: { check: async () => [written ? { name: 'files', ok: true } : { name: 'files', ok: false, message: 'the podinfo files are not written yet' }] },
  }) : undefined;
  try {
    if (probes) o.logger.info('serving probes', { address: await probes.listen(o.opsAddress!) });
    const located = await locate(client, who, { timeoutMs: o.timeoutMs, once: o.once, logger: o.logger, signal: o.signal });
    const publisher = new Publisher({ outDir: o.outDir, envFile: o.envFile, fields: o.fields, logger: o.logger });
    await publisher.publish(located.pod, located.node);
    const where = { pod: `${who.namespace}/${who.name}`, node: located.node.metadata?.name, out: o.outDir, envOut: o.envFile };
    if (o.outDir || o.envFile) o.logger.info('wrote podinfo', where);
    else o.logger.debug('read podinfo', where);
    if (o.once) return publisher.last!;
    written = true;
    await runWatchLoop({
      client, who, initial: located, logger: o.logger, signal: o.signal,
      publish: async (pod, node) => {
        if (await publisher.publish(pod, node)) o.logger.debug('published a new version', { generation: publisher.generations });
      },
    });
    return publisher.last!;
  } finally {
    await probes?.close();
  }
}
