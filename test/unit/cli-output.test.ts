// The CLI's printing helpers (src/cli/output.ts) and the pure parts of the
// client commands, against what kubectl's own libraries print: every
// expected value below that names a Go function was produced by running it
// (Go 1.26 text/tabwriter, k8s.io/apimachinery v0.35.4 duration.HumanDuration,
// sigs.k8s.io/yaml v1.6.0) on the same input.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rulesTable } from '../../src/cli/commands/can-i.js';
import { serviceLink } from '../../src/cli/commands/cluster-info.js';
import { formatCell, formatTable, kindGroup } from '../../src/cli/commands/get.js';
import { userInfoTable } from '../../src/cli/commands/whoami.js';
import { formatColumns, goList, goYamlKeyLess, humanDuration, sortKeys, toJson, toYaml } from '../../src/cli/output.js';
import type { ApiResource } from '../../src/client/discovery.js';

/** [tab-separated input, tabwriter.NewWriter(w, 6, 4, 3, ' ', 0) output] */
const tabwriterCases: [string, string][] = [
  ["ATTRIBUTE\tVALUE\nUsername\tadmin\nGroups\t[a b]\n", "ATTRIBUTE   VALUE\nUsername    admin\nGroups      [a b]\n"],
  ["a\tb\tc\nlonger cell\tx\ty\n", "a             b     c\nlonger cell   x     y\n"],
  ["A\tB\tC\nshort\t\tlast\nx\n\ty\tz\n", "A       B     C\nshort         last\nx\n      y     z\n"],
  ["h1\th2\th3\nr1\tr2\nr3\tr4\tr5\tr6\n", "h1    h2    h3\nr1    r2\nr3    r4    r5    r6\n"],
  ["é中\tx\nabc\ty\n", "é中    x\nabc   y\n"],
  ["\t\t\n", "            \n"],
];

/** [milliseconds, duration.HumanDuration] */
const humanDurationCases: [number, string][] = [
  [0, "0s"],
  [-500, "0s"],
  [-2000, "<invalid>"],
  [59000, "59s"],
  [119000, "119s"],
  [120000, "2m"],
  [121000, "2m1s"],
  [599000, "9m59s"],
  [600000, "10m"],
  [10740000, "179m"],
  [10800000, "3h"],
  [11100000, "3h5m"],
  [28800000, "8h"],
  [169200000, "47h"],
  [172800000, "2d"],
  [180000000, "2d2h"],
  [691200000, "8d"],
  [62985600000, "729d"],
  [63072000000, "2y"],
  [63158400000, "2y1d"],
  [252288000000, "8y"],
  [259200000000, "8y"],
];

/** A map with these keys, and the order sigs.k8s.io/yaml.Marshal wrote them in. */
const yamlKeys: string[] = ["b", "a", "B", "_x", "a_b", "aB", "a-b", "item10", "item9", "item09", "x1y", "x01y", "", "0", "00", "10", "9", "é", "z", "Z", "a10b", "a9b", "app.kubernetes.io/name", "app", "apps"];
const yamlKeyOrder: string[] = ["", "_x", "0", "00", "9", "10", "B", "Z", "a", "a-b", "a_b", "a9b", "a10b", "aB", "app", "app.kubernetes.io/name", "apps", "b", "item9", "item09", "item10", "x1y", "x01y", "z", "é"];

/** [JSON, sigs.k8s.io/yaml.Marshal of it] */
const yamlCases: [string, string][] = [
  ["{\"apiVersion\":\"v1\",\"data\":{\"a\":\"1\",\"b\":\"yes\",\"c\":\"on\",\"d\":\"2024-01-01T00:00:00Z\",\"e\":\"\",\"f\":\"plain text\",\"g\":\"multi\\nline\\n\",\"h\":\"multi\\nline\",\"i\":\"x: y\",\"j\":\"#c\",\"k\":\" lead\",\"l\":\"tab\\there\",\"m\":\"null\",\"n\":\"~\",\"o\":\"0x1F\",\"p\":\"1e3\",\"q\":\"-\",\"r\":\"@x\",\"s\":\"it's\",\"t\":\"\\\"q\\\"\",\"u\":\"trail \\nx\",\"v\":\"*\",\"w\":\"- x\",\"y\":\"N\",\"z\":\".5\"},\"kind\":\"ConfigMap\",\"metadata\":{\"annotations\":{},\"labels\":{\"app\":\"web\"},\"name\":\"x\"}}", "apiVersion: v1\ndata:\n  a: \"1\"\n  b: \"yes\"\n  c: \"on\"\n  d: \"2024-01-01T00:00:00Z\"\n  e: \"\"\n  f: plain text\n  g: |\n    multi\n    line\n  h: |-\n    multi\n    line\n  i: 'x: y'\n  j: '#c'\n  k: ' lead'\n  l: \"tab\\there\"\n  m: \"null\"\n  \"n\": \"~\"\n  o: \"0x1F\"\n  p: \"1e3\"\n  q: '-'\n  r: '@x'\n  s: it's\n  t: '\"q\"'\n  u: \"trail \\nx\"\n  v: '*'\n  w: '- x'\n  \"y\": \"N\"\n  z: \".5\"\nkind: ConfigMap\nmetadata:\n  annotations: {}\n  labels:\n    app: web\n  name: x\n"],
  ["{\"items\":[],\"list\":[1,2.5,true,null,\"s\",{\"a\":[]},[[\"nested\"]]],\"n\":{\"deep\":{\"deeper\":[{\"k\":\"v\",\"k2\":\"v2\"}]}}}", "items: []\nlist:\n- 1\n- 2.5\n- true\n- null\n- s\n- a: []\n- - - nested\n\"n\":\n  deep:\n    deeper:\n    - k: v\n      k2: v2\n"],
];

