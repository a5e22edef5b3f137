import { Backoff, backoffDelay } from './backoff.ts';

const params = { initialMs: 1000, maxMs: 8000, multiplier: 2, jitter: 0.25 };

describe('backoffDelay', () => {
  it('grows by the multiplier from initialMs and stops at maxMs', () => {
    expect([1, 2, 3, 4, 5, 9].map((n) => backoffDelay(params, n, 0))).toEqual([
      1000, 2000, 4000, 8000, 8000, 8000,
    ]);
  });

  it('jitter only shortens, down to (1 - jitter) of the delay', () => {
    expect(backoffDelay(params, 4, 0.999999)).toBe(6000);
    expect(backoffDelay(params, 4, 0.5)).toBe(7000);
    expect(backoffDelay({ ...params, jitter: 0 }, 4, 0.9)).toBe(8000);
  });
});

describe('Backoff', () => {
  it('counts failures and starts again after reset()', () => {
    const draws = [0, 0, 0, 0];
    const b = new Backoff(params, () => draws.shift() ?? 0);
    expect([b.next(), b.next(), b.next()]).toEqual([1000, 2000, 4000]);
    expect(b.failures).toBe(3);
    b.reset();
    expect(b.failures).toBe(0);
    expect(b.next()).toBe(1000);
  });
});
