// A real kube-apiserver + etcd on loopback for integration tests and the demo:
// RBAC, static admin token, client certificates and real service-account tokens.
// No kube-controller-manager runs, so create service accounts yourself.
// This file composes the start-up; processes.ts runs the processes and
// cluster-admin.ts talks to the API server once it is up.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request as undiciRequest } from 'undici';
import { stringify as toYaml } from 'yaml';
import { findControlPlaneBinaries, type ControlPlaneBinaries } from './binaries.js';
import { clusterAdmin, requester, writeServiceAccountFolder, type ClusterAdmin, type Request, type ServiceAccountFolder } from './cluster-admin.js';
import { createPki, type ControlPlanePki } from './pki.js';
import { freePorts, launch, logTail, newRun, shutDown, waitUntil, type Run } from './processes.js';

export interface ControlPlaneOptions {
  /** Sets --service-account-extend-token-expiration; false (default) so expired tokens really fail. */
  extendTokenExpiration?: boolean;
  /** Skip build.sh and use these binaries. */
  binaries?: ControlPlaneBinaries;
  extraApiServerArgs?: string[];
  /** Default 90 s: a cold kube-apiserver on 2 cores needs well over 10 s. */
  startTimeoutMs?: number;
}

export interface ControlPlane extends ClusterAdmin {
  url: string;
  host: string;
  port: number;
  caFile: string;
  caPem: string;
  adminToken: string;
  /** Contexts `admin` (token, current) and `admin-cert` (client certificate). */
  adminKubeconfig: string;
  adminClientCertFile: string;
  adminClientKeyFile: string;
  tmpDir: string;
  pids: { etcd: number; kubeApiserver: number };
  /** HTTPS to the API server, verified with the test CA, as admin unless options.token says otherwise. */
  request: Request;
  /** The files a pod finds in /var/run/secrets/kubernetes.io/serviceaccount/. */
  writeServiceAccountFolder(dir: string, files: { token: string; namespace?: string }): ServiceAccountFolder;
  /** Stops kube-apiserver, then etcd, and removes tmpDir. Safe to call more than once. */
  stop(): Promise<void>;
}

const host = '127.0.0.1';

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const binaries = options.binaries ?? (await findControlPlaneBinaries());
  const run = newRun();
  try {
    return await boot(run, binaries, options);
  } catch (error) {
    const logs = run.processes.map((p) => logTail(p)).join('\n');
    await shutDown(run);
    throw new Error(`control plane did not start: ${(error as Error).message}\n${logs}`, { cause: error });
  }
}

