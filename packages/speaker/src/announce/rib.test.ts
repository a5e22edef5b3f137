import type { RouteContribution } from './decide.ts';
import type { RouteAttributes } from './model.ts';
import { DesiredRibIndex, diffPeer } from './rib.ts';

const attrs = (communities: string[] = []): RouteAttributes => ({ communities, largeCommunities: [] });
const c = (peer: string, prefix: string, a = attrs()): RouteContribution => ({
  peer,
  prefix,
  family: 'ipv4',
  attributes: a,
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
