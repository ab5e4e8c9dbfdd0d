// What the podinfo folder holds (src/podinfo/files.ts), for a pod and node
// as the API server returns them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node, Pod } from '../../src/client/types/index.js';
import { FieldPathError, parseNamedField } from '../../src/podinfo/fields.js';
import { checkFieldNames, podInfoFiles, renderPodInfo } from '../../src/podinfo/files.js';

const pod: Pod = {
  apiVersion: 'v1', kind: 'Pod',
  metadata: {
    name: 'web-5d4f8-abcde', namespace: 'shop', uid: '1111-2222', resourceVersion: '42',
    labels: { app: 'web', 'pod-template-hash': '5d4f8' },
    annotations: { note: 'say "hi"\n' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d4f8', uid: 'rs-uid', controller: true }],
    managedFields: [{ manager: 'kube-controller-manager' }],
  },
  spec: {
    nodeName: 'node-a', serviceAccountName: 'web',
    initContainers: [{ name: 'init', image: 'busybox:1' }],
    containers: [{ name: 'app', image: 'web:2' }, { name: 'sidecar', image: 'proxy:3' }],
  },
  status: {
    qosClass: 'BestEffort', podIP: '10.1.0.7', podIPs: [{ ip: '10.1.0.7' }, { ip: 'fd00::7' }], hostIP: '10.0.0.5', hostIPs: [{ ip: '10.0.0.5' }],
    initContainerStatuses: [{ name: 'init', image: 'busybox:1', imageID: 'busybox@sha256:aa', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
    containerStatuses: [
      { name: 'app', image: 'web:2', imageID: 'web@sha256:bb', ready: true, restartCount: 0, state: { running: {} } },
      { name: 'sidecar', image: 'proxy:3', imageID: '', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } },
    ],
  },
};

const node: Node = {
  apiVersion: 'v1', kind: 'Node',
  metadata: { name: 'node-a', resourceVersion: '7', labels: { 'topology.kubernetes.io/zone': 'eu-1a', 'kubernetes.io/os': 'linux' }, annotations: { rack: 'r1' } },
  status: {
    addresses: [{ type: 'InternalIP', address: '10.0.0.5' }, { type: 'Hostname', address: 'node-a' }],
    capacity: { cpu: '4', memory: '16Gi' }, allocatable: { cpu: '3800m', memory: '15Gi' },
  },
};

describe('renderPodInfo', () => {
  const fields = ["ZONE=node.metadata.labels['topology.kubernetes.io/zone']", 'OWNER=pod.metadata.ownerReferences[0].name', 'PORTS=pod.spec.containers[0].ports', 'CPU=node.status.capacity.cpu'].map(parseNamedField);
  const { files, values, missing } = renderPodInfo(pod, node, fields);

  it('writes every fixed file, then the fields, and nothing else', () => {
    assert.deepEqual([...files.keys()], [...podInfoFiles.map((f) => f.name), 'ZONE', 'OWNER', 'PORTS', 'CPU']);
  });

  it('the Downward API files', () => {
    assert.equal(files.get('name'), 'web-5d4f8-abcde');
    assert.equal(files.get('namespace'), 'shop');
    assert.equal(files.get('uid'), '1111-2222');
    assert.equal(files.get('labels'), 'app="web"\npod-template-hash="5d4f8"');
    assert.equal(files.get('annotations'), 'note="say \\"hi\\"\\n"');
    assert.equal(files.get('node-name'), 'node-a');
    assert.equal(files.get('service-account'), 'web');
    assert.equal(files.get('pod-ip'), '10.1.0.7');
    assert.equal(files.get('pod-ips'), '10.1.0.7,fd00::7');
    assert.equal(files.get('host-ip'), '10.0.0.5');
    assert.equal(files.get('host-ips'), '10.0.0.5');
  });

  it('what the Downward API cannot give', () => {
    assert.equal(files.get('qos-class'), 'BestEffort');
    assert.equal(files.get('owner-references'), 'ReplicaSet/web-5d4f8');
    assert.equal(files.get('images'), 'app="web:2"\ninit="busybox:1"\nsidecar="proxy:3"');
    assert.equal(files.get('image-ids'), 'app="web@sha256:bb"\ninit="busybox@sha256:aa"\nsidecar=""');
    assert.equal(files.get('container-states'), 'app="Running"\ninit="Terminated: Completed (exit code 0)"\nsidecar="Waiting: CrashLoopBackOff"');
    assert.equal(files.get('node-labels'), 'kubernetes.io/os="linux"\ntopology.kubernetes.io/zone="eu-1a"');
    assert.equal(files.get('node-annotations'), 'rack="r1"');
    assert.equal(files.get('node-addresses'), 'InternalIP="10.0.0.5"\nHostname="node-a"');
    assert.equal(files.get('node-capacity'), 'cpu="4"\nmemory="16Gi"');
    assert.equal(files.get('node-allocatable'), 'cpu="3800m"\nmemory="15Gi"');
  });

  it('pod.json and node.json: the objects without managedFields and resourceVersion', () => {
    const json = JSON.parse(files.get('pod.json')!);
    assert.equal(json.metadata.managedFields, undefined);
    assert.equal(json.metadata.resourceVersion, undefined);
    assert.deepEqual(json.spec, pod.spec);
    assert.equal(JSON.parse(files.get('node.json')!).metadata.name, 'node-a');
    assert.ok(files.get('pod.json')!.endsWith('\n'));
  });

  it('the fields as files and as values; an absent one is "" and reported', () => {
    assert.equal(files.get('ZONE'), 'eu-1a');
    assert.equal(files.get('OWNER'), 'web-5d4f8');
    assert.equal(files.get('PORTS'), '');
    assert.equal(files.get('CPU'), '4');
    assert.deepEqual(values, [{ name: 'ZONE', value: 'eu-1a' }, { name: 'OWNER', value: 'web-5d4f8' }, { name: 'PORTS', value: '' }, { name: 'CPU', value: '4' }]);
    assert.deepEqual(missing, ['PORTS']);
  });

  it('a pod with nothing but a name, and no node: every file exists, most empty', () => {
    const bare = renderPodInfo({ metadata: { name: 'x' } }, undefined, []);
    assert.equal(bare.files.get('name'), 'x');
    for (const name of ['labels', 'annotations', 'owner-references', 'images', 'node-labels', 'node-addresses', 'node.json']) assert.equal(bare.files.get(name), '', name);
  });
});

describe('checkFieldNames', () => {
  it('refuses a name of a fixed file, and a name given twice', () => {
    assert.throws(() => checkFieldNames([parseNamedField('labels=pod.metadata.name')]), (e: Error) => e instanceof FieldPathError && /"labels" is already a podinfo file/.test(e.message));
    assert.throws(() => checkFieldNames(['A=pod.metadata.name', 'A=pod.metadata.uid'].map(parseNamedField)), /--field A=… is given twice/);
    checkFieldNames(['LABELS=pod.metadata.name', 'name2=pod.metadata.uid'].map(parseNamedField));
  });
});
