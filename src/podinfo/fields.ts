// Named fields: `--field NAME=PATH` picks one value out of the pod or its
// node. Pure: parsed and checked at start, evaluated on each change.
//
// The path syntax (a small subset of JSONPath, written like the Downward
// API's own `metadata.labels['key']`):
//
//   PATH  := ROOT STEP*            ROOT := pod | node
//   STEP  := .NAME                 a field, or a map key without dots
//          | ['KEY'] | ["KEY"]     a map key (or field) with any characters; \\ and \' escape
//          | [N]                   the N-th item of a list, from 0
//
//   pod.metadata.labels['app.kubernetes.io/name']
//   node.metadata.labels['topology.kubernetes.io/zone']
//   node.status.addresses[0].address
//   pod.metadata.ownerReferences[0].name
//   node.status.capacity.cpu
//
// A path that cannot match anything in the object's schema (Pod and Node as
// kube-apiserver's OpenAPI describes them, see schema.ts) is an error at
// start. A value that is absent at run time (a label not set) is "".
// Strings are written as they are, numbers and booleans as JSON writes them,
// objects and lists as compact JSON.
import { objectShapes, schemaSource } from './schema.js';

export type Root = 'pod' | 'node';

export type Step =
  | { type: 'field'; name: string }
  | { type: 'key'; key: string }
  | { type: 'index'; index: number };

export interface FieldPath {
  text: string;
  root: Root;
  steps: Step[];
}

export interface NamedField {
  /** A file in the output folder and an environment variable. */
  name: string;
  path: FieldPath;
}

/** A --field that cannot work: bad syntax, a bad name, or a path the schema does not have. One line. */
export class FieldPathError extends Error {
  override name = 'FieldPathError';
}

/** An environment variable name a shell can assign: letters, digits, _, not starting with a digit. */
export function isEnvName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

/** "NAME=PATH" → a checked NamedField, or a FieldPathError naming the --field. */
export function parseNamedField(spec: string): NamedField {
  const eq = spec.indexOf('=');
  if (eq < 0) {
    throw new FieldPathError(`--field ${spec}: expected NAME=PATH, e.g. ZONE=node.metadata.labels['topology.kubernetes.io/zone']`);
  }
  const name = spec.slice(0, eq);
  if (!isEnvName(name)) {
    throw new FieldPathError(`--field ${spec}: "${name}" is not a valid name (letters, digits and _, not starting with a digit: it names a file and an environment variable)`);
  }
  try {
    const path = parseFieldPath(spec.slice(eq + 1));
    checkFieldPath(path);
    return { name, path };
  } catch (err) {
    if (err instanceof FieldPathError) throw new FieldPathError(`--field ${spec}: ${err.message}`);
    throw err;
  }
}

export function parseFieldPath(text: string): FieldPath {
  let pos = 0;
  const fail = (message: string): never => { throw new FieldPathError(`${message} at column ${pos + 1}`); };
  const rootMatch = /^[A-Za-z]*/.exec(text)![0];
  if (rootMatch !== 'pod' && rootMatch !== 'node') {
    if (text === '') throw new FieldPathError('the path is empty; it starts with "pod" or "node"');
    throw new FieldPathError(`the path must start with "pod" or "node", not "${rootMatch || text[0]}"`);
  }
  pos = rootMatch.length;
  const steps: Step[] = [];
  while (pos < text.length) {
    const c = text[pos];
    if (c === '.') {
      pos++;
      const name = /^[A-Za-z0-9_$-]+/.exec(text.slice(pos))?.[0];
      if (!name) fail(`expected a field name after "."`);
      steps.push({ type: 'field', name: name! });
      pos += name!.length;
    } else if (c === '[') {
      pos++;
      const q = text[pos];
      if (q === "'" || q === '"') {
        pos++;
        let key = '';
        for (;;) {
          if (pos >= text.length) fail(`unterminated ${q === "'" ? 'single' : 'double'}-quoted key`);
          const k = text[pos]!;
          if (k === '\\' && pos + 1 < text.length) { key += text[pos + 1]; pos += 2; continue; }
          if (k === q) { pos++; break; }
          key += k;
          pos++;
        }
        if (text[pos] !== ']') fail(`expected "]" after the quoted key`);
        pos++;
        steps.push({ type: 'key', key });
      } else {
        const digits = /^\d+/.exec(text.slice(pos))?.[0];
        if (!digits) fail(`expected a list index (0, 1, …) or a quoted key after "["`);
        pos += digits!.length;
        if (text[pos] !== ']') fail(`expected "]" after the index`);
        pos++;
        steps.push({ type: 'index', index: Number(digits) });
      }
    } else {
      fail(`unexpected "${c}"; a step is .name, ['key'] or [N]`);
    }
  }
  return { text, root: rootMatch, steps };
}

