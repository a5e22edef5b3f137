import { describe, expect, test } from '@jest/globals';
import { printable } from './printable.ts';

describe('printable', () => {
  test('ordinary text, including non-ASCII, is unchanged', () => {
    expect(printable('maintenance ✓ — Wartung über Nacht')).toBe('maintenance ✓ — Wartung über Nacht');
  });
  test('terminal escapes, C1 controls, newlines and bidi overrides become visible escapes', () => {
    expect(printable('\u001b[2J\u001b]0;owned\u0007')).toBe('\\u{1b}[2J\\u{1b}]0;owned\\u{7}');
    expect(printable('a\nb\rc\td\u007f')).toBe('a\\u{a}b\\u{d}c\\u{9}d\\u{7f}');
    expect(printable('\u009b31m')).toBe('\\u{9b}31m');
    expect(printable('abc\u202edcba\u2066x\u2069')).toBe('abc\\u{202e}dcba\\u{2066}x\\u{2069}');
  });
});
