// Needs → resolved needs (src/rbac/resources.ts) → RBAC objects and YAML
// (src/rbac/generate.ts): the rules grant exactly the needs, never a cross
// product wider than them, with comments saying why each rule is there.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import type { ApiResource } from '../../src/client/discovery.js';
import { planRbac, rbacObjects, rbacYaml } from '../../src/rbac/generate.js';
import { NeedError, parseNeed } from '../../src/rbac/needs.js';
import { canArgument, describeAccess, resolveNeeds } from '../../src/rbac/resources.js';

const resolve = (texts: string[], defaultNamespace = 'app-ns', discovered?: ApiResource[]) =>
  resolveNeeds(texts.map(parseNeed), { defaultNamespace, discovered });

describe('resolveNeeds', () => {
  test('short names, kinds and groups resolve through the built-in table', () => {
    const { needs } = resolve(['get:po', 'get:deploy', 'list:cronjobs', 'get:Ingress', 'get:deployments.apps']);
    assert.deepEqual(needs.map((n) => [n.group, n.resource]), [['', 'pods'], ['apps', 'deployments'], ['batch', 'cronjobs'], ['networking.k8s.io', 'ingresses'], ['apps', 'deployments']]);
  });

  test('no namespace means the default one; * means every namespace; cluster-scoped resources have none', () => {
    const { needs, notes } = resolve(['get:pods', 'get:pods:ns1', 'get:pods:*', 'list:nodes', 'list:nodes:ns1']);
    assert.deepEqual(needs.map((n) => n.namespace), ['app-ns', 'ns1', '', '', '']);
    assert.deepEqual(needs.map((n) => n.namespaced), [true, true, true, false, false]);
    assert.match(notes.join('\n'), /--can list:nodes:ns1: nodes is cluster-scoped; namespace ns1 does not apply/);
  });

  test('subresources and non-resource URLs are kept', () => {
    const { needs } = resolve(['get:pods/log:ns1', 'get:/metrics']);
    assert.equal(needs[0]!.subresource, 'log');
    assert.deepEqual([needs[1]!.nonResourceURL, needs[1]!.namespace, needs[1]!.resource], ['/metrics', '', '']);
  });

  test('offline, an unknown resource needs its group; with one its scope is assumed namespaced, and said so', () => {
    assert.throws(() => resolve(['get:widgets']), (err: Error) => err instanceof NeedError && /not in the built-in table.*RESOURCE\.GROUP/.test(err.message));
    const { needs, notes } = resolve(['get:widgets.example.com:ns1']);
    assert.deepEqual([needs[0]!.group, needs[0]!.resource, needs[0]!.namespace], ['example.com', 'widgets', 'ns1']);
    assert.match(notes[0]!, /scope of widgets.example.com is unknown; assumed namespaced/);
  });

  test('with discovery, its list decides, and a miss names the server', () => {
    const discovered: ApiResource[] = [
      { group: 'example.com', version: 'v1', resource: 'widgets', kind: 'Widget', singular: 'widget', namespaced: false, verbs: [], shortNames: ['wd'], preferred: true },
    ];
    const { needs } = resolve(['get:wd'], 'x', discovered);
    assert.deepEqual([needs[0]!.group, needs[0]!.resource, needs[0]!.namespace], ['example.com', 'widgets', '']);
    assert.throws(() => resolve(['get:pods'], 'x', discovered), /the server has no resource "pods"/);
  });

  test('exec, attach and port-forward: the verbs 1.35 wants are spelled out', () => {
    assert.match(resolve(['get:pods/exec']).notes[0]!, /without "create" opens nothing on Kubernetes 1\.35\+/);
    assert.match(resolve(['create:pods/portforward']).notes[0]!, /also needs "get"/);
    assert.deepEqual(resolve(['get,create:pods/attach']).notes, []);
  });

  test('describeAccess and canArgument say a need back', () => {
    const { needs } = resolve(['get,list:pods/log:ns1', 'list:nodes', 'watch:deploy:*', 'get:/healthz']);
    assert.deepEqual(needs.map((n) => describeAccess(n, n.verbs[0]!)), ['get pods/log in ns1', 'list nodes (cluster-scoped)', 'watch deployments.apps in every namespace', 'get /healthz']);
    assert.deepEqual(needs.map((n) => canArgument(n)), ['get,list:pods/log:ns1', 'list:nodes', 'watch:deployments.apps:*', 'get:/healthz']);
  });
});

