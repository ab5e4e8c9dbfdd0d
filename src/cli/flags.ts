// Flag parsing with pflag's rules, so kubectl users' command lines work
// unchanged: --name=value, --name value, -p 8001, -p8001, --bool,
// --bool=false, repeatable array flags, and "--" ending the flags.
import { formatGoDuration, parseGoDuration } from './duration.js';

export type FlagType = 'string' | 'bool' | 'int' | 'duration' | 'stringArray';

export interface FlagSpec {
  name: string;
  short?: string;
  type: FlagType;
  default?: string | boolean | number | string[];
  help: string;
  /** Left out of --help. */
  hidden?: boolean;
}

export type FlagValues = Record<string, string | boolean | number | string[] | undefined>;

export interface ParsedFlags {
  values: FlagValues;
  /** Names of flags given on the command line. */
  given: Set<string>;
  args: string[];
  /** Arguments after "--". */
  rest: string[];
  help: boolean;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseFlags(argv: string[], specs: FlagSpec[]): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const values: FlagValues = {};
  for (const spec of specs) values[spec.name] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
  const given = new Set<string>();
  const args: string[] = [];
  let help = false;

  const set = (spec: FlagSpec, raw: string | undefined): void => {
    const value = convert(spec, raw);
    if (spec.type === 'stringArray') {
      values[spec.name] = given.has(spec.name) ? [...(values[spec.name] as string[]), value as string] : [value as string];
    } else {
      values[spec.name] = value;
    }
    given.add(spec.name);
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return { values, given, args, rest: argv.slice(i + 1), help };
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (arg.startsWith('---')) throw new UsageError(`bad flag syntax: ${arg}`);
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const spec = byName.get(name);
      if (!spec) throw new UsageError(`unknown flag: --${name}`);
      if (eq >= 0) set(spec, arg.slice(eq + 1));
      else if (spec.type === 'bool') set(spec, undefined);
      else if (i + 1 < argv.length) set(spec, argv[++i]);
      else throw new UsageError(`flag needs an argument: --${name}`);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // -abc: bool shorthands may be combined; a value-taking one takes the rest or the next argument.
      for (let j = 1; j < arg.length; j++) {
        const short = arg[j]!;
        const spec = byShort.get(short);
        if (!spec) throw new UsageError(`unknown shorthand flag: '${short}' in -${arg.slice(j)}`);
        const rest = arg.slice(j + 1);
        if (rest.startsWith('=')) { set(spec, rest.slice(1)); break; }
        if (spec.type === 'bool') { set(spec, undefined); continue; }
        if (rest !== '') { set(spec, rest); break; }
        if (i + 1 < argv.length) { set(spec, argv[++i]); break; }
        throw new UsageError(`flag needs an argument: '${short}' in -${arg.slice(j)}`);
      }
      continue;
    }
    args.push(arg);
  }
  return { values, given, args, rest: [], help };
}

function convert(spec: FlagSpec, raw: string | undefined): string | boolean | number {
  const invalid = (why: string) => new UsageError(
    `invalid argument ${JSON.stringify(raw)} for "${spec.short ? `-${spec.short}, ` : ''}--${spec.name}" flag: ${why}`);
  switch (spec.type) {
    case 'bool':
      if (raw === undefined) return true;
      if (/^(1|t|T|TRUE|true|True)$/.test(raw)) return true;
      if (/^(0|f|F|FALSE|false|False)$/.test(raw)) return false;
      throw invalid(`strconv.ParseBool: parsing ${JSON.stringify(raw)}: invalid syntax`);
    case 'int': {
      const value = parseGoInt(raw!);
      if (value === undefined) throw invalid(`strconv.ParseInt: parsing ${JSON.stringify(raw)}: invalid syntax`);
      return value;
    }
    case 'duration':
      try {
        return parseGoDuration(raw!);
      } catch (err) {
        throw invalid((err as Error).message);
      }
    default:
      return raw!;
  }
}

/** strconv.ParseInt(s, 0, 64): decimal, 0x/0o/0b prefixes, a leading 0 for octal, _ between digits. */
function parseGoInt(raw: string): number | undefined {
  const m = /^([-+]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(raw);
  if (!m || /__|_$|^[-+]?_/.test(raw)) return undefined;
  let digits = m[2]!.replace(/_/g, '');
  let base = 10;
  if (/^0[xX]/.test(digits)) { base = 16; digits = digits.slice(2); }
  else if (/^0[oO]/.test(digits)) { base = 8; digits = digits.slice(2); }
  else if (/^0[bB]/.test(digits)) { base = 2; digits = digits.slice(2); }
  else if (digits.length > 1 && digits.startsWith('0')) { base = 8; digits = digits.slice(1); }
  const value = parseInt(digits, base);
  return m[1] === '-' ? -value : value;
}

export function formatHelp(usage: string, description: string, specs: FlagSpec[]): string {
  const rows = specs.filter((s) => !s.hidden).map((s) => {
    const left = `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.type === 'bool' ? '' : `=${placeholder(s)}`}`;
    return `  ${left.padEnd(34)} ${s.help}`;
  });
  return `${description}\n\nUsage:\n  ${usage}\n\nOptions:\n${rows.join('\n')}\n`;
}

function placeholder(spec: FlagSpec): string {
  const d = spec.default;
  if (spec.type === 'duration') return formatGoDuration(typeof d === 'number' ? d : 0);
  if (spec.type === 'stringArray') return '[]';
  if (d === undefined || d === '') return "''";
  return typeof d === 'string' ? `'${d}'` : String(d);
}
