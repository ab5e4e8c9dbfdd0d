// Small helpers for the unit tests: temp folders that are removed afterwards,
// a logger that records its calls, a hand-driven clock, and a self-signed PEM.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogFields, Logger, LogLevel } from '../../../src/logging/logger.js';

/** Temp folders made by `make`, all removed by `removeAll` (call it in `after`). */
export class TempDirs {
  readonly #dirs: string[] = [];

  make(prefix = 'ka-unit-'): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.#dirs.push(dir);
    return dir;
  }

  removeAll(): void {
    for (const dir of this.#dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

export interface LogCall {
  level: LogLevel | 'record';
  msg: string;
  fields?: LogFields;
}

/** A Logger that remembers every call, to assert on what was (not) logged. */
export function recordingLogger(): Logger & { calls: LogCall[]; at(level: LogCall['level']): LogCall[] } {
  const calls: LogCall[] = [];
  const log = (level: LogLevel) => (msg: string, fields?: LogFields) => { calls.push({ level, msg, fields }); };
  return {
    calls,
    at: (level) => calls.filter((c) => c.level === level),
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    record: (fields) => { calls.push({ level: 'record', msg: '', fields }); },
  };
}

/** A clock the test moves by hand: `clock.now` to inject, `clock.advance(ms)` to move. */
export function manualClock(start = Date.parse('2026-01-01T00:00:00Z')): { now: () => number; advance(ms: number): void; set(ms: number): void } {
  let current = start;
  return {
    now: () => current,
    advance: (ms) => { current += ms; },
    set: (ms) => { current = ms; },
  };
}

/** Writes a self-signed certificate and its key (PEM) into `dir` with openssl; returns both paths and contents. */
export function selfSignedPem(dir: string, cn = 'test'): { certFile: string; keyFile: string; cert: Buffer; key: Buffer } {
  const certFile = join(dir, `${cn}.crt`);
  const keyFile = join(dir, `${cn}.key`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-days', '1', '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'ignore' });
  return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns the last result. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 2000, everyMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** `promise`, or the string 'timeout' after `ms` (the timer is cleared either way). */
export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), ms); });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
