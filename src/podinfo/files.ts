// What the podinfo folder holds: the files a Downward API volume would have
// (same names people give them, same formats), what the Downward API cannot
// give (the node's labels, addresses and resources, owner references, image
// IDs, container states), the two objects as JSON, and the named --fields.
// Pure: a function of the pod, its node and the fields.
import type { Container, ContainerStatus, Node, Pod } from '../client/types/index.js';
import { formatMap, formatPairs } from './downward-format.js';
import { FieldPathError, lookup, type NamedField, renderValue } from './fields.js';

export interface PodInfoFile {
  name: string;
  /** One line for --help and the README. */
  help: string;
  render(pod: Pod, node: Node | undefined): string;
}

const joinIps = (ips: { ip?: string }[] | undefined) => (ips ?? []).map((p) => p.ip ?? '').join(',');

/** The fixed files, in the order --help lists them. Single values have no line break at the end, as the kubelet writes them. */
export const podInfoFiles: readonly PodInfoFile[] = [
  { name: 'name', help: 'metadata.name', render: (pod) => pod.metadata?.name ?? '' },
  { name: 'namespace', help: 'metadata.namespace', render: (pod) => pod.metadata?.namespace ?? '' },
  { name: 'uid', help: 'metadata.uid', render: (pod) => pod.metadata?.uid ?? '' },
  { name: 'labels', help: 'the pod\'s labels, key="value" lines as the kubelet writes them', render: (pod) => formatMap(pod.metadata?.labels) },
  { name: 'annotations', help: 'the pod\'s annotations, in the same format', render: (pod) => formatMap(pod.metadata?.annotations) },
  { name: 'node-name', help: 'spec.nodeName', render: (pod) => pod.spec?.nodeName ?? '' },
  { name: 'service-account', help: 'spec.serviceAccountName', render: (pod) => pod.spec?.serviceAccountName ?? '' },
  { name: 'pod-ip', help: 'status.podIP', render: (pod) => pod.status?.podIP ?? '' },
  { name: 'pod-ips', help: 'status.podIPs, comma-separated (as the Downward API gives them)', render: (pod) => joinIps(pod.status?.podIPs) },
  { name: 'host-ip', help: 'status.hostIP', render: (pod) => pod.status?.hostIP ?? '' },
  { name: 'host-ips', help: 'status.hostIPs, comma-separated', render: (pod) => joinIps(pod.status?.hostIPs) },
  { name: 'qos-class', help: 'status.qosClass', render: (pod) => pod.status?.qosClass ?? '' },
  { name: 'owner-references', help: 'one Kind/name line per owner, e.g. ReplicaSet/web-5d4f8', render: (pod) => (pod.metadata?.ownerReferences ?? []).map((o) => `${o.kind}/${o.name}`).join('\n') },
  { name: 'images', help: 'container="image" lines (init, app and ephemeral containers)', render: (pod) => formatMap(byContainer(allContainers(pod), (c) => c.image ?? '')) },
  { name: 'image-ids', help: 'container="imageID" lines: the image each container really runs', render: (pod) => formatMap(byContainer(allStatuses(pod), (s) => s.imageID ?? '')) },
  { name: 'container-states', help: 'container="Running" | "Waiting: reason" | "Terminated: reason (exit code N)" lines', render: (pod) => formatMap(byContainer(allStatuses(pod), containerState)) },
  { name: 'node-labels', help: 'the node\'s labels, key="value" lines', render: (_, node) => formatMap(node?.metadata?.labels) },
  { name: 'node-annotations', help: 'the node\'s annotations, key="value" lines', render: (_, node) => formatMap(node?.metadata?.annotations) },
  { name: 'node-addresses', help: 'Type="address" lines in the node\'s order, e.g. InternalIP="10.0.0.5"', render: (_, node) => formatPairs((node?.status?.addresses ?? []).map((a) => [a.type, a.address] as const)) },
  { name: 'node-capacity', help: 'resource="quantity" lines from status.capacity', render: (_, node) => formatMap(node?.status?.capacity) },
  { name: 'node-allocatable', help: 'resource="quantity" lines from status.allocatable', render: (_, node) => formatMap(node?.status?.allocatable) },
  { name: 'pod.json', help: 'the whole pod (without managedFields and resourceVersion)', render: (pod) => objectJson(pod) },
  { name: 'node.json', help: 'the whole node (without managedFields and resourceVersion)', render: (_, node) => (node ? objectJson(node) : '') },
];

const fixedNames = new Set(podInfoFiles.map((f) => f.name));

/** Field names must differ from each other and from the fixed files. */
export function checkFieldNames(fields: readonly NamedField[]): void {
  const seen = new Set<string>();
  for (const { name } of fields) {
    if (fixedNames.has(name)) throw new FieldPathError(`--field ${name}=…: "${name}" is already a podinfo file; choose another name (e.g. ${name.toUpperCase()})`);
    if (seen.has(name)) throw new FieldPathError(`--field ${name}=… is given twice`);
    seen.add(name);
  }
}

export interface RenderedPodInfo {
  /** Every file of the folder, name → content. */
  files: Map<string, string>;
  /** The named fields' values, in the order given: for --env-out and --exec. */
  values: { name: string; value: string }[];
  /** Names of fields whose value is absent from the objects (written as ""). */
  missing: string[];
}

export function renderPodInfo(pod: Pod, node: Node | undefined, fields: readonly NamedField[]): RenderedPodInfo {
  const files = new Map<string, string>();
  for (const file of podInfoFiles) files.set(file.name, file.render(pod, node));
  const values: RenderedPodInfo['values'] = [];
  const missing: string[] = [];
  for (const field of fields) {
    const found = lookup(field.path, { pod, node });
    if (found === undefined) missing.push(field.name);
    const value = renderValue(found);
    values.push({ name: field.name, value });
    files.set(field.name, value);
  }
  return { files, values, missing };
}

function allContainers(pod: Pod): Container[] {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? []), ...((pod.spec?.ephemeralContainers ?? []) as Container[])];
}

function allStatuses(pod: Pod): ContainerStatus[] {
  const s = pod.status;
  return [...(s?.initContainerStatuses ?? []), ...(s?.containerStatuses ?? []), ...(s?.ephemeralContainerStatuses ?? [])];
}

function byContainer<T extends { name: string }>(items: T[], value: (item: T) => string): Record<string, string> {
  return Object.fromEntries(items.map((item) => [item.name, value(item)]));
}

function containerState(status: ContainerStatus): string {
  const state = status.state;
  if (state?.running) return 'Running';
  if (state?.terminated) {
    const reason = state.terminated.reason ? `${state.terminated.reason} ` : '';
    return `Terminated: ${reason}(exit code ${state.terminated.exitCode})`;
  }
  if (state?.waiting) return state.waiting.reason ? `Waiting: ${state.waiting.reason}` : 'Waiting';
  return '';
}

/** Without managedFields and resourceVersion: an update that changes only those makes no new version. */
function objectJson(object: Pod | Node): string {
  const { managedFields: _, resourceVersion: __, ...metadata } = object.metadata ?? {};
  return `${JSON.stringify({ ...object, metadata }, null, 2)}\n`;
}
