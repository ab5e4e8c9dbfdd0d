// kube-ambassador proxy: kubectl proxy's flags, checks and startup line, in
// front of our transport and handler.
import { statSync } from 'node:fs';
import { createLogger } from '../../logging/logger.js';
import { AccessLog } from '../../ops/access-log.js';
import { OpsObserver } from '../../ops/observer.js';
import { OpsServer } from '../../ops/ops-server.js';
import { apiServerProbe, Readiness } from '../../ops/readiness.js';
import { type ExchangeObserver, noopObserver } from '../../proxy/exchange.js';
import { defaultFilterRules, RequestFilter } from '../../proxy/filter.js';
import { createProxyHandler } from '../../proxy/proxy-handler.js';
import { type ListenSpec, ProxyServer } from '../../proxy/server.js';
import { RequestCredentials } from '../../transport/request-credentials.js';
import { defaultMaxConnections, Upstream } from '../../transport/upstream.js';
import { defaultUserAgent } from '../../version.js';
import { connectionFlagSpecs, connectionFromFlags, loggerFromFlags } from '../connection-flags.js';
import { type FlagSpec, type FlagValues, formatHelp, parseFlags, UsageError } from '../flags.js';

export const proxyFlagSpecs: FlagSpec[] = [
  { name: 'port', short: 'p', type: 'int', default: 8001, help: 'The port on which to run the proxy. Set to 0 to pick a random port.' },
  { name: 'address', type: 'string', default: '127.0.0.1', help: 'The IP address on which to serve on.' },
  { name: 'unix-socket', short: 'u', type: 'string', default: '', help: 'Unix socket on which to run the proxy.' },
  { name: 'api-prefix', type: 'string', default: '/', help: 'Prefix to serve the proxied API under.' },
  { name: 'www', short: 'w', type: 'string', default: '', help: 'Also serve static files from the given directory under the specified prefix.' },
  { name: 'www-prefix', short: 'P', type: 'string', default: '/static/', help: 'Prefix to serve static files under, if static file directory is specified.' },
  { name: 'accept-hosts', type: 'string', default: defaultFilterRules.acceptHosts, help: 'Regular expression for hosts that the proxy should accept.' },
  { name: 'accept-paths', type: 'string', default: defaultFilterRules.acceptPaths, help: 'Regular expression for paths that the proxy should accept.' },
  { name: 'reject-paths', type: 'string', default: defaultFilterRules.rejectPaths, help: 'Regular expression for paths that the proxy should reject. Paths specified here will be rejected even accepted by --accept-paths.' },
  { name: 'reject-methods', type: 'string', default: defaultFilterRules.rejectMethods, help: 'Regular expression for HTTP methods that the proxy should reject (example --reject-methods=\'POST,PUT,PATCH\').' },
  { name: 'disable-filter', type: 'bool', default: false, help: 'If true, disable request filtering in the proxy. This is dangerous, and can leave you vulnerable to XSRF attacks, when used with an accessible port.' },
  { name: 'append-server-path', type: 'bool', default: false, help: 'If true, enables automatic path appending of the kube context server path to each request.' },
  { name: 'keepalive', type: 'duration', default: 0, help: 'TCP keep-alive period of upgraded (exec, attach, port-forward) connections to the API server; 0 means 15s and a negative value disables it, as in kubectl.' },
  { name: 'upstream-connections', type: 'int', default: defaultMaxConnections, help: 'Most connections to the API server for ordinary requests; more requests wait for a free one. Watches and other long-running requests do not count (they share HTTP/2 connections, or get one each over HTTP/1.1).' },
  { name: 'upstream-connect-timeout', type: 'duration', default: 10_000, help: 'Limit on the TCP connect plus TLS handshake to the API server; after it the client gets a 504 Status.' },
  { name: 'ops-address', type: 'string', default: '', help: 'host:port of the operations listener (/healthz, /readyz, /metrics), e.g. :9091 for all interfaces; off when empty.' },
  { name: 'access-log', type: 'bool', default: false, help: 'Log one line per request on stderr (method, path, Kubernetes verb/resource, status, duration, bytes, request id; never a token or a body).' },
  { name: 'access-log-format', type: 'string', default: 'json', help: 'Format of the access log: json or text.' },
  { name: 'shutdown-grace-period', type: 'duration', default: 15_000, help: 'On SIGTERM or SIGINT, how long in-flight requests may take to finish before the proxy exits.' },
];

const description = `Creates a proxy server or application-level gateway between localhost and the Kubernetes API server,
like kubectl proxy (same flags, same filter), with token reload, clean shutdown and readable errors.`;

