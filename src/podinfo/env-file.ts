// --env-out: the named fields as `KEY=value` lines that `. FILE` (sh, bash,
// dash, busybox ash) reads back exactly, whatever the value holds — quotes,
// spaces, $, backquotes, line breaks. A value of only safe characters is
// written bare, anything else in single quotes, each ' as '\'' (Python's
// shlex.quote). The file is replaced by a rename, so a reader never sees
// half of it.
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isEnvName } from './fields.js';

/** A shell word that stands for exactly value. */
export function shellQuote(value: string): string {
  if (value === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `KEY=value` lines, one per entry, each ending in a line break. */
export function renderEnvFile(entries: readonly { name: string; value: string }[]): string {
  return entries.map(({ name, value }) => {
    if (!isEnvName(name)) throw new Error(`"${name}" is not a valid environment variable name`);
    return `${name}=${shellQuote(value)}\n`;
  }).join('');
}

/** Writes path through a temporary file in the same folder and a rename. */
export async function writeFileAtomically(path: string, content: string, mode = 0o644): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, content, { mode });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
