// kube-ambassador podinfo as a real process against a real kube-apiserver:
// a Node and a Pod bound to it (no kubelet: the pod stays Pending, its status
// is patched in as a kubelet would), podinfo running as the pod's service
// account with exactly the RBAC `podinfo --print-rbac` prints, applied as
// admin. The files must match the objects (labels and annotations byte for
// byte what the kubelet's FormatMap writes, checked against Go itself when
// Go is installed), the sidecar must follow a node label change within a
// second (asserted ≤ 2 s for slow machines; the measured figure is
// reported), a reader resolving ..data must never see a mix of versions, and
// --exec, --env-out and the errors must do what --help says.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile, readlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { formatMap } from '../../src/podinfo/downward-format.js';
import { type ControlPlane, type ServiceAccountFolder, startControlPlane } from '../../tools/control-plane/index.js';
import { cliPath, runCli } from '../support/proxy-process.js';

const ns = 'podinfo-it';
const nodeName = 'node-a';
const podName = 'app-1';
const zoneLabel = 'topology.kubernetes.io/zone';
/** Annotation values with everything Go's %q escapes or keeps: quotes, backslash, controls, NBSP, non-ASCII, an emoji. */
const annotations: Record<string, string> = {
  'example.com/plain': 'hello',
  'example.com/quotes': 'say "hi" \\ bye',
  'example.com/controls': 'line1\nline2\ttab\r\u0007bell\u0000nul\u007fdel\u001b[0m',
  'example.com/unicode': 'grüße – 日本語 😀 \u00a0nbsp \u200bzwsp \u2028ls',
  'example.com/empty': '',
  'example.com/tricky': `it's a "$HOME" \`whoami\` $(touch pwned) ; rm -rf / & | > < * ? [a] ~ # \\ end\nsecond line`,
  'a-first': 'sorted first',
};
const podLabels = { app: 'web', 'app.kubernetes.io/name': 'shop', tier: 'front-end', 'Z-upper': 'sorts-before-lower', empty: '' };
const nodeLabels = {
  [zoneLabel]: 'zone-a', 'topology.kubernetes.io/region': 'region-1', 'node.kubernetes.io/instance-type': 'm5.large',
  'kubernetes.io/hostname': nodeName, gen: '0',
};

interface Result { code: number | null; stdout: string; stderr: string }

