// How the client commands print, in kubectl's shapes: columns aligned as Go's
// tabwriter aligns them (kubectl's printers.GetNewTabWriter), JSON as
// kubectl's JSON printer writes it, YAML as sigs.k8s.io/yaml writes it (as
// closely as the yaml package allows), and Go's %v for a []string. Pure
// functions of their input, except the colour check that looks at a stream.
import { Document, isScalar, visit } from 'yaml';

/**
 * Rows of cells aligned like Go's tabwriter.NewWriter(out, 6, 4, 3, ' ', 0):
 * every cell but a row's last is padded to its column's width plus 3 (at
 * least 6); a column spans the consecutive rows that have a cell after it.
 */
export function formatColumns(rows: string[][]): string {
  const widths: number[] = [];
  let out = '';
  const writeRows = (from: number, to: number) => {
    for (let r = from; r < to; r++) {
      const row = rows[r]!;
      row.forEach((cell, j) => {
        out += cell;
        if (j < widths.length) out += ' '.repeat(Math.max(0, widths[j]! - runeCount(cell)));
      });
      out += '\n';
    }
  };
  // Go's tabwriter.format: a column block is a run of rows that have a
  // terminated cell in this column; widths are per block, nested blocks recurse.
  const format = (start: number, end: number) => {
    const column = widths.length;
    let from = start;
    for (let r = start; r < end; r++) {
      if (column >= rows[r]!.length - 1) continue;
      writeRows(from, r);
      from = r;
      let width = 6;
      for (; r < end && column < rows[r]!.length - 1; r++) width = Math.max(width, runeCount(rows[r]![column]!) + 3);
      widths.push(width);
      format(from, r);
      widths.pop();
      from = r; // row r ended the block, so it cannot start one: the loop may step over it, as Go's does
    }
    writeRows(from, end);
  };
  format(0, rows.length);
  return out;
}

function runeCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Go's fmt %v of a []string: "[a b]", "[]" when empty. */
export function goList(values: readonly string[] | undefined): string {
  return `[${(values ?? []).join(' ')}]`;
}

/** kubectl's JSON printer: json.MarshalIndent with four spaces, HTML characters escaped as Go escapes them. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 4).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) + '\n';
}

/** A copy with every object's keys in Go's encoding/json map order (sorted), as kubectl prints unstructured objects. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
  return out;
}

/**
 * YAML as kubectl prints it (sigs.k8s.io/yaml over go-yaml v2): keys in
 * go-yaml's order, sequences not indented under their key, YAML 1.1 quoting
 * (so "yes", "on" and timestamps stay strings), single quotes for strings
 * that cannot be plain, JSON escapes in double quotes. Known differences: a
 * long string folds at other spaces than go-yaml's (which breaks at the first
 * space past column 80), a long double-quoted one does not fold, and a control
 * character is \u0007 where go-yaml writes \a.
 */
export function toYaml(value: unknown): string {
  const doc = new Document(value, {
    version: '1.1',
    sortMapEntries: (a, b) => {
      const ka = String(isScalar(a.key) ? a.key.value : a.key);
      const kb = String(isScalar(b.key) ? b.key.value : b.key);
      return goYamlKeyLess(ka, kb) ? -1 : goYamlKeyLess(kb, ka) ? 1 : 0;
    },
  });
  const implicit = doc.schema.tags.filter((t) => t.default === true && t.test);
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string') return;
      const s = node.value;
      // go-yaml double-quotes strings that would read back as another type, strings with
      // characters it does not print as they are (tabs, controls), and multi-line strings
      // a literal block cannot hold (a space before a line break or at the end).
      const ambiguous = implicit.some((t) => t.test!.test(s));
      const unprintable = /[^\n\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFEFE\uFF00-\uFFFD\u{10000}-\u{10FFFF}]/u.test(s);
      const noBlock = s.includes('\n') && / (\n|$)/.test(s);
      if (ambiguous || unprintable || noBlock) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({ indentSeq: false, singleQuote: true, blockQuote: 'literal', lineWidth: 80, doubleQuotedAsJSON: true });
}

/** go-yaml v2's keyList.Less for string keys: letters after other characters, runs of digits compared as numbers. */
export function goYamlKeyLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  const isLetter = (c: string) => /\p{L}/u.test(c);
  const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue;
    const al = isLetter(ar[i]!);
    const bl = isLetter(br[i]!);
    if (al && bl) return ar[i]! < br[i]!;
    if (al || bl) return bl;
    let an = 0;
    let bn = 0;
    if (ar[i] === '0' || br[i] === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
        if (ar[j] !== '0') { an = 1; bn = 1; break; }
      }
    }
    let ai = i;
    let bi = i;
    for (; isDigit(ar[ai]); ai++) an = an * 10 + Number(ar[ai]);
    for (; isDigit(br[bi]); bi++) bn = bn * 10 + Number(br[bi]);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ar[i]! < br[i]!;
  }
  return ar.length < br.length;
}

/** Colour only for a terminal that wants it (not TERM=dumb, no NO_COLOR). */
export function wantsColor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && env.TERM !== 'dumb' && !env.NO_COLOR;
}

/** Go's duration.HumanDuration, as kubectl prints an AGE it computes itself. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24) % 365;
    return days === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${days}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}
