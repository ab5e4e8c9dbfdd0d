// One upstream per (cluster, identity): keep-alive HTTP/1.1 pools to the API
// server, and raw TLS sockets for upgrades, built from the same TLS options.
// HTTP/1.1 rather than HTTP/2: undici's HTTP/2 costs about three times the CPU
// per request (bench/ and the reference performance notes).
import type { Socket } from 'node:net';
import { buildConnector, Pool, ProxyAgent, Socks5ProxyAgent, type Dispatcher } from 'undici';
import type { ClusterConnection } from '../credentials/cluster-connection.js';
import { openConnectTunnel } from './connect-tunnel.js';
import { tlsConnectionOptions } from './tls-options.js';

export interface UpstreamOptions {
  /** TCP connect plus TLS handshake, for ordinary requests and upgrades (ms). */
  connectTimeoutMs?: number;
  /** Waiting for response headers (ms); 0 = no limit. */
  headersTimeoutMs?: number;
  /** Connections kept for ordinary requests; long-running ones get their own unbounded pool. */
  maxConnections?: number;
  /** TCP keep-alive on upgrade sockets (ms), null = off. kubectl --keepalive. */
  upgradeKeepAliveMs?: number | null;
}

export class Upstream {
  readonly connection: ClusterConnection;
  readonly origin: URL;
  readonly #short: Dispatcher;
  readonly #long: Dispatcher;
  readonly #upgradeConnector: buildConnector.connector;
  readonly #connectTimeoutMs: number;

  constructor(connection: ClusterConnection, options: UpstreamOptions = {}) {
    this.connection = connection;
    this.origin = new URL(connection.origin);
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    const tls = this.origin.protocol === 'https:' ? tlsConnectionOptions(connection.tls) : {};
    const common = {
      headersTimeout: options.headersTimeoutMs ?? 300_000,
      bodyTimeout: 0, // watches and log streams may be quiet for minutes
      keepAliveTimeout: 30_000, // below the API server's 90 s idle timeout
      keepAliveMaxTimeout: 60_000,
    };
    const connectOptions = { ...tls, timeout: this.#connectTimeoutMs, keepAlive: true, keepAliveInitialDelay: 30_000 };
    this.#short = this.#dispatcher({ ...common, connections: options.maxConnections ?? 64 }, connectOptions);
    this.#long = this.#dispatcher({ ...common, connections: null }, connectOptions);
    const keepAlive = options.upgradeKeepAliveMs === undefined ? 15_000 : options.upgradeKeepAliveMs;
    this.#upgradeConnector = buildConnector({
      ...tls,
      timeout: this.#connectTimeoutMs,
      keepAlive: keepAlive !== null,
      keepAliveInitialDelay: keepAlive ?? undefined,
    });
  }

  /** The dispatcher for a request: watches and follows get connections of their own. */
  dispatcher(longRunning: boolean): Dispatcher {
    return longRunning ? this.#long : this.#short;
  }

  /** A fresh connected (and, for https, verified) socket for an upgrade request. */
  async connectForUpgrade(): Promise<Socket> {
    const port = this.origin.port || (this.origin.protocol === 'https:' ? '443' : '80');
    const proxyUrl = this.connection.proxyUrl;
    let httpSocket: Socket | undefined;
    if (proxyUrl) {
      if (proxyUrl.startsWith('socks5')) throw new Error('upgrades through a socks5 proxy-url are not supported');
      httpSocket = await openConnectTunnel(proxyUrl, this.origin.host, this.#connectTimeoutMs);
    }
    return new Promise((resolve, reject) => {
      this.#upgradeConnector({
        hostname: this.origin.hostname.replace(/^\[|\]$/g, ''),
        host: this.origin.host,
        protocol: this.origin.protocol,
        port,
        servername: this.connection.tls.serverName,
        ...(httpSocket ? { httpSocket } : {}),
      }, (err, socket) => (err ? reject(err) : resolve(socket!)));
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.#short.close(), this.#long.close()]);
  }

  async destroy(): Promise<void> {
    await Promise.all([this.#short.destroy(), this.#long.destroy()]);
  }

  #dispatcher(poolOptions: Pool.Options, connectOptions: buildConnector.BuildOptions): Dispatcher {
    const proxyUrl = this.connection.proxyUrl;
    if (!proxyUrl) return new Pool(this.origin, { ...poolOptions, connect: connectOptions });
    if (proxyUrl.startsWith('socks5')) {
      // requestTls is read by undici's Socks5ProxyAgent though missing from its types.
      return new Socks5ProxyAgent(proxyUrl, { ...poolOptions, requestTls: connectOptions } as Socks5ProxyAgent.Options);
    }
    return new ProxyAgent({ uri: proxyUrl, requestTls: connectOptions, headersTimeout: poolOptions.headersTimeout, bodyTimeout: 0 });
  }
}
