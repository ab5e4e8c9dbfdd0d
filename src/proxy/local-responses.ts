// Every response the proxy writes itself. Filter, routing and static answers
// match kubectl proxy byte for byte; upstream failures are Kubernetes Status
// objects (kubectl writes Go error text with a 500) so clients can read them.
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { statusReason } from '../kube/status-reason.js';


export function statusBody(code: number, message: string): string {
  return JSON.stringify({
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: statusReason(code), code,
  }) + '\n';
}

export function sendStatus(res: ServerResponse, code: number, message: string): void {
  const body = statusBody(code, message);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}

/** Go's http.Error: text/plain, nosniff, the text plus a newline. */
export function sendPlain(res: ServerResponse, code: number, text: string): void {
  const body = `${text}\n`;
  res.writeHead(code, {
    'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

export const sendForbidden = (res: ServerResponse) => sendPlain(res, 403, 'Forbidden');
export const sendNotFound = (res: ServerResponse) => sendPlain(res, 404, '404 page not found');

/** Go's http.Redirect with 301: an HTML body for GET only. */
export function sendRedirect(res: ServerResponse, method: string, location: string): void {
  const headers: Record<string, string | number> = { Location: location };
  let body = '';
  if (method === 'GET' || method === 'HEAD') headers['Content-Type'] = 'text/html; charset=utf-8';
  if (method === 'GET') body = `<a href="${htmlEscape(location)}">Moved Permanently</a>.\n\n`;
  headers['Content-Length'] = Buffer.byteLength(body);
  res.writeHead(301, headers);
  res.end(body);
}

/** A whole response on a raw socket (upgrade requests have no ServerResponse), then close. */
export function writeRawResponse(socket: Duplex, code: number, contentType: string, body: string, extra = ''): void {
  if (socket.destroyed) return;
  socket.end(`HTTP/1.1 ${code} ${STATUS_CODES[code] ?? ''}\r\nContent-Type: ${contentType}\r\n${extra}`
    + `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export const writeRawStatus = (socket: Duplex, code: number, message: string) =>
  writeRawResponse(socket, code, 'application/json', statusBody(code, message));

export const writeRawForbidden = (socket: Duplex) =>
  writeRawResponse(socket, 403, 'text/plain; charset=utf-8', 'Forbidden\n', `X-Content-Type-Options: nosniff\r\nDate: ${new Date().toUTCString()}\r\n`);

export function htmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!);
}
