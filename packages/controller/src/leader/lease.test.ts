import { decideLease, type LeaseRecord, observe } from './lease.ts';

const rec = (holder: string, renew = 't1', duration = 15): LeaseRecord => ({
  holderIdentity: holder,
  leaseDurationSeconds: duration,
  renewTime: renew,
  leaseTransitions: 0,
});

describe('lease decisions', () => {
  it('creates a missing lease, renews our own, takes a released one', () => {
    expect(decideLease(null, 'me', 0).kind).toBe('create');
    expect(decideLease(observe(null, rec('me'), 0), 'me', 1).kind).toBe('renew');
    expect(decideLease(observe(null, rec(''), 0), 'me', 1).kind).toBe('acquire');
  });

  it('waits while another holder renews, judged by when WE saw the change', () => {
    let o = observe(null, rec('other', 't1'), 0);
    expect(decideLease(o, 'me', 14_999)).toEqual({ kind: 'wait', holder: 'other' });
    o = observe(o, rec('other', 't2'), 10_000); // renewed: expiry clock restarts
    expect(decideLease(o, 'me', 20_000).kind).toBe('wait');
    expect(decideLease(o, 'me', 25_000).kind).toBe('acquire');
  });

  it('an unchanged record keeps its first observation time', () => {
    const o1 = observe(null, rec('other'), 0);
    const o2 = observe(o1, rec('other'), 9_000);
    expect(o2.observedAtMs).toBe(0);
    expect(decideLease(o2, 'me', 15_000).kind).toBe('acquire');
  });
});
