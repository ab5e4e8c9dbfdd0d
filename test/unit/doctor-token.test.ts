// Token claims, decoded without verifying (src/doctor/token.ts): what the
// doctor says about expiry, staleness (kubernetes.io.warnafter), binding and
// legacy tokens — and that it never repeats the token.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzeToken } from '../../src/doctor/token.js';

const now = Date.parse('2026-01-01T12:00:00Z');
const s = (ms: number) => Math.floor(ms / 1000);
const jwt = (claims: object) => `${Buffer.from('{"alg":"RS256","kid":"k"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2lnbmF0dXJlLXNlY3JldA`;
const bound = (over: Record<string, unknown> = {}, k8s: Record<string, unknown> = {}) => jwt({
  aud: ['https://kubernetes.default.svc.cluster.local'], iss: 'https://kubernetes.default.svc.cluster.local',
  sub: 'system:serviceaccount:team-a:web', iat: s(now) - 600, nbf: s(now) - 600, exp: s(now) + 3000,
  'kubernetes.io': {
    namespace: 'team-a', serviceaccount: { name: 'web', uid: 'sa-uid' }, pod: { name: 'web-1', uid: 'pod-uid' }, node: { name: 'node-a', uid: 'n' },
    warnafter: s(now) + 2000, ...k8s,
  },
  ...over,
});

describe('analyzeToken', () => {
  test('a fresh bound token passes and shows its claims', () => {
    const a = analyzeToken(bound(), now);
    assert.equal(a.status, 'PASS');
    assert.equal(a.summary, 'system:serviceaccount:team-a:web, expires in 50m');
    assert.deepEqual(a.details, [
      'issuer: https://kubernetes.default.svc.cluster.local',
      'audiences: https://kubernetes.default.svc.cluster.local',
      'issued: 2026-01-01T11:50:00Z (10m ago)',
      'expires: 2026-01-01T12:50:00Z (in 50m)',
      'stale after (kubernetes.io.warnafter): 2026-01-01T12:33:20Z (in 33m20s)',
      'bound to Pod team-a/web-1 (uid pod-uid) on node node-a: deleting it revokes the token',
      'service account uid: sa-uid',
    ]);
    assert.equal(a.boundTo, 'Pod team-a/web-1 (uid pod-uid)');
  });

  test('expired: FAIL, with the kubelet\'s rotation as the fix in a pod and a fresh token elsewhere', () => {
    const a = analyzeToken(bound({ exp: s(now) - 90 }), now);
    assert.equal(a.status, 'FAIL');
    assert.equal(a.expired, true);
    assert.equal(a.summary, 'system:serviceaccount:team-a:web: expired 1m30s ago (at 2026-01-01T11:58:30Z)');
    assert.match(a.fix!, /projected serviceAccountToken volume .* re-read the file/);
    assert.match(analyzeToken(bound({ exp: s(now) - 90 }), now, 'kubeconfig').fix!, /kubectl create token/);
  });

  test('past kubernetes.io.warnafter: WARN stale, the audit annotation named', () => {
    const a = analyzeToken(bound({}, { warnafter: s(now) - 120 }), now);
    assert.equal(a.status, 'WARN');
    assert.equal(a.stale, true);
    assert.equal(a.summary, 'system:serviceaccount:team-a:web: stale for 2m (kubernetes.io.warnafter), expires in 50m');
    assert.match(a.fix!, /authentication\.k8s\.io\/stale-token/);
  });

  test('bound to a Secret: named, as deleting it revokes the token', () => {
    const a = analyzeToken(bound({}, { pod: undefined, node: undefined, secret: { name: 'session', uid: 's-uid' } }), now);
    assert.equal(a.boundTo, 'Secret team-a/session (uid s-uid)');
  });

  test('a legacy Secret-based token: WARN, never expires', () => {
    const a = analyzeToken(jwt({ iss: 'kubernetes/serviceaccount', sub: 'system:serviceaccount:a:b', 'kubernetes.io/serviceaccount/namespace': 'a' }), now);
    assert.equal(a.status, 'WARN');
    assert.equal(a.legacy, true);
    assert.match(a.summary, /a legacy Secret-based token that never expires/);
  });

  test('issued in the future: the clock is named', () => {
    const a = analyzeToken(bound({ iat: s(now) + 600, nbf: s(now) + 600 }), now);
    assert.equal(a.status, 'WARN');
    assert.match(a.summary, /issued 10m in the future/);
    assert.match(a.fix!, /clock/);
  });

  test('a JWT without exp: WARN', () => {
    assert.equal(analyzeToken(jwt({ sub: 'u' }), now).status, 'WARN');
  });

  test('an opaque token: nothing to decode', () => {
    const a = analyzeToken('0123456789abcdef', now);
    assert.deepEqual([a.status, a.summary], ['PASS', 'an opaque bearer token (not a JWT): nothing to decode']);
  });

  test('never the token, nor its signature, in anything it says', () => {
    const token = bound({ exp: s(now) - 1 });
    const a = analyzeToken(token, now);
    const said = JSON.stringify({ summary: a.summary, details: a.details, fix: a.fix });
    assert.ok(!said.includes(token.split('.')[2]!));
    assert.ok(!said.includes(token.split('.')[1]!));
  });
});
