import { compareText } from './order.ts';

describe('compareText', () => {
  it('orders by code units, like sort() without a comparator, whatever the locale', () => {
    const words = ['eth1', 'B', 'a', 'eth0', '198.51.100.9/32', '198.51.100.10/32', 'a'];
    expect([...words].sort(compareText)).toEqual([...words].sort());
    expect(compareText('a', 'a')).toBe(0);
    expect(compareText('B', 'a')).toBeLessThan(0); // upper case first: code units, not a collation
    expect(compareText('a', 'B')).toBeGreaterThan(0);
  });
});
