// Flag parsing (src/cli/flags.ts) and Go durations (src/cli/duration.ts)
// against spf13/pflag v1.0.9 and Go's time.ParseDuration: every expected
// value and error message was produced by running those on the same input.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatGoDuration, parseGoDuration } from '../../src/cli/duration.js';
import { type FlagSpec, type FlagValues, formatHelp, parseFlags, UsageError } from '../../src/cli/flags.js';

const specs: FlagSpec[] = [
  { name: 'port', short: 'p', type: 'int', default: 8001, help: 'The port' },
  { name: 'www', short: 'w', type: 'string', default: '', help: 'Static files' },
  { name: 'www-prefix', short: 'P', type: 'string', default: '/static/', help: 'Static prefix' },
  { name: 'disable-filter', type: 'bool', default: false, help: 'No filter' },
  { name: 'keepalive', type: 'duration', default: 0, help: 'Keep-alive' },
  { name: 'as-group', type: 'stringArray', default: [], help: 'Groups' },
  { name: 'bee', short: 'b', type: 'bool', default: false, help: 'b' },
  { name: 'cee', short: 'c', type: 'bool', default: false, help: 'c' },
  { name: 'secret', type: 'string', default: '', help: 'hidden one', hidden: true },
];

describe('parseFlags: accepted command lines (pflag rules)', () => {
  interface Row {
    name: string;
    argv: string[];
    values?: Partial<FlagValues>;
    args?: string[];
    rest?: string[];
    given?: string[];
    help?: boolean;
    todo?: string;
  }
  const rows: Row[] = [
    { name: 'defaults when nothing is given', argv: [], values: { port: 8001, www: '', 'www-prefix': '/static/', 'disable-filter': false, keepalive: 0, 'as-group': [] }, given: [] },
    { name: '--name=value', argv: ['--port=9000'], values: { port: 9000 }, given: ['port'] },
    { name: '--name value', argv: ['--port', '9000'], values: { port: 9000 } },
    { name: '-p value', argv: ['-p', '9000'], values: { port: 9000 } },
    { name: '-pvalue', argv: ['-p9000'], values: { port: 9000 } },
    { name: '-p=value', argv: ['-p=9000'], values: { port: 9000 } },
    { name: 'a negative number is a value, not a flag', argv: ['--port', '-1'], values: { port: -1 } },
    { name: '+5 is a valid int', argv: ['--port=+5'], values: { port: 5 } },
    { name: '--bool alone is true', argv: ['--disable-filter'], values: { 'disable-filter': true } },
    { name: '--bool=false', argv: ['--disable-filter=false'], values: { 'disable-filter': false }, given: ['disable-filter'] },
    { name: '--bool=T (strconv.ParseBool)', argv: ['--disable-filter=T'], values: { 'disable-filter': true } },
    { name: '--bool=FALSE', argv: ['--disable-filter=FALSE'], values: { 'disable-filter': false } },
    { name: '--bool=1 and --bool=0', argv: ['--disable-filter=1', '--bee=0'], values: { 'disable-filter': true, bee: false } },
    { name: '--bool false: "false" is an argument, the flag is true', argv: ['--disable-filter', 'false'], values: { 'disable-filter': true }, args: ['false'] },
    { name: 'combined short bools -bc', argv: ['-bc'], values: { bee: true, cee: true } },
    { name: 'combined short bools ending in a value flag -bcp9', argv: ['-bcp9'], values: { bee: true, cee: true, port: 9 } },
    { name: 'combined short bools, value in the next argument', argv: ['-bcp', '9'], values: { bee: true, cee: true, port: 9 } },
    { name: 'combined short with =value', argv: ['-bp=9'], values: { bee: true, cee: false, port: 9 } },
    { name: 'a duration flag', argv: ['--keepalive=30s'], values: { keepalive: 30_000 } },
    { name: 'a negative duration', argv: ['--keepalive', '-1s'], values: { keepalive: -1000 } },
    { name: 'a repeated stringArray flag collects every value', argv: ['--as-group=a', '--as-group', 'b'], values: { 'as-group': ['a', 'b'] } },
    { name: 'stringArray does not split on commas', argv: ['--as-group=b,c'], values: { 'as-group': ['b,c'] } },
    { name: 'an empty string value', argv: ['--www-prefix='], values: { 'www-prefix': '' } },
    { name: 'an empty string value via shorthand', argv: ['-P', ''], values: { 'www-prefix': '' } },
    { name: 'only the first = splits name and value', argv: ['--www=a=b'], values: { www: 'a=b' } },
    { name: 'a value may look like a flag', argv: ['--www', '--port'], values: { www: '--port', port: 8001 } },
    { name: 'positional arguments are collected around flags', argv: ['a', '--port=1', 'b'], values: { port: 1 }, args: ['a', 'b'] },
    { name: '"-" alone is a positional argument', argv: ['-'], args: ['-'] },
    { name: '-- ends the flags; the rest is kept', argv: ['--as-group', 'a', '--', '--port=1', 'x'], values: { 'as-group': ['a'], port: 8001 }, rest: ['--port=1', 'x'] },
    { name: '-- first', argv: ['--', '-p', '1'], values: { port: 8001 }, rest: ['-p', '1'], args: [] },
    { name: '-h asks for help', argv: ['-h'], help: true },
    { name: '--help asks for help', argv: ['--port=1', '--help'], help: true, values: { port: 1 } },
    { name: 'the last value of a scalar flag wins', argv: ['--port=1', '-p', '2'], values: { port: 2 } },
    { name: 'hidden flags still parse', argv: ['--secret=s'], values: { secret: 's' } },
    { name: 'int flags take Go base prefixes: 0x10 is 16', argv: ['--port=0x10'], values: { port: 16 } },
    { name: 'int flags take Go base prefixes: 010 is octal 8', argv: ['--port=010'], values: { port: 8 } },
  ];
  for (const row of rows) {
    test(row.name, { todo: row.todo }, () => {
      const parsed = parseFlags(row.argv, specs);
      for (const [name, value] of Object.entries(row.values ?? {})) assert.deepEqual(parsed.values[name], value, `--${name}`);
      assert.deepEqual(parsed.args, row.args ?? []);
      assert.deepEqual(parsed.rest, row.rest ?? []);
      assert.equal(parsed.help, row.help ?? false);
      if (row.given) assert.deepEqual([...parsed.given].sort(), [...row.given].sort());
    });
  }

  test('the default array is copied, not shared between parses', () => {
    const first = parseFlags(['--as-group=x'], specs);
    const second = parseFlags([], specs);
    assert.deepEqual(first.values['as-group'], ['x']);
    assert.deepEqual(second.values['as-group'], []);
    assert.deepEqual(specs.find((s) => s.name === 'as-group')!.default, []);
  });
});

