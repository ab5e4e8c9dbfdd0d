// What a V8 .heapsnapshot holds, by constructor: the count and the self size
// of the objects of each class, read from the flat `nodes` array with the
// field layout in snapshot.meta (no dominator tree, so no retained sizes).
// Used by profile.ts --heap to compare a proxy idle and under load.
import { readFileSync } from 'node:fs';
import { fmt } from './report.js';

interface HeapSnapshotFile {
  snapshot: { meta: { node_fields: string[]; node_types: unknown[] }; node_count: number };
  nodes: number[];
  strings: string[];
}

export interface HeapClass {
  name: string;
  count: number;
  selfBytes: number;
}

export interface HeapSummary {
  nodes: number;
  totalBytes: number;
  /** Largest self size first. */
  classes: HeapClass[];
}

/** The group a node counts under, as DevTools' Summary view names them. */
function className(type: string, name: string): string {
  switch (type) {
    case 'object': return name || '(anonymous object)';
    case 'native': return `(native) ${name}`;
    case 'closure': return '(closure)';
    case 'string':
    case 'concatenated string':
    case 'sliced string': return '(string)';
    case 'code': return '(compiled code)';
    case 'array': return '(array)';
    case 'hidden': return '(system)';
    case 'number': return '(heap number)';
    case 'object shape': return '(object shape)';
    default: return `(${type})`;
  }
}

export function summarizeHeapSnapshot(file: string): HeapSummary {
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshotFile;
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0] as string[];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const selfAt = fields.indexOf('self_size');
  if (typeAt < 0 || nameAt < 0 || selfAt < 0) throw new Error(`${file}: unexpected node fields ${fields.join(',')}`);
  const { nodes, strings } = snapshot;
  const classes = new Map<string, HeapClass>();
  let totalBytes = 0;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]!] ?? 'unknown';
    if (type === 'synthetic') continue; // roots, no size of their own
    const self = nodes[i + selfAt]!;
    const name = className(type, strings[nodes[i + nameAt]!] ?? '');
    let entry = classes.get(name);
    if (!entry) classes.set(name, (entry = { name, count: 0, selfBytes: 0 }));
    entry.count++;
    entry.selfBytes += self;
    totalBytes += self;
  }
  return { nodes: nodes.length / width, totalBytes, classes: [...classes.values()].sort((a, b) => b.selfBytes - a.selfBytes) };
}

const kb = (n: number) => (Math.abs(n) >= 1024 * 1024 ? fmt.mb(n) : `${(n / 1024).toFixed(1)} KB`);
const signedKb = (n: number) => `${n < 0 ? '−' : '+'}${kb(Math.abs(n))}`;

/** Top classes by self size in `after`, with `before` beside them, and the largest growths. */
export function renderHeapComparison(before: HeapSummary, after: HeapSummary, labels: [string, string], top: number): string {
  const byName = new Map(before.classes.map((c) => [c.name, c]));
  const afterByName = new Map(after.classes.map((c) => [c.name, c]));
  const escape = (name: string) => name.replace(/\|/g, '\\|').replace(/\n/g, ' ').slice(0, 80);
  const row = (c: HeapClass, i: number) => {
    const b = byName.get(c.name);
    return `| ${i + 1} | \`${escape(c.name)}\` | ${fmt.int(b?.count ?? 0)} | ${kb(b?.selfBytes ?? 0)} | ${fmt.int(c.count)} | ${kb(c.selfBytes)} | ${signedKb(c.selfBytes - (b?.selfBytes ?? 0))} |`;
  };
  const header = [
    `| # | constructor | count, ${labels[0]} | self size, ${labels[0]} | count, ${labels[1]} | self size, ${labels[1]} | growth |`,
    '|--:|---|--:|--:|--:|--:|--:|',
  ];
  const names = new Set([...before.classes.map((c) => c.name), ...after.classes.map((c) => c.name)]);
  const growth = [...names]
    .map((name) => ({ name, delta: (afterByName.get(name)?.selfBytes ?? 0) - (byName.get(name)?.selfBytes ?? 0) }))
    .sort((a, b) => b.delta - a.delta)
    .slice(0, Math.min(top, 15))
    .map(({ name }) => afterByName.get(name) ?? { name, count: 0, selfBytes: 0 });
  return [
    `Heap (self sizes of every object, what DevTools' Summary calls Shallow Size): ${labels[0]} ${kb(before.totalBytes)} in ${fmt.int(before.nodes)} objects; ${labels[1]} ${kb(after.totalBytes)} in ${fmt.int(after.nodes)} objects. Each snapshot starts with a full GC, so only live objects count.`,
    '',
    `#### Top ${top} constructors by self size, ${labels[1]}`,
    '',
    ...header,
    ...after.classes.slice(0, top).map(row),
    '',
    `#### Largest growth, ${labels[0]} → ${labels[1]}`,
    '',
    ...header,
    ...growth.map(row),
    '',
  ].join('\n');
}
