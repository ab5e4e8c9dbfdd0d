// The proxy assembled in this process from its parts, for tests that need to
// hold a part (a token source with its watch off, an observer) in hand.
import { readFileSync } from 'node:fs';
import type { ClusterConnection } from '../../src/credentials/cluster-connection.js';
import type { TokenSource } from '../../src/credentials/token-source.js';
import { silentLogger } from '../../src/logging/logger.js';
import { type ExchangeObserver, noopObserver } from '../../src/proxy/exchange.js';
import { defaultFilterRules, RequestFilter } from '../../src/proxy/filter.js';
import { createProxyHandler } from '../../src/proxy/proxy-handler.js';
import { ProxyServer } from '../../src/proxy/server.js';
import { RequestCredentials } from '../../src/transport/request-credentials.js';
import { Upstream } from '../../src/transport/upstream.js';

export interface InProcessProxy {
  url: string;
  port: number;
  upstream: Upstream;
  credentials: RequestCredentials;
  close(): Promise<void>;
}

export async function startInProcessProxy(options: {
  origin: string;
  caFile: string;
  tokens: TokenSource;
  observer?: ExchangeObserver;
}): Promise<InProcessProxy> {
  const connection: ClusterConnection = {
    origin: options.origin,
    serverPath: '',
    tls: { ca: readFileSync(options.caFile), insecureSkipVerify: false },
    auth: { type: 'bearer', tokens: options.tokens },
    disableCompression: false,
    namespace: 'default',
    source: 'flags',
    description: 'test',
    warnings: [],
  };
  const upstream = new Upstream(connection);
  const credentials = new RequestCredentials(connection.auth);
  const handler = createProxyHandler({
    routes: { apiPrefix: '/' }, filter: new RequestFilter(defaultFilterRules), appendServerPath: false,
    upstream, credentials, userAgent: 'test', observer: options.observer ?? noopObserver, logger: silentLogger,
  });
  const server = new ProxyServer(handler);
  const address = await server.listen({ address: '127.0.0.1', port: 0 });
  const port = Number(address.split(':').pop());
  return {
    url: `http://127.0.0.1:${port}`, port, upstream, credentials,
    async close() {
      await server.shutdown(1000);
      credentials.close();
      await upstream.destroy();
    },
  };
}