describe('parseFlags: errors are UsageErrors with pflag\'s messages', () => {
  const rows: { name: string; argv: string[]; message: string; todo?: string }[] = [
    { name: 'unknown long flag', argv: ['--nope'], message: 'unknown flag: --nope' },
    { name: 'unknown long flag with a value', argv: ['--nope=1'], message: 'unknown flag: --nope' },
    { name: 'unknown shorthand', argv: ['-x'], message: "unknown shorthand flag: 'x' in -x" },
    {
      name: 'unknown shorthand after a known one', argv: ['-bx'], message: "unknown shorthand flag: 'x' in -x",
    },
    { name: 'missing value, long', argv: ['--port'], message: 'flag needs an argument: --port' },
    { name: 'missing value, short', argv: ['-p'], message: "flag needs an argument: 'p' in -p" },
    { name: 'bad int', argv: ['--port=abc'], message: 'invalid argument "abc" for "-p, --port" flag: strconv.ParseInt: parsing "abc": invalid syntax' },
    { name: 'empty int', argv: ['--port='], message: 'invalid argument "" for "-p, --port" flag: strconv.ParseInt: parsing "": invalid syntax' },
    { name: 'bad bool', argv: ['--disable-filter=yes'], message: 'invalid argument "yes" for "--disable-filter" flag: strconv.ParseBool: parsing "yes": invalid syntax' },
    { name: 'empty bool', argv: ['--disable-filter='], message: 'invalid argument "" for "--disable-filter" flag: strconv.ParseBool: parsing "": invalid syntax' },
    { name: 'bad duration', argv: ['--keepalive=abc'], message: 'invalid argument "abc" for "--keepalive" flag: time: invalid duration "abc"' },
    { name: 'duration without unit', argv: ['--keepalive', '10'], message: 'invalid argument "10" for "--keepalive" flag: time: missing unit in duration "10"' },
    {
      name: 'octal-looking int with an 8 (ParseInt base 0 rejects it)', argv: ['--port=08001'],
      message: 'invalid argument "08001" for "-p, --port" flag: strconv.ParseInt: parsing "08001": invalid syntax',
    },
    { name: 'three dashes', argv: ['---port=1'], message: 'bad flag syntax: ---port=1' },
  ];
  for (const row of rows) {
    test(row.name, { todo: row.todo }, () => {
      assert.throws(() => parseFlags(row.argv, specs), (err: unknown) => {
        assert.ok(err instanceof UsageError, `want UsageError, got ${String(err)}`);
        assert.equal(err.message, row.message);
        return true;
      });
    });
  }
});

