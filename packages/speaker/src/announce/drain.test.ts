import type { RouteContribution } from './decide.ts';
import { DrainTracker } from './drain.ts';

const route = (peer: string, prefix: string, drainMs = 30): RouteContribution => ({
  peer,
  prefix,
  family: 'ipv4',
  attributes: { communities: ['65000:1'], largeCommunities: [], weight: 2 },
  advertisement: 'ad',
  drainMs,
  weightHoldDownMs: 0,
});
const summary = (rs: readonly RouteContribution[]) =>
  rs.map(
    (r) => `${r.peer} ${r.prefix}${r.attributes.gracefulShutdown ? ` gshut→${r.drain?.withdrawAt}` : ''}`,
  );

describe('DrainTracker', () => {
  it('a planned withdrawal keeps each route with GRACEFUL_SHUTDOWN and its other attributes until drainTime', () => {
    const d = new DrainTracker();
    const before = [
      route('a', '198.51.100.1/32'),
      route('b', '198.51.100.1/32', 10),
      route('a', '198.51.100.2/32', 0),
    ];
    const now = d.apply('s', { routes: [] }, before, 100);
    expect(summary(now)).toEqual(['a 198.51.100.1/32 gshut→130', 'b 198.51.100.1/32 gshut→110']);
    expect(now[0]!.attributes).toEqual({
      communities: ['65000:1'],
      largeCommunities: [],
      weight: 2,
      gracefulShutdown: true,
    });
    expect(d.nextDeadline()).toBe(110);
    expect(d.due(109)).toEqual([]);
    expect(d.due(110)).toEqual(['s']);
    expect(d.nextDeadline()).toBe(110); // past, but not acted on: its reconcile is still owed
    const later = d.apply('s', { routes: [] }, now, 110);
    expect(summary(later)).toEqual(['a 198.51.100.1/32 gshut→130']); // the deadline does not move
    expect(summary(d.apply('s', { routes: [] }, later, 130))).toEqual([]);
    expect(d.nextDeadline()).toBeUndefined();
  });

  it('an unplanned withdrawal ends every drain at once', () => {
    const d = new DrainTracker();
    const draining = d.apply('s', { routes: [] }, [route('a', '198.51.100.1/32')], 0);
    expect(d.apply('s', { routes: [], unplanned: true }, draining, 1)).toEqual([]);
    expect(d.nextDeadline()).toBeUndefined();
  });

  it('draining decisions drain the routes they keep; afterwards they stay out until the decision changes', () => {
    const d = new DrainTracker();
    const r = route('a', '198.51.100.1/32');
    expect(summary(d.apply('s', { routes: [r], draining: true }, [r], 0))).toEqual([
      'a 198.51.100.1/32 gshut→30',
    ]);
    expect(d.apply('s', { routes: [r], draining: true }, [], 30)).toEqual([]);
    expect(d.due(31)).toEqual([]); // run out and acted on: no timer needed
    expect(d.apply('s', { routes: [r], draining: true }, [], 40)).toEqual([]);
    expect(d.apply('s', { routes: [r] }, [], 50)).toEqual([r]);
    expect(summary(d.apply('s', { routes: [r], draining: true }, [r], 60))).toEqual([
      'a 198.51.100.1/32 gshut→90',
    ]);
  });

  it('Services are independent', () => {
    const d = new DrainTracker();
    d.apply('s1', { routes: [] }, [route('a', '198.51.100.1/32')], 0);
    d.apply('s2', { routes: [] }, [route('a', '198.51.100.2/32', 5)], 0);
    expect(d.due(5)).toEqual(['s2']);
    expect(d.nextDeadline()).toBe(5);
    d.apply('s2', { routes: [] }, [route('a', '198.51.100.2/32', 5)], 5);
    expect(d.nextDeadline()).toBe(30);
  });
});
