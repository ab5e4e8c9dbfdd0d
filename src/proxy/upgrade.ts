// Upgrade requests (exec, attach, port-forward over WebSocket or SPDY) as
// kubectl proxy tunnels them: the request goes out over a fresh HTTP/1.1
// connection with our credentials; a 101 is relayed byte for byte and the two
// sockets are piped until either side ends; an error status is relayed and
// the connection closed. Unlike kubectl, the TLS verification is that of
// ordinary requests, always, and the upstream dial has timeouts.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { classifyUpstreamError } from '../transport/upstream-error.js';
import type { ExchangeRecord } from './exchange.js';
import type { ForwardContext, ForwardTarget } from './forward.js';
import { upgradeRequestHeaders } from './headers.js';
import { writeRawStatus } from './local-responses.js';

const maxHeadBytes = 64 * 1024;

export interface UpgradeTimeouts {
  /** Waiting for the API server's response head after the request is written (ms). */
  responseHeadMs: number;
  /** Relaying an error response before closing (kubectl: 10 s). */
  errorRelayMs: number;
}

export const defaultUpgradeTimeouts: UpgradeTimeouts = { responseHeadMs: 60_000, errorRelayMs: 10_000 };

export async function tunnelUpgrade(req: IncomingMessage, client: Duplex, head: Buffer, target: ForwardTarget,
  ctx: ForwardContext, record: ExchangeRecord, timeouts: UpgradeTimeouts = defaultUpgradeTimeouts): Promise<void> {
  const origin = ctx.upstream.connection.origin;
  let bytes = 0;
  let finished = false;
  const finish = (status: number, upstreamError?: ReturnType<typeof classifyUpstreamError>['kind']) => {
    if (finished) return;
    finished = true;
    record.finish({ status, bytesSent: bytes, upstreamError });
  };
  const failWith = (err: unknown) => {
    const failure = classifyUpstreamError(err, origin);
    writeRawStatus(client, failure.status, failure.message);
    finish(failure.status, failure.kind);
  };
  client.on('error', () => client.destroy());

  let upstream: Socket;
  try {
    const authorization = await ctx.credentials.authorization();
    const out = upgradeRequestHeaders(req.rawHeaders, {
      clientIp: target.clientIp,
      authorization,
      impersonation: ctx.credentials.impersonationHeaders,
      userAgent: ctx.userAgent,
      requestGzip: false,
      requestId: target.requestId,
    }, ctx.upstream.origin.host);
    upstream = await ctx.upstream.connectForUpgrade();
    if (client.destroyed) {
      upstream.destroy();
      finish(499);
      return;
    }
    let text = `${req.method} ${target.path} HTTP/1.1\r\n`;
    for (let i = 0; i < out.headers.length; i += 2) text += `${out.headers[i]}: ${out.headers[i + 1]}\r\n`;
    upstream.write(`${text}\r\n`);
    if (head.length > 0) upstream.write(head);
  } catch (err) {
    failWith(err);
    return;
  }

  upstream.on('error', () => upstream.destroy());
  // The client may give up before the API server answers: drop the upstream side too.
  const onClientGone = () => { upstream.destroy(); finish(499); };
  client.once('close', onClientGone);
  upstream.setTimeout(timeouts.responseHeadMs);
  let buffered: Buffer = Buffer.alloc(0);
  const onTimeout = () => {
    upstream.destroy();
    failWith(Object.assign(new Error('no response to the upgrade request'), { code: 'UPSTREAM_HEADERS_TIMEOUT' }));
  };
  upstream.once('timeout', onTimeout);
  const onClose = () => { if (!finished) failWith(Object.assign(new Error('closed'), { code: 'UPSTREAM_CLOSED' })); };
  upstream.once('close', onClose);
  const onData = (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf('\r\n\r\n');
    if (end < 0) {
      if (buffered.length > maxHeadBytes) {
        upstream.destroy();
        failWith(new Error('the upgrade response head is too large'));
      }
      return;
    }
    upstream.off('data', onData);
    upstream.off('timeout', onTimeout);
    upstream.off('close', onClose);
    client.off('close', onClientGone);
    upstream.setTimeout(0);
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(buffered.subarray(0, end).toString('latin1'))?.[1] ?? 0);
    record.responded(status);
    if (status === 101) {
      // Relay the raw 101 and whatever followed it, then pipe both ways.
      bytes += buffered.length;
      client.write(buffered);
      upstream.on('data', (c: Buffer) => { bytes += c.length; });
      upstream.pipe(client);
      client.pipe(upstream);
      const closeBoth = () => { client.destroy(); upstream.destroy(); finish(101); };
      for (const s of [client, upstream]) { s.once('close', closeBoth); s.once('end', closeBoth); }
      return;
    }
    if (status >= 400) {
      // Relay the error response, then close (kubectl: within a 10 s deadline).
      const headText = buffered.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(headText)?.[1] ?? NaN);
      let remaining = Number.isNaN(length) ? Infinity : end + 4 + length - buffered.length;
      bytes += buffered.length;
      const deadline = setTimeout(() => closeBoth(), timeouts.errorRelayMs);
      const closeBoth = () => { clearTimeout(deadline); client.end(); upstream.destroy(); finish(status); };
      client.write(buffered);
      if (remaining <= 0) return closeBoth();
      upstream.on('data', (c: Buffer) => {
        const part = c.length > remaining ? c.subarray(0, remaining) : c;
        bytes += part.length;
        remaining -= part.length;
        client.write(part);
        if (remaining <= 0) closeBoth();
      });
      upstream.once('close', closeBoth);
      return;
    }
    upstream.destroy();
    writeRawStatus(client, 502, `invalid upgrade response: status code ${status}`);
    finish(502);
  };
  upstream.on('data', onData);
}
