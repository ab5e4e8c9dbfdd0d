// Finds kube-apiserver and etcd through build.sh, which builds them once per
// machine and afterwards only prints where they are.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ControlPlaneBinaries {
  dir: string;
  kubeApiserver: string;
  etcd: string;
}

/** Runs build.sh; its stderr (build progress) goes straight to ours. */
export async function findControlPlaneBinaries(): Promise<ControlPlaneBinaries> {
  const script = join(repositoryRoot(), 'tools', 'control-plane', 'build.sh');
  const child = spawn(script, [], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`${script} exited with ${code}`);

  const dir = stdout.trim().split('\n').pop() ?? '';
  return controlPlaneBinariesIn(dir);
}

export function controlPlaneBinariesIn(dir: string): ControlPlaneBinaries {
  const binaries = { dir, kubeApiserver: join(dir, 'kube-apiserver'), etcd: join(dir, 'etcd') };
  for (const path of [binaries.kubeApiserver, binaries.etcd]) {
    if (!existsSync(path)) throw new Error(`control plane binary missing: ${path}`);
  }
  return binaries;
}

/** The folder holding package.json: compiled code runs from build/tools/control-plane/. */
export function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('no package.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}
