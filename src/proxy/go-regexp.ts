// Go RE2 syntax, as kubectl's filter flags are written, compiled to a
// JavaScript RegExp. The common RE2-only forms are translated — flag groups
// anywhere ((?i), (?i:...)), \Q...\E, POSIX classes, \pL, (?P<name>, \A, \z —
// and the Perl forms RE2 refuses (lookaround, backreferences) are refused.

const posix: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F', digit: '0-9',
  graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~', space: '\\t\\n\\v\\f\\r ', upper: 'A-Z',
  word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};

export function compileGoRegexp(source: string): RegExp {
  let out = '';
  let flags = '';
  let unicode = false;
  // Case-insensitivity can start mid-pattern or in a scoped group: letters are expanded to [xX] there.
  const caseStack: boolean[] = [];
  let ignoreCase = false;
  let i = 0;
  const fail = (what: string) => { throw new SyntaxError(`${what} is not RE2 syntax`); };

  while (i < source.length) {
    const c = source[i]!;
    if (c === '\\') {
      const n = source[i + 1];
      if (n === undefined) fail('a trailing backslash');
      if (n === 'Q') {
        const end = source.indexOf('\\E', i + 2);
        const literal = source.slice(i + 2, end < 0 ? undefined : end);
        for (const ch of literal) out += letter(ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'), ignoreCase);
        i = end < 0 ? source.length : end + 2;
        continue;
      }
      if (n === 'A') { out += '^'; i += 2; continue; }
      if (n === 'z') { out += '$'; i += 2; continue; }
      if (n === 'p' || n === 'P') {
        unicode = true;
        if (source[i + 2] === '{') {
          const end = source.indexOf('}', i + 3);
          out += `\\${n}{${source.slice(i + 3, end)}}`;
          i = end + 1;
        } else {
          out += `\\${n}{${source[i + 2]}}`;
          i += 3;
        }
        continue;
      }
      if (/[1-9]/.test(n!)) fail(`the backreference \\${n}`);
      out += `\\${n}`;
      i += 2;
      continue;
    }
    if (c === '[') {
      const end = classEnd(source, i);
      out += translateClass(source.slice(i, end + 1), ignoreCase);
      i = end + 1;
      continue;
    }
    if (c === '(' && source[i + 1] === '?') {
      const rest = source.slice(i + 2);
      if (/^(=|!|<=|<!)/.test(rest)) fail('a lookaround group');
      if (rest.startsWith('P<')) { out += '(?<'; i += 4; caseStack.push(ignoreCase); continue; }
      if (rest.startsWith('<') || rest.startsWith(':')) { out += '(?'; i += 2; caseStack.push(ignoreCase); continue; }
      const group = /^([imsU-]*)(\)|:)/.exec(rest);
      if (!group) fail('this group');
      const [on, off = ''] = group![1]!.split('-');
      if ((on + off).includes('U')) fail('the ungreedy flag U');
      const setCase = on!.includes('i') ? true : off.includes('i') ? false : undefined;
      for (const f of on!.replace('i', '')) if (!flags.includes(f)) flags += f; // s, m: whole-pattern in JS
      if (group![2] === ')') {
        if (setCase !== undefined) ignoreCase = setCase;
      } else {
        caseStack.push(ignoreCase);
        if (setCase !== undefined) ignoreCase = setCase;
        out += '(?:';
      }
      i += 2 + group![0].length;
      continue;
    }
    if (c === '(') { caseStack.push(ignoreCase); out += c; i++; continue; }
    if (c === ')') { ignoreCase = caseStack.pop() ?? ignoreCase; out += c; i++; continue; }
    out += letter(c, ignoreCase);
    i++;
  }
  return new RegExp(out, flags + (unicode ? 'u' : ''));
}

function letter(ch: string, ignoreCase: boolean): string {
  if (!ignoreCase || !/^[a-zA-Z]$/.test(ch)) return ch;
  return `[${ch.toLowerCase()}${ch.toUpperCase()}]`;
}

function classEnd(source: string, start: number): number {
  let i = start + 1;
  if (source[i] === '^') i++;
  if (source[i] === ']') i++;
  for (; i < source.length; i++) {
    if (source[i] === '\\') { i++; continue; }
    if (source[i] === '[' && source[i + 1] === ':') {
      const close = source.indexOf(':]', i + 2);
      if (close >= 0) { i = close + 1; continue; }
    }
    if (source[i] === ']') return i;
  }
  return source.length - 1; // unterminated: let RegExp report it
}

function translateClass(cls: string, ignoreCase: boolean): string {
  let body = cls.replace(/\[:(\^?)([a-z]+):\]/g, (whole, negated: string, name: string) => {
    const range = posix[name];
    if (!range) throw new SyntaxError(`the class ${whole} is not RE2 syntax`);
    if (negated) throw new SyntaxError(`the negated class ${whole} is not supported here`);
    return range;
  });
  if (ignoreCase) {
    // Add the other case of every letter and letter range.
    const extra = [...body.matchAll(/([a-zA-Z])-([a-zA-Z])|(?<!\\)([a-zA-Z])/g)].map((m) => (m[1]
      ? `${swapCase(m[1])}-${swapCase(m[2]!)}` : swapCase(m[3]!))).join('');
    body = body.endsWith(']') ? `${body.slice(0, -1)}${extra}]` : body;
  }
  return body;
}

function swapCase(ch: string): string {
  return ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase();
}
