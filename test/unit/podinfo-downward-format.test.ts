// The Downward API file formats (src/podinfo/downward-format.ts): Go's
// strconv.Quote and the kubelet's FormatMap. Every expected string was
// produced by Go 1.26's strconv.Quote / k8s.io/kubernetes v1.35.4
// pkg/fieldpath.FormatMap on the same input (test/integration/podinfo.test.ts
// compares against Go itself, on random strings too, when Go is installed).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareGoStrings, formatMap, formatPairs, goQuote } from '../../src/podinfo/downward-format.js';

describe('goQuote: Go\'s strconv.Quote', () => {
  const rows: [string, string, string][] = [
    ['empty', '', '""'],
    ['plain ASCII', 'hello world', '"hello world"'],
    ['quote and backslash', 'say "hi" \\ bye', '"say \\"hi\\" \\\\ bye"'],
    ['single quote and backquote stay', "it's `x`", '"it\'s `x`"'],
    ['the named escapes', '\u0007\b\f\n\r\t\u000b', '"\\a\\b\\f\\n\\r\\t\\v"'],
    ['other controls as \\x', '\u0000\u0001\u001b\u001f\u007f', '"\\x00\\x01\\x1b\\x1f\\x7f"'],
    ['C1 controls as \\u', '\u0080\u009f', '"\\u0080\\u009f"'],
    ['no-break space and soft hyphen are not printable', '\u00a0\u00ad', '"\\u00a0\\u00ad"'],
    ['Latin-1 letters and symbols print', '¡é©ÿ', '"¡é©ÿ"'],
    ['other spaces and format characters', '\u2000\u200b\u2028\u2029\ufeff', '"\\u2000\\u200b\\u2028\\u2029\\ufeff"'],
    ['letters, marks, CJK print', 'grüße e\u0301 日本語', '"grüße e\u0301 日本語"'],
    ['astral symbols print', '😀𝔸', '"😀𝔸"'],
    ['astral format character as \\U', '\u{e0001}', '"\\U000e0001"'],
    ['private use is not printable', '\ue000', '"\\ue000"'],
    ['U+FFFD prints', '\ufffd', '"\ufffd"'],
    ['a lone surrogate became U+FFFD in Go', 'a\ud800b', '"a\ufffdb"'],
    ['$ and shell characters are nothing special', '$HOME $(x) ; | & < >', '"$HOME $(x) ; | & < >"'],
  ];
  for (const [name, input, expected] of rows) {
    it(name, () => assert.equal(goQuote(input), expected));
  }
});

describe('formatMap: the kubelet\'s labels and annotations files', () => {
  it('key="value" lines sorted by key, no line break after the last', () => {
    assert.equal(formatMap({ tier: 'front', app: 'web', 'app.kubernetes.io/name': 'shop' }),
      'app="web"\napp.kubernetes.io/name="shop"\ntier="front"');
  });

  it('sorts as Go sorts bytes: upper case before lower case, "-" and "." before letters', () => {
    assert.equal(formatMap({ b: '1', B: '2', 'a.b': '3', 'a-b': '4', a: '5', a0: '6' }),
      'B="2"\na="5"\na-b="4"\na.b="3"\na0="6"\nb="1"');
  });

  it('empty values, and an empty or missing map gives the empty file', () => {
    assert.equal(formatMap({ empty: '' }), 'empty=""');
    assert.equal(formatMap({}), '');
    assert.equal(formatMap(undefined), '');
  });

  it('quotes values with line breaks, so every entry stays on one line', () => {
    assert.equal(formatMap({ 'example.com/note': 'two\nlines' }), 'example.com/note="two\\nlines"');
  });

  it('formatPairs keeps order and repeated keys', () => {
    assert.equal(formatPairs([['InternalIP', '10.0.0.5'], ['InternalIP', 'fd00::5'], ['Hostname', 'n']]),
      'InternalIP="10.0.0.5"\nInternalIP="fd00::5"\nHostname="n"');
  });

  it('compareGoStrings compares UTF-8 bytes, not UTF-16 units', () => {
    // U+FF61 is 0xEF 0xBD 0xA1 in UTF-8, U+1F600 is 0xF0 …: Go puts the emoji last, UTF-16 order would not.
    assert.ok(compareGoStrings('\uff61', '😀') < 0);
    assert.ok('\uff61' > '😀');
    assert.equal(compareGoStrings('a', 'a'), 0);
  });
});
