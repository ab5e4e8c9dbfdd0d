// The doctor, composed: each check in order, each under a time limit so the
// doctor itself never hangs, earlier facts feeding later checks; then the
// timed-out TCP hint made precise with the kubernetes Service's endpoints
// when any working path (the ambassador, say) can read them. Clients made on
// the way are closed at the end.
import type { KubeClient } from '../client/kube-client.js';
import { type ClusterConnection, unauthenticatedConnection } from '../credentials/cluster-connection.js';
import { defaultUserAgent } from '../version.js';
import { ambassadorCheck } from './ambassador.js';
import { apiEndpoints } from './api-endpoints.js';
import { apiServerCheck } from './apiserver-health.js';
import { authenticationCheck } from './authentication.js';
import { authorizationCheck } from './authorization.js';
import type { ApiTarget, CheckResult, DoctorCheck, DoctorContext, DoctorInputs } from './check.js';
import { anonymous, doctorClient } from './clients.js';
import { locateCheck } from './locate.js';
import { dnsCheck, networkPolicyFix, tcpCheck } from './network.js';
import { type DoctorReport, reportFrom } from './report.js';
import { serviceAccountFolderCheck } from './service-account-folder.js';
import { tlsCheck } from './tls.js';
import { tokenCheck } from './token.js';

/** In the order a request meets them: find, trust, authenticate, authorize — then the ambassador. */
export const doctorChecks: DoctorCheck[] = [
  locateCheck,
  serviceAccountFolderCheck,
  tokenCheck,
  dnsCheck,
  tcpCheck,
  tlsCheck,
  apiServerCheck,
  authenticationCheck,
  authorizationCheck,
  ambassadorCheck,
];

export async function runDoctor(inputs: DoctorInputs, checks: DoctorCheck[] = doctorChecks): Promise<DoctorReport> {
  const clients: KubeClient[] = [];
  const userAgent = inputs.userAgent ?? defaultUserAgent('kube-ambassador-doctor');
  const make = (connection: ClusterConnection) => {
    const client = doctorClient(connection, { timeoutMs: inputs.timeoutMs, userAgent });
    clients.push(client);
    return client;
  };
  let direct: KubeClient | undefined;
  let anonymousClient: KubeClient | undefined;
  const ctx: DoctorContext = {
    inputs,
    facts: { inPod: Boolean(inputs.env.KUBERNETES_SERVICE_HOST && inputs.env.KUBERNETES_SERVICE_PORT) },
    now: inputs.now ?? Date.now,
    client() {
      const connection = ctx.facts.target?.connection;
      if (!connection) throw new Error('no connection with credentials');
      return (direct ??= make(connection));
    },
    anonymousClient() {
      const target = ctx.facts.target;
      if (!target) throw new Error('no API server address');
      return (anonymousClient ??= make(anonymous(target.connection ?? targetConnection(target))));
    },
    clientFor: make,
  };
  const results: CheckResult[] = [];
  try {
    for (const check of checks) results.push(await runCheck(check, ctx));
    await refineTimeoutHint(ctx, results);
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
    if (inputs.connection?.auth.type === 'bearer') inputs.connection.auth.tokens.close();
  }
  return reportFrom(results);
}

/** One check under its limit: twice the per-request timeout (a check may ask twice in a row), never forever. */
export async function runCheck(check: DoctorCheck, ctx: DoctorContext): Promise<CheckResult> {
  const started = Date.now();
  const limitMs = ctx.inputs.timeoutMs * 2 + 250;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new CheckTimeout(limitMs));
    }, limitMs);
  });
  const base = { id: check.id, title: check.title };
  try {
    const outcome = await Promise.race([check.run(ctx, controller.signal), timeout]);
    return { ...base, status: outcome.status, summary: outcome.summary, details: outcome.details ?? [], fix: outcome.fix, durationMs: Date.now() - started };
  } catch (err) {
    if (err instanceof CheckTimeout) {
      return { ...base, status: 'FAIL', summary: `no result within ${limitMs} ms`, details: [], fix: 'something on the way answers too slowly: see the checks above, or raise --timeout', durationMs: Date.now() - started };
    }
    return { ...base, status: 'FAIL', summary: `the check itself failed: ${(err as Error).message}`, details: [], fix: 'this is a bug in kube-ambassador doctor; please report it with the output above', durationMs: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

class CheckTimeout extends Error {
  constructor(ms: number) {
    super(`check timed out after ${ms} ms`);
  }
}

/** The kubernetes Service's endpoints, read through whatever works, name the port a NetworkPolicy must allow. */
async function refineTimeoutHint(ctx: DoctorContext, results: CheckResult[]): Promise<void> {
  const tcp = results.find((r) => r.id === 'tcp');
  if (!tcp || ctx.facts.tcp?.ok !== false || ctx.facts.tcp.failure !== 'timeout') return;
  const via: [string, KubeClient][] = [];
  if (ctx.facts.ambassadorClient) via.push(['the ambassador', ctx.facts.ambassadorClient]);
  if (ctx.facts.authenticated) via.push(['the direct connection', ctx.client()]);
  for (const [name, client] of via) {
    const endpoints = await Promise.race([apiEndpoints(client), new Promise<undefined>((r) => setTimeout(() => r(undefined), ctx.inputs.timeoutMs).unref())]);
    if (!endpoints) continue;
    ctx.facts.apiEndpoints = endpoints;
    const where = /^(\S+): /.exec(tcp.summary)?.[1] ?? `${ctx.facts.target?.host}:${ctx.facts.target?.port}`;
    tcp.fix = networkPolicyFix(ctx, where);
    tcp.details.push(`the kubernetes Service's endpoints (read through ${name}): ${endpoints.join(', ')}`);
    return;
  }
}

/** A connection without credentials to a target known only from the in-cluster variables. */
function targetConnection(target: ApiTarget): ClusterConnection {
  return unauthenticatedConnection({ origin: target.origin, tls: target.tls, source: 'in-cluster', description: 'in-cluster address without credentials' });
}
