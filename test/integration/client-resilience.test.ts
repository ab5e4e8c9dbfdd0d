// Retries, the client-side rate limit and timeouts, with a small HTTP fault
// double in front of a real kube-apiserver: it answers chosen requests with
// 429/503 (or not at all) and forwards the rest as admin, recording each
// request so a test can count attempts and the time between them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type ConnectOptions, KubeApiError, type KubeClient, KubeTransportError } from '../../src/client/index.js';
import { startControlPlane, type ControlPlane } from '../../tools/control-plane/index.js';
import { type ApiFaultDouble, startApiFaultDouble } from '../support/api-fault-double.js';
import { recordInformer, until } from '../support/informer-recorder.js';

const ns = 'resilience';
const cmPath = (name = '') => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;
const fastRetry = { maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 100 };

/** Resolves to the error a promise rejects with, or fails if it resolves. */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then((v) => assert.fail(`expected a failure, got ${JSON.stringify(v)?.slice(0, 200)}`), (e: unknown) => e);
}

describe('client retries, rate limit and timeouts', () => {
  let cp: ControlPlane;
  let double: ApiFaultDouble;
  let home: string;
  const clients: KubeClient[] = [];
  /** A client of the fault double (plain HTTP; the double adds the admin token). */
  const viaDouble = async (options: ConnectOptions = {}) => {
    const kube = await connect({ server: double.url, env: {}, homeDir: home, ...options });
    clients.push(kube);
    return kube;
  };

  before(async () => {
    cp = await startControlPlane();
    home = mkdtempSync(join(tmpdir(), 'client-resilience-home-'));
    double = await startApiFaultDouble({ host: cp.host, port: cp.port, caPem: cp.caPem, token: cp.adminToken });
    await cp.createNamespace(ns);
    await cp.request('POST', cmPath(), { metadata: { name: 'x' }, data: { v: '1' } });
  });
  after(async () => {
    for (const k of clients) await k.close();
    await double?.close();
    await cp?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  test('429 on GET is retried after the Retry-After the server asked for', async () => {
    const kube = await viaDouble(); // the default policy: 10 attempts
    const path = cmPath('x');
    double.inject({ method: 'GET', path, times: 2, status: 429, headers: { 'retry-after': '1' } });
    const started = Date.now();
    const cm = await kube.requestJson<{ data: { v: string } }>({ method: 'GET', path });
    const elapsed = Date.now() - started;
    assert.equal(cm.data.v, '1');
    const calls = double.callsTo(path, 'GET');
    assert.deepEqual(calls.map((c) => c.answeredBy), ['fault', 'fault', 'upstream']);
    // Each retry waited the full second, not the client's own (shorter) backoff.
    assert.ok(calls[1]!.at - calls[0]!.at >= 950, `first retry after ${calls[1]!.at - calls[0]!.at} ms`);
    assert.ok(calls[2]!.at - calls[1]!.at >= 950, `second retry after ${calls[2]!.at - calls[1]!.at} ms`);
    assert.ok(elapsed >= 1900, `took ${elapsed} ms`);
  });

  test('429 on POST is retried too: the server did not process it', async () => {
    const kube = await viaDouble({ retry: fastRetry });
    double.inject({ method: 'POST', path: cmPath(), times: 1, status: 429, headers: { 'retry-after': '0' } });
    const cms = await kube.resource('v1', 'ConfigMap');
    const created = await cms.create({ metadata: { name: 'after-429', namespace: ns } });
    assert.equal(created.metadata?.name, 'after-429');
    assert.deepEqual(double.callsTo(cmPath(), 'POST').map((c) => c.answeredBy), ['fault', 'upstream']);
  });

  test('503 on GET is retried; on POST it is not (the create may have happened)', async () => {
    const kube = await viaDouble({ retry: fastRetry });
    const cms = await kube.resource('v1', 'ConfigMap');
    double.inject({ method: 'GET', path: cmPath('x'), times: 2, status: 503 });
    const before = double.callsTo(cmPath('x'), 'GET').length;
    assert.equal((await cms.get('x', { namespace: ns })).data?.v, '1');
    assert.deepEqual(double.callsTo(cmPath('x'), 'GET').slice(before).map((c) => c.answeredBy), ['fault', 'fault', 'upstream']);

    const postsBefore = double.callsTo(cmPath(), 'POST').length;
    double.inject({ method: 'POST', path: cmPath(), times: 1, status: 503 });
    const err = await failure(cms.create({ metadata: { name: 'after-503', namespace: ns } }));
    assert.ok(err instanceof KubeApiError, String(err));
    assert.equal(err.code, 503);
    assert.equal(err.reason, 'ServiceUnavailable');
    assert.equal(err.status.message, `fault double: 503 for ${cmPath()}`);
    assert.equal(double.callsTo(cmPath(), 'POST').length - postsBefore, 1, 'the POST was sent once');
    assert.equal((await cp.request('GET', cmPath('after-503'))).status, 404);

    // A caller may declare a POST safe to repeat.
    double.inject({ method: 'POST', path: cmPath(), times: 1, status: 503 });
    const res = await kube.request({ method: 'POST', path: cmPath(), body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'retryable' } }, retryable: true });
    assert.equal(res.status, 201);
    assert.deepEqual(double.callsTo(cmPath(), 'POST').slice(-2).map((c) => c.answeredBy), ['fault', 'upstream']);
  });

  test('retries stop after maxAttempts with the last Status', async () => {
    const kube = await viaDouble({ retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20 } });
    const path = cmPath('give-up');
    double.inject({ method: 'GET', path, times: 10, status: 503 });
    const err = await failure(kube.request({ method: 'GET', path }));
    assert.ok(err instanceof KubeApiError && err.code === 503, String(err));
    assert.equal(double.callsTo(path).length, 3);
    // A 4xx other than 429 is never retried.
    const missing = cmPath('missing');
    const notFound = await failure(kube.request({ method: 'GET', path: missing }));
    assert.ok(notFound instanceof KubeApiError && notFound.code === 404, String(notFound));
    assert.equal(double.callsTo(missing).length, 1);
  });

  test('client-side rate limit: 12 requests at qps 10, burst 2 take at least ~1 s', async () => {
    const kube = await connect({ kubeconfig: cp.adminKubeconfig, env: {}, homeDir: home, rateLimit: { qps: 10, burst: 2 } });
    clients.push(kube);
    const started = Date.now();
    await Promise.all(Array.from({ length: 12 }, () => kube.request({ method: 'GET', path: '/version' })));
    const elapsed = Date.now() - started;
    // 2 at once, then 10 more at 100 ms each.
    assert.ok(elapsed >= 900, `12 requests took only ${elapsed} ms`);

    // The limit is per client: without one the same 12 are not held back by it (sanity only, no upper bound asserted on timing).
    const free = await connect({ kubeconfig: cp.adminKubeconfig, env: {}, homeDir: home, rateLimit: { qps: 0, burst: 0 } });
    clients.push(free);
    const results = await Promise.all(Array.from({ length: 12 }, () => free.request({ method: 'GET', path: '/version' })));
    assert.ok(results.every((r) => r.status === 200));
  });

  test('timeoutMs: a server that never answers gives KubeTransportError "timeout" promptly', async () => {
    const kube = await viaDouble({ timeoutMs: 300, retry: fastRetry });
    const path = cmPath('hang');
    double.inject({ method: 'GET', path, times: 2, hang: true });
    let started = Date.now();
    const err = await failure(kube.request({ method: 'GET', path }));
    let elapsed = Date.now() - started;
    assert.ok(err instanceof KubeTransportError, String(err));
    assert.equal(err.kind, 'timeout');
    assert.match(err.message, /timed out after 300 ms/);
    assert.ok(elapsed >= 280 && elapsed < 3000, `gave up after ${elapsed} ms`);

    // A per-request timeout overrides the client's.
    started = Date.now();
    const err2 = await failure(kube.request({ method: 'GET', path, timeoutMs: 100 }));
    elapsed = Date.now() - started;
    assert.ok(err2 instanceof KubeTransportError && err2.kind === 'timeout', String(err2));
    assert.ok(elapsed >= 90 && elapsed < 3000, `gave up after ${elapsed} ms`);
    assert.equal(double.callsTo(path).length, 2, 'a timed-out request is not retried');
  });

  test('timeoutMs also covers a body that stops half-way', async () => {
    const kube = await viaDouble({ timeoutMs: 300 });
    const path = cmPath('half');
    double.inject({ method: 'GET', path, times: 1, stallBody: true });
    const err = await failure(kube.request({ method: 'GET', path }));
    assert.ok(err instanceof KubeTransportError, `${(err as Error)?.name}: ${(err as Error)?.message}`);
    assert.equal(err.kind, 'timeout');
  });

  test('timeoutMs while waiting out a Retry-After ends as a KubeApiError 429 or a KubeTransportError timeout', async () => {
    const kube = await viaDouble({ timeoutMs: 500 });
    const path = cmPath('slow-retry');
    double.inject({ method: 'GET', path, times: 1, status: 429, headers: { 'retry-after': '5' } });
    const started = Date.now();
    const err = await failure(kube.request({ method: 'GET', path }));
    assert.ok(Date.now() - started < 4000, 'did not wait out the whole Retry-After');
    assert.ok((err instanceof KubeTransportError && err.kind === 'timeout') || (err instanceof KubeApiError && err.code === 429),
      `${(err as Error)?.name}: ${(err as Error)?.message}`);
  });

  test('timeoutMs while waiting for the rate limiter ends as a KubeTransportError timeout', async () => {
    const kube = await connect({ kubeconfig: cp.adminKubeconfig, env: {}, homeDir: home, rateLimit: { qps: 1, burst: 1 }, timeoutMs: 300 });
    clients.push(kube);
    await kube.request({ method: 'GET', path: '/version' });
    const err = await failure(kube.request({ method: 'GET', path: '/version' })); // the next token is ~1 s away
    assert.ok(err instanceof KubeTransportError, `${(err as Error)?.name}: ${(err as Error)?.message}`);
    assert.equal(err.kind, 'timeout');
  });

  test('timeoutMs does not cut watches: an informer keeps one watch open well past it', async () => {
    const kube = await viaDouble({ timeoutMs: 300 });
    const informer = await kube.informer('v1', 'ConfigMap', { namespace: ns });
    const rec = recordInformer(informer);
    try {
      await sleep(1500);
      await cp.request('PATCH', cmPath('x'), { data: { v: '2' } }, { contentType: 'application/merge-patch+json' });
      await until(() => rec.events.length === 1, 'the update');
      assert.deepEqual(rec.events, ['update x v=1->v=2']);
      assert.equal(informer.stats.watches, 1);
      assert.deepEqual(rec.errors, []);
    } finally {
      await informer.stop();
    }
  });
});