/** The path written back in canonical form, for messages: `node.status.addresses[0]`, `pod.metadata.labels['a/b']`. */
export function formatSteps(root: Root, steps: readonly Step[]): string {
  let out: string = root;
  for (const step of steps) {
    if (step.type === 'field') out += `.${step.name}`;
    else if (step.type === 'index') out += `[${step.index}]`;
    else if (/^[A-Za-z0-9_$-]+$/.test(step.key)) out += `.${step.key}`;
    else out += `['${step.key.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;
  }
  return out;
}

// ---- the schema check ----

type Shape =
  | { kind: 'object'; type: string; fields: Map<string, string> }
  | { kind: 'list'; of: string }
  | { kind: 'map'; of: string }
  | { kind: 'value'; type: 'string' | 'number' | 'boolean' | 'scalar' }
  | { kind: 'any' };

const rootTypes: Record<Root, string> = { pod: 'Pod', node: 'Node' };
const fieldCache = new Map<string, Map<string, string>>();

/** A type expression of schema.ts: `string`, `number`, `boolean`, `scalar`, `any`, a type name, `T[]` (list), `T{}` (map). */
function shapeOf(expr: string): Shape {
  if (expr.endsWith('[]')) return { kind: 'list', of: expr.slice(0, -2) };
  if (expr.endsWith('{}')) return { kind: 'map', of: expr.slice(0, -2) };
  if (expr === 'string' || expr === 'number' || expr === 'boolean' || expr === 'scalar') return { kind: 'value', type: expr };
  if (expr === 'any') return { kind: 'any' };
  let fields = fieldCache.get(expr);
  if (!fields) {
    const spec = objectShapes[expr];
    if (spec === undefined) return { kind: 'any' };
    fields = new Map(spec.split(' ').filter(Boolean).map((f) => {
      const colon = f.indexOf(':');
      return colon < 0 ? [f, 'string'] : [f.slice(0, colon), f.slice(colon + 1)];
    }));
    fieldCache.set(expr, fields);
  }
  return { kind: 'object', type: expr, fields };
}

/** Throws a FieldPathError when the path cannot exist in a Pod or Node; parts typed `any` are not checked further. */
export function checkFieldPath(path: FieldPath): void {
  let shape = shapeOf(rootTypes[path.root]);
  for (let i = 0; i < path.steps.length; i++) {
    const step = path.steps[i]!;
    const at = formatSteps(path.root, path.steps.slice(0, i));
    switch (shape.kind) {
      case 'any':
        return;
      case 'value':
        throw new FieldPathError(`${at} is a ${shape.type === 'scalar' ? 'number or string' : shape.type}; it has no ${step.type === 'index' ? 'items' : 'fields'}`);
      case 'list':
        if (step.type !== 'index') throw new FieldPathError(`${at} is a list: pick an item with [N], e.g. ${at}[0]`);
        shape = shapeOf(shape.of);
        break;
      case 'map':
        if (step.type === 'index') throw new FieldPathError(`${at} is a map, not a list: pick a key with ['key']`);
        shape = shapeOf(shape.of);
        break;
      case 'object': {
        if (step.type === 'index') throw new FieldPathError(`${at} is an object (${shape.type}), not a list`);
        const name = step.type === 'field' ? step.name : step.key;
        const type = shape.fields.get(name);
        if (type === undefined) throw new FieldPathError(unknownField(name, at, shape.type, [...shape.fields.keys()]));
        shape = shapeOf(type);
        break;
      }
    }
  }
}

function unknownField(name: string, at: string, type: string, fields: string[]): string {
  const base = `${type} (${at}) has no field "${name}" in the ${schemaSource} schema`;
  const close = fields.filter((f) => f.toLowerCase() === name.toLowerCase() || editDistance(f.toLowerCase(), name.toLowerCase()) <= 2);
  if (close.length > 0) return `${base}; did you mean ${close.map((f) => `"${f}"`).join(' or ')}?`;
  return `${base}; its fields are ${fields.join(', ')}`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

// ---- evaluation ----

/** The value at path in the objects, or undefined when something along the way is absent (or null). */
export function lookup(path: FieldPath, objects: { pod?: unknown; node?: unknown }): unknown {
  let value: unknown = objects[path.root];
  for (const step of path.steps) {
    if (value === null || value === undefined) return undefined;
    if (step.type === 'index') {
      value = Array.isArray(value) ? value[step.index] : undefined;
    } else {
      const key = step.type === 'field' ? step.name : step.key;
      value = typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
    }
  }
  return value === null ? undefined : value;
}

/** A looked-up value as its file holds it: strings as they are, everything else as compact JSON. */
export function renderValue(value: unknown): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
