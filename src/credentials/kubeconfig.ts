// Kubeconfig as typed data, and the client-go loading rules: which files,
// merged how (the first file to define a name wins it wholesale; the first
// file to set current-context wins), relative paths against their own file.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve as resolvePath, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './cluster-connection.js';
import type { ExecConfig } from './exec-plugin.js';

export interface KubeconfigCluster {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'proxy-url'?: string;
  'disable-compression'?: boolean;
  extensions?: { name: string; extension: unknown }[];
}

export interface KubeconfigUser {
  token?: string;
  tokenFile?: string;
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  username?: string;
  password?: string;
  exec?: ExecConfig;
  'auth-provider'?: { name: string; config?: Record<string, string> };
  as?: string;
  'as-uid'?: string;
  'as-groups'?: string[];
  'as-user-extra'?: Record<string, string[]>;
}

export interface KubeconfigContext {
  cluster?: string;
  user?: string;
  namespace?: string;
}

/** The merged view of one or more kubeconfig files. */
export interface Kubeconfig {
  files: string[];
  currentContext?: string;
  clusters: Map<string, KubeconfigCluster>;
  users: Map<string, KubeconfigUser>;
  contexts: Map<string, KubeconfigContext>;
}

export interface KubeconfigLocation {
  /** --kubeconfig: this file only; it must exist. */
  explicitPath?: string;
  env: NodeJS.ProcessEnv;
  homeDir: string;
}

/** The files to read, in precedence order (client-go's ClientConfigLoadingRules). */
export function kubeconfigFiles(location: KubeconfigLocation): string[] {
  if (location.explicitPath) {
    try {
      statSync(location.explicitPath);
    } catch (err) {
      throw new ConfigError(`stat ${location.explicitPath}: ${describeFsError(err)}`);
    }
    return [location.explicitPath];
  }
  const list = location.env.KUBECONFIG;
  if (list) {
    // Missing files in KUBECONFIG are skipped silently, as client-go does.
    return [...new Set(list.split(':').filter((f) => f !== ''))].filter((f) => existsSync(f));
  }
  const home = join(location.homeDir, '.kube', 'config');
  return existsSync(home) ? [home] : [];
}

export function loadKubeconfig(location: KubeconfigLocation): Kubeconfig {
  const merged: Kubeconfig = { files: [], clusters: new Map(), users: new Map(), contexts: new Map() };
  for (const file of kubeconfigFiles(location)) {
    const doc = readKubeconfigFile(file);
    merged.files.push(file);
    merged.currentContext ??= nonEmpty(doc['current-context']);
    const base = dirname(resolvePath(file));
    for (const entry of namedList(doc.clusters, 'cluster', file)) {
      if (merged.clusters.has(entry.name)) continue;
      const cluster = { ...(entry.value as KubeconfigCluster) };
      resolvePathField(cluster, 'certificate-authority', base);
      merged.clusters.set(entry.name, cluster);
    }
    for (const entry of namedList(doc.users, 'user', file)) {
      if (merged.users.has(entry.name)) continue;
      const user = { ...(entry.value as KubeconfigUser) };
      resolvePathField(user, 'client-certificate', base);
      resolvePathField(user, 'client-key', base);
      resolvePathField(user, 'tokenFile', base);
      // An exec command is resolved only when it names a path, not a $PATH lookup.
      if (user.exec?.command && user.exec.command.includes(sep) && !isAbsolute(user.exec.command)) {
        user.exec = { ...user.exec, command: join(base, user.exec.command) };
      }
      merged.users.set(entry.name, user);
    }
    for (const entry of namedList(doc.contexts, 'context', file)) {
      if (!merged.contexts.has(entry.name)) merged.contexts.set(entry.name, { ...(entry.value as KubeconfigContext) });
    }
  }
  return merged;
}

interface RawKubeconfig {
  'current-context'?: unknown;
  clusters?: unknown;
  users?: unknown;
  contexts?: unknown;
}

function readKubeconfigFile(file: string): RawKubeconfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`error loading config file "${file}": ${describeFsError(err)}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`error loading config file "${file}": ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(`error loading config file "${file}": not a kubeconfig mapping`);
  }
  return doc as RawKubeconfig;
}

function namedList(list: unknown, field: string, file: string): { name: string; value: unknown }[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new ConfigError(`error loading config file "${file}": ${field}s is not a list`);
  return list.map((item: Record<string, unknown>) => {
    if (!item || typeof item.name !== 'string') {
      throw new ConfigError(`error loading config file "${file}": a ${field} entry has no name`);
    }
    return { name: item.name, value: item[field] ?? {} };
  });
}

function resolvePathField<T extends object>(obj: T, key: keyof T, base: string): void {
  const value = obj[key];
  if (typeof value === 'string' && value !== '' && !isAbsolute(value)) {
    (obj as Record<keyof T, unknown>)[key] = join(base, value);
  }
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file or directory';
  if (e.code === 'EACCES') return 'permission denied';
  if (e.code === 'EISDIR') return 'is a directory';
  return e.message;
}
