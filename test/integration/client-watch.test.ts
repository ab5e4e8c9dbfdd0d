// Watches and informers against a real kube-apiserver, with the network made
// to fail on purpose: a TCP relay (TLS passes through it untouched) cuts
// connections, refuses new ones, or goes silent while holding them open. A
// second API server without a watch cache and with fast etcd compaction makes
// an old resourceVersion really expire, so 410 Gone and the relist are real.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, Informer, KubeApiError, type KubeClient, type ResourceClient, WatchInactiveError } from '../../src/client/index.js';
import { startControlPlane, type ControlPlane } from '../../tools/control-plane/index.js';
import { startApiFaultDouble } from '../support/api-fault-double.js';
import { startFaultRelay, type FaultRelay } from '../support/fault-relay.js';
import { type ConfigMapLike, recordInformer, until } from '../support/informer-recorder.js';

const mergePatch = { contentType: 'application/merge-patch+json' };

/** Writes as admin straight to the API server (not through the client under test). */
function writer(cp: ControlPlane, ns: string) {
  const expectOk = (what: string) => <R extends { status: number; text: string }>(res: R): R => {
    assert.ok(res.status >= 200 && res.status < 300, `${what}: ${res.status} ${res.text}`);
    return res;
  };
  return {
    create: (name: string, v: string) => cp.request('POST', `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name }, data: { v } }).then(expectOk(`create ${name}`)),
    patch: (name: string, v: string) => cp.request('PATCH', `/api/v1/namespaces/${ns}/configmaps/${name}`, { data: { v } }, mergePatch).then(expectOk(`patch ${name}`)),
    delete: (name: string) => cp.request('DELETE', `/api/v1/namespaces/${ns}/configmaps/${name}`).then(expectOk(`delete ${name}`)),
  };
}

function cacheOf(informer: Informer<ConfigMapLike>): Record<string, string | undefined> {
  return Object.fromEntries(informer.list().map((o) => [o.metadata!.name!, o.data?.v]).sort(([a], [b]) => a!.localeCompare(b!)));
}

describe('client watches and informers against a real API server', () => {
  let cp: ControlPlane;
  let relay: FaultRelay;
  let direct: KubeClient;
  let relayed: KubeClient;

  before(async () => {
    cp = await startControlPlane();
    relay = await startFaultRelay({ host: cp.host, port: cp.port });
    direct = await connect({ kubeconfig: cp.adminKubeconfig, env: {}, homeDir: cp.tmpDir });
    // Through the relay: same CA, same token, no tls-server-name (the certificate has IP SAN 127.0.0.1).
    relayed = await connect({
      server: relay.url, certificateAuthority: cp.caFile, token: cp.adminToken, env: {}, homeDir: cp.tmpDir, rateLimit: { qps: 0, burst: 0 },
    });
  });
  after(async () => {
    await relayed?.close();
    await direct?.close();
    await relay?.close();
    await cp?.stop();
  });

  test('informer: list, then watch; add, update and delete in order; the cache follows', async () => {
    const ns = 'inf-basic';
    await cp.createNamespace(ns);
    const w = writer(cp, ns);
    await w.create('a', '1');
    await w.create('b', '1');

    const informer = new Informer<ConfigMapLike>(await direct.resource('v1', 'ConfigMap'), { namespace: ns, pageSize: 1 });
    const rec = recordInformer(informer);
    await informer.start();
    try {
      // The first list (one object a page) is in the cache when start() resolves.
      assert.deepEqual(cacheOf(informer), { a: '1', b: '1' });
      assert.deepEqual([...rec.events].sort(), ['add a v=1', 'add b v=1']);
      assert.ok(informer.resourceVersion, 'the list resourceVersion is kept');

      await w.create('c', '1');
      await w.patch('c', '2');
      await w.patch('a', '2');
      await w.delete('b');
      await w.patch('c', '3');
      await until(() => rec.events.length === 7, 'seven events', 10_000, () => rec.events.join('\n'));
      assert.deepEqual(rec.events.slice(2), ['add c v=1', 'update c v=1->v=2', 'update a v=1->v=2', 'delete b', 'update c v=2->v=3']);
      assert.deepEqual(cacheOf(informer), { a: '2', c: '3' });
      assert.equal(informer.get('c', ns)?.data?.v, '3');
      assert.equal(informer.get('b', ns), undefined);
      assert.equal(informer.stats.lists, 1);
      assert.equal(informer.stats.relists, 0);
      assert.deepEqual(rec.errors, []);
    } finally {
      await informer.stop();
    }
    // kube.informer() returns an informer already synced.
    const started = await direct.informer('v1', 'ConfigMap', { namespace: ns });
    try {
      assert.deepEqual(started.list().map((o) => o.metadata?.name).sort(), ['a', 'c']);
    } finally {
      await started.stop();
    }
  });

  test('an informer survives the connection being closed and cut: every change seen exactly once', async () => {
    const ns = 'inf-cut';
    await cp.createNamespace(ns);
    const w = writer(cp, ns);
    const informer = new Informer<ConfigMapLike>(await relayed.resource('v1', 'ConfigMap'), {
      namespace: ns, backoff: { initialMs: 50, maxMs: 200 },
    });
    const rec = recordInformer(informer);
    await informer.start();
    const expected: string[] = [];
    const waitForAll = (what: string) => until(() => rec.events.length >= expected.length, what, 15_000,
      () => `expected:\n${expected.join('\n')}\ngot:\n${rec.events.join('\n')}\nerrors: ${rec.errors.map((e) => e.message).join('; ')}`);
    try {
      await until(() => informer.stats.watches === 1, 'the first watch');

      await w.create('a', '1'); expected.push('add a v=1');
      await w.create('b', '1'); expected.push('add b v=1');
      await w.patch('a', '2'); expected.push('update a v=1->v=2');
      await waitForAll('events before the first cut');

      // The server side closes every connection (FIN), and nobody can connect for a while.
      relay.refuse(true);
      assert.ok(relay.cutAll() >= 1, 'the watch connection went through the relay');
      const refusedBefore = relay.refused;
      await w.patch('b', '2'); expected.push('update b v=1->v=2');
      await w.create('c', '1'); expected.push('add c v=1');
      await w.delete('a'); expected.push('delete a');
      await until(() => relay.refused > refusedBefore, 'the informer tried to reconnect while cut');
      relay.refuse(false);
      await waitForAll('events made while cut');

      await w.patch('c', '2'); expected.push('update c v=1->v=2');
      await w.create('d', '1'); expected.push('add d v=1');
      await waitForAll('events after reconnecting');

      // An abrupt reset this time, with changes racing the reconnect.
      const watchesBefore = informer.stats.watches;
      assert.ok(relay.cutAll({ reset: true }) >= 1);
      await w.delete('b'); expected.push('delete b');
      await w.patch('d', '2'); expected.push('update d v=1->v=2');
      await waitForAll('events after the reset');
      await until(() => informer.stats.watches > watchesBefore, 'a new watch after the reset');

      await sleep(500); // anything replayed twice would show up now
      assert.deepEqual(rec.events, expected);
      assert.deepEqual(cacheOf(informer), { c: '2', d: '2' });
      assert.ok(informer.stats.watches >= 3, `watches: ${informer.stats.watches}`);
      // Resumed from the last resourceVersion each time: no second list was needed.
      assert.equal(informer.stats.lists, 1);
      assert.equal(informer.stats.relists, 0);
      assert.ok(rec.errors.length >= 1, 'the broken watches were reported to the error handler');
    } finally {
      await informer.stop();
    }
  });

  test('a watch that goes silent is abandoned after inactivityTimeoutMs and the informer reconnects', async () => {
    const ns = 'inf-silent';
    await cp.createNamespace(ns);
    const w = writer(cp, ns);
    await w.create('tick', '0');
    const inactivityTimeoutMs = 1500;
    // A client of its own: stalled connections must not linger in the shared client's pool.
    const kube = await connect({
      server: relay.url, certificateAuthority: cp.caFile, token: cp.adminToken, env: {}, homeDir: cp.tmpDir, rateLimit: { qps: 0, burst: 0 },
    });
    const informer = new Informer<ConfigMapLike>(await kube.resource('v1', 'ConfigMap'), {
      namespace: ns, inactivityTimeoutMs, backoff: { initialMs: 50, maxMs: 200 },
    });
    const rec = recordInformer(informer);
    await informer.start();
    let n = 0;
    let ticking = true;
    const ticker = (async () => {
      while (ticking) {
        await w.patch('tick', String(++n));
        await sleep(200);
      }
    })();
    try {
      // A live watch with events flowing is never mistaken for a silent one.
      await sleep(inactivityTimeoutMs * 2);
      assert.equal(informer.stats.watches, 1);
      assert.deepEqual(rec.errors, []);

      const stalledAt = Date.now();
      assert.ok(relay.stallAll() >= 1);
      await until(() => rec.errors.length > 0, 'an error after the stall', inactivityTimeoutMs * 4);
      const elapsed = Date.now() - stalledAt;
      const first = rec.errors[0] as Error | undefined;
      assert.ok(first instanceof WatchInactiveError, `${first?.name}: ${first?.message}`);
      // The last byte came at most one tick before the stall; give the check generous room above.
      assert.ok(elapsed >= inactivityTimeoutMs - 400, `aborted after ${elapsed} ms`);
      assert.ok(elapsed <= inactivityTimeoutMs + 2500, `aborted after ${elapsed} ms`);

      await until(() => informer.stats.watches >= 2, 'a new watch');
      const target = n + 2;
      await until(() => Number(informer.get('tick', ns)?.data?.v) >= target, 'ticks after the reconnect');

      ticking = false;
      await ticker;
      await until(() => informer.get('tick', ns)?.data?.v === String(n), 'the last tick');
      await sleep(300);
      const expected = ['add tick v=0', ...Array.from({ length: n }, (_, i) => `update tick v=${i}->v=${i + 1}`)];
      assert.deepEqual(rec.events, expected, 'every tick once, none lost in the stalled connection');
      assert.equal(informer.stats.lists, 1);
    } finally {
      ticking = false;
      await ticker;
      await informer.stop();
      relay.cutAll(); // let go of the stalled connections
      await kube.close();
    }
  });

  test('stop() before the first list succeeded settles start() and ends the loop', async () => {
    relay.refuse(true);
    const informer = new Informer<ConfigMapLike>(await relayed.resource('v1', 'ConfigMap'), {
      namespace: 'never-listed', backoff: { initialMs: 50, maxMs: 100 },
    });
    const rec = recordInformer(informer);
    try {
      const started = informer.start().then(() => 'synced', (e: unknown) => e);
      await until(() => rec.errors.length >= 2, 'failed lists while the relay refuses');
      await informer.stop();
      const refusedAtStop = relay.refused;
      const outcome = await Promise.race([started, sleep(2000).then(() => 'start() still pending 2 s after stop()')]);
      assert.ok(outcome instanceof Error, String(outcome));
      await sleep(300);
      assert.equal(relay.refused, refusedAtStop, 'the loop kept connecting after stop()');
    } finally {
      relay.refuse(false);
      await informer.stop();
    }
  });

  test('a server-side watch timeout re-watches from the last version, without a list', async () => {
    const ns = 'inf-timeout';
    await cp.createNamespace(ns);
    const w = writer(cp, ns);
    const informer = new Informer<ConfigMapLike>(await direct.resource('v1', 'ConfigMap'), {
      namespace: ns, watchTimeoutSeconds: { min: 1, max: 1 },
    });
    const rec = recordInformer(informer);
    await informer.start();
    try {
      await w.create('x', '1');
      await until(() => informer.stats.watches >= 3, 'watches that end on the server timeout', 10_000);
      await w.patch('x', '2');
      await until(() => rec.events.length === 2, 'two events');
      await sleep(1200); // one more timeout and re-watch: nothing may be replayed
      assert.deepEqual(rec.events, ['add x v=1', 'update x v=1->v=2']);
      assert.equal(informer.stats.lists, 1);
      assert.equal(informer.stats.errors, 0);
    } finally {
      await informer.stop();
    }
  });

  test('bookmarks: the informer asks for them; the server sends them (initial-events-end)', async () => {
    const ns = 'inf-bookmarks';
    await cp.createNamespace(ns);
    const w = writer(cp, ns);
    await w.create('one', '1');
    const double = await startApiFaultDouble({ host: cp.host, port: cp.port, caPem: cp.caPem, token: cp.adminToken });
    const viaDouble = await connect({ server: double.url, env: {}, homeDir: cp.tmpDir });
    const informer = new Informer<ConfigMapLike>(await viaDouble.resource('v1', 'ConfigMap'), {
      namespace: ns, pageSize: 7, watchTimeoutSeconds: { min: 40, max: 50 },
    });
    try {
      await informer.start();
      await until(() => double.callsTo(`/api/v1/namespaces/${ns}/configmaps`).some((c) => c.query.get('watch') === 'true'), 'a watch request');
      const [list, watch] = double.callsTo(`/api/v1/namespaces/${ns}/configmaps`);
      assert.equal(list!.query.get('limit'), '7');
      assert.equal(watch!.query.get('allowWatchBookmarks'), 'true');
      assert.equal(watch!.query.get('resourceVersion'), informer.resourceVersion);
      const timeout = Number(watch!.query.get('timeoutSeconds'));
      assert.ok(timeout >= 40 && timeout <= 50, `timeoutSeconds=${timeout}`);
    } finally {
      await informer.stop();
      await viaDouble.close();
      await double.close();
    }

    // A streaming list: the initial state, then a BOOKMARK that marks its end.
    const cms = await direct.resource('v1', 'ConfigMap');
    const controller = new AbortController();
    const seen: string[] = [];
    let endBookmark: ConfigMapLike | undefined;
    try {
      for await (const event of cms.watch({ namespace: ns, sendInitialEvents: true, allowWatchBookmarks: true, signal: controller.signal })) {
        seen.push(`${event.type} ${event.object.metadata?.name ?? ''}`);
        if (event.type === 'BOOKMARK') {
          endBookmark = event.object;
          break;
        }
      }
    } finally {
      controller.abort();
    }
    assert.deepEqual(seen, ['ADDED one', 'BOOKMARK ']);
    assert.equal(endBookmark?.metadata?.annotations?.['k8s.io/initial-events-end'], 'true');
    assert.ok(endBookmark?.metadata?.resourceVersion);
  });

  test('a large event with multi-byte characters arrives intact through watch and informer', async () => {
    const ns = 'inf-utf8';
    await cp.createNamespace(ns);
    const w = writer(cp, ns);
    const informer = new Informer<ConfigMapLike>(await direct.resource('v1', 'ConfigMap'), { namespace: ns });
    const rec = recordInformer(informer);
    await informer.start();
    // ~400 KB of four-byte and two-byte characters: the event spans many TLS records and reads,
    // so chunk boundaries fall inside characters.
    const value = 'é😀ü🚀'.repeat(40_000);
    try {
      await w.create('big', value);
      await until(() => rec.events.length === 1, 'the add');
      const got = informer.get('big', ns)?.data?.v ?? '';
      if (got !== value) {
        let i = 0;
        while (i < got.length && got[i] === value[i]) i++;
        assert.fail(`the value was corrupted: ${got.length} UTF-16 units for ${value.length}, first difference at ${i}: ${JSON.stringify(got.slice(i, i + 4))}`);
      }
    } finally {
      await informer.stop();
    }
  });

  test('ResourceClient.watch: events of one request; a bad resourceVersion ends in KubeApiError with the server Status', async () => {
    const ns = 'watch-raw';
    await cp.createNamespace(ns);
    const w = writer(cp, ns);
    const created = await w.create('r', '1');
    const cms: ResourceClient<ConfigMapLike> = await direct.resource('v1', 'ConfigMap');
    const controller = new AbortController();
    const events: string[] = [];
    const done = (async () => {
      for await (const e of cms.watch({ namespace: ns, resourceVersion: created.json.metadata.resourceVersion, signal: controller.signal })) {
        events.push(`${e.type} ${e.object.metadata?.name} ${e.object.data?.v}`);
        if (events.length === 2) break;
      }
    })();
    await w.patch('r', '2');
    await w.delete('r');
    await done;
    assert.deepEqual(events, ['MODIFIED r 2', 'DELETED r 2']);
    // A resourceVersion the server cannot parse: its Status comes back as KubeApiError.
    await assert.rejects(async () => {
      for await (const _ of cms.watch({ namespace: ns, resourceVersion: 'not-a-number', timeoutSeconds: 2 })) { /* none */ }
    }, (err: unknown) => err instanceof KubeApiError && err.code >= 400 && err.code === err.status.code
      && /resourceVersion: Invalid value: "not-a-number"/.test(err.status.message ?? ''));
  });

  describe('410 Gone from an API server that compacts every 2 s and has no watch cache', () => {
    let cp2: ControlPlane;
    let relay2: FaultRelay;
    let kube2: KubeClient;

    before(async () => {
      cp2 = await startControlPlane({ extraApiServerArgs: ['--watch-cache=false', '--etcd-compaction-interval=2s'] });
      relay2 = await startFaultRelay({ host: cp2.host, port: cp2.port });
      kube2 = await connect({
        server: relay2.url, certificateAuthority: cp2.caFile, token: cp2.adminToken, env: {}, homeDir: cp2.tmpDir, rateLimit: { qps: 0, burst: 0 },
      });
    });
    after(async () => {
      await kube2?.close();
      await relay2?.close();
      await cp2?.stop();
    });

    test('the informer relists after its version expired and reports what changed in the gap', async () => {
      const ns = 'inf-gone';
      await cp2.createNamespace(ns);
      const w = writer(cp2, ns);
      await w.create('x', '1');
      await w.create('y', '1');
      await w.create('z', '1');
      const informer = new Informer<ConfigMapLike>(await kube2.resource('v1', 'ConfigMap'), {
        namespace: ns, backoff: { initialMs: 50, maxMs: 200 },
      });
      const rec = recordInformer(informer);
      await informer.start();
      try {
        await until(() => informer.stats.watches === 1, 'the first watch');
        await w.patch('x', '2');
        await until(() => rec.events.length === 4, 'the patch of x', 10_000, () => rec.events.join('\n'));
        const lastSeen = informer.resourceVersion;

        relay2.refuse(true);
        relay2.cutAll();
        await w.delete('y');
        await w.create('w', '1');
        await w.patch('z', '2');
        // Wait until the server itself says the informer's version is gone (etcd compacted past it).
        const deadline = Date.now() + 30_000;
        for (;;) {
          const probe = await cp2.request('GET', `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${lastSeen}&timeoutSeconds=1`);
          if (probe.text.includes('"code":410')) break;
          assert.ok(Date.now() < deadline, 'etcd never compacted past the informer version');
          await sleep(250);
        }
        const listsBefore = informer.stats.lists;
        relay2.refuse(false);

        await until(() => informer.stats.relists >= 1 && informer.stats.lists > listsBefore && rec.events.length >= 7,
          'a relist', 15_000, () => `${JSON.stringify(informer.stats)}\n${rec.events.join('\n')}`);
        const gap = rec.events.slice(4);
        assert.deepEqual([...gap].sort(), ['add w v=1', 'delete y', 'update z v=1->v=2']);
        assert.deepEqual(cacheOf(informer), { w: '1', x: '2', z: '2' });

        // And it watches again from the new list.
        await w.patch('w', '2');
        await until(() => rec.events.length === 8, 'a change after the relist', 10_000, () => rec.events.join('\n'));
        assert.equal(rec.events[7], 'update w v=1->v=2');
        assert.ok(!rec.errors.some((e) => e instanceof KubeApiError && e.code === 410), '410 is handled by relisting, not reported as a failure');
      } finally {
        await informer.stop();
      }
    });
  });
});
