// The proxies under comparison, each started the same way with identical
// flags: the real kubectl proxy, and ours from the bundle the image ships (and
// optionally from the tsc build), in a clean environment (empty HOME, no
// KUBECONFIG, no in-cluster variables), so only the flags configure them.
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcessSet, Spawned } from './processes.js';

export type ProxyId = 'kubectl' | 'bundle' | 'build';

export interface ProxyTarget {
  id: ProxyId;
  label: string;
  command: string;
  /** Arguments before "proxy" (e.g. the script for node). */
  prefix: string[];
}

export interface ProxyTargets {
  kubectl: ProxyTarget;
  bundle: ProxyTarget;
  build: ProxyTarget;
}

/**
 * The bundle is copied into the run's folder first: others may rebuild dist/
 * while the benchmark runs, and every measurement must use the same code.
 */
export function proxyTargets(options: { kubectl: string; distDir: string; cliScript: string; scratch: string }): ProxyTargets {
  const entry = join(options.distDir, 'kube-ambassador.mjs');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run bundle`);
  const copy = join(options.scratch, 'dist');
  cpSync(options.distDir, copy, { recursive: true });
  return {
    kubectl: { id: 'kubectl', label: 'kubectl proxy', command: options.kubectl, prefix: [] },
    bundle: { id: 'bundle', label: 'kube-ambassador (bundle)', command: process.execPath, prefix: [...shebangNodeFlags(entry), join(copy, 'kube-ambassador.mjs')] },
    build: { id: 'build', label: 'kube-ambassador (tsc build)', command: process.execPath, prefix: [...shebangNodeFlags(options.cliScript), options.cliScript] },
  };
}

/**
 * Node's flags from the script's "#!/usr/bin/env -S node FLAGS --" line: ours
 * runs with them from a shell and in the image (the same flags are in its
 * entrypoint), so it is measured with them too.
 */
export function shebangNodeFlags(script: string): string[] {
  const first = readFileSync(script, 'utf8').split('\n', 1)[0]!;
  const m = /^#!\/usr\/bin\/env -S node(.*?)(?: --)?$/.exec(first);
  return m ? m[1]!.trim().split(/\s+/).filter(Boolean) : [];
}

export interface ProxyFlags {
  server: string;
  caFile: string;
  token: string;
}

export interface RunningProxy {
  target: ProxyTarget;
  process: Spawned;
  pid: number;
  port: number;
  url: string;
  /** process.hrtime.bigint() just before spawn, and when "Starting to serve on" arrived. */
  spawnedAt: bigint;
  servingAt: bigint;
}

/** kubectl proxy's own flags, the same for every proxy. */
export function proxyArgs(flags: ProxyFlags): string[] {
  return ['proxy', '--port=0', `--server=${flags.server}`, `--certificate-authority=${flags.caFile}`, `--token=${flags.token}`];
}

export async function startProxy(processes: ProcessSet, target: ProxyTarget, flags: ProxyFlags,
  options: { scratch: string; nodeArgs?: string[]; timeoutMs?: number }): Promise<RunningProxy> {
  const home = mkdtempSync(join(options.scratch, 'home-'));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  for (const name of ['KUBECONFIG', 'KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT', 'NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS', 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']) delete env[name];
  const nodeArgs = target.command === process.execPath ? options.nodeArgs ?? [] : [];
  const args = [...nodeArgs, ...target.prefix, ...proxyArgs(flags)];
  const spawnedAt = process.hrtime.bigint();
  const spawned = processes.spawn(target.id, target.command, args, { env });
  const { port, servingAt } = await new Promise<{ port: number; servingAt: bigint }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${target.label} did not start: ${spawned.output()}`)), options.timeoutMs ?? 15_000);
    const check = () => {
      const m = /Starting to serve on .*:(\d+)\s/.exec(spawned.output());
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), servingAt: process.hrtime.bigint() });
      }
    };
    spawned.child.stdout!.on('data', check);
    void spawned.exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`${target.label} exited (${code}) before serving: ${spawned.output()}`));
    });
  });
  return { target, process: spawned, pid: spawned.pid, port, url: `http://127.0.0.1:${port}`, spawnedAt, servingAt };
}