describe('formatColumns: Go tabwriter alignment', () => {
  for (const [input, expected] of tabwriterCases) {
    test(JSON.stringify(input), () => {
      const rows = input.replace(/\n$/, '').split('\n').map((line) => line.split('\t'));
      assert.equal(formatColumns(rows), expected);
    });
  }
  test('no rows, no output', () => assert.equal(formatColumns([]), ''));
});

describe('humanDuration: duration.HumanDuration', () => {
  for (const [ms, expected] of humanDurationCases) test(`${ms} ms → ${expected}`, () => assert.equal(humanDuration(ms), expected));
});

describe('toYaml: sigs.k8s.io/yaml', () => {
  test('key order is go-yaml\'s: non-letters first, digit runs compared as numbers', () => {
    assert.deepEqual([...yamlKeys].sort((a, b) => (goYamlKeyLess(a, b) ? -1 : goYamlKeyLess(b, a) ? 1 : 0)), yamlKeyOrder);
    const yaml = toYaml(Object.fromEntries(yamlKeys.map((k) => [k, 1])));
    assert.deepEqual(yaml.trimEnd().split('\n').map((line) => line.slice(0, line.lastIndexOf(':')).replace(/^"(.*)"$/, '$1')), yamlKeyOrder);
  });
  for (const [json, expected] of yamlCases) {
    test(json.slice(0, 60), () => assert.equal(toYaml(sortKeys(JSON.parse(json))), expected));
  }
  test('a long string folds (at other spaces than go-yaml\'s, which breaks at the first space past column 80)', () => {
    const text = toYaml({ a: 'word '.repeat(30).trim() });
    assert.ok(text.split('\n').length > 2);
    assert.deepEqual(Object.values(JSON.parse(JSON.stringify({ a: 'word '.repeat(30).trim() }))), ['word '.repeat(30).trim()]);
  });
});

describe('toJson: kubectl\'s JSON printer', () => {
  test('four-space indentation, a final newline, and HTML characters escaped as Go escapes them', () => {
    assert.equal(toJson({ a: '<b>&</b>', e: [], o: {}, l: ['x'], s: 'a\u2028b' }),
      '{\n    "a": "\\u003cb\\u003e\\u0026\\u003c/b\\u003e",\n    "e": [],\n    "o": {},\n    "l": [\n        "x"\n    ],\n    "s": "a\\u2028b"\n}\n');
  });
  test('sortKeys orders every level as Go orders map keys', () => {
    assert.equal(JSON.stringify(sortKeys({ b: 1, a: { d: [{ z: 1, y: 2 }], c: 3 } })), '{"a":{"c":3,"d":[{"y":2,"z":1}]},"b":1}');
  });
  test('goList is Go\'s %v of a []string', () => {
    assert.equal(goList(['a', 'b']), '[a b]');
    assert.equal(goList([]), '[]');
    assert.equal(goList(undefined), '[]');
  });
});

describe('whoami table', () => {
  test('kubectl\'s rows: empty attributes left out, extras sorted by key', () => {
    assert.equal(userInfoTable({ username: 'jane', groups: ['dev', 'system:authenticated'], extra: { z: ['1'], a: ['x', 'y'] } }),
      'ATTRIBUTE   VALUE\nUsername    jane\nGroups      [dev system:authenticated]\nExtra: a    [x y]\nExtra: z    [1]\n');
    assert.equal(userInfoTable({}), 'ATTRIBUTE   VALUE\n');
  });
});

