// 4. The network: DNS for the host dialled and for kubernetes.default.svc,
// then a TCP connection to the host and port — refused, timed out (a
// NetworkPolicy hint that names the endpoint port) and unreachable told apart.
import { lookup as dnsLookup } from 'node:dns/promises';
import { connect, isIP } from 'node:net';
import { type AddressLookup, type DoctorCheck, type DoctorContext, errorCode, fail, pass, skip, type TcpFailure, warn } from './check.js';

const defaultLookup: AddressLookup = (host) => dnsLookup(host, { all: true });

export const dnsCheck: DoctorCheck = {
  id: 'dns',
  title: 'DNS',
  async run(ctx) {
    const target = ctx.facts.target;
    if (!target) return skip('no API server address to look up (see locate)');
    const lookup = ctx.inputs.lookup ?? defaultLookup;
    const limit = Math.max(500, Math.floor(ctx.inputs.timeoutMs / 2));
    const resolve = (host: string) => withTimeout(lookup(host), limit, `no answer within ${limit} ms`);
    const serviceName = ctx.inputs.serviceDnsName ?? 'kubernetes.default.svc';
    const details: string[] = [];
    let dialled: string;
    if (isIP(target.host)) {
      dialled = `${target.host} is an address (no lookup needed)`;
    } else {
      try {
        const addresses = (await resolve(target.host)).map((a) => a.address);
        dialled = `${target.host} → ${addresses.join(', ')}`;
      } catch (err) {
        ctx.facts.dnsFailed = true;
        return fail(`${target.host} does not resolve (${errorCode(err) || (err as Error).message})`,
          `check the server name (kubeconfig server or --server) and this machine's DNS servers (/etc/resolv.conf)`);
      }
    }
    if (serviceName === target.host) return pass(dialled);
    try {
      const addresses = (await resolve(serviceName)).map((a) => a.address);
      const host = ctx.inputs.env.KUBERNETES_SERVICE_HOST;
      if (host && isIP(host) && !addresses.includes(host)) details.push(`KUBERNETES_SERVICE_HOST is ${host}, not one of these addresses`);
      return pass(`${dialled}; ${serviceName} → ${addresses.join(', ')}`, details);
    } catch (err) {
      const why = errorCode(err) || (err as Error).message;
      if (!ctx.facts.inPod) {
        return warn(`${dialled}; ${serviceName} does not resolve (${why}) — expected outside a cluster`,
          'nothing to change outside a cluster; in a pod this name must resolve through the cluster DNS');
      }
      return warn(`${dialled}; ${serviceName} does not resolve (${why})`,
        `the pod's cluster DNS does not answer for ${serviceName}: check CoreDNS and the pod's dnsPolicy (ClusterFirst); clients that dial KUBERNETES_SERVICE_HOST are not affected`);
    }
  },
};

export interface TcpProbeResult {
  ok: boolean;
  failure?: TcpFailure;
  code?: string;
  message?: string;
  ms: number;
  localAddress?: string;
}

/** One TCP connection attempt, classified. */
export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<TcpProbeResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: Omit<TcpProbeResult, 'ms'>) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...result, ms: Date.now() - started });
    };
    const timer = setTimeout(() => done({ ok: false, failure: 'timeout', code: 'ETIMEDOUT', message: `no answer within ${timeoutMs} ms` }), timeoutMs);
    socket.once('connect', () => done({ ok: true, localAddress: `${socket.localAddress}:${socket.localPort}` }));
    socket.once('error', (err: Error & { errors?: { code?: string }[] }) => {
      const code = errorCode(err) || err.errors?.[0]?.code || '';
      const failure: TcpFailure = code === 'ECONNREFUSED' ? 'refused'
        : code === 'ETIMEDOUT' ? 'timeout'
          : code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL' ? 'unreachable' : 'other';
      done({ ok: false, failure, code, message: err.message });
    });
  });
}

export const tcpCheck: DoctorCheck = {
  id: 'tcp',
  title: 'TCP to the API server',
  async run(ctx) {
    const target = ctx.facts.target;
    if (!target) return skip('no API server address (see locate)');
    if (ctx.facts.dnsFailed) return skip(`${target.host} does not resolve (see dns)`);
    const where = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
    const result = await tcpProbe(target.host, target.port, ctx.inputs.timeoutMs);
    const details = target.connection?.proxyUrl ? ['dialled directly; the client itself goes through the proxy named under locate'] : [];
    if (result.ok) {
      ctx.facts.tcp = { ok: true };
      return pass(`connected to ${where} in ${result.ms} ms`, [`from ${result.localAddress}`, ...details]);
    }
    ctx.facts.tcp = { ok: false, failure: result.failure! };
    switch (result.failure) {
      case 'refused':
        return fail(`${where}: connection refused (nothing listens there)`, ctx.facts.inPod && target.connection?.source !== 'kubeconfig'
          ? `check KUBERNETES_SERVICE_HOST/PORT; if they are the kubernetes Service's ClusterIP, its rules (kube-proxy or the CNI) are missing on this node, or the API server is down`
          : `check the server address and port (kubeconfig server or --server) and that the API server runs there`, details);
      case 'timeout':
        return fail(`${where}: no answer within ${ctx.inputs.timeoutMs} ms (the packets are dropped)`, networkPolicyFix(ctx, where), details);
      case 'unreachable':
        return fail(`${where}: unreachable (${result.code})`, `no route to ${target.host} from here: the address is wrong for this network, or the pod network (CNI, routes) is broken`, details);
      default:
        return fail(`${where}: ${result.message}`, 'check the address and this machine\'s network', details);
    }
  },
};

/** The hint for a silent drop; names the endpoints when a later check learned them. */
export function networkPolicyFix(ctx: Pick<DoctorContext, 'facts'>, where: string): string {
  const endpoints = ctx.facts.apiEndpoints?.length
    ? `${ctx.facts.apiEndpoints.join(', ')} (the kubernetes Service's endpoints)`
    : "the API server's endpoint address and port (often 6443)";
  if (!ctx.facts.inPod) return `a firewall drops the packets to ${where}, or the address is wrong; if this runs in a pod, a NetworkPolicy may be dropping its egress to ${endpoints}`;
  return `a NetworkPolicy may be dropping this pod's egress: allow egress to ${endpoints} — after DNAT the policy sees the endpoint, not ${where}`;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
