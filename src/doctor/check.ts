// What every doctor check shares: its result (PASS / WARN / FAIL, or SKIP
// when an earlier failure makes it meaningless), the inputs the CLI hands
// in, and the facts checks learn and pass on to later ones.
import type { ClusterConnection, TlsSettings } from '../credentials/cluster-connection.js';
import type { ServiceAccountFolderState } from '../credentials/service-account-folder.js';
import type { KubeClient } from '../client/kube-client.js';
import type { UserInfo } from '../client/self-review.js';
import type { AccessNeed } from '../rbac/needs.js';

export type CheckStatus = 'PASS' | 'WARN' | 'FAIL' | 'SKIP';

/** What a check returns: what it saw, and for WARN or FAIL one line saying what to change. */
export interface CheckOutcome {
  status: CheckStatus;
  summary: string;
  details?: string[];
  fix?: string;
}

export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  summary: string;
  details: string[];
  fix?: string;
  durationMs: number;
}

export interface DoctorCheck {
  id: string;
  title: string;
  run(ctx: DoctorContext, signal: AbortSignal): Promise<CheckOutcome>;
}

export type AddressLookup = (host: string) => Promise<{ address: string; family: number }[]>;

/** Everything the doctor knows from outside: the CLI reads flags and the environment and resolves the connection. */
export interface DoctorInputs {
  env: NodeJS.ProcessEnv;
  /** The in-cluster folder (--service-account-dir or the kubelet's default). */
  serviceAccountDir: string;
  /** Check the folder even when the connection comes from a kubeconfig (the flag named it). */
  serviceAccountDirGiven?: boolean;
  /** The connection kubectl's rules resolve to; undefined when they fail (connectionError says why). */
  connection?: ClusterConnection;
  connectionError?: string;
  /** --certificate-authority, when given (to name where the trusted CA comes from). */
  caFile?: string;
  /** What the program needs (--can). */
  needs: AccessNeed[];
  /** The namespace for the rules review and for needs without one (-n, else the connection's). */
  namespace?: string;
  /** The ambassador URL to try; "" skips that check. */
  ambassadorUrl: string;
  /** The user named it (--ambassador): nothing answering there is then a failure. */
  ambassadorExplicit: boolean;
  /** Limit on each check (ms). */
  timeoutMs: number;
  /** The in-cluster DNS name of the API server (default kubernetes.default.svc). */
  serviceDnsName?: string;
  lookup?: AddressLookup;
  now?: () => number;
  userAgent?: string;
}

/** Where the API server is, as the checks dial it. */
export interface ApiTarget {
  origin: string;
  /** Without brackets. */
  host: string;
  port: number;
  https: boolean;
  tls: TlsSettings;
  /** Where the trusted CA comes from, in words ("ca.crt in /var/run/…"). */
  caSource: string;
  /** A usable connection with credentials, when one could be resolved. */
  connection?: ClusterConnection;
}

export type TcpFailure = 'refused' | 'timeout' | 'unreachable' | 'other';

/** What earlier checks learned. */
export interface DoctorFacts {
  inPod: boolean;
  target?: ApiTarget;
  folder?: ServiceAccountFolderState;
  /** The decoded claims of the token in use, when it is a JWT. */
  token?: { claims: Record<string, unknown>; expired: boolean; boundTo?: string };
  dnsFailed?: boolean;
  tcp?: { ok: true } | { ok: false; failure: TcpFailure };
  tls?: { ok: boolean };
  apiServerAnswered?: boolean;
  /** Who the API server says we are; undefined when not asked or not answered. */
  user?: UserInfo;
  authenticated?: boolean;
  /** A client through the ambassador, when one answers. */
  ambassadorClient?: KubeClient;
  /** Addresses of the kubernetes Service's endpoints, e.g. 10.0.0.5:6443. */
  apiEndpoints?: string[];
}

export interface DoctorContext {
  inputs: DoctorInputs;
  facts: DoctorFacts;
  now(): number;
  /** The client with our credentials (created on first use, closed when the doctor ends). */
  client(): KubeClient;
  /** The same server without credentials. */
  anonymousClient(): KubeClient;
  /** A client for another server (the ambassador), closed at the end. */
  clientFor(connection: ClusterConnection): KubeClient;
}

export const pass = (summary: string, details: string[] = []): CheckOutcome => ({ status: 'PASS', summary, details });
export const warn = (summary: string, fix: string | undefined, details: string[] = []): CheckOutcome => ({ status: 'WARN', summary, details, fix });
export const fail = (summary: string, fix: string, details: string[] = []): CheckOutcome => ({ status: 'FAIL', summary, details, fix });
export const skip = (summary: string, details: string[] = []): CheckOutcome => ({ status: 'SKIP', summary, details });

/** "1h2m", "3m", "45s": how far apart two instants are. */
export function humanSpan(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  return `${Math.floor(h / 24)}d${h % 24 ? `${h % 24}h` : ''}`;
}

/** ISO time without milliseconds. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A URL safe to print: no user or password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = u.password ? '***' : '***';
    u.password = '';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

export function errorCode(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string } } | undefined;
  return e?.code ?? e?.cause?.code ?? '';
}