describe('can-i --list table', () => {
  test('rules broken down, merged by verb and sorted as kubectl sorts them', () => {
    const table = rulesTable({
      resourceRules: [
        { verbs: ['get', 'list'], apiGroups: [''], resources: ['configmaps', 'pods/log'] },
        { verbs: ['watch'], apiGroups: [''], resources: ['configmaps'] },
        { verbs: ['get'], apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['web', 'api'] },
        { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
      ],
      nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/api/*'] }],
      incomplete: false,
    });
    assert.equal(table, [
      'Resources          Non-Resource URLs   Resource Names   Verbs',
      '*.*                []                  []               [*]',
      'configmaps         []                  []               [get list watch]',
      'pods/log           []                  []               [get list]',
      '                   [/api/*]            []               [get]',
      '                   [/healthz]          []               [get]',
      'deployments.apps   []                  [api]            [get]',
      'deployments.apps   []                  [web]            [get]',
      '',
    ].join('\n'));
  });
  test('--no-headers leaves the header out', () => {
    assert.equal(rulesTable({ resourceRules: [], nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/version'] }], incomplete: false }, false),
      '      [/version]   []    [get]\n');
  });
});

describe('get: the server\'s Table as kubectl prints it', () => {
  const table = {
    kind: 'Table',
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', priority: 0 },
      { name: 'Ready', type: 'string', priority: 0 },
      { name: 'Node', type: 'string', priority: 1 },
      { name: 'Age', type: 'string', priority: 0 },
    ],
    rows: [
      { cells: ['web-1', '1/1', 'node-a', '5m'], object: { metadata: { name: 'web-1', namespace: 'team-a' } } },
      { cells: ['db', 0, null, '10d'], object: { metadata: { name: 'db', namespace: 'b' } } },
    ],
  };
  test('priority-0 columns by default, upper-case headers', () => {
    assert.equal(formatTable(table, { wide: false, withNamespace: false, headers: true }),
      'NAME    READY   AGE\nweb-1   1/1     5m\ndb      0       10d\n');
  });
  test('-o wide shows every column; -A puts NAMESPACE first; --no-headers', () => {
    assert.equal(formatTable(table, { wide: true, withNamespace: true, headers: false }),
      'team-a   web-1   1/1   node-a   5m\nb        db      0              10d\n');
  });
  test('no rows: nothing, not even the header', () => {
    assert.equal(formatTable({ ...table, rows: [] }, { wide: false, withNamespace: false, headers: true }), '');
  });
  test('cells are fmt.Sprint of their value, cut at a line break', () => {
    assert.deepEqual([formatCell('a\nb'), formatCell(true), formatCell(1.5), formatCell(['x', 2]), formatCell({ b: 1, a: 'z' }), formatCell('\x1b[31m')],
      ['a...', 'true', '1.5', '[x 2]', 'map[a:z b:1]', '^[[31m']);
  });
  test('-o name spells the kind lower-case, group-qualified outside the core group', () => {
    const r = (kind: string, group: string) => ({ kind, group }) as ApiResource;
    assert.equal(kindGroup(r('ConfigMap', '')), 'configmap');
    assert.equal(kindGroup(r('Deployment', 'apps')), 'deployment.apps');
    assert.equal(kindGroup(r('APIService', 'apiregistration.k8s.io')), 'apiservice.apiregistration.k8s.io');
  });
});

describe('cluster-info links', () => {
  const client = { info: { server: 'https://10.0.0.1:443', namespace: 'default', source: 'in-cluster', description: '' } };
  const svc = (ports: { name?: string; port: number }[], extra: object = {}) =>
    ({ metadata: { name: 'kube-dns', namespace: 'kube-system' }, spec: { ports }, ...extra });
  test('the API server\'s service proxy path, scheme guessed from the port as kubectl does', () => {
    assert.equal(serviceLink(client, svc([{ name: 'dns', port: 53 }])), 'https://10.0.0.1:443/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy');
    assert.equal(serviceLink(client, svc([{ port: 53 }])), 'https://10.0.0.1:443/api/v1/namespaces/kube-system/services/kube-dns/proxy');
    assert.equal(serviceLink(client, svc([{ name: 'web', port: 443 }])), 'https://10.0.0.1:443/api/v1/namespaces/kube-system/services/https:kube-dns:web/proxy');
    assert.equal(serviceLink(client, svc([])), 'https://10.0.0.1:443/api/v1/namespaces/kube-system/services/kube-dns/proxy');
  });
  test('a load balancer\'s address for every port', () => {
    const lb = svc([{ port: 80 }, { port: 8080 }], { status: { loadBalancer: { ingress: [{ hostname: 'lb.example.com' }] } } });
    assert.equal(serviceLink(client, lb), 'http://lb.example.com:80 http://lb.example.com:8080 ');
  });
});
