// One upstream per (cluster, identity): how requests reach the API server.
// The proxy's exchanges use our own keep-alive HTTP/1.1 pools on Node's native
// parser (bench/: a third of undici's CPU per small request, and no undici to
// load at start-up), and HTTP/2 for long-running requests when the server offers
// it; the client library uses undici, loaded on first use.
// Both, and upgrades, verify the server with the same TLS options.
import type { Socket } from 'node:net';
import type { Dispatcher, Pool } from 'undici';
import type { ClusterConnection } from '../credentials/cluster-connection.js';
import { connectSocket, type SocketTarget } from './connect-socket.js';
import { openConnectTunnel } from './connect-tunnel.js';
import type { ExchangeDispatcher } from './exchange.js';
import { Http1Pool } from './http1-pool.js';
import { NegotiatedLongRunning } from './negotiated-long-running.js';
import { tlsConnectionOptions } from './tls-options.js';
import { UndiciExchangeDispatcher } from './undici-exchange.js';

export interface UpstreamOptions {
  /** TCP connect plus TLS handshake, for ordinary requests and upgrades (ms). */
  connectTimeoutMs?: number;
  /** Waiting for response headers (ms); 0 = no limit. */
  headersTimeoutMs?: number;
  /**
   * Connections for ordinary requests (default 32; more wait in a queue); long-running ones are
   * separate. Fewer, busier connections cost less CPU per request than one per client (bench/).
   */
  maxConnections?: number;
  /** TCP keep-alive on upgrade sockets (ms), null = off. kubectl --keepalive. */
  upgradeKeepAliveMs?: number | null;
}

export const defaultMaxConnections = 32;
const idleTimeoutMs = 30_000; // below the API server's 90 s idle timeout

interface UndiciPools {
  short: Dispatcher;
  long: Dispatcher;
}

export class Upstream {
  readonly connection: ClusterConnection;
  readonly origin: URL;
  readonly #options: UpstreamOptions;
  readonly #target: SocketTarget;
  readonly #upgradeKeepAliveMs: number | null;
  readonly #short: ExchangeDispatcher;
  readonly #long: ExchangeDispatcher;
  #undici: Promise<UndiciPools> | undefined;

  constructor(connection: ClusterConnection, options: UpstreamOptions = {}) {
    this.connection = connection;
    this.origin = new URL(connection.origin);
    this.#options = options;
    this.#target = {
      origin: this.origin,
      tls: this.origin.protocol === 'https:' ? tlsConnectionOptions(connection.tls) : undefined,
      timeoutMs: options.connectTimeoutMs ?? 10_000,
      keepAliveMs: 30_000,
    };
    this.#upgradeKeepAliveMs = options.upgradeKeepAliveMs === undefined ? 15_000 : options.upgradeKeepAliveMs;
    if (connection.proxyUrl) {
      this.#short = new UndiciExchangeDispatcher(this.origin, async () => (await this.#undiciPools()).short);
      this.#long = new UndiciExchangeDispatcher(this.origin, async () => (await this.#undiciPools()).long);
    } else {
      const pool = (maxConnections: number | null) => new Http1Pool({
        connect: () => connectSocket(this.#target, { alpn: ['http/1.1'] }),
        host: this.origin.host,
        maxConnections,
        headersTimeoutMs: options.headersTimeoutMs ?? 300_000,
        idleTimeoutMs,
      });
      this.#short = pool(options.maxConnections ?? defaultMaxConnections);
      this.#long = this.origin.protocol === 'https:'
        ? new NegotiatedLongRunning({
          connect: (alpn) => connectSocket(this.#target, { alpn }),
          origin: this.origin,
          http1: pool(null),
          headersTimeoutMs: options.headersTimeoutMs ?? 300_000,
          idleTimeoutMs,
        })
        : pool(null);
    }
  }

  /** The proxy's path: watches and follows get connections of their own. */
  exchanges(longRunning: boolean): ExchangeDispatcher {
    return longRunning ? this.#long : this.#short;
  }

  /** The client's path (undici's request API), created on first use. */
  async dispatcher(longRunning: boolean): Promise<Dispatcher> {
    const pools = await this.#undiciPools();
    return longRunning ? pools.long : pools.short;
  }

  /** A fresh connected (and, for https, verified) socket for an upgrade request. */
  async connectForUpgrade(): Promise<Socket> {
    const proxyUrl = this.connection.proxyUrl;
    let tunnel: Socket | undefined;
    if (proxyUrl) {
      if (proxyUrl.startsWith('socks5')) throw new Error('upgrades through a socks5 proxy-url are not supported');
      const port = this.origin.port || (this.origin.protocol === 'https:' ? '443' : '80');
      tunnel = await openConnectTunnel(proxyUrl, `${this.origin.hostname}:${port}`, this.#target.timeoutMs);
    }
    return connectSocket({ ...this.#target, keepAliveMs: this.#upgradeKeepAliveMs }, { tunnel });
  }

  async close(): Promise<void> {
    const undici = this.#undici ? await this.#undici : undefined;
    await Promise.all([this.#short.close(), this.#long.close(), undici?.short.close(), undici?.long.close()]);
  }

  async destroy(): Promise<void> {
    const undici = this.#undici ? await this.#undici : undefined;
    await Promise.all([this.#short.destroy(), this.#long.destroy(), undici?.short.destroy(), undici?.long.destroy()]);
  }

  #undiciPools(): Promise<UndiciPools> {
    this.#undici ??= this.#createUndiciPools();
    return this.#undici;
  }

  async #createUndiciPools(): Promise<UndiciPools> {
    // Loaded here, not at start-up: it takes longer to load than the rest of the proxy together.
    // (Bundled, a CommonJS module imported dynamically has only a default export.)
    const loaded = await import('undici') as typeof import('undici') & { default?: typeof import('undici') };
    const undici = loaded.default?.Pool ? loaded.default : loaded;
    const common = {
      headersTimeout: this.#options.headersTimeoutMs ?? 300_000,
      bodyTimeout: 0, // watches and log streams may be quiet for minutes
      keepAliveTimeout: idleTimeoutMs,
      keepAliveMaxTimeout: 60_000,
    };
    const connect = { ...this.#target.tls, timeout: this.#target.timeoutMs, keepAlive: true, keepAliveInitialDelay: 30_000 };
    const proxyUrl = this.connection.proxyUrl;
    const create = (poolOptions: Pool.Options): Dispatcher => {
      if (!proxyUrl) return new undici.Pool(this.origin, { ...poolOptions, connect });
      if (proxyUrl.startsWith('socks5')) {
        // requestTls is read by undici's Socks5ProxyAgent though missing from its types.
        return new undici.Socks5ProxyAgent(proxyUrl, { ...poolOptions, requestTls: connect } as ConstructorParameters<typeof undici.Socks5ProxyAgent>[1]);
      }
      return new undici.ProxyAgent({ uri: proxyUrl, requestTls: connect, headersTimeout: poolOptions.headersTimeout, bodyTimeout: 0 });
    };
    return { short: create({ ...common, connections: this.#options.maxConnections ?? defaultMaxConnections }), long: create({ ...common, connections: null }) };
  }
}
