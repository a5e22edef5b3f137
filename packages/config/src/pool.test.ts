import { diffPeers, peerSettingsEqual, peerSettingsKey } from './diff.ts';
import { comparePoolPreference, poolAcceptsService, poolContains, poolOf } from './pool.ts';
import type { HeraldConfig } from './types.ts';
import { validateConfig } from './validate.ts';

function config(o: unknown): HeraldConfig {
  const r = validateConfig(o);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

const c = config({
  addressPools: [
    { name: 'z-general', addresses: ['198.51.100.0/26', '2001:db8:100::/64'] },
    {
      name: 'team',
      addresses: ['198.51.100.100-198.51.100.120'],
      serviceAllocation: {
        priority: 10,
        namespaces: ['team-a'],
        namespaceSelectors: [{ matchLabels: { tenant: 'a' } }],
        serviceSelectors: [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['batch'] }] }],
      },
    },
    { name: 'a-late', addresses: ['198.51.100.200/29'], serviceAllocation: { namespaces: ['x'] } },
    { name: 'first', addresses: ['198.51.100.64/28'], serviceAllocation: { priority: 1 } },
  ],
});
const [general, team, late, first] = c.addressPools as [
  (typeof c.addressPools)[0],
  (typeof c.addressPools)[0],
  (typeof c.addressPools)[0],
  (typeof c.addressPools)[0],
];

test('poolContains / poolOf, v4 and v6 edges', () => {
  expect(poolContains(general, '198.51.100.0')).toBe(true);
  expect(poolContains(general, '198.51.100.63')).toBe(true);
  expect(poolContains(general, '198.51.100.64')).toBe(false);
  expect(poolContains(general, '2001:db8:100::ffff:ffff:ffff:ffff')).toBe(true);
  expect(poolContains(general, '2001:db8:100:1::')).toBe(false);
  expect(poolContains(general, 'garbage')).toBe(false);
  expect(poolContains(team, '198.51.100.120')).toBe(true);
  expect(poolContains(team, '198.51.100.121')).toBe(false);
  expect(poolOf(c.addressPools, '198.51.100.66')?.name).toBe('first');
  expect(poolOf(c.addressPools, '203.0.113.1')).toBeUndefined();
});

test('poolAcceptsService: namespaces OR namespaceSelectors, AND serviceSelectors', () => {
  expect(poolAcceptsService(general, { namespace: 'any' })).toBe(true);
  expect(poolAcceptsService(team, { namespace: 'team-a' })).toBe(true);
  expect(poolAcceptsService(team, { namespace: 'other', namespaceLabels: { tenant: 'a' } })).toBe(true);
  expect(poolAcceptsService(team, { namespace: 'other', namespaceLabels: { tenant: 'b' } })).toBe(false);
  expect(poolAcceptsService(team, { namespace: 'team-a', serviceLabels: { tier: 'batch' } })).toBe(false);
  expect(poolAcceptsService(first, { namespace: 'whatever' })).toBe(true); // priority only, no restriction
  expect(poolAcceptsService(late, { namespace: 'y' })).toBe(false);
});

test('poolAcceptsService: unknown namespace labels match no namespaceSelector, even a DoesNotExist one', () => {
  const pool = config({
    addressPools: [
      {
        name: 'p',
        addresses: ['198.51.100.0/28'],
        serviceAllocation: {
          namespaceSelectors: [{ matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }],
        },
      },
    ],
  }).addressPools[0]!;
  expect(poolAcceptsService(pool, { namespace: 'x', namespaceLabels: {} })).toBe(true);
  expect(poolAcceptsService(pool, { namespace: 'x' })).toBe(false);
  expect(poolAcceptsService(pool, { namespace: 'x', namespaceLabels: { env: 'prod' } })).toBe(false);
});

test('comparePoolPreference: priority ascending, then serviceAllocation without priority, then general; ties in config order', () => {
  expect([...c.addressPools].sort(comparePoolPreference).map((p) => p.name)).toEqual([
    'first',
    'team',
    'a-late',
    'z-general',
  ]);
  const ties = config({
    addressPools: [
      { name: 'z-general', addresses: ['198.51.100.0/28'] },
      { name: 'b-open', addresses: ['198.51.100.16/28'], serviceAllocation: { namespaces: ['x'] } },
      { name: 'y-prio', addresses: ['198.51.100.32/28'], serviceAllocation: { priority: 5 } },
      { name: 'a-general', addresses: ['198.51.100.48/28'] },
      { name: 'a-open', addresses: ['198.51.100.64/28'], serviceAllocation: { namespaces: ['x'] } },
      { name: 'b-prio', addresses: ['198.51.100.80/28'], serviceAllocation: { priority: 5 } },
    ],
  });
  // Equal rank keeps config order, whatever the names: the first pool listed wins.
  expect([...ties.addressPools].sort(comparePoolPreference).map((p) => p.name)).toEqual([
    'y-prio',
    'b-prio',
    'b-open',
    'a-open',
    'z-general',
    'a-general',
  ]);
});

describe('peer diff', () => {
  const base = { name: 'tor-1', peerAddress: '203.0.113.1', peerASN: 64500, myASN: 64501 };
  const before = config({
    peers: [
      base,
      { ...base, name: 'tor-2', peerAddress: '203.0.113.2' },
      { ...base, name: 'gone', peerAddress: '203.0.113.3' },
    ],
  });
  test('only changed settings reset a session; nodeSelectors and names are not session settings', () => {
    const after = config({
      peers: [
        { ...base, nodeSelectors: [{ matchLabels: { rack: '1' } }] },
        { ...base, name: 'tor-2', peerAddress: '203.0.113.2', holdTime: '30s' },
        { ...base, name: 'new', peerAddress: '203.0.113.4' },
      ],
    });
    const d = diffPeers(before, after);
    expect(d.unchanged.map((p) => p.name)).toEqual(['tor-1']);
    expect(d.changed.map((x) => [x.before.holdTimeSeconds, x.after.holdTimeSeconds])).toEqual([[90, 30]]);
    expect(d.added.map((p) => p.name)).toEqual(['new']);
    expect(d.removed.map((p) => p.name)).toEqual(['gone']);
  });
  test('equivalent spellings give equal keys', () => {
    const a = config({ peers: [{ ...base, peerAddress: '2001:db8:1::1', holdTime: '90s' }] }).peers[0]!;
    const b = config({
      peers: [{ ...base, peerAddress: '2001:DB8:1:0::1', holdTime: '1m30s', peerPort: 179 }],
    }).peers[0]!;
    expect(peerSettingsEqual(a, b)).toBe(true);
    expect(peerSettingsKey(a)).toBe(peerSettingsKey(b));
  });
  test('every session setting participates', () => {
    const variants: object[] = [
      { peerASN: 64502 },
      { myASN: 64502 },
      { peerPort: 1179 },
      { sourceAddress: '203.0.113.9' },
      { routerID: '10.0.0.1' },
      { holdTime: '30s' },
      { keepaliveTime: '10s' },
      { connectTime: '5s' },
      { ebgpMultihop: 2 },
      { passive: true },
      { gracefulRestart: { enabled: true } },
      { gracefulRestart: { restartTime: '60s' } },
    ];
    const p0 = config({ peers: [base] }).peers[0]!;
    for (const v of variants)
      expect(peerSettingsEqual(p0, config({ peers: [{ ...base, ...v }] }).peers[0]!)).toBe(false);
  });
  test('first config: everything added', () => {
    expect(diffPeers(undefined, before).added).toHaveLength(3);
  });
});
