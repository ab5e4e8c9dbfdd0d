// --field NAME=PATH (src/podinfo/fields.ts): the path syntax, the check
// against the bundled Pod and Node schema, and evaluation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkFieldPath, FieldPathError, formatSteps, isEnvName, lookup, parseFieldPath, parseNamedField, renderValue } from '../../src/podinfo/fields.js';
import { schemaSource } from '../../src/podinfo/schema.js';

describe('parseFieldPath: the syntax', () => {
  const ok: [string, unknown][] = [
    ['pod', { root: 'pod', steps: [] }],
    ['pod.metadata.name', { root: 'pod', steps: [{ type: 'field', name: 'metadata' }, { type: 'field', name: 'name' }] }],
    ["node.metadata.labels['topology.kubernetes.io/zone']", { root: 'node', steps: [{ type: 'field', name: 'metadata' }, { type: 'field', name: 'labels' }, { type: 'key', key: 'topology.kubernetes.io/zone' }] }],
    ['node.metadata.labels["a\'b"]', { root: 'node', steps: [{ type: 'field', name: 'metadata' }, { type: 'field', name: 'labels' }, { type: 'key', key: "a'b" }] }],
    ["pod.metadata.annotations['it\\'s \\\\ ok']", { root: 'pod', steps: [{ type: 'field', name: 'metadata' }, { type: 'field', name: 'annotations' }, { type: 'key', key: "it's \\ ok" }] }],
    ['node.status.addresses[0].address', { root: 'node', steps: [{ type: 'field', name: 'status' }, { type: 'field', name: 'addresses' }, { type: 'index', index: 0 }, { type: 'field', name: 'address' }] }],
    ['pod.spec.containers[12]', { root: 'pod', steps: [{ type: 'field', name: 'spec' }, { type: 'field', name: 'containers' }, { type: 'index', index: 12 }] }],
    ["pod['metadata']['name']", { root: 'pod', steps: [{ type: 'key', key: 'metadata' }, { type: 'key', key: 'name' }] }],
    ['node.status.capacity.ephemeral-storage', { root: 'node', steps: [{ type: 'field', name: 'status' }, { type: 'field', name: 'capacity' }, { type: 'field', name: 'ephemeral-storage' }] }],
  ];
  for (const [text, expected] of ok) {
    it(`parses ${text}`, () => {
      const { root, steps } = parseFieldPath(text);
      assert.deepEqual({ root, steps }, expected);
    });
  }

  const bad: [string, string][] = [
    ['', 'the path is empty; it starts with "pod" or "node"'],
    ['metadata.name', 'the path must start with "pod" or "node", not "metadata"'],
    ['.metadata', 'the path must start with "pod" or "node", not "."'],
    ['pods.metadata', 'the path must start with "pod" or "node", not "pods"'],
    ['pod.', 'expected a field name after "." at column 5'],
    ['pod..name', 'expected a field name after "." at column 5'],
    ['pod.metadata.labels[app]', 'expected a list index (0, 1, …) or a quoted key after "[" at column 21'],
    ["pod.metadata.labels['app'", 'expected "]" after the quoted key at column 26'],
    ["pod.metadata.labels['app", 'unterminated single-quoted key at column 25'],
    ['pod.spec.containers[-1]', 'expected a list index (0, 1, …) or a quoted key after "[" at column 21'],
    ['pod.spec.containers[0', 'expected "]" after the index at column 22'],
    ['pod metadata', 'unexpected " "; a step is .name, [\'key\'] or [N] at column 4'],
  ];
  for (const [text, message] of bad) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assert.throws(() => parseFieldPath(text), (err: Error) => err instanceof FieldPathError && err.message === message);
    });
  }

  it('formatSteps writes a path back in one canonical form', () => {
    assert.equal(formatSteps('pod', parseFieldPath("pod['metadata'].labels[\"it's\"]").steps), "pod.metadata.labels['it\\'s']");
  });
});

