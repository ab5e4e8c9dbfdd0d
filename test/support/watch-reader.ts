// Reads a watch stream line by line and lets a test wait for the next event,
// so a test can prove each event arrives before the next change is made.
import { request } from 'node:http';

export interface WatchEvent {
  type: string;
  object: { kind?: string; metadata: { name: string; resourceVersion?: string }; [k: string]: any };
}

export interface WatchReader {
  status: number;
  next(timeoutMs?: number): Promise<WatchEvent>;
  close(): void;
}

export function openWatch(url: string, headers: Record<string, string> = {}): Promise<WatchReader> {
  return new Promise((resolve, reject) => {
    const queue: WatchEvent[] = [];
    const waiting: ((e: WatchEvent) => void)[] = [];
    const req = request(url, { headers, agent: false }, (res) => {
      let pending = '';
      res.on('data', (c: Buffer) => {
        pending += c.toString();
        let nl;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const event = JSON.parse(pending.slice(0, nl)) as WatchEvent;
          pending = pending.slice(nl + 1);
          const w = waiting.shift();
          if (w) w(event); else queue.push(event);
        }
      });
      res.on('error', () => {});
      resolve({
        status: res.statusCode ?? 0,
        next(timeoutMs = 10_000) {
          const queued = queue.shift();
          if (queued) return Promise.resolve(queued);
          return new Promise((res2, rej2) => {
            const timer = setTimeout(() => rej2(new Error('no watch event in time')), timeoutMs);
            waiting.push((e) => { clearTimeout(timer); res2(e); });
          });
        },
        close() { req.destroy(); },
      });
    });
    req.on('error', reject);
    req.end();
  });
}
