// Every manifest in deploy/ is accepted by the real API server with a
// server-side dry run, and so is the kustomize base as kubectl builds it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { connect, type KubeClient, type KubeObject } from '../../src/index.js';
import { type ControlPlane, repositoryRoot, startControlPlane } from '../../tools/control-plane/index.js';
import { kubectlPath } from '../support/kubectl.js';

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) && name !== 'kustomization.yaml' ? [path] : [];
  });
}

function documents(text: string): KubeObject[] {
  return parseAllDocuments(text).map((d) => d.toJS() as KubeObject).filter((d) => d && d.kind);
}

describe('deploy/ manifests (server-side dry run)', () => {
  const namespace = 'manifests';
  let cp: ControlPlane;
  let kube: KubeClient;
  const root = repositoryRoot();

  before(async () => {
    cp = await startControlPlane();
    await cp.createNamespace(namespace);
    kube = await connect({ kubeconfig: cp.adminKubeconfig, namespace });
  });
  after(async () => {
    await kube?.close();
    await cp?.stop();
  });

  const dryRun = async (objects: KubeObject[], where: string) => {
    assert.ok(objects.length > 0, `${where} holds no objects`);
    for (const object of objects) {
      try {
        const created = await kube.create(object, { dryRun: true });
        assert.equal(created.kind, object.kind);
      } catch (err) {
        assert.fail(`${where}: ${object.kind}/${object.metadata?.name} was refused: ${(err as Error).message}`);
      }
    }
  };

  for (const file of yamlFiles(join(repositoryRoot(), 'deploy'))) {
    it(`accepts ${relative(repositoryRoot(), file)}`, async () => {
      await dryRun(documents(readFileSync(file, 'utf8')), file);
    });
  }

  it('accepts the kustomize base as kubectl kustomize renders it', async () => {
    const out = spawnSync(kubectlPath(), ['kustomize', join(root, 'deploy/base')], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    const objects = documents(out.stdout);
    assert.deepEqual(objects.map((o) => o.kind).sort(), ['Pod', 'Role', 'RoleBinding', 'ServiceAccount']);
    await dryRun(objects, 'kubectl kustomize deploy/base');
  });

  it('refuses a broken manifest (the dry run can fail)', async () => {
    await assert.rejects(kube.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'broken' }, spec: { containers: [] } } as KubeObject, { dryRun: true }),
      /spec.containers: Required value/);
  });
});
