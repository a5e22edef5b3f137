// The heartbeat keys: a file (the chart mounts its Secret there) with one key per line. The first line signs;
// every line verifies, so a key is rotated without a moment where two speakers disagree: add the new key as
// a second line everywhere, then make it the first, then remove the old one.
import { readFileSync } from 'node:fs';
import { MIN_KEY_LENGTH } from '@herald/l2';

export type KeyFileResult = { ok: true; keys: Buffer[] } | { ok: false; reason: string };

/** At most this many keys (two are enough for a rotation). */
const MAX_KEYS = 4;

export function parseKeyFile(text: string): KeyFileResult {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.length === 0) return { ok: false, reason: 'the key file is empty' };
  if (lines.length > MAX_KEYS) return { ok: false, reason: `${lines.length} keys; at most ${MAX_KEYS}` };
  const keys = lines.map((l) => Buffer.from(l, 'utf8'));
  const short = keys.findIndex((k) => k.length < MIN_KEY_LENGTH);
  if (short >= 0)
    return {
      ok: false,
      reason: `key ${short + 1} has ${keys[short]!.length} bytes; at least ${MIN_KEY_LENGTH}`,
    };
  return { ok: true, keys };
}

/** Reads and parses the key file; never throws. The reason never contains key material. */
export function readKeyFile(path: string): KeyFileResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return {
      ok: false,
      reason: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    };
  }
  const r = parseKeyFile(text);
  return r.ok ? r : { ok: false, reason: `${path}: ${r.reason}` };
}
