import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseKeyFile, readKeyFile } from './keys.ts';

describe('heartbeat key file', () => {
  test('one key per line, blank lines and surrounding whitespace ignored, the first signs', () => {
    const r = parseKeyFile('  new-key-0123456789abcdef  \n\nold-key-0123456789abcdef\n');
    expect(r.ok && r.keys.map((k) => k.toString())).toEqual([
      'new-key-0123456789abcdef',
      'old-key-0123456789abcdef',
    ]);
  });

  test.each([
    ['', 'the key file is empty'],
    ['\n \n', 'the key file is empty'],
    ['short', 'key 1 has 5 bytes; at least 16'],
    ['a'.repeat(16) + '\nshort', 'key 2 has 5 bytes; at least 16'],
    [Array(5).fill('k'.repeat(16)).join('\n'), '5 keys; at most 4'],
  ])('refuses %j: %s', (text, reason) => {
    expect(parseKeyFile(text)).toEqual({ ok: false, reason });
  });

  test('reading: a missing file is a reason, never an exception, and never shows key material', () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-keys-'));
    try {
      expect(readKeyFile(join(dir, 'nope'))).toEqual({
        ok: false,
        reason: `cannot read ${join(dir, 'nope')}: ENOENT`,
      });
      writeFileSync(join(dir, 'key'), 'secret');
      const r = readKeyFile(join(dir, 'key'));
      expect(r).toEqual({ ok: false, reason: `${join(dir, 'key')}: key 1 has 6 bytes; at least 16` });
      expect(JSON.stringify(r)).not.toContain('secret');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
