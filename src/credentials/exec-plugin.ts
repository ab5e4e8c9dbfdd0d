// client.authentication.k8s.io exec plugins (v1 and v1beta1): run lazily on
// the first request, cached until expirationTimestamp, re-run after expiry or
// after a 401 — the client-go behaviour.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { Logger } from '../logging/logger.js';
import { CredentialsUnavailableError, type TokenSource, type TokenState } from './token-source.js';

export interface ExecConfig {
  apiVersion: string;
  command: string;
  args?: string[];
  env?: { name: string; value: string }[];
  installHint?: string;
  provideClusterInfo?: boolean;
}

export interface ExecClusterInfo {
  server: string;
  'tls-server-name'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'certificate-authority-data'?: string;
  'proxy-url'?: string;
  'disable-compression'?: boolean;
  config?: unknown;
}

export interface ExecCredential {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  expiresAt?: Date;
}

const supportedVersions = new Set(['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1']);

export interface ExecTokenSourceOptions {
  logger: Logger;
  env: NodeJS.ProcessEnv;
  cluster?: ExecClusterInfo;
  now?: () => number;
  timeoutMs?: number;
}

export class ExecTokenSource implements TokenSource {
  readonly identity: string;
  readonly #config: ExecConfig;
  readonly #options: ExecTokenSourceOptions;
  readonly #now: () => number;
  #credential: ExecCredential | undefined;
  #inflight: Promise<ExecCredential> | undefined;
  #lastError: string | undefined;
  #reloads = 0;

  constructor(config: ExecConfig, options: ExecTokenSourceOptions) {
    if (!supportedVersions.has(config.apiVersion)) {
      throw new CredentialsUnavailableError(`exec plugin: unsupported apiVersion "${config.apiVersion}"`);
    }
    this.#config = config;
    // Hashed: the plugin's env may hold secrets.
    this.identity = `exec:${createHash('sha256').update(JSON.stringify([config.command, config.args ?? [], config.env ?? []])).digest('hex').slice(0, 16)}`;
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  async token(): Promise<string> {
    const credential = await this.credential();
    if (!credential.token) {
      throw new CredentialsUnavailableError(credential.clientCertificateData
        ? `exec plugin ${this.#config.command} returned a client certificate and no token; kube-ambassador supports token-issuing plugins only`
        : `exec plugin ${this.#config.command} returned no token`);
    }
    return credential.token;
  }

  /** The whole credential (token and/or client certificate), run or cached. */
  async credential(): Promise<ExecCredential> {
    const current = this.#credential;
    if (current && (!current.expiresAt || current.expiresAt.getTime() > this.#now())) return current;
    return this.#run();
  }

  async refreshAfterUnauthorized(used: string): Promise<boolean> {
    if (this.#credential?.token !== used) return this.#credential?.token !== undefined;
    try {
      return (await this.#run()).token !== used;
    } catch {
      return false; // keep the cached credential, as client-go does
    }
  }

  state(): TokenState {
    return {
      description: `exec plugin ${this.#config.command}`,
      expiresAt: this.#credential?.expiresAt,
      lastError: this.#lastError,
      reloads: this.#reloads,
      loaded: this.#credential !== undefined,
    };
  }

  close(): void {}

  #run(): Promise<ExecCredential> {
    this.#inflight ??= runExecPlugin(this.#config, this.#options)
      .then((credential) => {
        if (this.#credential) this.#reloads++;
        this.#credential = credential;
        this.#lastError = undefined;
        return credential;
      }, (err: Error) => {
        this.#lastError = err.message;
        throw err;
      })
      .finally(() => { this.#inflight = undefined; });
    return this.#inflight;
  }
}

export function runExecPlugin(config: ExecConfig, options: ExecTokenSourceOptions): Promise<ExecCredential> {
  const info = {
    kind: 'ExecCredential',
    apiVersion: config.apiVersion,
    spec: { interactive: false, ...(config.provideClusterInfo && options.cluster ? { cluster: options.cluster } : {}) },
  };
  const env: NodeJS.ProcessEnv = { ...options.env, KUBERNETES_EXEC_INFO: JSON.stringify(info) };
  for (const { name, value } of config.env ?? []) env[name] = value;

  return new Promise((resolve, reject) => {
    const fail = (message: string) => reject(new CredentialsUnavailableError(`getting credentials: ${message}`));
    const child = spawn(config.command, config.args ?? [], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(`exec: executable ${config.command} did not finish within ${(options.timeoutMs ?? 60_000) / 1000}s`);
    }, options.timeoutMs ?? 60_000);
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      fail(err.code === 'ENOENT'
        ? `exec: executable ${config.command} not found${config.installHint ? `\n\n${config.installHint}` : ''}`
        : `exec: ${err.message}`);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        fail(`exec: executable ${config.command} failed with ${signal ? `signal ${signal}` : `exit code ${code}`}`);
        return;
      }
      try {
        resolve(parseExecCredential(Buffer.concat(chunks).toString('utf8'), config.apiVersion));
      } catch (err) {
        fail((err as Error).message);
      }
    });
  });
}

export function parseExecCredential(stdout: string, apiVersion: string): ExecCredential {
  let doc: { kind?: unknown; apiVersion?: unknown; status?: Record<string, unknown> };
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw new Error('decoding stdout: the exec plugin did not print an ExecCredential JSON object');
  }
  if (doc.kind !== 'ExecCredential') throw new Error(`exec plugin printed kind "${String(doc.kind)}", want ExecCredential`);
  if (doc.apiVersion !== apiVersion) {
    throw new Error(`exec plugin is configured to use API version ${apiVersion}, plugin returned version ${String(doc.apiVersion)}`);
  }
  const status = doc.status;
  if (!status) throw new Error('exec plugin didn\'t return a status field');
  const str = (key: string) => typeof status[key] === 'string' && status[key] !== '' ? status[key] as string : undefined;
  const credential: ExecCredential = {
    token: str('token'),
    clientCertificateData: str('clientCertificateData'),
    clientKeyData: str('clientKeyData'),
  };
  if (Boolean(credential.clientCertificateData) !== Boolean(credential.clientKeyData)) {
    throw new Error('exec plugin returned only certificate or key, not both');
  }
  if (!credential.token && !credential.clientCertificateData) {
    throw new Error('exec plugin didn\'t return a token or cert/key pair');
  }
  const expiry = str('expirationTimestamp');
  if (expiry) {
    const at = new Date(expiry);
    if (Number.isNaN(at.getTime())) throw new Error(`exec plugin returned an invalid expirationTimestamp "${expiry}"`);
    credential.expiresAt = at;
  }
  return credential;
}
