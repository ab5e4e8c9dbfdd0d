// The doctor's report: one line per check (PASS / WARN / FAIL / SKIP, what
// it saw), indented details, and for a problem one line saying what to
// change — as text for people or JSON for machines. Pure.
import type { CheckResult, CheckStatus } from './check.js';

export interface DoctorReport {
  /** Nothing failed (warnings and skips allowed): exit code 0. */
  ok: boolean;
  checks: CheckResult[];
}

export function reportFrom(checks: CheckResult[]): DoctorReport {
  return { ok: !checks.some((c) => c.status === 'FAIL'), checks };
}

export function counts(report: DoctorReport): Record<CheckStatus, number> {
  const out: Record<CheckStatus, number> = { PASS: 0, WARN: 0, FAIL: 0, SKIP: 0 };
  for (const c of report.checks) out[c.status]++;
  return out;
}

const colors: Record<CheckStatus, string> = { PASS: '\x1b[32m', WARN: '\x1b[33m', FAIL: '\x1b[31m', SKIP: '\x1b[2m' };
const idWidth = 15;

export function formatReport(report: DoctorReport, options: { color?: boolean; header?: string } = {}): string {
  const indent = ' '.repeat(4 + 2 + idWidth + 2);
  const paint = (status: CheckStatus) => (options.color ? `${colors[status]}${status}\x1b[0m` : status);
  let out = options.header ? `${options.header}\n\n` : '';
  for (const check of report.checks) {
    out += `${paint(check.status)}  ${check.id.padEnd(idWidth)}  ${check.summary}\n`;
    for (const line of check.details) out += `${indent}${line}\n`;
    if (check.fix && check.status !== 'PASS' && check.status !== 'SKIP') out += `${indent}fix: ${check.fix}\n`;
  }
  const n = counts(report);
  const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
  out += `\n${n.PASS} passed, ${plural(n.WARN, 'warning')}, ${n.FAIL} failed, ${n.SKIP} skipped`;
  out += report.ok ? (n.WARN ? ' — working, with warnings\n' : ' — all good\n') : ' — see the fix lines above\n';
  return out;
}

export function reportJson(report: DoctorReport): string {
  const n = counts(report);
  return `${JSON.stringify({
    ok: report.ok,
    counts: { pass: n.PASS, warn: n.WARN, fail: n.FAIL, skip: n.SKIP },
    checks: report.checks.map((c) => ({ id: c.id, title: c.title, status: c.status, summary: c.summary, details: c.details, ...(c.fix ? { fix: c.fix } : {}), durationMs: c.durationMs })),
  }, null, 2)}\n`;
}
