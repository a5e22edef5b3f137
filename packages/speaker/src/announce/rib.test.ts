import type { RouteContribution } from './decide.ts';
import type { RouteAttributes } from './model.ts';
import { DesiredRibIndex, diffPeer } from './rib.ts';

const attrs = (communities: string[] = []): RouteAttributes => ({ communities, largeCommunities: [] });
const c = (peer: string, prefix: string, a = attrs()): RouteContribution => ({
  peer,
  prefix,
  family: 'ipv4',
  attributes: a,
  advertisement: 'ad',
  drainMs: 0,
  weightHoldDownMs: 0,
});

describe('DesiredRibIndex', () => {
  it('keeps an aggregate while any contributing Service remains', () => {
    const rib = new DesiredRibIndex();
    rib.set('ns/a', [c('p', '198.51.100.0/24', attrs(['65000:1']))]);
    rib.set('ns/b', [c('p', '198.51.100.0/24', attrs(['65000:2']))]);
    expect(rib.route('p', '198.51.100.0/24')).toMatchObject({
      services: ['ns/a', 'ns/b'],
      attributes: { communities: ['65000:1', '65000:2'] },
    });
    const touched = rib.set('ns/a', []);
    expect(touched).toEqual([{ peer: 'p', prefix: '198.51.100.0/24' }]);
    expect(rib.route('p', '198.51.100.0/24')?.services).toEqual(['ns/b']);
    rib.set('ns/b', []);
    expect(rib.route('p', '198.51.100.0/24')).toBeUndefined();
    expect(rib.prefixCount('p')).toBe(0);
    expect([...rib.services()]).toEqual([]);
  });

  it('shares one prefix among three Services and back, whatever the order they leave in', () => {
    const rib = new DesiredRibIndex();
    const p = '198.51.100.7/32';
    const shared = attrs(['65000:9']);
    rib.set('ns/a', [c('p', p, shared)]);
    // One contributor: its attributes object itself, not a merged copy.
    expect(rib.route('p', p)?.attributes).toBe(shared);
    rib.set('ns/b', [c('p', p, attrs(['65000:1']))]);
    rib.set('ns/c', [c('p', p)]);
    expect(rib.route('p', p)?.services).toEqual(['ns/a', 'ns/b', 'ns/c']);
    rib.set('ns/b', []);
    expect(rib.route('p', p)).toMatchObject({
      services: ['ns/a', 'ns/c'],
      attributes: { communities: ['65000:9'] },
    });
    rib.set('ns/a', []);
    expect(rib.route('p', p)?.services).toEqual(['ns/c']);
    // Re-setting the remaining Service replaces its contribution, and leaving removes the prefix.
    rib.set('ns/c', [c('p', p, attrs(['65000:3']))]);
    expect(rib.route('p', p)).toMatchObject({ services: ['ns/c'], attributes: { communities: ['65000:3'] } });
    expect(rib.set('ns/x', [])).toEqual([]);
    rib.set('ns/c', []);
    expect(rib.route('p', p)).toBeUndefined();
    expect(rib.prefixCount('p')).toBe(0);
  });

  it('drains a prefix while every contributor drains, as one contributor or several', () => {
    const rib = new DesiredRibIndex();
    const p = '198.51.100.8/32';
    const draining = (since: number, withdrawAt: number) => ({ ...c('p', p), drain: { since, withdrawAt } });
    rib.set('ns/a', [draining(10, 100)]);
    expect(rib.route('p', p)?.drain).toEqual({ since: 10, withdrawAt: 100 });
    rib.set('ns/b', [c('p', p)]);
    expect(rib.route('p', p)?.drain).toBeUndefined();
    rib.set('ns/b', [draining(20, 200)]);
    expect(rib.route('p', p)?.drain).toEqual({ since: 10, withdrawAt: 200 });
    rib.set('ns/b', []);
    expect(rib.route('p', p)).toMatchObject({ services: ['ns/a'], drain: { since: 10, withdrawAt: 100 } });
  });

  it('merges two advertisements giving one Service the same prefix for one peer', () => {
    const rib = new DesiredRibIndex();
    rib.set('ns/a', [
      c('p', '198.51.100.0/24', attrs(['65000:1'])),
      c('p', '198.51.100.0/24', attrs(['65000:2'])),
    ]);
    expect(rib.route('p', '198.51.100.0/24')).toMatchObject({
      services: ['ns/a'],
      attributes: { communities: ['65000:1', '65000:2'] },
    });
  });
});

describe('diffPeer', () => {
  const rib = new DesiredRibIndex();
  rib.set('ns/a', [c('p', '198.51.100.1/32'), c('p', '198.51.100.2/32', attrs(['65000:9']))]);
  const desired = (prefix: string) => rib.route('p', prefix);
  const desiredPrefixes = () => [...rib.routes('p')].map((r) => r.prefix);

  it('announces missing and changed routes and withdraws stale ones', () => {
    const announced = new Map([
      ['198.51.100.2/32', attrs(['65000:1'])],
      ['198.51.100.3/32', attrs()],
    ]);
    const d = diffPeer(desired, desiredPrefixes(), announced);
    expect(d.announce.map((r) => r.prefix).sort()).toEqual(['198.51.100.1/32', '198.51.100.2/32']);
    expect(d.withdraw).toEqual(['198.51.100.3/32']);
  });

  it('produces nothing when the sessions already carry the desired routes (no churn on resync)', () => {
    const announced = new Map([
      ['198.51.100.1/32', attrs()],
      ['198.51.100.2/32', attrs(['65000:9'])],
    ]);
    expect(diffPeer(desired, desiredPrefixes(), announced)).toEqual({ announce: [], withdraw: [] });
  });

  it('looks only at touched prefixes when given', () => {
    const announced = new Map([['198.51.100.3/32', attrs()]]);
    const d = diffPeer(desired, desiredPrefixes(), announced, ['198.51.100.1/32', '198.51.100.1/32']);
    expect(d).toEqual({ announce: [rib.route('p', '198.51.100.1/32')], withdraw: [] });
  });
});
