// A token kept in a file: the projected service-account token the kubelet
// rotates, or a kubeconfig tokenFile. Re-read when the file changes (a
// directory watch sees the kubelet's ..data swap), at least once a minute
// (as client-go), and right after a 401. A missing or empty file keeps the
// last good token and is logged once per failure streak.
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from '../logging/logger.js';
import { ConfigError } from './cluster-connection.js';
import { CredentialsUnavailableError, jwtExpiry, type TokenSource, type TokenState } from './token-source.js';

export interface FileTokenSourceOptions {
  logger: Logger;
  /** Re-read at least this often (ms). */
  maxAgeMs?: number;
  /** Watch the file's folder for changes (off in tests that drive the clock). */
  watch?: boolean;
  now?: () => number;
}

export class FileTokenSource implements TokenSource {
  readonly path: string;
  readonly identity: string;
  readonly #logger: Logger;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #token: string | undefined;
  #readAt = 0;
  #stale = false;
  #reloads = 0;
  #lastError: string | undefined;
  #failureLogged = false;
  #inflight: Promise<void> | undefined;
  #watcher: FSWatcher | undefined;

  /**
   * Reads the file once now: a token file that cannot be read at start is a
   * configuration error, unless a fallback token (kubeconfig token beside
   * tokenFile) stands in until the file can be read.
   */
  static load(path: string, options: FileTokenSourceOptions & { fallback?: string }): FileTokenSource {
    const source = new FileTokenSource(path, options);
    let text: string;
    try {
      text = readFileSync(path, 'utf8').trim();
      if (text === '') throw new Error('the file is empty');
    } catch (err) {
      if (options.fallback) {
        options.logger.warn('cannot read the token file; using the inline token until it can be read', { path, error: (err as Error).message });
        text = options.fallback;
      } else {
        source.close();
        throw new ConfigError(`failed to read token file "${path}": ${(err as Error).message}`);
      }
    }
    source.#token = text;
    source.#readAt = source.#now();
    return source;
  }

  constructor(path: string, options: FileTokenSourceOptions) {
    this.path = path;
    this.identity = `file:${path}`;
    this.#logger = options.logger;
    this.#maxAgeMs = options.maxAgeMs ?? 60_000;
    this.#now = options.now ?? Date.now;
    if (options.watch !== false) this.#watch();
  }

  cached(): string | undefined {
    return this.#token !== undefined && !this.#stale && this.#now() - this.#readAt < this.#maxAgeMs ? this.#token : undefined;
  }

  async token(): Promise<string> {
    const cached = this.cached();
    if (cached !== undefined) return cached;
    await this.#reload();
    if (this.#token === undefined) {
      throw new CredentialsUnavailableError(this.#lastError ?? `no token in "${this.path}"`);
    }
    return this.#token;
  }

  async refreshAfterUnauthorized(used: string): Promise<boolean> {
    if (this.#token !== undefined && this.#token !== used) return true;
    await this.#reload();
    return this.#token !== undefined && this.#token !== used;
  }

  state(): TokenState {
    return {
      description: `token file ${this.path}`,
      expiresAt: this.#token === undefined ? undefined : jwtExpiry(this.#token),
      lastError: this.#lastError,
      reloads: this.#reloads,
      loaded: this.#token !== undefined,
    };
  }

  close(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  #reload(): Promise<void> {
    // Concurrent requests share one read.
    this.#inflight ??= this.#read().finally(() => { this.#inflight = undefined; });
    return this.#inflight;
  }

  async #read(): Promise<void> {
    this.#stale = false;
    this.#readAt = this.#now();
    let text: string;
    try {
      text = (await readFile(this.path, 'utf8')).trim();
      if (text === '') throw new Error('the file is empty');
    } catch (err) {
      this.#lastError = `failed to read token file "${this.path}": ${(err as Error).message}`;
      if (!this.#failureLogged) {
        this.#failureLogged = true;
        this.#logger.warn(this.#token === undefined
          ? 'cannot read the token file'
          : 'cannot read the token file; keeping the last good token', { path: this.path, error: (err as Error).message });
      }
      return;
    }
    this.#lastError = undefined;
    this.#failureLogged = false;
    if (this.#token !== undefined && text !== this.#token) {
      this.#reloads++;
      this.#logger.info('token file changed; using the new token', { path: this.path });
    }
    this.#token = text;
  }

  #watch(): void {
    const name = basename(this.path);
    try {
      this.#watcher = watch(dirname(this.path), { persistent: false }, (_event, file) => {
        // The kubelet swaps a ..data symlink; editors and tests rewrite the file itself.
        if (file === null || file === name || file.startsWith('..')) this.#stale = true;
      });
      this.#watcher.on('error', () => this.close());
    } catch {
      // No watch (folder missing, inotify exhausted): the one-minute re-read still applies.
    }
  }
}
