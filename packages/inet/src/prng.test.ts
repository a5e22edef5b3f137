import { prng } from './prng.ts';

describe('prng', () => {
  test('the same seed gives the same sequence; another seed another one', () => {
    const take = (seed: number) => {
      const r = prng(seed);
      return Array.from({ length: 5 }, () => r());
    };
    expect(take(42)).toEqual(take(42));
    expect(take(42)).not.toEqual(take(43));
  });

  test('draws are uniform-looking in [0, 1)', () => {
    const r = prng(7);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const x = r();
      expect(x >= 0 && x < 1).toBe(true);
      buckets[Math.floor(x * 10)]!++;
    }
    for (const b of buckets) expect(Math.abs(b - 1000)).toBeLessThan(150);
  });
});
