// The proxies in front of a real kube-apiserver (and etcd), the one built by
// tools/control-plane/build.sh: a small GET of one ConfigMap and a LIST of
// many, through kubectl proxy and ours with a real service-account token, and
// wrk straight to the API server with the same token as the ceiling.
//
// The binaries are never built here (that takes 10–20 minutes on 2 cores): when
// they are missing the scenario is skipped with a message saying how to build them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { controlPlaneBinariesIn, type ControlPlaneBinaries } from '../tools/control-plane/binaries.js';
import { startControlPlane, type ControlPlane } from '../tools/control-plane/control-plane.js';
import { get } from './net.js';
import type { ProxyFlags, ProxyTarget } from './proxies.js';
import { fmt, type Scenario } from './report.js';
import { type BenchContext, loadScenario } from './scenarios.js';

/** Thrown when a scenario cannot run on this machine; the run goes on and the report says why. */
export class SkipScenario extends Error {}

export const apiServerNamespace = 'bench';

/** Where build.sh puts the binaries (the same rules, without building anything), or why they cannot be used. */
export function findBuiltControlPlane(root: string): ControlPlaneBinaries {
  const assets = process.env['KUBEBUILDER_ASSETS'];
  if (assets && existsSync(join(assets, 'kube-apiserver')) && existsSync(join(assets, 'etcd'))) return controlPlaneBinariesIn(assets);
  const version = (file: string, module: string) => {
    const escaped = module.replace(/[.\/]/g, '\\$&');
    return new RegExp(`^\\s*${escaped}\\s+(v\\S+)`, 'm').exec(readFileSync(join(root, 'tools', 'control-plane', file), 'utf8'))?.[1];
  };
  const kube = version('kube-apiserver/go.mod', 'k8s.io/kubernetes');
  const etcd = version('etcd/go.mod', 'go.etcd.io/etcd/server/v3');
  const cache = process.env['KUBE_AMBASSADOR_CACHE'] ?? join(root, '.cache');
  const dir = join(cache, 'control-plane', `kube-apiserver-${kube}-etcd-${etcd}`);
  if (!kube || !etcd || !existsSync(join(dir, 'kube-apiserver')) || !existsSync(join(dir, 'etcd'))) {
    throw new SkipScenario(`kube-apiserver and etcd are not built (looked in ${dir}): run \`npm run control-plane:build\` once (10–20 minutes on 2 cores), then the benchmark again`);
  }
  return controlPlaneBinariesIn(dir);
}

export interface ApiServerOptions {
  root: string;
  /** ConfigMaps in the listed namespace. */
  configMaps: number;
  smallConnections: number;
  listConnections: number;
}

/** Sizes of the responses through a proxy may differ by a few bytes from the direct ones: a list carries the current resourceVersion. */
const listSizeSlack = 32;

export async function apiServerScenarios(ctx: BenchContext, targets: ProxyTarget[], o: ApiServerOptions, onDone: (s: Scenario) => void): Promise<void> {
  const binaries = findBuiltControlPlane(o.root);
  ctx.log(`apiserver: starting kube-apiserver and etcd from ${binaries.dir}`);
  const started = Date.now();
  let cp: ControlPlane | undefined;
  try {
    cp = await startControlPlane({ binaries });
    ctx.log(`apiserver: ready on ${cp.url} after ${Math.round((Date.now() - started) / 1000)} s; creating ${o.configMaps} ConfigMaps`);
    const ns = apiServerNamespace;
    await cp.serviceAccountWithRole(ns, 'bench', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }]);
    const token = await cp.mintToken(ns, 'bench', { expirationSeconds: 24 * 3600 });
    await createConfigMaps(cp, ns, o.configMaps);

    const flags: ProxyFlags = { server: cp.url, caFile: cp.caFile, token };
    const upstream = { url: cp.url, flags, label: 'kube-apiserver directly' };
    const objectPath = `/api/v1/namespaces/${ns}/configmaps/${configMapName(0)}`;
    const listPath = `/api/v1/namespaces/${ns}/configmaps`;
    const size = async (path: string) => {
      const r = await get(cp!.url + path, { ca: cp!.caPem, headers: { Authorization: `Bearer ${token}` } });
      if (r.status !== 200) throw new Error(`GET ${path} straight from kube-apiserver answered ${r.status}`);
      return r.bytes;
    };
    const objectBytes = await size(objectPath);
    const listBytes = await size(listPath);
    const upstreamCpu = (name: string) => ({ pid: cp!.pids.kubeApiserver, name });
    const common = `kube-apiserver ${binaries.dir.split('/').pop()?.replace(/^kube-apiserver-/, '').replace(/-etcd-/, ', etcd ')} on 127.0.0.1 (RBAC, no controller manager), the proxies authenticating with a real service-account token (TokenRequest) bound to a Role that may get, list and watch ConfigMaps in \`${ns}\`; wrk directly sends the same token. "kube-apiserver CPU per request" is the API server's user+system time over the same run ÷ responses (what each proxy's way of asking costs the API server: HTTP/2 or HTTP/1.1, gzip or not).`;

    onDone(await loadScenario(ctx, targets, {
      id: 'apiserver-get',
      title: `kube-apiserver: small GET (one ConfigMap), ${o.smallConnections} connections`,
      path: objectPath, bytes: objectBytes, connections: o.smallConnections, perRequest: 'µs',
      method: `GET ${objectPath} (${objectBytes} bytes). ${common}`,
      upstream, upstreamCpu: upstreamCpu('kube-apiserver CPU µs per request'),
    }));
    onDone(await loadScenario(ctx, targets, {
      id: 'apiserver-list',
      title: `kube-apiserver: LIST of ${o.configMaps.toLocaleString('en-US')} ConfigMaps, ${o.listConnections} connections`,
      path: listPath, bytes: listBytes, bytesSlack: listSizeSlack, connections: o.listConnections, perRequest: 'ms',
      method: `GET ${listPath} (${fmt.kb(listBytes)} uncompressed; above 128 KB kube-apiserver gzips it for clients that ask, as the proxies do, and each proxy decompresses for wrk, which does not ask). ${common}`,
      upstream, upstreamCpu: upstreamCpu('kube-apiserver CPU ms per response'),
    }));
  } finally {
    await cp?.stop();
  }
}

export function configMapName(i: number): string {
  return `cm-${String(i).padStart(5, '0')}`;
}

/** count ConfigMaps of about 0.5 KB each (as JSON from the API server), created 8 at a time. */
async function createConfigMaps(cp: ControlPlane, ns: string, count: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const body = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: configMapName(i), namespace: ns, labels: { app: 'bench', index: String(i) } },
        data: { 'settings.yaml': `replicas: 3\nimage: registry.example/app:1.0\nlogLevel: info\nindex: ${i}\n`, mode: 'production', feature: 'x'.repeat(64) },
      };
      const r = await cp.request('POST', `/api/v1/namespaces/${ns}/configmaps`, body);
      if (r.status !== 201 && r.status !== 409) throw new Error(`creating ConfigMap ${body.metadata.name}: HTTP ${r.status} ${r.text}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}
