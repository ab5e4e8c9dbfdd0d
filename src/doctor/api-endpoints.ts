// Where the kubernetes Service really leads: the addresses and ports of its
// endpoints (EndpointSlices, else the Endpoints object). After DNAT a
// NetworkPolicy sees these, not the ClusterIP, so a "timed out" hint is only
// precise with them. Best effort: a 403 or no answer gives undefined.
import type { KubeClient } from '../client/kube-client.js';
import { joinHostPort } from '../credentials/in-cluster.js';

interface EndpointSliceList {
  items?: { ports?: { name?: string; port?: number }[]; endpoints?: { addresses?: string[] }[] }[];
}

interface Endpoints {
  subsets?: { addresses?: { ip?: string }[]; ports?: { name?: string; port?: number }[] }[];
}

export async function apiEndpoints(client: KubeClient): Promise<string[] | undefined> {
  const out = new Set<string>();
  try {
    const slices = await client.requestJson<EndpointSliceList>({
      method: 'GET', path: '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', query: { labelSelector: 'kubernetes.io/service-name=kubernetes' },
    });
    for (const slice of slices.items ?? []) {
      for (const port of slice.ports ?? []) {
        for (const endpoint of slice.endpoints ?? []) {
          for (const address of endpoint.addresses ?? []) if (port.port) out.add(joinHostPort(address, port.port));
        }
      }
    }
  } catch {
    // fall back to the Endpoints object
  }
  if (out.size === 0) {
    try {
      const endpoints = await client.requestJson<Endpoints>({ method: 'GET', path: '/api/v1/namespaces/default/endpoints/kubernetes' });
      for (const subset of endpoints.subsets ?? []) {
        for (const port of subset.ports ?? []) {
          for (const address of subset.addresses ?? []) if (address.ip && port.port) out.add(joinHostPort(address.ip, port.port));
        }
      }
    } catch {
      return undefined;
    }
  }
  return out.size > 0 ? [...out].sort() : undefined;
}