describe('formatHelp', () => {
  const help = formatHelp('kube-ambassador proxy [options]', 'Runs a proxy.', specs);
  test('lists visible flags with their shorthand and default', () => {
    assert.match(help, /-p, --port=8001 +The port/);
    assert.match(help, /--www-prefix='\/static\/'/);
    assert.match(help, /--keepalive=0s/);
  });
  test('bool flags have no placeholder', () => assert.match(help, /--disable-filter +No filter/));
  test('hidden flags are left out', () => assert.doesNotMatch(help, /--secret/));
  test('starts with the description and usage', () => assert.ok(help.startsWith('Runs a proxy.\n\nUsage:\n  kube-ambassador proxy [options]\n')));
});

describe('parseGoDuration (time.ParseDuration), in milliseconds', () => {
  const ok: { name: string; input: string; ms: number }[] = [
    { name: 'seconds', input: '30s', ms: 30_000 },
    { name: 'minutes and seconds', input: '1m30s', ms: 90_000 },
    { name: 'fractional hours', input: '1.5h', ms: 5_400_000 },
    { name: 'negative', input: '-1s', ms: -1000 },
    { name: 'a plain 0 needs no unit', input: '0', ms: 0 },
    { name: '-0', input: '-0', ms: 0 },
    { name: 'milliseconds', input: '300ms', ms: 300 },
    { name: 'a leading +', input: '+5m', ms: 300_000 },
    { name: 'three units with a fraction', input: '1h2m3.5s', ms: 3_723_500 },
    { name: 'a leading dot', input: '.5s', ms: 500 },
    { name: 'a trailing dot', input: '1.s', ms: 1000 },
    { name: 'microseconds, µ spelling', input: '5µs', ms: 0.005 },
    { name: 'microseconds, us spelling', input: '1us', ms: 0.001 },
    { name: 'nanoseconds', input: '2ns', ms: 0.000002 },
  ];
  for (const row of ok) {
    test(`${row.name}: ${JSON.stringify(row.input)}`, () => {
      assert.ok(Math.abs(parseGoDuration(row.input) - row.ms) < 1e-9, `got ${parseGoDuration(row.input)}`);
    });
  }

  const bad: { name: string; input: string; message: string; todo?: string }[] = [
    { name: 'letters', input: 'abc', message: 'time: invalid duration "abc"' },
    { name: 'a number without a unit', input: '10', message: 'time: missing unit in duration "10"' },
    { name: 'empty', input: '', message: 'time: invalid duration ""' },
    { name: 'a sign alone', input: '-', message: 'time: invalid duration "-"' },
    { name: 'a dot without digits', input: '.s', message: 'time: invalid duration ".s"' },
    { name: 'a trailing number without unit', input: '1s2', message: 'time: missing unit in duration "1s2"' },
    { name: 'an unknown unit (days)', input: '1d', message: 'time: unknown unit "d" in duration "1d"' },
    { name: 'an exponent is an unknown unit', input: '1e3s', message: 'time: unknown unit "e" in duration "1e3s"' },
    { name: 'overflow beyond int64 nanoseconds', input: '9999999999h', message: 'time: invalid duration "9999999999h"' },
  ];
  for (const row of bad) {
    test(`rejects ${row.name}: ${JSON.stringify(row.input)}`, { todo: row.todo }, () => {
      assert.throws(() => parseGoDuration(row.input), { message: row.message });
    });
  }
});

describe('formatGoDuration (time.Duration.String for whole milliseconds)', () => {
  const rows: { ms: number; want: string; todo?: string }[] = [
    { ms: 0, want: '0s' },
    { ms: 15_000, want: '15s' },
    { ms: 90_000, want: '1m30s' },
    { ms: 3_600_000, want: '1h0m0s' },
    { ms: 5_400_000, want: '1h30m0s' },
    { ms: -1000, want: '-1s' },
    { ms: 1500, want: '1.5s' },
    { ms: 300, want: '300ms' },
  ];
  for (const row of rows) test(`${row.ms} ms is ${row.want}`, { todo: row.todo }, () => assert.equal(formatGoDuration(row.ms), row.want));
});
