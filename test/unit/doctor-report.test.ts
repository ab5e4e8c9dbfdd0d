// The doctor's report (src/doctor/report.ts): aligned text with details and
// one fix line for a problem, a JSON shape for machines, ok = nothing failed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CheckResult } from '../../src/doctor/check.js';
import { formatReport, reportFrom, reportJson } from '../../src/doctor/report.js';

const result = (id: string, status: CheckResult['status'], summary: string, details: string[] = [], fix?: string): CheckResult =>
  ({ id, title: `title of ${id}`, status, summary, details, fix, durationMs: 3 });

describe('doctor report', () => {
  const checks = [
    result('locate', 'PASS', 'https://10.96.0.1:443 from KUBERNETES_SERVICE_HOST/PORT (in-cluster)', ['KUBERNETES_SERVICE_HOST=10.96.0.1 KUBERNETES_SERVICE_PORT=443']),
    result('dns', 'WARN', 'kubernetes.default.svc does not resolve', [], 'check CoreDNS'),
    result('tcp', 'FAIL', '10.96.0.1:443: no answer within 5000 ms', [], 'a NetworkPolicy may be dropping this pod\'s egress'),
    result('tls', 'SKIP', 'no TCP connection (see tcp)', [], 'never shown'),
  ];

  test('ok only when nothing failed; warnings and skips do not count', () => {
    assert.equal(reportFrom(checks).ok, false);
    assert.equal(reportFrom(checks.filter((c) => c.status !== 'FAIL')).ok, true);
  });

  test('text: status, id, summary; details and the fix indented under it', () => {
    assert.equal(formatReport(reportFrom(checks)), [
      'PASS  locate           https://10.96.0.1:443 from KUBERNETES_SERVICE_HOST/PORT (in-cluster)',
      '                       KUBERNETES_SERVICE_HOST=10.96.0.1 KUBERNETES_SERVICE_PORT=443',
      'WARN  dns              kubernetes.default.svc does not resolve',
      '                       fix: check CoreDNS',
      'FAIL  tcp              10.96.0.1:443: no answer within 5000 ms',
      '                       fix: a NetworkPolicy may be dropping this pod\'s egress',
      'SKIP  tls              no TCP connection (see tcp)',
      '',
      '1 passed, 1 warning, 1 failed, 1 skipped — see the fix lines above',
      '',
    ].join('\n'));
  });

  test('the last line says all good, or working with warnings', () => {
    assert.match(formatReport(reportFrom([checks[0]!])), /1 passed, 0 warnings, 0 failed, 0 skipped — all good\n$/);
    assert.match(formatReport(reportFrom(checks.slice(0, 2))), /— working, with warnings\n$/);
  });

  test('colour only when asked', () => {
    assert.ok(!formatReport(reportFrom(checks)).includes('\x1b['));
    assert.match(formatReport(reportFrom(checks), { color: true }), /\x1b\[31mFAIL\x1b\[0m  tcp/);
  });

  test('JSON: ok, counts, and every check with its fix when it has one', () => {
    const json = JSON.parse(reportJson(reportFrom(checks)));
    assert.equal(json.ok, false);
    assert.deepEqual(json.counts, { pass: 1, warn: 1, fail: 1, skip: 1 });
    assert.deepEqual(json.checks[0], {
      id: 'locate', title: 'title of locate', status: 'PASS', summary: checks[0]!.summary, details: checks[0]!.details, durationMs: 3,
    });
    assert.equal(json.checks[2].fix, 'a NetworkPolicy may be dropping this pod\'s egress');
  });
});
