// The kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go, v1.35), the
// way a Downward API, ConfigMap or Secret volume is updated:
//
//   <dir>/..2024_05_01_12_00_00.1234567/   the files of one version (0755, files 0644)
//   <dir>/..data -> ..2024_05_01_12_00_00.1234567
//   <dir>/labels -> ..data/labels          what readers open
//
// A write puts the whole new version into a new timestamped folder, points a
// `..data_tmp` symlink at it and renames that over `..data` (rename(2) is
// atomic), then adds links for new names, removes links of names no longer
// written, and removes the previous folder. A reader that resolves `..data`
// once and reads every file through that folder sees one version, never a
// mix; a reader that opens the visible links one by one may straddle a swap
// (as with the kubelet's volumes). Nothing is written when the content is
// unchanged. Names are flat (no "/"), must not start with "..".
import { randomInt } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const dataDirName = '..data';
const newDataDirName = '..data_tmp';

export interface AtomicWriterOptions {
  /** File mode (default 0644, the Downward API volume's defaultMode). */
  mode?: number;
  /** For the timestamp in folder names. */
  now?: () => Date;
}

export class AtomicWriter {
  readonly targetDir: string;
  readonly #mode: number;
  readonly #now: () => Date;

  constructor(targetDir: string, options: AtomicWriterOptions = {}) {
    this.targetDir = targetDir;
    this.#mode = options.mode ?? 0o644;
    this.#now = options.now ?? (() => new Date());
  }

  /** Projects the payload into the folder; resolves true when a new version was written, false when nothing changed. */
  async write(payload: ReadonlyMap<string, string | Buffer>): Promise<boolean> {
    // (1) validate
    for (const name of payload.keys()) validateName(name);
    await mkdir(this.targetDir, { recursive: true });

    // (2) the current version
    const dataDirPath = join(this.targetDir, dataDirName);
    let oldTsDir = '';
    try {
      oldTsDir = await readlink(dataDirPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const oldTsPath = join(this.targetDir, oldTsDir);

    let toRemove: string[] = [];
    let shouldWrite = true;
    if (oldTsDir) {
      // (3) names in the current version that the payload no longer has
      const current = await readdir(oldTsPath).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [] as string[];
        throw err;
      });
      toRemove = current.filter((name) => !payload.has(name));
      // (4) is anything different?
      if (toRemove.length === 0 && !(await differs(payload, oldTsPath))) {
        shouldWrite = false;
        oldTsDir = ''; // keep the current folder; still make sure every visible link exists
      }
    }

    if (shouldWrite) {
      // (5) a new timestamped folder, (6) the payload in it
      const tsDir = await this.#newTimestampDir();
      const tsDirName = tsDir.slice(this.targetDir.length + 1);
      try {
        for (const [name, content] of payload) {
          const path = join(tsDir, name);
          await writeFile(path, content, { mode: this.#mode });
          await chmod(path, this.#mode); // as the kubelet: the mode exactly, whatever the umask
        }
        // (8) ..data_tmp -> the new folder (a leftover from a crash is replaced)
        const newDataDirPath = join(this.targetDir, newDataDirName);
        await rm(newDataDirPath, { force: true });
        await symlink(tsDirName, newDataDirPath);
        // (9) the atomic swap
        await rename(newDataDirPath, dataDirPath);
      } catch (err) {
        // Undo what this write made; the previous version stays as it was.
        await rm(join(this.targetDir, newDataDirName), { force: true }).catch(() => {});
        await rm(tsDir, { recursive: true, force: true }).catch(() => {});
        throw err;
      }
    }

    // (10) visible links for new names
    for (const name of payload.keys()) {
      const visible = join(this.targetDir, name);
      try {
        await readlink(visible);
      } catch (err) {
        // As the kubelet: only a missing name gets a link; something else already there is left alone.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') await symlink(join(dataDirName, name), visible);
      }
    }
    // (11) links of names no longer written
    for (const name of toRemove) await rm(join(this.targetDir, name), { force: true });
    // (12) the previous version
    if (oldTsDir) await rm(oldTsPath, { recursive: true, force: true });
    return shouldWrite;
  }

  /** os.MkdirTemp(dir, "..2006_01_02_15_04_05."): the UTC time and a random number, mode 0755. */
  async #newTimestampDir(): Promise<string> {
    const prefix = `..${timestamp(this.#now())}.`;
    for (let attempt = 0; ; attempt++) {
      const dir = join(this.targetDir, `${prefix}${randomInt(0, 2 ** 32 - 1)}`);
      try {
        await mkdir(dir, { mode: 0o700 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 10000) continue;
        throw err;
      }
      await chmod(dir, 0o755);
      return dir;
    }
  }
}

/** Go's time format "2006_01_02_15_04_05" in UTC. */
export function timestamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getUTCFullYear()}_${p(date.getUTCMonth() + 1)}_${p(date.getUTCDate())}_${p(date.getUTCHours())}_${p(date.getUTCMinutes())}_${p(date.getUTCSeconds())}`;
}

/** The AtomicWriter's validatePath, for flat names. */
export function validateName(name: string): void {
  if (name === '') throw new Error('invalid path: must not be empty');
  if (name.includes('/')) throw new Error(`invalid path: podinfo writes flat names, not ${name}`);
  if (name === '..' || name === '.' || name.startsWith('..')) throw new Error(`invalid path: must not start with '..': ${name}`);
  if (Buffer.byteLength(name) > 255) throw new Error('invalid path: filenames must be less than or equal to 255 characters');
}

async function differs(payload: ReadonlyMap<string, string | Buffer>, dir: string): Promise<boolean> {
  for (const [name, content] of payload) {
    const path = join(dir, name);
    try {
      await lstat(path);
    } catch {
      return true;
    }
    const onDisk = await readFile(path);
    if (!onDisk.equals(typeof content === 'string' ? Buffer.from(content) : content)) return true;
  }
  return false;
}
