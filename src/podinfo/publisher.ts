// Renders the pod and node into the folder (and the env file) when, and only
// when, the rendered content changed. Warns once when a named field has no
// value, and again only after it had one in between.
import type { Node, Pod } from '../client/types/index.js';
import type { Logger } from '../logging/logger.js';
import { AtomicWriter } from './atomic-writer.js';
import { renderEnvFile, writeFileAtomically } from './env-file.js';
import type { NamedField } from './fields.js';
import { renderPodInfo, type RenderedPodInfo } from './files.js';

export interface PublisherOptions {
  /** The podinfo folder; none means no files (--env-out or --exec only). */
  outDir?: string;
  envFile?: string;
  fields: readonly NamedField[];
  logger: Logger;
}

export class Publisher {
  readonly #o: PublisherOptions;
  readonly #writer: AtomicWriter | undefined;
  #lastFiles: Map<string, string> | undefined;
  #lastEnv: string | undefined;
  #missing = new Set<string>();
  #last: RenderedPodInfo | undefined;
  /** How many times the folder got a new version. */
  generations = 0;

  constructor(options: PublisherOptions) {
    this.#o = options;
    this.#writer = options.outDir ? new AtomicWriter(options.outDir) : undefined;
  }

  /** The last rendering (the named fields' values are what --exec exports). */
  get last(): RenderedPodInfo | undefined {
    return this.#last;
  }

  /** Renders and writes what changed; resolves true when anything was written. */
  async publish(pod: Pod, node: Node | undefined): Promise<boolean> {
    const rendered = renderPodInfo(pod, node, this.#o.fields);
    this.#last = rendered;
    this.#warnMissing(rendered.missing);
    let wrote = false;
    if (this.#writer && !sameFiles(this.#lastFiles, rendered.files)) {
      if (await this.#writer.write(rendered.files)) this.generations++;
      this.#lastFiles = rendered.files;
      wrote = true;
    }
    if (this.#o.envFile) {
      const env = renderEnvFile(rendered.values);
      if (env !== this.#lastEnv) {
        await writeFileAtomically(this.#o.envFile, env);
        this.#lastEnv = env;
        wrote = true;
      }
    }
    return wrote;
  }

  #warnMissing(missing: string[]): void {
    const now = new Set(missing);
    for (const field of this.#o.fields) {
      if (now.has(field.name) && !this.#missing.has(field.name)) {
        this.#o.logger.warn('a --field has no value; writing ""', { field: field.name, path: field.path.text });
      }
    }
    this.#missing = now;
  }
}

function sameFiles(a: Map<string, string> | undefined, b: Map<string, string>): boolean {
  if (!a || a.size !== b.size) return false;
  for (const [name, content] of b) if (a.get(name) !== content) return false;
  return true;
}