describe('checkFieldPath: against the Pod and Node schema', () => {
  const fine = [
    'pod', 'pod.metadata.name', "pod.metadata.labels['app']", 'pod.metadata.labels.app', 'pod.metadata.ownerReferences[0].name',
    'pod.spec.containers[0].resources.limits.cpu', 'pod.spec.containers[0].ports[0].containerPort', 'pod.status.podIPs[1].ip',
    'pod.status.containerStatuses[0].state.terminated.exitCode', "node.metadata.labels['topology.kubernetes.io/zone']",
    'node.status.addresses[0].address', 'node.status.capacity.cpu', 'node.status.nodeInfo.kubeletVersion', 'node.spec.taints[0].effect',
    'pod.metadata.managedFields[0].fieldsV1.anything.below.is.free', 'pod.spec.containers[0].livenessProbe.httpGet.port',
  ];
  for (const path of fine) it(`accepts ${path}`, () => checkFieldPath(parseFieldPath(path)));

  const wrong: [string, RegExp][] = [
    ['pod.metdata.name', new RegExp(`^Pod \\(pod\\) has no field "metdata" in the ${schemaSource} schema; did you mean "metadata"\\?$`)],
    ['pod.metadata.Labels', /^ObjectMeta \(pod\.metadata\) has no field "Labels" .*did you mean "labels"\?$/],
    ['node.status.zone', /^NodeStatus \(node\.status\) has no field "zone" .*; its fields are addresses, allocatable, capacity, conditions/],
    ['pod.spec.containers.image', /^pod\.spec\.containers is a list: pick an item with \[N\], e\.g\. pod\.spec\.containers\[0\]$/],
    ['pod.metadata.labels[0]', /^pod\.metadata\.labels is a map, not a list: pick a key with \['key'\]$/],
    ['pod.metadata[0]', /^pod\.metadata is an object \(ObjectMeta\), not a list$/],
    ['pod.metadata.name.first', /^pod\.metadata\.name is a string; it has no fields$/],
    ['pod.metadata.generation[0]', /^pod\.metadata\.generation is a number; it has no items$/],
    ['pod.spec.containers[0].livenessProbe.httpGet.port.x', /^pod\.spec\.containers\[0\]\.livenessProbe\.httpGet\.port is a number or string; it has no fields$/],
    ['node.status.capacity.cpu.value', /^node\.status\.capacity\.cpu is a string; it has no fields$/],
  ];
  for (const [path, message] of wrong) {
    it(`refuses ${path}`, () => {
      assert.throws(() => checkFieldPath(parseFieldPath(path)), (err: Error) => err instanceof FieldPathError && message.test(err.message));
    });
  }
});

describe('parseNamedField', () => {
  it('NAME=PATH, the path checked', () => {
    const field = parseNamedField("ZONE=node.metadata.labels['topology.kubernetes.io/zone']");
    assert.equal(field.name, 'ZONE');
    assert.equal(field.path.root, 'node');
  });

  it('names the --field in every error, in one line', () => {
    for (const [spec, message] of [
      ['ZONE', /^--field ZONE: expected NAME=PATH/],
      ['1ZONE=pod.metadata.name', /^--field 1ZONE=pod\.metadata\.name: "1ZONE" is not a valid name/],
      ['MY-ZONE=pod.metadata.name', /^--field MY-ZONE=pod\.metadata\.name: "MY-ZONE" is not a valid name/],
      ['=pod.metadata.name', /^--field =pod\.metadata\.name: "" is not a valid name/],
      ['Z=pod.metadata.nam', /^--field Z=pod\.metadata\.nam: ObjectMeta \(pod\.metadata\) has no field "nam"/],
      ["Z=pod.metadata.labels['x", /^--field Z=pod\.metadata\.labels\['x: unterminated/],
    ] as const) {
      assert.throws(() => parseNamedField(spec), (err: Error) => err instanceof FieldPathError && message.test(err.message) && !err.message.includes('\n'), spec);
    }
  });

  it('isEnvName: what a shell can assign', () => {
    for (const name of ['A', 'ZONE', '_x', 'a1_B2']) assert.ok(isEnvName(name), name);
    for (const name of ['', '1A', 'A-B', 'A.B', 'A B', 'Ä']) assert.ok(!isEnvName(name), name);
  });
});

describe('lookup and renderValue', () => {
  const pod = {
    metadata: { name: 'web-0', labels: { 'app.kubernetes.io/name': 'shop' }, ownerReferences: [{ kind: 'StatefulSet', name: 'web' }], generation: 3 },
    spec: { containers: [{ name: 'app', ports: [{ containerPort: 8080 }] }] },
    status: { containerStatuses: [{ ready: true }], podIP: null },
  };
  const node = { status: { capacity: { cpu: '4' }, addresses: [{ type: 'InternalIP', address: '10.0.0.5' }] } };
  const value = (path: string) => lookup(parseFieldPath(path), { pod, node });

  it('finds values by field, key and index', () => {
    assert.equal(value("pod.metadata.labels['app.kubernetes.io/name']"), 'shop');
    assert.equal(value('pod.metadata.ownerReferences[0].name'), 'web');
    assert.equal(value('node.status.addresses[0].address'), '10.0.0.5');
    assert.equal(value('pod.spec.containers[0].ports[0].containerPort'), 8080);
  });

  it('absent, null, out of range and type mismatches are undefined', () => {
    assert.equal(value("pod.metadata.labels['missing']"), undefined);
    assert.equal(value('pod.status.podIP'), undefined);
    assert.equal(value('pod.metadata.ownerReferences[1].name'), undefined);
    assert.equal(value('pod.metadata.name[0]'), undefined);
    assert.equal(value('pod.metadata.ownerReferences.name'), undefined);
    assert.equal(value("pod.metadata.labels['constructor']"), undefined);
    assert.equal(lookup(parseFieldPath('node.metadata.name'), { pod }), undefined);
  });

  it('renders strings as they are, other values as compact JSON, absent as ""', () => {
    assert.equal(renderValue('a "b"\n'), 'a "b"\n');
    assert.equal(renderValue(8080), '8080');
    assert.equal(renderValue(true), 'true');
    assert.equal(renderValue(value('node.status.addresses')), '[{"type":"InternalIP","address":"10.0.0.5"}]');
    assert.equal(renderValue(undefined), '');
  });
});
