// 1. Where the API server is: the resolved connection (kubeconfig or
// in-cluster), KUBERNETES_SERVICE_HOST/PORT and their IPv6 form, a known
// edge hub in their place, and an HTTPS_PROXY that would catch the traffic.
import { isIP } from 'node:net';
import { joinHostPort } from '../credentials/in-cluster.js';
import { proxyFromEnvironment } from '../credentials/proxy-environment.js';
import { readServiceAccountFolder } from '../credentials/service-account-folder.js';
import { type ApiTarget, type CheckOutcome, type DoctorCheck, type DoctorContext, fail, pass, redactUrl, warn } from './check.js';

/** Edge distributions point the in-cluster variables at a hub on the node. */
export const edgeHubs = [
  { host: '169.254.2.1', port: 10268, name: 'OpenYurt YurtHub' },
  { host: '169.254.30.10', port: 10550, name: 'KubeEdge MetaServer' },
];

export const locateCheck: DoctorCheck = {
  id: 'locate',
  title: 'Where the API server is',
  async run(ctx) {
    return locate(ctx);
  },
};

function locate(ctx: DoctorContext): CheckOutcome {
  const { env, connection, connectionError, serviceAccountDir } = ctx.inputs;
  const envHost = env.KUBERNETES_SERVICE_HOST;
  const envPort = env.KUBERNETES_SERVICE_PORT;
  const details: string[] = [];
  if (envHost !== undefined || envPort !== undefined) {
    details.push(`KUBERNETES_SERVICE_HOST=${envHost ?? '(unset)'} KUBERNETES_SERVICE_PORT=${envPort ?? '(unset)'}`);
  }

  if (envHost?.startsWith('[')) {
    return fail(`KUBERNETES_SERVICE_HOST=${envHost} has brackets`, 'set KUBERNETES_SERVICE_HOST to the bare address (the kubelet does); a client adds the brackets an IPv6 URL needs', details);
  }
  if ((envHost && !envPort) || (!envHost && envPort)) {
    const missing = envHost ? 'KUBERNETES_SERVICE_PORT' : 'KUBERNETES_SERVICE_HOST';
    if (!connection) {
      return fail(`${missing} is not set, so the in-cluster address is incomplete`, `set both KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT (the kubelet sets them in every pod unless enableServiceLinks or the env was overridden)`, details);
    }
    details.push(`${missing} is not set: the in-cluster address is incomplete (not used: the connection comes from ${connection.description})`);
  }
  if (envPort !== undefined && envHost && !/^\d{1,5}$/.test(envPort)) {
    return fail(`KUBERNETES_SERVICE_PORT=${envPort} is not a port number`, 'set KUBERNETES_SERVICE_PORT to the API server Service port (usually 443)', details);
  }

  let target: ApiTarget;
  let summary: string;
  if (connection) {
    const url = new URL(connection.origin);
    const https = url.protocol === 'https:';
    target = {
      origin: connection.origin,
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port || (https ? 443 : 80)),
      https,
      tls: connection.tls,
      caSource: caSource(ctx),
      connection,
    };
    summary = `${connection.origin + connection.serverPath} (${connection.description})`;
    if (connection.source !== 'in-cluster' && envHost && envPort) {
      details.push('this is a pod, but the kubeconfig or flags take precedence over the in-cluster variables');
    }
    if (connection.source === 'in-cluster') summary = `${connection.origin} from KUBERNETES_SERVICE_HOST/PORT (in-cluster)`;
    for (const warning of connection.warnings) details.push(`warning: ${warning}`);
  } else if (envHost && envPort) {
    // The in-cluster address is known even when the credentials are not (the folder check says why).
    const folder = (ctx.facts.folder ??= readServiceAccountFolder(serviceAccountDir));
    const ca = folder.caCrt.readable && folder.caCrt.text ? Buffer.from(folder.caCrt.text) : undefined;
    const origin = `https://${joinHostPort(envHost, envPort)}`;
    target = {
      origin, host: envHost, port: Number(envPort), https: true,
      tls: { ca, insecureSkipVerify: false },
      caSource: ca ? `${folder.caCrt.path}` : "the system's trusted roots (no readable ca.crt)",
    };
    summary = `${origin} from KUBERNETES_SERVICE_HOST/PORT (in-cluster)`;
    if (folder.token.readable && connectionError) {
      // Not the folder's fault (the next check would find it fine): the flags or kubeconfig are wrong.
      ctx.facts.target = target;
      return fail(connectionError, 'fix the kubeconfig or the connection flags named above', details);
    }
    if (connectionError) details.push(`no credentials: ${connectionError}`);
  } else {
    return fail(connectionError ?? 'no API server configured',
      'in a pod, keep the kubelet\'s KUBERNETES_SERVICE_HOST/PORT and service-account token; elsewhere set KUBECONFIG or pass --kubeconfig or --server', details);
  }
  ctx.facts.target = target;

  if (isIP(target.host) === 6) details.push(`IPv6 address: a URL needs it in brackets, https://${joinHostPort(target.host, target.port)}`);
  const hub = edgeHubs.find((h) => h.host === target.host && h.port === target.port);
  if (hub) {
    details.push(`${hub.host}:${hub.port} is the ${hub.name} on this node (an edge cluster): it forwards to the cloud API server and answers from its cache when the node is cut off, so the hub must be running`);
  }

  const envProxy = proxyFromEnvironment(target.origin, env);
  const proxyVar = env.HTTPS_PROXY ? 'HTTPS_PROXY' : env.https_proxy ? 'https_proxy' : undefined;
  if (connection?.proxyUrl && connection.proxyUrl !== envProxy) {
    details.push(`through the kubeconfig's proxy-url ${redactUrl(connection.proxyUrl)}`);
  } else if (envProxy) {
    details.push(`NO_PROXY=${env.NO_PROXY ?? env.no_proxy ?? '(unset)'}`);
    return warn(`${summary}; ${proxyVar ?? 'HTTP_PROXY'}=${redactUrl(envProxy)} catches it`,
      `if the API server is reachable directly (always, from a pod), add ${target.host} to NO_PROXY — clients honour HTTPS_PROXY/NO_PROXY as Go does`, details);
  } else if (proxyVar && target.https) {
    details.push(`${proxyVar} is set, but not used for ${target.host} (loopback, or matched by NO_PROXY)`);
  }
  return pass(summary, details);
}

function caSource(ctx: DoctorContext): string {
  const connection = ctx.inputs.connection!;
  if (connection.tls.insecureSkipVerify) return 'nothing (insecure-skip-tls-verify)';
  if (!connection.tls.ca) return "the system's trusted roots";
  if (ctx.inputs.caFile) return ctx.inputs.caFile;
  if (connection.source === 'in-cluster') return `${ctx.inputs.serviceAccountDir}/ca.crt`;
  return `the certificate authority of ${connection.description}`;
}