export async function runProxy(argv: string[]): Promise<number> {
  const specs = [...proxyFlagSpecs, ...connectionFlagSpecs];
  const parsed = parseFlags(argv, specs);
  if (parsed.help) {
    process.stdout.write(formatHelp('kube-ambassador proxy [--port=PORT] [--www=static-dir] [--www-prefix=prefix] [--api-prefix=prefix] [options]', description, specs));
    return 0;
  }
  if (parsed.args.length > 0) throw new UsageError(`unexpected argument "${parsed.args[0]}"`);
  const v = parsed.values;
  const logger = loggerFromFlags(v);

  const listen = listenSpec(v, parsed.given);
  const apiPrefix = withSlash(v['api-prefix'] as string);
  const www = v.www as string;
  const wwwPrefix = www ? withSlash(v['www-prefix'] as string) : undefined;
  if (wwwPrefix === apiPrefix) throw new UsageError(`--www-prefix and --api-prefix both serve "${apiPrefix}"; give them different prefixes`);
  const filter = v['disable-filter'] ? null : new RequestFilter({
    acceptHosts: v['accept-hosts'] as string,
    acceptPaths: v['accept-paths'] as string,
    rejectPaths: v['reject-paths'] as string,
    rejectMethods: v['reject-methods'] as string,
  });

  const connection = connectionFromFlags(v, logger);
  if (!v['append-server-path'] && connection.serverPath !== '') {
    logger.warn(`Your kube context contains a server path ${connection.serverPath}, use --append-server-path to automatically append the path to each request`);
  }
  if (!filter && !('socketPath' in listen)) {
    logger.warn('Request filter disabled, your proxy is vulnerable to XSRF attacks, please be cautious');
  }
  if (www) checkStaticDir(www, logger);

  const keepalive = v.keepalive as number;
  const maxConnections = v['upstream-connections'] as number;
  if (maxConnections < 1) throw new UsageError(`--upstream-connections must be at least 1, not ${maxConnections}`);
  const upstream = new Upstream(connection, {
    maxConnections,
    connectTimeoutMs: v['upstream-connect-timeout'] as number,
    upgradeKeepAliveMs: keepalive < 0 ? null : keepalive === 0 ? 15_000 : keepalive,
  });
  const credentials = new RequestCredentials(connection.auth, connection.impersonate);
  const ops = await operations(v, upstream, credentials);
  const handler = createProxyHandler({
    routes: { apiPrefix, wwwPrefix }, filter, www: www || undefined, appendServerPath: v['append-server-path'] === true,
    upstream, credentials, userAgent: defaultUserAgent(), observer: ops.observer, logger,
  });
  // The operations listener first: if its port is taken, nothing is serving yet and the error ends the process.
  if (ops.server) {
    const opsAddress = await ops.server.listen(v['ops-address'] as string);
    logger.info('operations listener serving /healthz, /readyz and /metrics', { address: opsAddress });
  }
  const server = new ProxyServer(handler);
  let address: string;
  try {
    address = await server.listen(listen);
  } catch (err) {
    await ops.server?.close();
    throw err;
  }
  logger.info('proxying to the API server', { server: connection.origin, credentials: connection.description });

  const done = new Promise<number>((resolve) => {
    let stopping = false;
    // Handlers go in before the startup line: a supervisor may signal as soon as it reads it.
    const stop = (signal: string) => {
      if (stopping) {
        logger.info('already shutting down', { signal });
        return;
      }
      stopping = true;
      logger.info('shutting down', { signal });
      void server.shutdown(v['shutdown-grace-period'] as number)
        .finally(() => ops.server?.close())
        .finally(() => { credentials.close(); return upstream.destroy(); })
        .finally(() => {
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
          resolve(0);
        });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  process.stdout.write(`Starting to serve on ${address}\n`);
  return done;
}

/** Metrics, readiness and the access log, as the flags ask; nothing on the hot path when all are off. */
async function operations(v: FlagValues, upstream: Upstream, credentials: RequestCredentials): Promise<{ observer: ExchangeObserver; server?: OpsServer }> {
  const opsAddress = v['ops-address'] as string;
  const format = v['access-log-format'];
  if (format !== 'json' && format !== 'text') throw new UsageError(`--access-log-format must be json or text, not "${String(format)}"`);
  if (!opsAddress && !v['access-log']) return { observer: noopObserver };
  // prom-client is loaded only when metrics are served: it costs start-up time otherwise.
  const metrics = opsAddress ? new (await import('../../ops/metrics.js')).ProxyMetrics(() => credentials.tokenState()) : undefined;
  const readiness = opsAddress ? new Readiness({ tokenState: () => credentials.tokenState(), probe: apiServerProbe(upstream, credentials) }) : undefined;
  const accessLog = v['access-log'] ? new AccessLog(createLogger({ format, level: 'info' })) : undefined;
  return {
    observer: new OpsObserver({ metrics, accessLog, readiness }),
    server: readiness ? new OpsServer({ metrics, readiness }) : undefined,
  };
}

function listenSpec(v: FlagValues, given: Set<string>): ListenSpec {
  const socketPath = v['unix-socket'] as string;
  if (socketPath) {
    if (given.has('port') && v.port !== 8001) throw new UsageError('cannot set --unix-socket and --port at the same time');
    return { socketPath };
  }
  const port = v.port as number;
  if (port < 0 || port > 65535) throw new UsageError(`invalid port ${port}`);
  return { address: v.address as string, port };
}

function withSlash(prefix: string): string {
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

function checkStaticDir(dir: string, logger: { warn(msg: string): void }): void {
  try {
    if (!statSync(dir).isDirectory()) logger.warn(`Static file directory ${dir} is not a directory`);
  } catch (err) {
    logger.warn(`Failed to stat static file directory ${dir}: ${(err as Error).message}`);
  }
}

