import { planSessions } from './plan.ts';

type S = { asn: number; holdTime: number };
const same = (a: S, b: S) => a.asn === b.asn && a.holdTime === b.holdTime;

describe('planSessions', () => {
  it('adds, removes, restarts only changed peers and keeps the rest', () => {
    const running = new Map<string, S>([
      ['keep', { asn: 1, holdTime: 90 }],
      ['change', { asn: 1, holdTime: 90 }],
      ['gone', { asn: 1, holdTime: 90 }],
    ]);
    const desired = new Map<string, S>([
      ['keep', { asn: 1, holdTime: 90 }],
      ['change', { asn: 1, holdTime: 30 }],
      ['new', { asn: 2, holdTime: 90 }],
    ]);
    expect(planSessions(running, desired, same)).toEqual({
      add: ['new'],
      remove: ['gone'],
      restart: ['change'],
      keep: ['keep'],
    });
  });
  it('is a no-op for identical configs', () => {
    const m = new Map<string, S>([['a', { asn: 1, holdTime: 90 }]]);
    expect(planSessions(m, new Map(m), same)).toEqual({ add: [], remove: [], restart: [], keep: ['a'] });
  });
});
