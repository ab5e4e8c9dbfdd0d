// Opening a connection to the API server: TCP, then TLS verified with the
// cluster's CA and server name, within one deadline. Shared by the request
// pools, HTTP/2 sessions and upgrades, so all verify the server the same way.
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { upstreamError } from './exchange.js';

export interface SocketTarget {
  origin: URL;
  /** TLS options for https origins (from tlsConnectionOptions); undefined for http. */
  tls: ConnectionOptions | undefined;
  /** TCP connect plus TLS handshake (ms). */
  timeoutMs: number;
  /** TCP keep-alive probes after this idle time (ms), null = off. */
  keepAliveMs: number | null;
}

export interface ConnectOptions {
  /** ALPN protocols to offer, in preference order. */
  alpn?: string[];
  /** An already open tunnel (HTTP CONNECT) to run TLS over. */
  tunnel?: Socket;
}

export function connectSocket(target: SocketTarget, options: ConnectOptions = {}): Promise<Socket> {
  const { origin } = target;
  const host = origin.hostname.replace(/^\[|\]$/g, '');
  const secure = origin.protocol === 'https:';
  const port = Number(origin.port || (secure ? 443 : 80));
  return new Promise((resolve, reject) => {
    let socket: Socket;
    if (secure) {
      socket = tlsConnect({
        ...target.tls,
        host,
        port,
        // SNI only for names (RFC 6066); the certificate is still checked against an IP host.
        servername: target.tls?.servername ?? (isIP(host) ? undefined : host),
        ALPNProtocols: options.alpn,
        ...(options.tunnel ? { socket: options.tunnel } : {}),
      });
    } else {
      socket = options.tunnel ?? netConnect({ host, port });
    }
    const timer = setTimeout(() => {
      socket.destroy(upstreamError('UPSTREAM_CONNECT_TIMEOUT', `timed out after ${target.timeoutMs} ms connecting to ${origin.host}`));
    }, target.timeoutMs);
    const onError = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.once('error', onError);
    const onConnected = () => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.setNoDelay(true);
      if (target.keepAliveMs !== null) socket.setKeepAlive(true, target.keepAliveMs);
      resolve(socket);
    };
    if (secure) socket.once('secureConnect', onConnected);
    else if (options.tunnel) onConnected();
    else socket.once('connect', onConnected);
  });
}

/** The protocol the server chose through ALPN ("h2", "http/1.1"), or undefined. */
export function negotiatedProtocol(socket: Socket): string | undefined {
  const alpn = (socket as TLSSocket).alpnProtocol;
  return typeof alpn === 'string' ? alpn : undefined;
}
