// Doc comments from OpenAPI descriptions: the first sentence or two of the
// first paragraph, a @see for the "More info" link, @deprecated when the
// description says so, and @default for defaults that are not Go zero values.

/** At most this many characters of prose per comment before the tags. */
const maxSummary = 240;
const wrapAt = 100;
/** "More info: <url>" becomes @see <url>; the URL may not end in punctuation. */
const moreInfo = /More info: (https?:\/\/\S+?)[.,;)]?(?=\s|$)/;
const moreInfoGlobal = new RegExp(moreInfo.source, 'g');

export interface DocParts {
  description?: string | undefined;
  default?: unknown;
  /** Extra lines written by the generator itself, after the summary. */
  notes?: string[];
}

/** The lines of a doc comment (without the comment markers), or none. */
export function docLines(parts: DocParts): string[] {
  const description = parts.description ?? '';
  const lines: string[] = [];
  const summary = summarize(description);
  if (summary) lines.push(...wrap(summary));
  const notes = parts.notes ?? [];
  if (summary && notes.length) lines.push('');
  for (const note of notes) lines.push(...wrap(note));
  const link = moreInfo.exec(description)?.[1];
  if (link) lines.push(`@see ${link}`);
  const deprecation = deprecationOf(description);
  if (deprecation !== undefined) lines.push(...wrap(deprecation ? `@deprecated ${deprecation}` : '@deprecated'));
  const defaultValue = parts.default;
  if (isInterestingDefault(defaultValue)) lines.push(`@default ${JSON.stringify(defaultValue)}`);
  return lines.map(escapeComment);
}

/** A doc comment at the given indent, or '' when there is nothing to say. */
export function docComment(parts: DocParts, indent: string): string {
  const lines = docLines(parts);
  if (lines.length === 0) return '';
  if (lines.length === 1 && lines[0]!.length + indent.length <= wrapAt + 10) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((line) => `${indent} * ${line}`.trimEnd()).join('\n')}\n${indent} */\n`;
}

/** The first sentence, and the second too while short, of the first paragraph. */
export function summarize(description: string): string {
  // The first paragraph ends at a blank line or where an indented code block or list starts.
  const paragraph = description.replace(moreInfoGlobal, ' ').split(/\n\s*\n|\n[\t ]/)[0] ?? '';
  const flat = paragraph.replace(/\s+/g, ' ').trim();
  // A leading "Deprecated: …" sentence becomes the @deprecated tag instead.
  const sentences = splitSentences(flat).filter((sentence, i) => i > 0 || !/^(?:Deprecated|DEPRECATED)[:.]/.test(sentence));
  if (sentences.length === 0) return '';
  let summary = sentences[0]!;
  const second = sentences[1];
  if (second && !second.endsWith(':') && summary.length + second.length + 1 <= maxSummary) summary += ' ' + second;
  if (summary.endsWith(':') && sentences.length > 1) summary = summary.slice(0, -1) + '.';
  if (summary.length > maxSummary + 60) summary = cutAtWord(summary, maxSummary) + '…';
  return summary;
}

function splitSentences(text: string): string[] {
  const sentences: string[] = [];
  // A sentence ends at . ! ? followed by a space and a capital, a quote or a backtick,
  // but not after the usual abbreviations.
  const boundary = /([.!?])\s+(?=[A-Z"`'(\[])/g;
  let start = 0;
  for (let match = boundary.exec(text); match; match = boundary.exec(text)) {
    const end = match.index + 1;
    const before = text.slice(Math.max(start, end - 6), end).toLowerCase();
    if (/(?:^|\W)(?:e\.g\.|i\.e\.|etc\.|vs\.|no\.)$/.test(before)) continue;
    sentences.push(text.slice(start, end).trim());
    start = match.index + match[0].length;
  }
  const rest = text.slice(start).trim();
  if (rest) sentences.push(rest);
  return sentences;
}

function cutAtWord(text: string, length: number): string {
  const cut = text.slice(0, length);
  const space = cut.lastIndexOf(' ');
  return (space > length / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:]+$/, '');
}

/** The deprecation notice ('' when deprecated without one), or undefined when not deprecated. */
export function deprecationOf(description: string): string | undefined {
  // "Possible enum values: … DEPRECATED …" is about a value, not the field.
  const flat = description.split('Possible enum values:')[0]!.replace(/\s+/g, ' ').trim();
  const notice = /(?:^|\s)(?:Deprecated|DEPRECATED)[:.](?:\s+(.*))?$/.exec(flat);
  if (notice) return cutAtWord(splitSentences(notice[1] ?? '')[0] ?? '', 200);
  if (/\bThis (?:API|field) is deprecated\b|\bnow is deprecated\b/.test(flat)) return '';
  return undefined;
}

/** Defaults that say something: not {}, [], '', 0 or false, which the OpenAPI repeats for Go zero values. */
function isInterestingDefault(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === 0 || value === false) return false;
  if (typeof value === 'object') return false;
  return true;
}

function wrap(text: string): string[] {
  const words = text.split(' ');
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    // A line may not start with @ unless it is a tag.
    if (line && line.length + 1 + word.length > wrapAt && !word.startsWith('@')) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

function escapeComment(line: string): string {
  return line.replace(/\*\//g, '*\\/');
}
