// The client against a real kube-apiserver: connect through a kubeconfig,
// every verb and patch flavour on ConfigMaps, paging over more than a
// thousand objects, errors that keep the server's Status, discovery (short
// names, a CRD created while the client runs) and cluster-scoped paths.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, KubeApiError, type KubeClient, type KubeObject } from '../../src/client/index.js';
import { startControlPlane, type ControlPlane } from '../../tools/control-plane/index.js';

describe('client requests against a real API server', () => {
  let cp: ControlPlane;
  let kube: KubeClient;

  before(async () => {
    cp = await startControlPlane();
    // env and homeDir isolate the client from this machine's KUBECONFIG and ~/.kube.
    kube = await connect({ kubeconfig: cp.adminKubeconfig, env: {}, homeDir: cp.tmpDir });
  });
  after(async () => {
    await kube?.close();
    await cp?.stop();
  });

  test('connect() through the kubeconfig: server, namespace, source', async () => {
    assert.equal(kube.info.server, cp.url);
    assert.equal(kube.info.namespace, 'default');
    assert.equal(kube.info.source, 'kubeconfig');
    assert.equal((await kube.whoami()).username, 'admin');
  });

  test('create, get, list, replace, delete a ConfigMap', async () => {
    await cp.createNamespace('crud');
    const cms = await kube.resource('v1', 'ConfigMap');
    const created = await cms.create({ metadata: { name: 'one', namespace: 'crud', labels: { app: 'a' } }, data: { k: 'v' } });
    assert.equal(created.kind, 'ConfigMap'); // apiVersion and kind were filled in from discovery
    assert.equal(created.metadata?.namespace, 'crud');
    assert.ok(created.metadata?.uid);

    const fetched = await cms.get('one', { namespace: 'crud' });
    assert.deepEqual(fetched.data, { k: 'v' });
    const onServer = await cp.request('GET', '/api/v1/namespaces/crud/configmaps/one');
    assert.equal(onServer.json.metadata.uid, created.metadata?.uid);

    await cms.create({ metadata: { name: 'two', namespace: 'crud' } });
    const listed = await cms.list({ namespace: 'crud' });
    assert.deepEqual(listed.items.map((i) => i.metadata?.name).sort(), ['one', 'two']);
    const selected = await cms.list({ namespace: 'crud', labelSelector: 'app=a' });
    assert.deepEqual(selected.items.map((i) => i.metadata?.name), ['one']);
    assert.ok(listed.metadata.resourceVersion);

    const replaced = await cms.replace({ ...fetched, data: { k: 'v2', extra: 'x' } });
    assert.deepEqual(replaced.data, { k: 'v2', extra: 'x' });
    assert.notEqual(replaced.metadata?.resourceVersion, fetched.metadata?.resourceVersion);
    // A replace from a stale copy is a 409 Conflict, not a silent overwrite.
    await assert.rejects(cms.replace({ ...fetched, data: { stale: 'yes' } }),
      (err: unknown) => err instanceof KubeApiError && err.code === 409 && err.reason === 'Conflict' && err.isConflict);

    await cms.delete('one', { namespace: 'crud' });
    assert.equal((await cp.request('GET', '/api/v1/namespaces/crud/configmaps/one')).status, 404);
    // The client's default namespace is used when none is given: 'default' has no "two".
    await assert.rejects(cms.get('two'), (err: unknown) => err instanceof KubeApiError && err.code === 404);
  });

  test('the KubeClient shortcuts (create/get/list/delete by apiVersion and kind)', async () => {
    await cp.createNamespace('shortcuts');
    await kube.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 's', namespace: 'shortcuts' }, data: { a: '1' } });
    const got = await kube.get('v1', 'ConfigMap', 's', { namespace: 'shortcuts' });
    assert.deepEqual(got.data, { a: '1' });
    const names: string[] = [];
    for await (const item of kube.listAll('v1', 'ConfigMap', { namespace: 'shortcuts' })) names.push(item.metadata?.name ?? '');
    assert.deepEqual(names, ['s']);
    await kube.delete('v1', 'ConfigMap', 's', { namespace: 'shortcuts' });
    assert.equal((await kube.list('v1', 'ConfigMap', { namespace: 'shortcuts' })).items.length, 0);
  });

  test('patch: merge, json, strategic', async () => {
    await cp.createNamespace('patches');
    const cms = await kube.resource('v1', 'ConfigMap');
    await cms.create({ metadata: { name: 'p', namespace: 'patches' }, data: { a: '1', b: '2' } });

    const merged = await cms.patch('p', { data: { b: null, c: '3' } }, { namespace: 'patches' });
    assert.deepEqual(merged.data, { a: '1', c: '3' });

    const jsonPatched = await cms.patch('p', [
      { op: 'test', path: '/data/a', value: '1' },
      { op: 'replace', path: '/data/a', value: 'one' },
      { op: 'remove', path: '/data/c' },
    ], { namespace: 'patches', type: 'json' });
    assert.deepEqual(jsonPatched.data, { a: 'one' });

    // A failing JSON-patch test operation is the server's 422 Invalid, and nothing changes.
    await assert.rejects(cms.patch('p', [{ op: 'test', path: '/data/a', value: 'nope' }, { op: 'remove', path: '/data/a' }], { namespace: 'patches', type: 'json' }),
      (err: unknown) => err instanceof KubeApiError && err.code === 422 && err.reason === 'Invalid');
    assert.equal((await cp.request('GET', '/api/v1/namespaces/patches/configmaps/p')).json.data.a, 'one');

    const strategic = await cms.patch('p', { metadata: { labels: { tier: 'x' } }, data: { d: '4' } }, { namespace: 'patches', type: 'strategic' });
    assert.deepEqual(strategic.data, { a: 'one', d: '4' });
    assert.deepEqual(strategic.metadata?.labels, { tier: 'x' });

    // dryRun reaches the server: the answer shows the change, the object does not.
    const dry = await cms.patch('p', { data: { dry: 'run' } }, { namespace: 'patches', dryRun: true });
    assert.equal(dry.data?.dry, 'run');
    assert.equal((await cp.request('GET', '/api/v1/namespaces/patches/configmaps/p')).json.data.dry, undefined);
  });

  test('server-side apply: fieldManager shows in managedFields; a conflict needs force', async () => {
    await cp.createNamespace('apply');
    const cms = await kube.resource('v1', 'ConfigMap');
    const first = await cms.apply({ metadata: { name: 'sa', namespace: 'apply' }, data: { owner: 'alpha' } },
      { fieldManager: 'alpha-manager' });
    assert.deepEqual(first.data, { owner: 'alpha' });
    const managers = (first.metadata?.managedFields ?? []).map((m) => `${m.manager}/${m.operation}`);
    assert.deepEqual(managers, ['alpha-manager/Apply']);

    // Another manager changing the same field: 409 Conflict from the server...
    await assert.rejects(cms.apply({ metadata: { name: 'sa', namespace: 'apply' }, data: { owner: 'beta' } }, { fieldManager: 'beta-manager' }),
      (err: unknown) => err instanceof KubeApiError && err.code === 409 && /conflict/i.test(err.message));
    // ...and with force it takes the field over.
    const forced = await cms.apply({ metadata: { name: 'sa', namespace: 'apply' }, data: { owner: 'beta' } },
      { fieldManager: 'beta-manager', force: true });
    assert.deepEqual(forced.data, { owner: 'beta' });
    const after = (forced.metadata?.managedFields ?? []).map((m) => m.manager);
    assert.ok(after.includes('beta-manager'), JSON.stringify(after));

    // patch(type: 'apply') with an object body works the same way.
    const viaPatch = await cms.patch('sa', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'sa' }, data: { owner: 'beta', more: 'yes' } },
      { namespace: 'apply', type: 'apply', fieldManager: 'beta-manager' });
    assert.deepEqual(viaPatch.data, { owner: 'beta', more: 'yes' });

    // A plain write records its fieldManager too (operation Update).
    const updated = await cms.patch('sa', { data: { note: 'n' } }, { namespace: 'apply', fieldManager: 'gamma-manager' });
    const ops = (updated.metadata?.managedFields ?? []).map((m) => `${m.manager}/${m.operation}`);
    assert.ok(ops.includes('gamma-manager/Update'), JSON.stringify(ops));
  });

  test('listAll and pages over 1201 ConfigMaps: every object once, ceil(n/limit) pages', async () => {
    const ns = 'many';
    const n = 1201;
    const limit = 100;
    await cp.createNamespace(ns);
    // A second client without a rate limit to fill the namespace quickly.
    const filler = await connect({ kubeconfig: cp.adminKubeconfig, env: {}, homeDir: cp.tmpDir, rateLimit: { qps: 0, burst: 0 } });
    try {
      const cms = await filler.resource('v1', 'ConfigMap');
      const names = Array.from({ length: n }, (_, i) => `cm-${String(i).padStart(5, '0')}`);
      let next = 0;
      await Promise.all(Array.from({ length: 32 }, async () => {
        while (next < names.length) {
          const name = names[next++]!;
          await cms.create({ metadata: { name, namespace: ns }, data: { i: name } });
        }
      }));
    } finally {
      await filler.close();
    }

    const cms = await kube.resource('v1', 'ConfigMap');
    const pageSizes: number[] = [];
    const pageVersions = new Set<string>();
    for await (const page of cms.pages({ namespace: ns, limit })) {
      pageSizes.push(page.items.length);
      pageVersions.add(page.metadata.resourceVersion ?? '');
    }
    assert.equal(pageSizes.length, Math.ceil(n / limit));
    assert.deepEqual(pageSizes, [...Array(Math.floor(n / limit)).fill(limit), n % limit]);
    assert.equal(pageVersions.size, 1, 'every page comes from the same snapshot');

    const seen = new Set<string>();
    let count = 0;
    for await (const item of cms.listAll({ namespace: ns, limit })) {
      count++;
      seen.add(item.metadata!.name!);
    }
    assert.equal(count, n);
    assert.equal(seen.size, n, 'no duplicates');

    // Without a limit the client pages by 500.
    let defaultPages = 0;
    for await (const _ of cms.pages({ namespace: ns })) defaultPages++;
    assert.equal(defaultPages, Math.ceil(n / 500));
  });

  test('errors keep the server Status: 404 NotFound and 409 AlreadyExists', async () => {
    await cp.createNamespace('errors');
    const cms = await kube.resource('v1', 'ConfigMap');
    const notFound = await cms.get('missing', { namespace: 'errors' }).then(() => undefined, (e: unknown) => e);
    assert.ok(notFound instanceof KubeApiError, String(notFound));
    assert.equal(notFound.code, 404);
    assert.equal(notFound.reason, 'NotFound');
    assert.equal(notFound.isNotFound, true);
    assert.equal(notFound.status.message, 'configmaps "missing" not found');
    assert.equal(notFound.message, 'configmaps "missing" not found');
    assert.equal(notFound.status.details?.name, 'missing');
    assert.equal(notFound.method, 'GET');

    await cms.create({ metadata: { name: 'dup', namespace: 'errors' } });
    const exists = await cms.create({ metadata: { name: 'dup', namespace: 'errors' } }).then(() => undefined, (e: unknown) => e);
    assert.ok(exists instanceof KubeApiError, String(exists));
    assert.equal(exists.code, 409);
    assert.equal(exists.reason, 'AlreadyExists');
    assert.equal(exists.status.message, 'configmaps "dup" already exists');

    // A validation failure: 422 Invalid with the causes.
    const invalid = await cms.create({ metadata: { name: 'Not_Valid', namespace: 'errors' } }).then(() => undefined, (e: unknown) => e);
    assert.ok(invalid instanceof KubeApiError, String(invalid));
    assert.equal(invalid.code, 422);
    assert.equal(invalid.reason, 'Invalid');
    assert.ok((invalid.status.details?.causes ?? []).some((c) => c.field === 'metadata.name'), JSON.stringify(invalid.status));
  });

  test('discovery: kinds in groups and the names kubectl accepts', async () => {
    const deployments = await kube.resource('apps/v1', 'Deployment');
    assert.deepEqual({ group: deployments.resource.group, version: deployments.resource.version, resource: deployments.resource.resource, namespaced: deployments.resource.namespaced },
      { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true });
    assert.equal(deployments.path('ns', 'web'), '/apis/apps/v1/namespaces/ns/deployments/web');

    const deploy = await kube.resourceNamed('deploy');
    assert.equal(deploy.resource.group, 'apps');
    assert.equal(deploy.resource.resource, 'deployments');
    const cm = await kube.resourceNamed('cm');
    assert.deepEqual([cm.resource.group, cm.resource.version, cm.resource.resource], ['', 'v1', 'configmaps']);
    assert.equal((await kube.resourceNamed('deployments.apps')).resource.kind, 'Deployment');
    assert.equal((await kube.resourceNamed('deploy.v1.apps')).resource.kind, 'Deployment');

    // A real Deployment through the discovered path.
    await cp.createNamespace('apps');
    const created = await deployments.create({
      metadata: { name: 'web', namespace: 'apps' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    assert.equal(created.apiVersion, 'apps/v1');
    assert.equal((await cp.request('GET', '/apis/apps/v1/namespaces/apps/deployments/web')).status, 200);

    await assert.rejects(kube.resourceNamed('nosuchthing'), /doesn't have a resource type "nosuchthing"/);
    await assert.rejects(kube.resource('v1', 'NoSuchKind'), /no resource for kind "NoSuchKind"/);
  });

  test('a CRD created while the client runs becomes reachable (cache miss, then refresh)', async () => {
    // Fill the discovery cache first, before the CRD exists.
    await kube.resource('v1', 'ConfigMap');
    const before = await kube.discovery.resources();
    assert.equal(before.some((r) => r.group === 'demo.example.com'), false);

    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.demo.example.com' },
      spec: {
        group: 'demo.example.com', scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wdg'] },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } } }],
      },
    };
    const res = await cp.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    assert.equal(res.status, 201, res.text);
    // Wait until the server itself serves the new group, so the client's single refresh can find it.
    const deadline = Date.now() + 30_000;
    while ((await cp.request('GET', '/apis/demo.example.com/v1')).json?.resources?.some((r: { name: string }) => r.name === 'widgets') !== true) {
      if (Date.now() > deadline) assert.fail('the CRD never became served');
      await sleep(100);
    }
    const aggregated = async () => JSON.stringify((await cp.request('GET', '/apis', undefined, {
      headers: { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' },
    })).json).includes('demo.example.com');
    while (!(await aggregated())) {
      if (Date.now() > deadline) assert.fail('the CRD never showed in aggregated discovery');
      await sleep(100);
    }

    const widgets = await kube.resource('demo.example.com/v1', 'Widget');
    assert.equal(widgets.resource.resource, 'widgets');
    assert.equal((await kube.resourceNamed('wdg')).resource.kind, 'Widget');
    await cp.createNamespace('widgets');
    const w = await widgets.create({ metadata: { name: 'w1', namespace: 'widgets' }, spec: { size: 3 } } as KubeObject);
    assert.equal(w.apiVersion, 'demo.example.com/v1');
    assert.equal(w.kind, 'Widget');
    const list = await widgets.list({ namespace: 'widgets' });
    assert.deepEqual(list.items.map((i) => i.metadata?.name), ['w1']);
  });

  test('cluster-scoped resources (namespaces) have no namespace in the path', async () => {
    const namespaces = await kube.resource('v1', 'Namespace');
    assert.equal(namespaces.resource.namespaced, false);
    // The client's default namespace ("default") must not leak into the path.
    assert.equal(namespaces.path(kube.namespace, 'x'), '/api/v1/namespaces/x');
    const created = await namespaces.create({ metadata: { name: 'made-by-client' } });
    assert.equal(created.metadata?.name, 'made-by-client');
    assert.equal((await cp.request('GET', '/api/v1/namespaces/made-by-client')).status, 200);
    assert.equal((await namespaces.get('made-by-client')).metadata?.uid, created.metadata?.uid);
    // Even with a namespace option given, the request goes to the cluster-scoped path.
    assert.equal((await namespaces.get('made-by-client', { namespace: 'elsewhere' })).metadata?.name, 'made-by-client');
    const names = (await namespaces.list()).items.map((i) => i.metadata?.name);
    assert.ok(names.includes('made-by-client') && names.includes('default'), JSON.stringify(names));
    const patched = await namespaces.patch('made-by-client', { metadata: { labels: { by: 'client' } } });
    assert.equal(patched.metadata?.labels?.by, 'client');
    await namespaces.delete('made-by-client');
    const after = (await cp.request('GET', '/api/v1/namespaces/made-by-client')).json;
    // Without a namespace controller it stays Terminating, which proves the delete reached it.
    assert.ok(after.metadata?.deletionTimestamp || after.code === 404, JSON.stringify(after));
  });
});
