// Reading certificates, keys and CA bundles named by a kubeconfig or a flag.
import { readFileSync } from 'node:fs';
import { ConfigError } from './cluster-connection.js';
import { describeFsError } from './kubeconfig.js';

export function readPemFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`unable to read ${what} ${path}: ${describeFsError(err)}`);
  }
}

export function decodePemData(data: string, what: string): Buffer {
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length === 0 || !bytes.toString('latin1').includes('-----BEGIN')) {
    throw new ConfigError(`${what} is not base64-encoded PEM data`);
  }
  return bytes;
}