describe('podinfo against a real kube-apiserver', () => {
  let cp: ControlPlane;
  let dir: string;
  let ownerUid: string;
  let podUid: string;
  const accounts = new Map<string, ServiceAccountFolder>();

  /** Creates a service account, applies what `podinfo --print-rbac <args>` prints for it (or part of it), and writes its folder. */
  async function accountWithPrintedRbac(sa: string, rbacArgs: string[], keep: (kind: string) => boolean = () => true): Promise<string> {
    await cp.createServiceAccount(ns, sa);
    const printed = await runCli(['podinfo', '--print-rbac', '-n', ns, '--service-account', sa, ...rbacArgs]);
    assert.equal(printed.code, 0, printed.stderr);
    const objects = parseAllDocuments(printed.stdout).map((d) => d.toJS()).filter((o) => keep(o.kind));
    for (const object of objects) {
      const plural = `${object.kind.toLowerCase()}s`;
      const path = object.metadata.namespace
        ? `/apis/rbac.authorization.k8s.io/v1/namespaces/${object.metadata.namespace}/${plural}/${encodeURIComponent(object.metadata.name)}`
        : `/apis/rbac.authorization.k8s.io/v1/${plural}/${encodeURIComponent(object.metadata.name)}`;
      const res = await cp.request('PATCH', `${path}?fieldManager=podinfo-test&force=true`, object, { contentType: 'application/apply-patch+yaml' });
      assert.ok(res.status < 300, `${object.kind} ${object.metadata.name}: ${res.status} ${res.text}`);
    }
    const token = await cp.mintToken(ns, sa);
    accounts.set(sa, cp.writeServiceAccountFolder(join(dir, `sa-${sa}`), { token, namespace: ns }));
    return printed.stdout;
  }

  /** Runs `kube-ambassador podinfo <args>` in-cluster as the service account, as the pod POD_NAME. */
  function asPod(sa: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000): Promise<Result> {
    const folder = accounts.get(sa)!;
    return runCli(['podinfo', `--service-account-dir=${folder.dir}`, ...args], { ...folder.env, POD_NAME: podName, POD_NAMESPACE: ns, ...env }, timeoutMs);
  }

  const patch = async (path: string, body: unknown, contentType = 'application/merge-patch+json') => {
    const res = await cp.request('PATCH', path, body, { contentType });
    assert.ok(res.status < 300, `${path}: ${res.status} ${res.text}`);
    return res.json;
  };

  before(async () => {
    cp = await startControlPlane();
    dir = mkdtempSync(join(tmpdir(), 'kube-ambassador-podinfo-'));
    await cp.createNamespace(ns);
    const create = async (path: string, body: object) => {
      const res = await cp.request('POST', path, body);
      assert.equal(res.status, 201, res.text);
      return res.json;
    };
    await create('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName, labels: nodeLabels, annotations: { 'example.com/rack': 'r42', 'node.alpha.kubernetes.io/ttl': '0' } } });
    await patch(`/api/v1/nodes/${nodeName}/status`, {
      status: {
        capacity: { cpu: '4', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' },
        allocatable: { cpu: '3800m', memory: '15Gi', pods: '110', 'ephemeral-storage': '90Gi' },
        addresses: [{ type: 'InternalIP', address: '10.0.0.5' }, { type: 'InternalIP', address: 'fd00::5' }, { type: 'Hostname', address: nodeName }],
      },
    });
    ownerUid = (await create(`/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner' } })).metadata.uid;
    const pod = await create(`/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1', kind: 'Pod',
      metadata: {
        name: podName, labels: podLabels, annotations,
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: ownerUid, controller: true }],
      },
      spec: {
        nodeName, serviceAccountName: 'podinfo',
        initContainers: [{ name: 'setup', image: 'registry.example/setup:2' }],
        containers: [
          { name: 'app', image: 'registry.example/app:1.0', resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '100m', memory: '64Mi' } } },
          { name: 'podinfo', image: 'kube-ambassador:v0.1.0', resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '10m', memory: '32Mi' } } },
        ],
      },
    });
    podUid = pod.metadata.uid;
    // What a kubelet would report once the pod runs.
    await patch(`/api/v1/namespaces/${ns}/pods/${podName}/status`, {
      status: {
        podIP: '10.1.2.3', podIPs: [{ ip: '10.1.2.3' }, { ip: 'fd00::1:3' }], hostIP: '10.0.0.5', hostIPs: [{ ip: '10.0.0.5' }, { ip: 'fd00::5' }],
        initContainerStatuses: [{ name: 'setup', image: 'registry.example/setup:2', imageID: 'registry.example/setup@sha256:1111', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
        containerStatuses: [
          { name: 'app', image: 'registry.example/app:1.0', imageID: 'registry.example/app@sha256:2222', ready: true, restartCount: 0, state: { running: { startedAt: '2025-01-01T00:00:00Z' } } },
          { name: 'podinfo', image: 'kube-ambassador:v0.1.0', imageID: '', ready: false, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } } },
        ],
      },
    });
    await create(`/api/v1/namespaces/${ns}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'unscheduled' }, spec: { containers: [{ name: 'c', image: 'x' }] } });

    await accountWithPrintedRbac('podinfo', ['--pod-name', podName]);           // the pod's own account: this pod only, get and watch
    await accountWithPrintedRbac('wide', []);                                   // any pod of the namespace
    await accountWithPrintedRbac('once-only', ['--once', '--pod-name', podName]); // get only
    await accountWithPrintedRbac('no-node', ['--once'], (kind) => kind === 'Role' || kind === 'RoleBinding');
  });
  after(async () => {
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const fields = [
    `--field=ZONE=node.metadata.labels['${zoneLabel}']`,
    '--field=OWNER=pod.metadata.ownerReferences[0].name',
    '--field=NODE_IP=node.status.addresses[0].address',
    '--field=CPU=node.status.capacity.cpu',
    '--field=READY=pod.status.containerStatuses[0].ready',
    '--field=ADDRESSES=node.status.addresses',
    "--field=MISSING=pod.metadata.labels['not-there']",
  ];

  describe('--once: the files', () => {
    let out: string;
    let res: Result;
    before(async () => {
      out = join(dir, 'once');
      res = await asPod('podinfo', ['--once', `--out=${out}`, ...fields]);
    });
    const file = (name: string) => readFileSync(join(out, name), 'utf8');

    it('exits 0 and warns once about the field with no value', () => {
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, '');
      const warnings = res.stderr.split('\n').filter((l) => l.includes('WARN'));
      assert.equal(warnings.length, 1, res.stderr);
      assert.match(warnings[0]!, /a --field has no value; writing "" field=MISSING/);
    });

    it('lays the folder out as the kubelet does: ..data -> ..<UTC time>.<n>, every name a link through ..data', () => {
      const target = readlinkSync(join(out, '..data'));
      assert.match(target, /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d+$/);
      const year = new Date().getUTCFullYear();
      assert.ok(target.startsWith(`..${year}_`) || target.startsWith(`..${year - 1}_`), target);
      assert.equal(statSync(join(out, target)).mode & 0o777, 0o755);
      const entries = readdirSync(out).sort();
      assert.deepEqual(entries.filter((e) => e.startsWith('..')), ['..data', target].sort());
      for (const name of entries.filter((e) => !e.startsWith('..'))) {
        assert.ok(lstatSync(join(out, name)).isSymbolicLink(), name);
        assert.equal(readlinkSync(join(out, name)), `..data/${name}`);
        assert.equal(statSync(join(out, name)).mode & 0o777, 0o644, name);
      }
      assert.deepEqual(readdirSync(join(out, target)).sort(), entries.filter((e) => !e.startsWith('..')));
    });

    it('writes the Downward API files as the kubelet would, labels and annotations byte for byte', () => {
      assert.equal(file('name'), podName);
      assert.equal(file('namespace'), ns);
      assert.equal(file('uid'), podUid);
      // The API server copied the node's zone and region labels onto the pod when it was bound (KEP-4742, beta in 1.35).
      assert.equal(file('labels'), 'Z-upper="sorts-before-lower"\napp="web"\napp.kubernetes.io/name="shop"\nempty=""\ntier="front-end"\n'
        + 'topology.kubernetes.io/region="region-1"\ntopology.kubernetes.io/zone="zone-a"');
      assert.match(file('annotations'), /^a-first="sorted first"\nexample\.com\/controls="line1\\nline2\\ttab\\r\\abell\\x00nul\\x7fdel\\x1b\[0m"\n/);
      assert.match(file('annotations'), /\nexample\.com\/quotes="say \\"hi\\" \\\\ bye"\n/);
      assert.match(file('annotations'), /\nexample\.com\/unicode="grüße – 日本語 😀 \\u00a0nbsp \\u200bzwsp \\u2028ls"$/);
      const go = goFormatMaps({ labels: JSON.parse(file('pod.json')).metadata.labels, annotations, nodeLabels: JSON.parse(file('node.json')).metadata.labels });
      if (go) {
        assert.equal(file('labels'), go.labels);
        assert.equal(file('annotations'), go.annotations);
        assert.equal(file('node-labels'), go.nodeLabels);
      }
    });

    it('writes what the Downward API cannot give: node metadata, owners, IPs, images, states', () => {
      assert.equal(file('node-name'), nodeName);
      assert.equal(file('service-account'), 'podinfo');
      assert.equal(file('pod-ip'), '10.1.2.3');
      assert.equal(file('pod-ips'), '10.1.2.3,fd00::1:3');
      assert.equal(file('host-ip'), '10.0.0.5');
      assert.equal(file('host-ips'), '10.0.0.5,fd00::5');
      assert.equal(file('qos-class'), 'Burstable'); // the init container has no resources
      assert.equal(file('owner-references'), 'ConfigMap/owner');
      assert.equal(file('images'), 'app="registry.example/app:1.0"\npodinfo="kube-ambassador:v0.1.0"\nsetup="registry.example/setup:2"');
      assert.equal(file('image-ids'), 'app="registry.example/app@sha256:2222"\npodinfo=""\nsetup="registry.example/setup@sha256:1111"');
      assert.equal(file('container-states'), 'app="Running"\npodinfo="Waiting: CrashLoopBackOff"\nsetup="Terminated: Completed (exit code 0)"');
      assert.equal(file('node-labels'), 'gen="0"\nkubernetes.io/hostname="node-a"\nnode.kubernetes.io/instance-type="m5.large"\ntopology.kubernetes.io/region="region-1"\ntopology.kubernetes.io/zone="zone-a"');
      assert.equal(file('node-annotations'), 'example.com/rack="r42"\nnode.alpha.kubernetes.io/ttl="0"');
      assert.equal(file('node-addresses'), 'InternalIP="10.0.0.5"\nInternalIP="fd00::5"\nHostname="node-a"');
      assert.equal(file('node-capacity'), 'cpu="4"\nephemeral-storage="100Gi"\nmemory="16Gi"\npods="110"');
      assert.equal(file('node-allocatable'), 'cpu="3800m"\nephemeral-storage="90Gi"\nmemory="15Gi"\npods="110"');
    });

    it('writes pod.json and node.json as the API server has them, without managedFields and resourceVersion', async () => {
      const pod = JSON.parse(file('pod.json'));
      const live = (await cp.request('GET', `/api/v1/namespaces/${ns}/pods/${podName}`)).json;
      delete live.metadata.managedFields;
      delete live.metadata.resourceVersion;
      assert.deepEqual(pod, live);
      const node = JSON.parse(file('node.json'));
      assert.equal(node.metadata.uid, (await cp.request('GET', `/api/v1/nodes/${nodeName}`)).json.metadata.uid);
      assert.equal(node.metadata.managedFields, undefined);
      assert.ok(file('pod.json').endsWith('}\n'));
    });

    it('writes each --field as a file: strings as they are, other values as JSON, absent ones empty', () => {
      assert.equal(file('ZONE'), 'zone-a');
      assert.equal(file('OWNER'), 'owner');
      assert.equal(file('NODE_IP'), '10.0.0.5');
      assert.equal(file('CPU'), '4');
      assert.equal(file('READY'), 'true');
      assert.equal(file('ADDRESSES'), JSON.stringify([{ type: 'InternalIP', address: '10.0.0.5' }, { type: 'InternalIP', address: 'fd00::5' }, { type: 'Hostname', address: nodeName }]));
      assert.equal(file('MISSING'), '');
    });

    it('writes nothing new when run again on the same objects', async () => {
      const before = readlinkSync(join(out, '..data'));
      const again = await asPod('podinfo', ['--once', `--out=${out}`, ...fields]);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(readlinkSync(join(out, '..data')), before);
    });
  });

  describe('--env-out and --exec', () => {
    it('--env-out holds NAME=value lines that sh reads back exactly, running nothing', async () => {
      const envFile = join(dir, 'podinfo.env');
      const work = join(dir, 'sh-work');
      mkdirSync(work);
      const res = await asPod('podinfo', ['--once', `--env-out=${envFile}`, `--field=ZONE=node.metadata.labels['${zoneLabel}']`,
        "--field=TRICKY=pod.metadata.annotations['example.com/tricky']", "--field=EMPTY=pod.metadata.annotations['example.com/empty']",
        "--field=UNICODE=pod.metadata.annotations['example.com/unicode']"]);
      assert.equal(res.code, 0, res.stderr);
      const text = readFileSync(envFile, 'utf8');
      assert.match(text, /^ZONE=zone-a\nTRICKY='it'\\''s a "\$HOME" `whoami` \$\(touch pwned\)/);
      assert.match(text, /\nEMPTY=''\n/);
      const sh = spawnSync('sh', ['-c', `set -eu; . "$1"; printf '%s\\0%s\\0%s\\0%s' "$ZONE" "$TRICKY" "$EMPTY" "$UNICODE"`, 'sh', envFile], { cwd: work, encoding: 'utf8' });
      assert.equal(sh.status, 0, sh.stderr);
      assert.deepEqual(sh.stdout.split('\0'), ['zone-a', annotations['example.com/tricky'], '', annotations['example.com/unicode']]);
      assert.deepEqual(readdirSync(work), [], 'sourcing the file ran a command');
    });

    it('--exec runs the command with the fields in its environment, its output and exit code passed through', async () => {
      const script = 'process.stdout.write(JSON.stringify({ ZONE: process.env.ZONE, OWNER: process.env.OWNER, TRICKY: process.env.TRICKY, HOME: !!process.env.HOME })); process.exit(3)';
      const res = await asPod('podinfo', ['--once', `--field=ZONE=node.metadata.labels['${zoneLabel}']`, '--field=OWNER=pod.metadata.ownerReferences[0].name',
        "--field=TRICKY=pod.metadata.annotations['example.com/tricky']", '--exec', '--', process.execPath, '-e', script]);
      assert.equal(res.code, 3, res.stderr);
      assert.deepEqual(JSON.parse(res.stdout), { ZONE: 'zone-a', OWNER: 'owner', TRICKY: annotations['example.com/tricky'], HOME: true });
    });

    it('--exec passes SIGTERM on to the command and exits with its code; a signal that ends it gives 128+n', async () => {
      const folder = accounts.get('podinfo')!;
      const env = { ...folder.env, POD_NAME: podName, POD_NAMESPACE: ns };
      const base = ['podinfo', '--once', `--field=ZONE=node.metadata.labels['${zoneLabel}']`, `--service-account-dir=${folder.dir}`, '--exec', '--', process.execPath, '-e'];
      const graceful = spawnCli([...base, "process.on('SIGTERM', () => { console.log('TERM in ' + process.env.ZONE); process.exit(7); }); console.log('ready'); setInterval(() => {}, 1000)"], env);
      await graceful.waitFor(/ready/);
      graceful.child.kill('SIGTERM');
      assert.deepEqual(await graceful.exit, { code: 7, signal: null });
      assert.match(graceful.stdout(), /TERM in zone-a/);

      const killed = spawnCli([...base, "console.log('ready'); setInterval(() => {}, 1000)"], env);
      await killed.waitFor(/ready/);
      killed.child.kill('SIGTERM');
      assert.deepEqual(await killed.exit, { code: 128 + 15, signal: null });
    });
  });

  describe('sidecar', () => {
    it('follows a node label change and a pod label change within a second, and makes no version for a change it does not show', async (t) => {
      const out = join(dir, 'sidecar');
      const side = startSidecar('podinfo', [`--out=${out}`, '--ops-address=127.0.0.1:0', `--field=ZONE=node.metadata.labels['${zoneLabel}']`]);
      try {
        await side.waitFor(/watching the pod and its node/);
        const probe = /serving probes address=(\S+)/.exec(side.stderr())![1]!;
        assert.equal((await fetch(`http://${probe}/readyz`)).status, 200);
        assert.equal(readFileSync(join(out, 'ZONE'), 'utf8'), 'zone-a');

        const latencies: number[] = [];
        for (const zone of ['zone-b', 'zone-c', 'zone-d']) {
          const started = performance.now();
          await patch(`/api/v1/nodes/${nodeName}`, { metadata: { labels: { [zoneLabel]: zone } } });
          await waitForFile(join(out, 'ZONE'), zone, 5000);
          latencies.push(performance.now() - started);
          assert.match(readFileSync(join(out, 'node-labels'), 'utf8'), new RegExp(`topology.kubernetes.io/zone="${zone}"`));
        }
        const started = performance.now();
        await patch(`/api/v1/namespaces/${ns}/pods/${podName}`, { metadata: { labels: { tier: 'back-end' } } });
        await waitForFile(join(out, 'labels'), /tier="back-end"/, 5000);
        latencies.push(performance.now() - started);
        t.diagnostic(`change-to-file latency (ms): ${latencies.map((l) => l.toFixed(1)).join(', ')}`);
        for (const l of latencies) assert.ok(l <= 2000, `a change took ${l.toFixed(0)} ms to reach the files`);

        // A write that changes only managedFields (another field manager applies the same value): no new version.
        const version = readlinkSync(join(out, '..data'));
        const rv = (await cp.request('GET', `/api/v1/nodes/${nodeName}`)).json.metadata.resourceVersion;
        const applied = await patch(`/api/v1/nodes/${nodeName}?fieldManager=someone-else`, { apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName, labels: { [zoneLabel]: 'zone-d' } } }, 'application/apply-patch+yaml');
        assert.notEqual(applied.metadata.resourceVersion, rv, 'the apply changed the object (its managedFields)');
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(readlinkSync(join(out, '..data')), version);
      } finally {
        await side.stop();
        await patch(`/api/v1/namespaces/${ns}/pods/${podName}`, { metadata: { labels: { tier: 'front-end' } } });
      }
      assert.deepEqual(await side.exit, { code: 0, signal: null });
    });

    it('a reader that resolves ..data once never sees a mix of two versions during rapid updates', async (t) => {
      const out = join(dir, 'consistency');
      const side = startSidecar('podinfo', [`--out=${out}`, "--field=GEN=node.metadata.labels['gen']"]);
      try {
        await side.waitFor(/watching the pod and its node/);
        let stop = false;
        const seen = new Set<string>();
        let reads = 0;
        let vanished = 0;
        const reader = (async () => {
          while (!stop) {
            const target = await readlink(join(out, '..data'));
            try {
              const [gen, labels, node] = await Promise.all([
                readFile(join(out, target, 'GEN'), 'utf8'),
                readFile(join(out, target, 'node-labels'), 'utf8'),
                readFile(join(out, target, 'node.json'), 'utf8'),
              ]);
              assert.match(labels, new RegExp(`^gen="${gen}"$`, 'm'), `node-labels and GEN differ in ${target}`);
              assert.equal(JSON.parse(node).metadata.labels.gen, gen, `node.json and GEN differ in ${target}`);
              seen.add(gen);
              reads++;
            } catch (err) {
              // The writer removed this version after the swap: read ..data again, as a kubelet volume reader would.
              if ((err as NodeJS.ErrnoException).code === 'ENOENT') { vanished++; continue; }
              throw err;
            }
          }
        })();
        const generations = 40;
        for (let i = 1; i <= generations; i++) {
          await patch(`/api/v1/nodes/${nodeName}`, { metadata: { labels: { gen: String(i) } } });
          await new Promise((r) => setTimeout(r, 30 * (i % 2))); // some changes back to back, some apart
        }
        await waitForFile(join(out, 'GEN'), String(generations), 5000);
        stop = true;
        await reader;
        t.diagnostic(`consistent reads: ${reads}, versions seen: ${seen.size}, versions removed under the reader: ${vanished}`);
        assert.ok(seen.size >= 5, `the reader saw only ${[...seen].join(', ')}`);
        assert.ok(reads > seen.size);
      } finally {
        await side.stop(); // lets a write in progress finish
      }
      assert.deepEqual(readdirSync(out).filter((e) => e.startsWith('..')).sort(), ['..data', readlinkSync(join(out, '..data'))].sort(), 'old versions are removed');
    });

    it('stops at once on SIGTERM with exit code 0', async () => {
      const side = startSidecar('podinfo', [`--out=${join(dir, 'term')}`]);
      await side.waitFor(/watching the pod and its node/);
      const started = performance.now();
      await side.stop();
      assert.deepEqual(await side.exit, { code: 0, signal: null });
      assert.ok(performance.now() - started < 3000);
    });
  });

  describe('RBAC', () => {
    it('resourceNames limits a watch that selects metadata.name: this pod may be watched, others and the whole list may not', async () => {
      const token = readFileSync(join(accounts.get('podinfo')!.dir, 'token'), 'utf8');
      const watch = (query: string) => cp.request('GET', `/api/v1/namespaces/${ns}/pods?watch=1&timeoutSeconds=1&${query}`, undefined, { token });
      assert.equal((await watch(`fieldSelector=metadata.name%3D${podName}`)).status, 200);
      assert.equal((await watch('fieldSelector=metadata.name%3Dunscheduled')).status, 403);
      assert.equal((await watch('')).status, 403);
      assert.equal((await cp.request('GET', `/api/v1/namespaces/${ns}/pods/unscheduled`, undefined, { token })).status, 403);
    });

    it('a missing node rule: one line naming the rule, exit 1', async () => {
      const res = await asPod('no-node', ['--once', `--out=${join(dir, 'no-node')}`]);
      assert.equal(res.code, 1);
      assert.equal(res.stderr.split('\n').filter(Boolean).length, 1, res.stderr);
      assert.match(res.stderr, /^error: nodes "node-a" is forbidden: User "system:serviceaccount:podinfo-it:no-node" cannot get resource "nodes"/);
      assert.match(res.stderr, /Missing RBAC: a ClusterRole with the rule \{apiGroups: \[""\], resources: \["nodes"\], verbs: \["get"\]\}\./);
      assert.doesNotMatch(res.stderr, /pods"\]/);
      assert.match(res.stderr, /podinfo --print-rbac/);
    });

    it('the sidecar with the --once RBAC (no watch): names the missing watch rules', async () => {
      const res = await asPod('once-only', [`--out=${join(dir, 'once-only')}`]);
      assert.equal(res.code, 1);
      assert.equal(res.stderr.split('\n').filter((l) => l.startsWith('error:')).length, 1, res.stderr);
      assert.match(res.stderr, /error: .*is forbidden.*cannot watch resource/);
      assert.match(res.stderr, /a Role in namespace podinfo-it with the rule \{apiGroups: \[""\], resources: \["pods"\], verbs: \["watch"\]\} \(pod "app-1"\) and a ClusterRole with the rule \{apiGroups: \[""\], resources: \["nodes"\], verbs: \["watch"\]\}/);
    });
  });

  describe('errors', () => {
    it('pod not found', async () => {
      const res = await asPod('wide', ['--once', `--out=${join(dir, 'nope')}`], { POD_NAME: 'nope' });
      assert.equal(res.code, 1);
      assert.equal(res.stderr, `error: pod "nope" not found in namespace "${ns}"\n`);
    });

    it('pod not found by the hostname: says where the name came from', async () => {
      const res = await asPod('wide', ['--once', `--out=${join(dir, 'nope')}`], { POD_NAME: undefined });
      assert.equal(res.code, 1);
      assert.match(res.stderr, /^error: pod "[^"]+" not found in namespace "podinfo-it" \(the name is this host's name: give the pod's name in POD_NAME/);
    });

    it('--once on a pod with no node: waits, then a clear timeout error', async () => {
      const started = performance.now();
      const res = await asPod('wide', ['--once', `--out=${join(dir, 'unscheduled')}`, '--timeout=2s'], { POD_NAME: 'unscheduled' });
      const took = performance.now() - started;
      assert.equal(res.code, 1);
      assert.match(res.stderr, /INFO waiting for the pod to be scheduled to a node pod=podinfo-it\/unscheduled\n/);
      assert.match(res.stderr, /\nerror: pod "podinfo-it\/unscheduled" is not assigned to a node yet \(spec\.nodeName is empty\); gave up after 2\.\ds \(--timeout\)\n$/);
      assert.ok(took >= 2000 && took < 8000, `took ${took} ms`);
      assert.ok(!existsSync(join(dir, 'unscheduled')), 'nothing written');
    });

    it('a wrong --field is an error at start, in one line, before any request', async () => {
      for (const [field, message] of [
        ['Z=node.metdata.labels', /^error: --field Z=node\.metdata\.labels: Node \(node\) has no field "metdata" in the Kubernetes v1\.\d+\.\d+ schema; did you mean "metadata"\?\n$/],
        ["Z=node.metadata.labels['zone", /^error: --field Z=node\.metadata\.labels\['zone: unterminated single-quoted key at column 27\n$/],
        ['Z=container.image', /^error: --field Z=container\.image: the path must start with "pod" or "node", not "container"\n$/],
        ['Z=pod.spec.containers.image', /^error: --field Z=pod\.spec\.containers\.image: pod\.spec\.containers is a list: pick an item with \[N\], e\.g\. pod\.spec\.containers\[0\]\n$/],
        ['1Z=pod.metadata.name', /^error: --field 1Z=pod\.metadata\.name: "1Z" is not a valid name/],
        ['labels=pod.metadata.name', /^error: --field labels=…: "labels" is already a podinfo file/],
      ] as const) {
        // No service-account folder: a request would fail differently.
        const res = await runCli(['podinfo', '--once', '--out=/nonexistent/x', `--field=${field}`]);
        assert.equal(res.code, 1, field);
        assert.match(res.stderr, message);
      }
    });

    it('--exec without --once, and a command without --exec, are usage errors', async () => {
      assert.match((await runCli(['podinfo', '--exec', '--', 'true'])).stderr, /^error: --exec needs --once/);
      assert.match((await runCli(['podinfo', '--once', '--', 'true'])).stderr, /^error: a command after "--" runs only with --exec/);
      assert.match((await runCli(['podinfo', '--once'])).stderr, /^error: nothing to write/);
    });
  });

  interface Spawned {
    child: ChildProcess;
    exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
    stdout(): string;
    stderr(): string;
    waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
    stop(): Promise<void>;
  }

  function spawnCli(args: string[], env: NodeJS.ProcessEnv): Spawned {
    const home = mkdtempSync(join(dir, 'home-'));
    const fullEnv: NodeJS.ProcessEnv = { ...process.env, HOME: home, ...env };
    delete fullEnv.KUBECONFIG;
    const child = spawn(process.execPath, [cliPath(), ...args], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    return {
      child, exit, stdout: () => out, stderr: () => err,
      async waitFor(pattern, timeoutMs = 15_000) {
        const deadline = Date.now() + timeoutMs;
        while (!pattern.test(out) && !pattern.test(err)) {
          if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no ${pattern} (exit ${child.exitCode})\nstdout: ${out}\nstderr: ${err}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      },
      async stop() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await exit;
      },
    };
  }

  function startSidecar(sa: string, args: string[]): Spawned {
    const folder = accounts.get(sa)!;
    return spawnCli(['podinfo', ...args, `--service-account-dir=${folder.dir}`], { ...folder.env, POD_NAME: podName, POD_NAMESPACE: ns });
  }
});

describe('podinfo: the label and annotation format against Go itself', () => {
  it('goQuote and formatMap agree with Go\'s strconv.Quote and the kubelet\'s FormatMap on 3000 random strings', (t) => {
    // Code points from ranges where escaping rules differ: controls, Latin-1, marks, spaces, format characters, CJK, private use, astral.
    const ranges: [number, number][] = [[0, 0x7f], [0x80, 0xff], [0x300, 0x36f], [0x2000, 0x206f], [0x3000, 0x303f], [0x4e00, 0x4e20],
      [0xe000, 0xe010], [0xfff0, 0xffff], [0x1f600, 0x1f64f], [0xe0000, 0xe007f], [0x10fff0, 0x10ffff]];
    let seed = 42;
    const random = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
    const values: Record<string, string> = {};
    for (let i = 0; i < 3000; i++) {
      let s = '';
      for (let n = Math.floor(random() * 12); n > 0; n--) {
        const [lo, hi] = ranges[Math.floor(random() * ranges.length)]!;
        s += String.fromCodePoint(lo + Math.floor(random() * (hi - lo + 1)));
      }
      values[`k${String(i).padStart(4, '0')}`] = s;
    }
    const go = goFormatMaps({ values });
    if (!go) { t.skip('Go is not installed'); return; }
    assert.equal(formatMap(values), go.values);
  });
});

async function waitForFile(path: string, expected: string | RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let text = '';
    try { text = await readFile(path, 'utf8'); } catch { /* between versions */ }
    if (typeof expected === 'string' ? text === expected : expected.test(text)) return;
    if (Date.now() > deadline) throw new Error(`${path} is ${JSON.stringify(text)}, not ${expected}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The kubelet's FormatMap (k8s.io/kubernetes v1.35.4 pkg/fieldpath) run by Go itself, or undefined without Go. */
function goFormatMaps<K extends string>(maps: Record<K, Record<string, string>>): Record<K, string> | undefined {
  if (spawnSync('go', ['version']).status !== 0) return undefined;
  const work = mkdtempSync(join(tmpdir(), 'podinfo-go-'));
  try {
    writeFileSync(join(work, 'main.go'), goFormatMapProgram);
    const run = spawnSync('go', ['run', join(work, 'main.go')], { input: JSON.stringify(maps), encoding: 'utf8', env: { ...process.env, GOFLAGS: '-mod=mod', GO111MODULE: 'off' } });
    assert.equal(run.status, 0, run.stderr);
    return JSON.parse(run.stdout);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const goFormatMapProgram = `package main

import (
	"encoding/json"
	"os"
	"sort"
	"strconv"
)

// FormatMap as in k8s.io/kubernetes v1.35.4 pkg/fieldpath/fieldpath.go.
func FormatMap(m map[string]string) (fmtStr string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	dst := make([]byte, 0)
	for _, key := range keys {
		if len(dst) > 0 {
			dst = append(dst, '\\n')
		}
		dst = append(dst, key...)
		dst = append(dst, '=')
		dst = strconv.AppendQuote(dst, m[key])
	}
	return string(dst)
}

func main() {
	var in map[string]map[string]string
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		panic(err)
	}
	out := map[string]string{}
	for name, m := range in {
		out[name] = FormatMap(m)
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
`;
