// What the upstreams serve: a pod of about 0.5 KB, as compact JSON the way the
// API server writes it, and a PodList of 5,000 of them (about 2.5 MB).

export const podPath = '/api/v1/namespaces/default/pods/p';
export const podListPath = '/api/v1/pods';
/** The same list, but served gzip-compressed to clients that accept gzip, as the API server does above 128 KB. */
export const gzipPodListPath = '/apis/bench.kube-ambassador.io/v1/pods';
export const watchPath = '/api/v1/namespaces/default/pods';

export function pod(name: string, index: number, annotations: Record<string, string> = {}): object {
  const uid = `8a1f${index.toString(16).padStart(4, '0')}-5c2e-4b7a-9d3f-0123456789ab`;
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name,
      namespace: 'default',
      uid,
      resourceVersion: String(100_000 + index),
      creationTimestamp: '2025-01-01T00:00:00Z',
      labels: { app: 'bench', 'pod-template-hash': '7d9f8c6b5d' },
      annotations,
    },
    spec: {
      containers: [{ name: 'app', image: 'registry.example/app:1.0', resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
      nodeName: 'node-1',
      serviceAccountName: 'default',
    },
    status: {
      phase: 'Running',
      podIP: `10.0.${(index >> 8) & 255}.${index & 255}`,
      startTime: '2025-01-01T00:00:01Z',
    },
  };
}

export function podJson(): string {
  return JSON.stringify(pod('p', 0));
}

export function podListJson(count = 5_000): string {
  // List items carry no kind or apiVersion, as in the API server's lists.
  const items = Array.from({ length: count }, (_, i) => {
    const { kind: _kind, apiVersion: _apiVersion, ...item } = pod(`pod-${String(i).padStart(5, '0')}`, i) as Record<string, unknown>;
    return item;
  });
  return JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '200000' }, items });
}
