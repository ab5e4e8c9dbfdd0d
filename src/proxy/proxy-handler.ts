// The whole path of a proxied request, in one place:
//   route (prefix, redirects, static) → filter (hosts, paths, methods)
//   → credentials and upstream (forward, or tunnel an upgrade)
//   → the observer (metrics, access log) sees the outcome.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { isLongRunning, requestInfo } from '../kube/request-info.js';
import type { Logger } from '../logging/logger.js';
import type { RequestCredentials } from '../transport/request-credentials.js';
import type { Upstream } from '../transport/upstream.js';
import type { ExchangeObserver, ExchangeRecord } from './exchange.js';
import type { RequestFilter } from './filter.js';
import { forward, type ForwardContext, type OpenStream } from './forward.js';
import {
  sendForbidden, sendNotFound, sendPlain, sendRedirect, writeRawForbidden, writeRawResponse, writeRawStatus,
} from './local-responses.js';
import { route, type Route, type RouteOptions } from './routes.js';
import { serveStatic } from './static-files.js';
import { tunnelUpgrade } from './upgrade.js';

export interface ProxyHandlerOptions {
  routes: RouteOptions;
  /** null: --disable-filter. */
  filter: RequestFilter | null;
  /** --www folder, when static files are served. */
  www?: string;
  /** --append-server-path: prefix upstream paths with the server URL's path. */
  appendServerPath: boolean;
  upstream: Upstream;
  credentials: RequestCredentials;
  userAgent: string;
  observer: ExchangeObserver;
  logger: Logger;
}

export interface ProxyHandler {
  onRequest(req: IncomingMessage, res: ServerResponse): void;
  onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Open watches and log follows, for a clean shutdown. */
  readonly streams: ReadonlySet<OpenStream>;
}

export function createProxyHandler(options: ProxyHandlerOptions): ProxyHandler {
  const ctx: ForwardContext = {
    upstream: options.upstream, credentials: options.credentials, userAgent: options.userAgent, observer: options.observer,
    streams: new Set(),
  };
  const serverPath = options.appendServerPath ? options.upstream.connection.serverPath : '';

  /** Route and filter; the answer is either a route to the API or a local response. */
  const decide = (req: IncomingMessage): { route: Route; allowed: boolean } => {
    const r = route(req.url ?? '/', options.routes);
    if (r.kind !== 'api' || !options.filter) return { route: r, allowed: true };
    const allowed = options.filter.accepts(req.method ?? '', requestHost(req), r.filterPath);
    if (!allowed) options.logger.debug('filter rejecting', { method: req.method, path: r.filterPath, host: requestHost(req) });
    return { route: r, allowed };
  };

  const begin = (req: IncomingMessage, r: Route, upgrade: boolean): { record: ExchangeRecord; requestId: string; longRunning: boolean } => {
    const requestId = headerValue(req.headers['audit-id']) ?? randomUUID();
    const path = r.kind === 'api' ? r.filterPath : (req.url ?? '/').split('?')[0]!;
    const query = r.kind === 'api' ? r.query : '';
    const kube = requestInfo(req.method ?? 'GET', path, query);
    const longRunning = r.kind === 'api' && isLongRunning(kube, query);
    const record = options.observer.begin({
      requestId, method: req.method ?? '', path, query, kube, userAgent: headerValue(req.headers['user-agent']),
      remoteAddress: clientIp(req), longRunning, upgrade,
    });
    return { record, requestId, longRunning };
  };

  return {
    streams: ctx.streams,
    onRequest(req, res) {
      if (req.method === 'OPTIONS' && req.url === '*') {
        res.writeHead(200, { 'Content-Length': 0 }).end();
        return;
      }
      const { route: r, allowed } = decide(req);
      const { record, requestId, longRunning } = begin(req, r, false);
      const local = (status: number, kind: 'filter' | 'route' | 'static') => record.finish({ status, bytesSent: 0, local: kind });
      switch (r.kind) {
        case 'redirect': sendRedirect(res, req.method ?? 'GET', r.location); return local(301, 'route');
        case 'not-found': sendNotFound(res); return local(404, 'route');
        case 'bad-request': sendPlain(res, 400, `400 Bad Request: ${r.message}`); return local(400, 'route');
        case 'static':
          serveStatic(options.www!, r.path, req, res)
            .catch((err) => { if (!res.headersSent) sendPlain(res, 500, String(err)); else res.destroy(); })
            .finally(() => local(res.statusCode, 'static'));
          return;
        case 'api':
          if (!allowed) {
            sendForbidden(res);
            return local(403, 'filter');
          }
          void forward(req, res, {
            path: joinPath(serverPath, r.upstreamPath), longRunning, clientIp: clientIp(req), requestId,
          }, ctx, record);
      }
    },

    onUpgrade(req, socket, head) {
      const { route: r, allowed } = decide(req);
      const { record, requestId } = begin(req, r, true);
      const local = (status: number) => record.finish({ status, bytesSent: 0, local: r.kind === 'api' ? 'filter' : 'route' });
      socket.on('error', () => socket.destroy());
      if (r.kind !== 'api') {
        // Upgrades to static files or unknown paths get the same answers as plain requests.
        if (r.kind === 'redirect') writeRawResponse(socket, 301, 'text/html; charset=utf-8', '', `Location: ${r.location}\r\n`);
        else if (r.kind === 'not-found') writeRawResponse(socket, 404, 'text/plain; charset=utf-8', '404 page not found\n');
        else writeRawStatus(socket, 400, 'upgrade requests are only proxied to the API');
        return local(r.kind === 'redirect' ? 301 : r.kind === 'not-found' ? 404 : 400);
      }
      if (!allowed) {
        writeRawForbidden(socket);
        return local(403);
      }
      void tunnelUpgrade(req, socket, head, {
        path: joinPath(serverPath, r.upstreamPath), longRunning: true, clientIp: clientIp(req), requestId,
      }, ctx, record);
    },
  };
}

/** Go's singleJoiningSlash for --append-server-path. */
function joinPath(serverPath: string, path: string): string {
  if (!serverPath) return path;
  if (serverPath.endsWith('/') && path.startsWith('/')) return serverPath + path.slice(1);
  if (!serverPath.endsWith('/') && !path.startsWith('/')) return `${serverPath}/${path}`;
  return serverPath + path;
}

/** The host the filter sees: from an absolute-form request line if any, else the Host header (Go's req.Host). */
function requestHost(req: IncomingMessage): string {
  const url = req.url ?? '';
  if (!url.startsWith('/')) {
    const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(url);
    if (m) return m[1]!.replace(/^.*@/, '');
  }
  return req.headers.host ?? '';
}

function clientIp(req: IncomingMessage): string | undefined {
  const address = req.socket.remoteAddress;
  if (!address) return undefined; // unix socket: kubectl adds no X-Forwarded-For
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
