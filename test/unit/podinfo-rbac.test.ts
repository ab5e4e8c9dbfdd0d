// podinfo's least privilege (src/podinfo/rbac.ts), the words for a missing
// rule, and deploy/podinfo/*.yaml holding exactly what --print-rbac prints.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { accessNeeds, describeMissingRules, podinfoRbac, rbacNames } from '../../src/podinfo/rbac.js';
import { repositoryRoot } from '../../tools/control-plane/binaries.js';

describe('podinfoRbac', () => {
  it('a Role on pods and a ClusterRole on nodes, get and watch, bound to the service account', () => {
    const objects = podinfoRbac({ namespace: 'shop', serviceAccount: 'web' }).map((d) => d.object);
    assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata!.name}`), [
      'Role/kube-ambassador-podinfo:web', 'RoleBinding/kube-ambassador-podinfo:web',
      'ClusterRole/kube-ambassador-podinfo:nodes:get-watch', 'ClusterRoleBinding/kube-ambassador-podinfo:nodes:shop:web',
    ]);
    assert.deepEqual(objects[0]!.rules, [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'watch'] }]);
    assert.deepEqual(objects[2]!.rules, [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'watch'] }]);
    for (const binding of [objects[1]!, objects[3]!]) {
      assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'web', namespace: 'shop' }]);
    }
    assert.equal(objects[0]!.metadata!.namespace, 'shop');
    assert.equal(objects[2]!.metadata!.namespace, undefined);
  });

  it('--pod-name limits the pod rule to that pod; --once asks for get only, under another ClusterRole name', () => {
    const [role, , clusterRole] = podinfoRbac({ namespace: 'shop', serviceAccount: 'web', podName: 'web-0', once: true }).map((d) => d.object);
    assert.deepEqual(role!.rules, [{ apiGroups: [''], resources: ['pods'], verbs: ['get'], resourceNames: ['web-0'] }]);
    assert.deepEqual(clusterRole!.rules, [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }]);
    assert.notEqual(rbacNames('shop', 'web', true).clusterRole, rbacNames('shop', 'web', false).clusterRole);
  });
});

describe('accessNeeds and describeMissingRules', () => {
  it('get (and watch) on the pod by name and on the node', () => {
    assert.deepEqual(accessNeeds({ namespace: 'shop', podName: 'web-0', nodeName: 'n1', once: true }), [
      { verb: 'get', resource: 'pods', namespace: 'shop', name: 'web-0' }, { verb: 'get', resource: 'nodes', name: 'n1' },
    ]);
    assert.equal(accessNeeds({ namespace: 'shop', podName: 'web-0' }).length, 4);
  });

  it('names the rule that would grant what is missing', () => {
    assert.equal(describeMissingRules([{ verb: 'get', resource: 'nodes', name: 'n1' }, { verb: 'watch', resource: 'nodes', name: 'n1' }]),
      'a ClusterRole with the rule {apiGroups: [""], resources: ["nodes"], verbs: ["get", "watch"]}');
    assert.equal(describeMissingRules([{ verb: 'watch', resource: 'pods', namespace: 'shop', name: 'web-0' }, { verb: 'watch', resource: 'nodes' }]),
      'a Role in namespace shop with the rule {apiGroups: [""], resources: ["pods"], verbs: ["watch"]} (pod "web-0") and a ClusterRole with the rule {apiGroups: [""], resources: ["nodes"], verbs: ["watch"]}');
  });
});

describe('deploy/podinfo manifests', () => {
  const dir = join(repositoryRoot(), 'deploy', 'podinfo');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

  it('has the init-container and the sidecar form', () => {
    assert.deepEqual(files.sort(), ['init-container.yaml', 'sidecar.yaml']);
  });

  for (const file of files) {
    it(`${file} holds exactly the RBAC --print-rbac prints for its pod, and a ServiceAccount`, () => {
      const objects = parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => d.toJS());
      const pod = objects.find((o) => o.kind === 'Pod');
      const podinfo = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find((c: { args?: string[] }) => c.args?.[0] === 'podinfo');
      const once = podinfo.args.includes('--once');
      assert.equal(podinfo.restartPolicy === 'Always', !once, 'the sidecar form is a native sidecar, the init form a plain init container');
      const expected = podinfoRbac({ namespace: pod.metadata.namespace, serviceAccount: pod.spec.serviceAccountName, podName: pod.metadata.name, once }).map((d) => d.object);
      const rbac = objects.filter((o) => o.apiVersion === 'rbac.authorization.k8s.io/v1');
      assert.deepEqual(rbac, expected);
      assert.ok(objects.some((o) => o.kind === 'ServiceAccount' && o.metadata.name === pod.spec.serviceAccountName));
      const env = Object.fromEntries(podinfo.env.map((e: { name: string; valueFrom: { fieldRef: { fieldPath: string } } }) => [e.name, e.valueFrom.fieldRef.fieldPath]));
      assert.deepEqual(env, { POD_NAME: 'metadata.name', POD_NAMESPACE: 'metadata.namespace' });
    });
  }
});
