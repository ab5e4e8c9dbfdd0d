// The formats a Downward API volume file has, byte for byte, so readers of
// the kubelet's files read ours unchanged. The kubelet (v1.35,
// pkg/fieldpath.FormatMap) writes a map as `key="value"` lines, keys sorted
// as Go sorts strings (by bytes), values quoted by strconv.Quote, and no line
// break after the last line; a single value is written as it is.

/** Go's strconv.Quote (fmt's %q) of a string: the quoting the kubelet uses for label and annotation values. */
export function goQuote(value: string): string {
  let out = '"';
  for (const ch of value) {
    const r = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (isGoPrint(ch)) out += ch;
    else if (r >= 0xd800 && r <= 0xdfff) out += '\ufffd'; // a lone surrogate: Go decoded it from JSON as U+FFFD, which prints as it is
    else out += escapeRune(r);
  }
  return out + '"';
}

/** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
function isGoPrint(ch: string): boolean {
  return ch === ' ' || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch);
}

function escapeRune(r: number): string {
  switch (r) {
    case 0x07: return '\\a';
    case 0x08: return '\\b';
    case 0x0c: return '\\f';
    case 0x0a: return '\\n';
    case 0x0d: return '\\r';
    case 0x09: return '\\t';
    case 0x0b: return '\\v';
  }
  if (r < 0x20 || r === 0x7f) return `\\x${r.toString(16).padStart(2, '0')}`;
  if (r < 0x10000) return `\\u${r.toString(16).padStart(4, '0')}`;
  return `\\U${r.toString(16).padStart(8, '0')}`;
}

/** Go's `a < b` for strings: by their UTF-8 bytes (JavaScript's < compares UTF-16 units). */
export function compareGoStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The kubelet's FormatMap: `key="value"` lines sorted by key, no trailing line break; "" for an empty or absent map. */
export function formatMap(map: Record<string, string> | undefined): string {
  if (!map) return '';
  return Object.keys(map).sort(compareGoStrings).map((key) => `${key}=${goQuote(map[key] ?? '')}`).join('\n');
}

/** Pairs in the order given, in FormatMap's line format (for lists whose keys repeat, such as node addresses). */
export function formatPairs(pairs: readonly (readonly [string, string])[]): string {
  return pairs.map(([key, value]) => `${key}=${goQuote(value)}`).join('\n');
}
