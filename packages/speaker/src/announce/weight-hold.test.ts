import { WeightHoldDown } from './weight-hold.ts';

describe('WeightHoldDown', () => {
  it('the first weight goes out at once; a change waits for the window; the window does not slide', () => {
    const h = new WeightHoldDown();
    expect(h.apply('s', 'g', 1, 10, 0)).toBe(1);
    expect(h.apply('s', 'g', 2, 10, 1)).toBe(1); // opens the window [1, 11)
    expect(h.nextDeadline()).toBe(11);
    expect(h.apply('s', 'g', 3, 10, 9)).toBe(1); // a later change does not extend it
    expect(h.due(10)).toEqual([]);
    expect(h.due(11)).toEqual(['s']);
    expect(h.nextDeadline()).toBe(11); // past, but not acted on: its reconcile is still owed
    expect(h.apply('s', 'g', 3, 10, 11)).toBe(3);
    expect(h.due(11)).toEqual([]);
    expect(h.nextDeadline()).toBeUndefined();
  });

  it('back to the weight on the wire closes the window; groups are independent; forgotten groups restart', () => {
    const h = new WeightHoldDown();
    h.apply('s', 'v4', 4, 10, 0);
    h.apply('s', 'v6', 4, 10, 0);
    expect(h.apply('s', 'v4', 5, 10, 1)).toBe(4);
    expect(h.apply('s', 'v4', 4, 10, 2)).toBe(4);
    expect(h.nextDeadline()).toBeUndefined();
    expect(h.apply('s', 'v6', 1, 10, 3)).toBe(4);
    expect(h.nextDeadline()).toBe(13);
    h.retain('s', new Set(['v4']));
    expect(h.nextDeadline()).toBeUndefined();
    expect(h.apply('s', 'v6', 1, 10, 4)).toBe(1); // a route that comes back is announced with its weight at once
  });

  it('a zero hold-down applies every change at once', () => {
    const h = new WeightHoldDown();
    h.apply('s', 'g', 1, 0, 0);
    expect(h.apply('s', 'g', 2, 0, 0)).toBe(2);
    expect(h.due(0)).toEqual([]);
  });
});
