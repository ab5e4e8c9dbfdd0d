// --www: the folder served under --www-prefix, behaving like Go's
// http.FileServer (index.html, directory listings, relative redirects,
// Last-Modified / If-Modified-Since, single byte ranges). No host filter
// applies here, as in kubectl proxy.
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { cleanPath, escapePath } from './routes.js';
import { htmlEscape, sendNotFound, sendPlain } from './local-responses.js';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.htm': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8', '.xml': 'text/xml; charset=utf-8', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp',
  '.avif': 'image/avif', '.ico': 'image/vnd.microsoft.icon', '.wasm': 'application/wasm', '.pdf': 'application/pdf',
};

export async function serveStatic(root: string, requestPath: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = cleanPath(requestPath);
  if (requestPath.endsWith('/index.html')) return localRedirect(res, './');
  const full = join(root, path);
  let info;
  try {
    info = await stat(full);
  } catch (err) {
    return fsError(res, err);
  }
  if (info.isDirectory()) {
    if (!requestPath.endsWith('/')) return localRedirect(res, `${path.split('/').pop()}/`);
    try {
      const index = join(full, 'index.html');
      const indexInfo = await stat(index);
      if (!indexInfo.isDirectory()) return serveFile(index, indexInfo.mtime, indexInfo.size, req, res);
    } catch {
      // no index.html: list the folder
    }
    if (notModified(req, res, info.mtime)) return;
    const names = (await readdir(full, { withFileTypes: true }))
      .map((d) => (d.isDirectory() ? `${d.name}/` : d.name)).sort();
    let body = '<!doctype html>\n<meta name="viewport" content="width=device-width">\n<pre>\n';
    for (const name of names) body += `<a href="${escapePath(name)}">${htmlEscape(name)}</a>\n`;
    body += '</pre>\n';
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Last-Modified': info.mtime.toUTCString(), 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  return serveFile(full, info.mtime, info.size, req, res);
}

async function serveFile(file: string, mtime: Date, size: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (notModified(req, res, mtime)) return;
  const headers: Record<string, string | number> = {
    'Accept-Ranges': 'bytes', 'Last-Modified': mtime.toUTCString(), 'Content-Type': await contentType(file),
  };
  let start = 0;
  let end = size - 1;
  let status = 200;
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
  if (range && (range[1] || range[2])) {
    start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
    end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    if (start >= size || start > end) {
      res.writeHead(416, { 'Content-Range': `bytes */${size}`, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('invalid range: failed to overlap\n');
      return;
    }
    status = 206;
    headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  }
  headers['Content-Length'] = size === 0 ? 0 : end - start + 1;
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  // pipeline closes the file when the client goes away mid-download.
  await pipeline(createReadStream(file, { start, end }), res).catch(() => {});
}

function notModified(req: IncomingMessage, res: ServerResponse, mtime: Date): boolean {
  const since = req.headers['if-modified-since'];
  if (!since || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  const at = Date.parse(since);
  if (Number.isNaN(at) || Math.floor(mtime.getTime() / 1000) * 1000 > at) return false;
  res.writeHead(304, { 'Last-Modified': mtime.toUTCString() });
  res.end();
  return true;
}

async function contentType(file: string): Promise<string> {
  const known = types[extname(file).toLowerCase()];
  if (known) return known;
  // Go sniffs the first 512 bytes; text vs binary is the part that matters.
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(512), 0, 512, 0);
    return buffer.subarray(0, bytesRead).some((b) => b < 9 || (b > 13 && b < 32)) ? 'application/octet-stream' : 'text/plain; charset=utf-8';
  } finally {
    await handle.close();
  }
}

function localRedirect(res: ServerResponse, location: string): void {
  res.writeHead(301, { Location: location, 'Content-Length': 0 });
  res.end();
}

function fsError(res: ServerResponse, err: unknown): void {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return sendNotFound(res);
  if (code === 'EACCES') return sendPlain(res, 403, '403 Forbidden');
  if (code === 'ENOTDIR') return sendPlain(res, 500, 'http: attempting to traverse a non-directory');
  return sendPlain(res, 500, '500 Internal Server Error');
}
