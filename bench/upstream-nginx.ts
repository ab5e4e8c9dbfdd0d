// nginx as a stand-in API server for the throughput scenarios: HTTPS on
// loopback offering h2 and http/1.1 (as kube-apiserver does), a 0.5 KB pod and
// a 2.5 MB pod list, 401 without the right bearer token, and connections never
// recycled (kube-apiserver does not cap requests per connection).
import { mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { gzipPodListPath, podJson, podListJson, podListPath, podPath } from './fixtures.js';
import { freePort, get } from './net.js';
import type { ProcessSet, Spawned } from './processes.js';

export interface NginxUpstream {
  port: number;
  url: string;
  process: Spawned;
  podBytes: number;
  podListBytes: number;
  podListGzipBytes: number;
}

export interface NginxOptions {
  dir: string;
  certFile: string;
  keyFile: string;
  caPem: string;
  token: string;
  workers?: number;
}

const unauthorized = '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}';

export async function startNginx(processes: ProcessSet, options: NginxOptions): Promise<NginxUpstream> {
  const { dir } = options;
  const content = join(dir, 'content');
  mkdirSync(content, { recursive: true });
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, 'tmp', sub), { recursive: true });
  const pod = podJson();
  const list = podListJson();
  const listGzip = gzipSync(list, { level: 1 }); // the API server compresses at level 1
  writeFileSync(join(content, 'pod.json'), pod);
  writeFileSync(join(content, 'pods.json'), list);
  writeFileSync(join(content, 'pods.json.gz'), listGzip);

  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig({ ...options, port, content }));
  // SIGTERM, never SIGKILL: nginx's master stops its workers, a killed master would leave them running.
  const nginx = processes.spawn('nginx', 'nginx', ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], {}, { lastSignal: 'SIGTERM' });
  const url = `https://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await get(url + podPath, { ca: options.caPem, headers: { Authorization: `Bearer ${options.token}` } }).catch(() => undefined);
    if (r?.status === 200) break;
    if (nginx.child.exitCode !== null) throw new Error(`nginx exited: ${nginx.output()}`);
    if (Date.now() > deadline) throw new Error(`nginx did not answer on ${url}: ${nginx.output()}`);
    await sleep(50);
  }
  return { port, url, process: nginx, podBytes: pod.length, podListBytes: list.length, podListGzipBytes: listGzip.length };
}

function nginxConfig(o: NginxOptions & { port: number; content: string }): string {
  const user = process.getuid?.() === 0 ? `user ${userInfo().username};` : '';
  const tmp = (name: string) => join(o.dir, 'tmp', name);
  return `
${user}
daemon off;
master_process on;
worker_processes ${o.workers ?? 2};
pid ${join(o.dir, 'nginx.pid')};
error_log ${join(o.dir, 'error.log')} warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${tmp('body')};
  proxy_temp_path ${tmp('proxy')};
  fastcgi_temp_path ${tmp('fastcgi')};
  uwsgi_temp_path ${tmp('uwsgi')};
  scgi_temp_path ${tmp('scgi')};
  types { }
  default_type application/json;
  sendfile on;
  keepalive_requests 100000000;
  keepalive_timeout 120s;
  http2_max_concurrent_streams 250;
  map_hash_bucket_size 256;
  map $http_authorization $bench_unauthorized {
    "Bearer ${o.token}" 0;
    default 1;
  }
  server {
    listen 127.0.0.1:${o.port} ssl http2;
    ssl_certificate ${o.certFile};
    ssl_certificate_key ${o.keyFile};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:bench:1m;
    if ($bench_unauthorized) {
      return 401 '${unauthorized}';
    }
    location = ${podPath} { alias ${join(o.content, 'pod.json')}; }
    location = ${podListPath} { alias ${join(o.content, 'pods.json')}; }
    location = ${gzipPodListPath} { gzip_static on; alias ${join(o.content, 'pods.json')}; }
    location / { return 404 '{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}'; }
  }
}
`;
}
