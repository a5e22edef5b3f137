import { prng } from '../testing/prng.ts';
import { FreeSet } from './interval-tree.ts';
import { PoolSpace } from './pool-space.ts';

describe('FreeSet', () => {
  it('takes the lowest, splits and merges', () => {
    const s = new FreeSet(10n);
    expect(s.takeLowest()).toBe(0n);
    expect(s.takeLowest()).toBe(1n);
    expect(s.take(5n)).toBe(true);
    expect(s.take(5n)).toBe(false);
    expect(s.tree.toArray()).toEqual([
      { start: 2n, end: 4n },
      { start: 6n, end: 9n },
    ]);
    expect(s.give(0n)).toBe(true);
    expect(s.give(0n)).toBe(false);
    expect(s.give(5n)).toBe(true);
    expect(s.tree.toArray()).toEqual([
      { start: 0n, end: 0n },
      { start: 2n, end: 9n },
    ]);
    expect(s.give(1n)).toBe(true);
    expect(s.tree.toArray()).toEqual([{ start: 0n, end: 9n }]);
    expect(s.free).toBe(10n);
  });

  it('matches a naive model under random take/give, and stays balanced', () => {
    const size = 2000;
    const rnd = prng(7);
    const s = new FreeSet(BigInt(size));
    const used = new Set<number>();
    for (let step = 0; step < 20000; step++) {
      const r = rnd();
      if (r < 0.4) {
        const got = s.takeLowest();
        let expected: number | null = null;
        for (let i = 0; i < size; i++)
          if (!used.has(i)) {
            expected = i;
            break;
          }
        expect(got === null ? null : Number(got)).toBe(expected);
        if (expected !== null) used.add(expected);
      } else if (r < 0.7) {
        const o = Math.floor(rnd() * size);
        expect(s.take(BigInt(o))).toBe(!used.has(o));
        used.add(o);
      } else {
        const o = Math.floor(rnd() * size);
        expect(s.give(BigInt(o))).toBe(used.has(o));
        used.delete(o);
      }
      expect(s.free).toBe(BigInt(size - used.size));
      // AVL bound: height <= 1.44 log2(n + 2).
      expect(s.tree.depth).toBeLessThanOrEqual(Math.ceil(1.45 * Math.log2(s.tree.size + 2)));
    }
    // Intervals are disjoint, non-adjacent and cover exactly the free ordinals.
    const intervals = s.tree.toArray();
    let covered = 0;
    for (let i = 0; i < intervals.length; i++) {
      const iv = intervals[i]!;
      if (i > 0) expect(iv.start).toBeGreaterThan(intervals[i - 1]!.end + 1n);
      for (let o = iv.start; o <= iv.end; o++) expect(used.has(Number(o))).toBe(false);
      covered += Number(iv.end - iv.start + 1n);
    }
    expect(covered).toBe(size - used.size);
  });

  it('costs O(log n) tree steps per operation, counted, not timed', () => {
    // Fragment the set maximally (every other ordinal used), then measure the worst single operation.
    for (const n of [1 << 10, 1 << 14, 1 << 17]) {
      const s = new FreeSet(BigInt(2 * n));
      for (let i = 0; i < 2 * n; i += 2) s.take(BigInt(i));
      expect(s.tree.size).toBe(n);
      let worst = 0;
      const rnd = prng(n);
      for (let k = 0; k < 200; k++) {
        const o = BigInt(Math.floor(rnd() * n) * 2);
        s.tree.resetSteps();
        s.give(o);
        worst = Math.max(worst, s.tree.steps);
        s.tree.resetSteps();
        s.take(o);
        worst = Math.max(worst, s.tree.steps);
        s.tree.resetSteps();
        const low = s.takeLowest();
        worst = Math.max(worst, s.tree.steps);
        if (low !== null) s.give(low);
      }
      // A scan would visit ~n nodes; a balanced descent visits a small multiple of log2 n.
      expect(worst).toBeLessThanOrEqual(6 * Math.log2(n));
    }
  });

  it('a /64 is two numbers, not 2^64 entries', () => {
    const s = new FreeSet(1n << 64n);
    for (let i = 0; i < 1000; i++) s.takeLowest();
    expect(s.tree.size).toBe(1);
    s.give(500n);
    expect(s.tree.size).toBe(2);
    expect(s.free).toBe((1n << 64n) - 999n);
  });
});

describe('PoolSpace', () => {
  const r = (start: bigint, end: bigint) => ({ family: 'ipv4' as const, start, end });
  const base = 0xc6336400n; // 198.51.100.0

  it('maps ordinals over several ranges in address order', () => {
    const space = new PoolSpace('ipv4', [r(base + 20n, base + 29n), r(base, base + 3n)], false);
    expect(space.size).toBe(14n);
    expect(space.addressOf(0n)).toBe(base);
    expect(space.addressOf(4n)).toBe(base + 20n);
    expect(space.ordinalOf(base + 25n)).toBe(9n);
    expect(space.ordinalOf(base + 10n)).toBeNull();
  });

  it('leaves .0 and .255 out with avoidBuggyIPs', () => {
    const space = new PoolSpace('ipv4', [r(base, base + 511n)], true); // a /23
    expect(space.size).toBe(508n);
    expect(space.addressOf(0n)).toBe(base + 1n);
    expect(space.addressOf(253n)).toBe(base + 254n);
    expect(space.addressOf(254n)).toBe(base + 257n);
    expect(space.ordinalOf(base + 255n)).toBeNull();
    expect(space.ordinalOf(base + 256n)).toBeNull();
    for (let o = 0n; o < space.size; o++) expect(space.ordinalOf(space.addressOf(o))).toBe(o);
  });

  it('counts a range that starts on .255 correctly', () => {
    const space = new PoolSpace('ipv4', [r(base + 255n, base + 258n)], true);
    expect(space.size).toBe(2n);
    expect(space.addressOf(0n)).toBe(base + 257n);
  });
});
