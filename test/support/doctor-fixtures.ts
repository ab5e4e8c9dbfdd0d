// Fixtures the doctor and rbac tests build failures from, for real:
// service-account tokens signed with the test cluster's own signing key
// (TokenRequest refuses lifetimes under ten minutes, so an expired or stale
// token cannot be asked for), a loopback port whose SYNs go unanswered (a
// listener that never accepts, its backlog filled), and a probe for an
// address this machine has no route to; and kubectl apply, as a user pipes
// the rbac output into it.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import type { ControlPlane } from '../../tools/control-plane/index.js';
import { kubectlPath } from './kubectl.js';

export interface SignedTokenOptions {
  namespace: string;
  serviceAccount: string;
  /** Seconds from now; negative for the past. */
  expiresIn: number;
  issuedAgo?: number;
  /** Seconds from now for kubernetes.io.warnafter (negative: already stale). */
  warnAfterIn?: number;
}

/** A bound service-account token as kube-apiserver would issue it, signed with its key (sa.key of the test PKI). */
export async function signServiceAccountToken(cp: ControlPlane, options: SignedTokenOptions): Promise<string> {
  const sa = await cp.request('GET', `/api/v1/namespaces/${options.namespace}/serviceaccounts/${options.serviceAccount}`);
  if (sa.status !== 200) throw new Error(`service account: HTTP ${sa.status} ${sa.text}`);
  const key = createPrivateKey(readFileSync(join(cp.tmpDir, 'pki', 'sa.key')));
  const kid = createHash('sha256').update(createPublicKey(key).export({ type: 'spki', format: 'der' })).digest('base64url');
  const now = Math.floor(Date.now() / 1000);
  const iat = now - (options.issuedAgo ?? 60);
  const claims = {
    aud: [cp.url], iss: cp.url, sub: `system:serviceaccount:${options.namespace}:${options.serviceAccount}`,
    iat, nbf: iat, exp: now + options.expiresIn,
    'kubernetes.io': {
      namespace: options.namespace,
      serviceaccount: { name: options.serviceAccount, uid: sa.json.metadata.uid },
      ...(options.warnAfterIn !== undefined ? { warnafter: now + options.warnAfterIn } : {}),
    },
  };
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'RS256', kid })}.${encode(claims)}`;
  return `${unsigned}.${sign('sha256', Buffer.from(unsigned), key).toString('base64url')}`;
}

export interface BlackholePort {
  port: number;
  close(): Promise<void>;
}

/**
 * A loopback port that never completes a handshake: a child process listens
 * with a backlog of one and never accepts (its event loop is blocked), and two
 * connections fill the queue, so the kernel drops every further SYN.
 */
export async function blackholePort(): Promise<BlackholePort> {
  const script = `const s=require('net').createServer();s.listen({host:'127.0.0.1',port:0,backlog:1},()=>{process.stdout.write(s.address().port+'\\n');Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0);});`;
  const child: ChildProcess = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
    child.once('exit', (code) => reject(new Error(`listener exited with ${code}`)));
  });
  const fillers: Socket[] = [];
  for (;;) {
    const connected = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      fillers.push(socket);
      socket.on('error', () => resolve(false));
      socket.once('connect', () => resolve(true));
      setTimeout(() => resolve(false), 300).unref();
    });
    if (!connected) break;
    if (fillers.length > 8) throw new Error('the listen backlog never filled');
  }
  return {
    port,
    async close() {
      for (const s of fillers) s.destroy();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The error code of a connection to host:port within ms: EHOSTUNREACH/ENETUNREACH when there is no route. */
export function connectError(host: string, port: number, ms: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => { socket.destroy(); resolve('TIMEOUT'); }, ms);
    socket.once('connect', () => { clearTimeout(timer); socket.destroy(); resolve('CONNECTED'); });
    socket.once('error', (err: NodeJS.ErrnoException) => { clearTimeout(timer); resolve(err.code ?? 'ERROR'); });
  });
}

/** kubectl apply -f - as the test cluster's admin; resolves with kubectl's output. */
export function kubectlApply(cp: ControlPlane, yaml: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.KUBERNETES_SERVICE_HOST;
    delete env.KUBERNETES_SERVICE_PORT;
    delete env.KUBECONFIG;
    const child = spawn(kubectlPath(), ['apply', '-f', '-', `--kubeconfig=${cp.adminKubeconfig}`], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`kubectl apply exited ${code}: ${err}`))));
    child.stdin!.end(yaml);
  });
}
