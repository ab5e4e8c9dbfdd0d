// A throwaway PKI for a test control plane: a CA, the API server's serving
// certificate, an admin client certificate and the service-account signing keys.
// Node cannot issue certificates, so the openssl CLI signs them.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ControlPlanePki {
  caCertFile: string;
  caKeyFile: string;
  caPem: string;
  servingCertFile: string;
  servingKeyFile: string;
  /** CN=admin, O=system:masters: client-certificate auth as a cluster admin. */
  adminClientCertFile: string;
  adminClientKeyFile: string;
  serviceAccountKeyFile: string;
  serviceAccountPublicKeyFile: string;
}

/** Every name a client may use for the API server, in-cluster or on loopback. */
export const servingSubjectAltNames = [
  'IP:127.0.0.1',
  'IP:::1',
  'DNS:localhost',
  'DNS:kubernetes',
  'DNS:kubernetes.default',
  'DNS:kubernetes.default.svc',
  'DNS:kubernetes.default.svc.cluster.local',
  'IP:10.0.0.1',
];

const validDays = '2';

export function createPki(dir: string): ControlPlanePki {
  mkdirSync(dir, { recursive: true });
  const file = (name: string) => join(dir, name);

  // Our own config, so the machine's openssl.cnf defaults cannot add or clash with extensions.
  writeFileSync(file('openssl.cnf'), opensslConfig);
  const openssl = (...args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });

  openssl('req', '-x509', '-new', ...newEcKey('ca.key'), '-config', 'openssl.cnf',
    '-extensions', 'ca', '-subj', '/CN=kube-ambassador-test-ca', '-days', validDays, '-out', 'ca.crt');

  const issue = (name: string, subject: string, extensions: string) => {
    openssl('req', '-new', ...newEcKey(`${name}.key`), '-config', 'openssl.cnf',
      '-subj', subject, '-out', `${name}.csr`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key',
      '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', validDays,
      '-extfile', 'openssl.cnf', '-extensions', extensions, '-out', `${name}.crt`);
  };
  issue('apiserver', '/CN=kube-apiserver', 'serving');
  issue('admin', '/O=system:masters/CN=admin', 'client');

  const serviceAccount = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  writeFileSync(file('sa.key'), serviceAccount.privateKey, { mode: 0o600 });
  writeFileSync(file('sa.pub'), serviceAccount.publicKey);

  return {
    caCertFile: file('ca.crt'),
    caKeyFile: file('ca.key'),
    caPem: readFileSync(file('ca.crt'), 'utf8'),
    servingCertFile: file('apiserver.crt'),
    servingKeyFile: file('apiserver.key'),
    adminClientCertFile: file('admin.crt'),
    adminClientKeyFile: file('admin.key'),
    serviceAccountKeyFile: file('sa.key'),
    serviceAccountPublicKeyFile: file('sa.pub'),
  };
}

function newEcKey(keyFile: string): string[] {
  return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile];
}

const opensslConfig = `
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
[serving]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = ${servingSubjectAltNames.join(',')}
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
`;