async function boot(run: Run, binaries: ControlPlaneBinaries, options: ControlPlaneOptions): Promise<ControlPlane> {
  const deadline = Date.now() + (options.startTimeoutMs ?? 90_000);
  const { tmpDir } = run;
  const pki = createPki(join(tmpDir, 'pki'));
  const [etcdPort, peerPort, port] = (await freePorts(host, 3)) as [number, number, number];
  const url = `https://${host}:${port}`;
  const adminToken = randomBytes(24).toString('hex');
  const tokensFile = join(tmpDir, 'tokens.csv');
  writeFileSync(tokensFile, `${adminToken},admin,admin,"system:masters"\n`, { mode: 0o600 });

  const etcdUrl = `http://${host}:${etcdPort}`;
  const peerUrl = `http://${host}:${peerPort}`;
  const etcd = launch(run, 'etcd', binaries.etcd, etcdArgs(join(tmpDir, 'etcd'), etcdUrl, peerUrl));
  const agent = (run.agent = new Agent({ connect: { ca: pki.caPem } }));
  const get = async (target: string, token?: string) => {
    const headers = token ? { authorization: `Bearer ${token}` } : {};
    const response = await undiciRequest(target, { dispatcher: agent, headers, headersTimeout: 5_000 });
    return { status: response.statusCode, text: await response.body.text() };
  };
  await waitUntil('etcd /health', run, deadline, async () => (await get(`${etcdUrl}/health`)).status === 200);

  const extendTokenExpiration = options.extendTokenExpiration ?? false;
  const apiServer = launch(run, 'kube-apiserver', binaries.kubeApiserver, [
    ...apiServerArgs({ tmpDir, etcdUrl, port, tokensFile, pki, extendTokenExpiration }),
    ...(options.extraApiServerArgs ?? []),
  ]);
  await waitUntil('/readyz', run, deadline, async () => {
    const readyz = await get(`${url}/readyz`);
    return readyz.status === 200 && readyz.text === 'ok';
  });
  await waitUntil('/api/v1/namespaces/default', run, deadline, async () =>
    (await get(`${url}/api/v1/namespaces/default`, adminToken)).status === 200);

  const adminKubeconfig = join(tmpDir, 'admin.kubeconfig');
  writeFileSync(adminKubeconfig, kubeconfig(url, pki.caCertFile, adminToken, pki));

  const request = requester(url, agent, adminToken);
  let stopping: Promise<void> | undefined;

  return {
    url,
    host,
    port,
    caFile: pki.caCertFile,
    caPem: pki.caPem,
    adminToken,
    adminKubeconfig,
    adminClientCertFile: pki.adminClientCertFile,
    adminClientKeyFile: pki.adminClientKeyFile,
    tmpDir,
    pids: { etcd: etcd.child.pid!, kubeApiserver: apiServer.child.pid! },
    request,
    ...clusterAdmin(request),
    writeServiceAccountFolder: (dir, files) => writeServiceAccountFolder(dir, files, { host, port, caPem: pki.caPem }),
    stop: () => (stopping ??= shutDown(run)),
  };
}

function etcdArgs(dataDir: string, clientUrl: string, peerUrl: string): string[] {
  return [
    '--name=test',
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=test=${peerUrl}`,
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ];
}

interface ApiServerSetup {
  tmpDir: string;
  etcdUrl: string;
  port: number;
  tokensFile: string;
  pki: ControlPlanePki;
  extendTokenExpiration: boolean;
}

function apiServerArgs({ tmpDir, etcdUrl, port, tokensFile, pki, extendTokenExpiration }: ApiServerSetup): string[] {
  return [
    `--etcd-servers=${etcdUrl}`,
    `--bind-address=${host}`,
    `--advertise-address=${host}`,
    `--secure-port=${port}`,
    // A loopback address cannot go into the `kubernetes` Endpoints.
    '--endpoint-reconciler-type=none',
    `--cert-dir=${join(tmpDir, 'apiserver')}`,
    `--tls-cert-file=${pki.servingCertFile}`,
    `--tls-private-key-file=${pki.servingKeyFile}`,
    `--client-ca-file=${pki.caCertFile}`,
    `--token-auth-file=${tokensFile}`,
    '--authorization-mode=RBAC',
    `--service-account-issuer=https://${host}:${port}`,
    `--service-account-signing-key-file=${pki.serviceAccountKeyFile}`,
    `--service-account-key-file=${pki.serviceAccountPublicKeyFile}`,
    `--service-account-extend-token-expiration=${extendTokenExpiration}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    // Without kube-controller-manager no `default` ServiceAccount appears to satisfy it.
    '--disable-admission-plugins=ServiceAccount',
    '--allow-privileged=true',
  ];
}

function kubeconfig(server: string, caFile: string, token: string, pki: ControlPlanePki): string {
  const cluster = 'kube-ambassador-test';
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server, 'certificate-authority': caFile } }],
    users: [
      { name: 'admin', user: { token } },
      { name: 'admin-cert', user: { 'client-certificate': pki.adminClientCertFile, 'client-key': pki.adminClientKeyFile } },
    ],
    contexts: [
      { name: 'admin', context: { cluster, user: 'admin', namespace: 'default' } },
      { name: 'admin-cert', context: { cluster, user: 'admin-cert', namespace: 'default' } },
    ],
    'current-context': 'admin',
  });
}