describe('planRbac', () => {
  test('one rule per group, verbs and names; verbs of one resource are merged', () => {
    const plan = planRbac(resolve(['get:pods:ns1', 'list,watch:pods:ns1', 'get:configmaps:ns1', 'get:deployments:ns1', 'get:secrets/x:ns1']).needs);
    assert.deepEqual([...plan.roles.keys()], ['ns1']);
    assert.deepEqual(plan.roles.get('ns1')!.map((r) => r.rule), [
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['configmaps', 'secrets/x'], verbs: ['get'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] },
    ]);
    assert.deepEqual(plan.clusterRules, []);
  });

  test('resources of different groups never share a rule (that would grant their cross product)', () => {
    const plan = planRbac(resolve(['get:pods:ns1', 'get:deployments:ns1']).needs);
    for (const { rule } of plan.roles.get('ns1')!) assert.equal(rule.apiGroups!.length, 1);
  });

  test('a named object gets its own rule with resourceNames', () => {
    const needs = resolveNeeds([{ verbs: ['get'], resource: 'configmaps', namespace: 'ns1', resourceName: 'settings', origin: 'x' }, parseNeed('get:configmaps:ns1')], { defaultNamespace: 'd' }).needs;
    assert.deepEqual(planRbac(needs).roles.get('ns1')!.map((r) => r.rule), [
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings'], verbs: ['get'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] },
    ]);
  });

  test('cluster scope: cluster-scoped resources, every namespace and URLs; namespaces sorted', () => {
    const plan = planRbac(resolve(['list:nodes', 'list:pods:*', 'get:/metrics', 'get:/healthz', 'get:pods:zz', 'get:pods:aa']).needs);
    assert.deepEqual([...plan.roles.keys()], ['aa', 'zz']);
    assert.deepEqual(plan.clusterRules.map((r) => r.rule), [
      { apiGroups: [''], resources: ['nodes', 'pods'], verbs: ['list'] },
      { nonResourceURLs: ['/metrics', '/healthz'], verbs: ['get'] },
    ]);
    assert.deepEqual(plan.clusterRules[0]!.origins, ['--can list:nodes', '--can list:pods:*']);
  });
});

describe('rbacObjects and rbacYaml', () => {
  const sa = { name: 'web', namespace: 'team-a' };

  test('ServiceAccount, then Role and RoleBinding per namespace, then ClusterRole and binding', () => {
    const objects = rbacObjects(planRbac(resolve(['get:pods:ns1', 'get:pods:ns2', 'list:nodes']).needs), { serviceAccount: sa });
    assert.deepEqual(objects.map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`), [
      'ServiceAccount team-a/web', 'Role ns1/kube-ambassador:web', 'RoleBinding ns1/kube-ambassador:web', 'Role ns2/kube-ambassador:web', 'RoleBinding ns2/kube-ambassador:web',
      'ClusterRole /kube-ambassador:team-a:web', 'ClusterRoleBinding /kube-ambassador:team-a:web',
    ]);
    const binding = objects[2]!;
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'web', namespace: 'team-a' }]);
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kube-ambassador:web' });
    assert.deepEqual(objects.at(-1)!.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kube-ambassador:team-a:web' });
  });

  test('no cluster-wide need, no ClusterRole; --create-service-account=false leaves the ServiceAccount out', () => {
    const objects = rbacObjects(planRbac(resolve(['get:pods']).needs), { serviceAccount: sa, createServiceAccount: false });
    assert.deepEqual(objects.map((o) => o.kind), ['Role', 'RoleBinding']);
  });

  test('the YAML parses back into the same objects, and its comments say what is granted and why', () => {
    const { needs, notes } = resolve(['get,list,watch:pods:ns1', 'get:pods/exec:ns1', 'list:nodes']);
    const text = rbacYaml(needs, { serviceAccount: sa, header: ['Needs: …'], notes });
    const docs = parseAllDocuments(text).map((d) => d.toJS());
    assert.deepEqual(docs, rbacObjects(planRbac(needs), { serviceAccount: sa }));
    assert.match(text, /^# Least privilege for the service account team-a\/web, generated by kube-ambassador rbac\.\n# Needs: …\n# It grants exactly:\n#   get, list, watch pods in ns1\n#   get pods\/exec in ns1\n#   list nodes \(cluster-scoped\)\n# Notes:\n#   --can get:pods\/exec:ns1: pods\/exec without "create"/m);
    assert.match(text, /  # for --can get,list,watch:pods:ns1\n  - apiGroups: \[""\]\n    resources: \[pods\]\n    verbs: \[get, list, watch\]/);
    assert.equal(text.split('\n---\n').length, 5);
  });
});

describe('role names', () => {
  test('default names stay clear of hand-made roles; --role-name picks them', () => {
    const plan = planRbac(resolve(['get:pods:ns1', 'list:nodes']).needs);
    const named = rbacObjects(plan, { serviceAccount: { name: 'web', namespace: 'team-a' }, roleName: 'web-reader' });
    assert.deepEqual(named.map((o) => o.metadata.name), ['web', 'web-reader', 'web-reader', 'team-a:web-reader', 'team-a:web-reader']);
  });
});
