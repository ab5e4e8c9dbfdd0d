// What is in a service-account folder (the kubelet's projected volume at
// /var/run/secrets/kubernetes.io/serviceaccount, or --service-account-dir):
// which of token, ca.crt and namespace are there and readable, and their
// contents. For diagnostics: unlike in-cluster.ts it never throws, it reports.
// The token's text is handed back for decoding; callers must never print it.
import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describeFsError } from './kubeconfig.js';

export interface FolderFile {
  path: string;
  present: boolean;
  readable: boolean;
  isDirectory: boolean;
  /** Why it could not be read ("no such file or directory", "permission denied"). */
  error?: string;
  /** The contents (trimmed); "" for an empty file. */
  text?: string;
}

export interface ServiceAccountFolderState {
  dir: string;
  exists: boolean;
  isDirectory: boolean;
  error?: string;
  token: FolderFile;
  caCrt: FolderFile;
  namespace: FolderFile;
  /** The kubelet's atomic-writer layout (a `..data` symlink): a projected or secret volume that is kept current. */
  kubeletManaged: boolean;
}

export function readServiceAccountFolder(dir: string): ServiceAccountFolderState {
  let exists = false;
  let isDirectory = false;
  let error: string | undefined;
  try {
    isDirectory = statSync(dir).isDirectory();
    exists = true;
  } catch (err) {
    error = describeFsError(err);
  }
  let kubeletManaged = false;
  if (isDirectory) {
    try {
      kubeletManaged = readdirSync(dir).includes('..data') && lstatSync(join(dir, '..data')).isSymbolicLink();
    } catch {
      // an unreadable folder: the files below say why
    }
  }
  return {
    dir, exists, isDirectory, error, kubeletManaged,
    token: readFolderFile(join(dir, 'token')),
    caCrt: readFolderFile(join(dir, 'ca.crt')),
    namespace: readFolderFile(join(dir, 'namespace')),
  };
}

function readFolderFile(path: string): FolderFile {
  const file: FolderFile = { path, present: false, readable: false, isDirectory: false };
  try {
    file.isDirectory = statSync(path).isDirectory();
    file.present = true;
  } catch (err) {
    file.error = describeFsError(err);
    return file;
  }
  if (file.isDirectory) {
    file.error = 'is a directory';
    return file;
  }
  try {
    file.text = readFileSync(path, 'utf8').trim();
    file.readable = true;
  } catch (err) {
    file.error = describeFsError(err);
  }
  return file;
}
