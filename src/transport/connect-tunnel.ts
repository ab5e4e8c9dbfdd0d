// An HTTP CONNECT tunnel through a kubeconfig proxy-url or HTTPS_PROXY, for
// the upgrade path (kubectl ignores the proxy there: kubernetes#120318).
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export function openConnectTunnel(proxyUrl: string, target: string, timeoutMs: number): Promise<Socket> {
  const proxy = new URL(proxyUrl);
  const port = Number(proxy.port || (proxy.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve, reject) => {
    const socket: Socket = proxy.protocol === 'https:'
      ? tlsConnect({ host: proxy.hostname, port, servername: proxy.hostname })
      : netConnect({ host: proxy.hostname, port });
    const fail = (err: Error) => { socket.destroy(); reject(err); };
    socket.setTimeout(timeoutMs, () => fail(Object.assign(new Error('CONNECT through the proxy timed out'), { code: 'ETIMEDOUT' })));
    socket.once('error', fail);
    socket.once(proxy.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
      const auth = proxy.username
        ? `Proxy-Authorization: Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}\r\n`
        : '';
      socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth}\r\n`);
    });
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause(); // keep any bytes after the head for whoever reads the tunnel next
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head.subarray(0, end).toString('latin1'))?.[1];
      if (status !== '200') {
        fail(new Error(`the proxy ${proxy.host} refused CONNECT ${target}: status ${status ?? 'unreadable'}`));
        return;
      }
      socket.setTimeout(0);
      socket.off('error', fail);
      const rest = head.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    socket.on('data', onData);
  });
}
