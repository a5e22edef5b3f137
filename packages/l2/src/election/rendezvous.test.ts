import { describe, expect, test } from '@jest/globals';
import { chooseAnnouncer, highestScore, rendezvousScore } from './rendezvous.ts';

const nodes = Array.from({ length: 5 }, (_, i) => `node-${i}`);
const addresses = Array.from({ length: 1000 }, (_, i) => `198.51.${100 + Math.floor(i / 256)}.${i % 256}`);

describe('rendezvous hashing', () => {
  test('the score is the documented function: first 6 bytes of SHA-256(node NUL address)', () => {
    // computed independently: python3 -c "import hashlib; print(hashlib.sha256(b'node-0\\x00198.51.100.1').hexdigest()[:12])"
    expect(rendezvousScore('node-0', '198.51.100.1').toString(16).padStart(12, '0')).toBe('945d49c26671');
  });

  test('the same inputs give the same winner in any order', () => {
    for (const a of addresses.slice(0, 50))
      expect(chooseAnnouncer(a, [...nodes].reverse())).toBe(chooseAnnouncer(a, nodes));
  });

  test('addresses spread evenly: each of 5 nodes gets 20 % ± 5 of 1000', () => {
    const counts = new Map<string, number>();
    for (const a of addresses) {
      const n = chooseAnnouncer(a, nodes)!;
      counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    for (const n of nodes) expect([n, Math.abs((counts.get(n) ?? 0) - 200) <= 50]).toEqual([n, true]);
  });

  test('a node leaving moves only its own addresses; coming back takes exactly those back', () => {
    const before = new Map(addresses.map((a) => [a, chooseAnnouncer(a, nodes)!]));
    const without = new Map(addresses.map((a) => [a, chooseAnnouncer(a, nodes.slice(1))!]));
    for (const a of addresses) {
      if (before.get(a) !== 'node-0') expect(without.get(a)).toBe(before.get(a));
      else expect(without.get(a)).not.toBe('node-0');
    }
  });

  test('ties go to the name that sorts first; no candidates, no winner', () => {
    expect(
      highestScore([
        ['b', 5],
        ['a', 5],
        ['c', 4],
      ]),
    ).toBe('a');
    expect(highestScore([])).toBeUndefined();
    expect(chooseAnnouncer('198.51.100.1', [])).toBeUndefined();
  });
});
