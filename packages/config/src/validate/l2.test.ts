import { matchesInterfacePattern } from '../interface-pattern.ts';
import { formatConfigError, parseConfig } from '../parse.ts';
import type { ConfigResult } from '../types.ts';
import { validateConfig } from '../validate.ts';

const pools = [
  { name: 'lan', addresses: ['198.51.100.0/26', '2001:db8:100::/120'] },
  { name: 'bgp', addresses: ['198.51.100.64/26'] },
];
const errors = (r: ConfigResult) => (r.ok ? [] : r.errors.map(formatConfigError));
const warnings = (r: ConfigResult) => r.warnings.map(formatConfigError);

describe('l2Advertisements', () => {
  test('the typed entry: resolved pools, selectors, interfaces or patterns', () => {
    const r = validateConfig({
      addressPools: pools,
      l2Advertisements: [
        {
          name: 'lan',
          addressPools: ['lan'],
          nodeSelectors: [{ matchLabels: { 'herald.dev/l2': 'true' } }],
          interfaces: ['eth0', 'bond0.100'],
        },
        { name: 'all', interfaceSelector: { namePatterns: ['en*'] } },
      ],
    });
    if (!r.ok) throw new Error(errors(r).join('\n'));
    expect(r.config.l2Advertisements).toEqual([
      {
        name: 'lan',
        addressPools: ['lan'],
        poolNames: ['lan'],
        nodeSelectors: [{ matchLabels: { 'herald.dev/l2': 'true' }, matchExpressions: [] }],
        interfaces: ['eth0', 'bond0.100'],
        interfacePatterns: [],
      },
      {
        name: 'all',
        addressPools: [],
        poolNames: ['lan', 'bgp'],
        nodeSelectors: [],
        interfaces: [],
        interfacePatterns: ['en*'],
      },
    ]);
  });

  test('every problem at once, with its path', () => {
    const r = parseConfig(`
addressPools:
  - name: lan
    addresses: [198.51.100.0/26]
l2Advertisements:
  - name: a
    addressPools: [lna, lan, lan]
    interfaces: [eth0, eth0, "has space", "sixteen-chars-xx", ".."]
    interfaceSelector:
      namePatterns: ["en*", "en*"]
    nodeSelectors:
      - matchExpressions: [{ key: zone, operator: In }]
  - name: a
    interfaceSelector: { namePatterns: [] }
  - name: b
    interfaceSelector: {}
    bogus: 1
`);
    expect(errors(r)).toEqual([
      'l2Advertisements[0].addressPools[0]: unknown pool "lna"',
      'l2Advertisements[0].addressPools[2]: pool "lan" is listed twice',
      'l2Advertisements[0].interfaces[1]: interface "eth0" is listed twice',
      'l2Advertisements[0].interfaces[2]: "has space" is not a Linux interface name (or pattern): 1–15 characters without "/", ":" or whitespace',
      'l2Advertisements[0].interfaces[3]: "sixteen-chars-xx" is longer than 15 characters',
      'l2Advertisements[0].interfaces[4]: ".." is not a Linux interface name',
      'l2Advertisements[0].interfaceSelector: give either interfaces (names) or interfaceSelector (patterns), not both',
      'l2Advertisements[0].interfaceSelector.namePatterns[1]: pattern "en*" is listed twice',
      'l2Advertisements[0].nodeSelectors[0].matchExpressions[0].values: operator In needs at least one value',
      'l2Advertisements[1].name: duplicate L2 advertisement name "a" (also l2Advertisements[0])',
      'l2Advertisements[1].interfaceSelector.namePatterns: must list at least 1 entry',
      'l2Advertisements[2].interfaceSelector.namePatterns: is required',
      'l2Advertisements[2].bogus: unknown field (known fields: name, addressPools, nodeSelectors, interfaces, interfaceSelector)',
    ]);
  });

  test('coverage: a pool in an l2Advertisement is announced; one in neither gets a warning', () => {
    const r = validateConfig({
      addressPools: pools,
      l2Advertisements: [{ name: 'lan', addressPools: ['lan'] }],
    });
    expect(errors(r)).toEqual([]);
    expect(warnings(r)).toEqual([
      'addressPools[1].name: pool "bgp" is not in any bgpAdvertisement or l2Advertisement: its addresses are assigned but not announced',
    ]);
    // L2 only, no peers at all: no "not announced anywhere" warning
    expect(warnings(validateConfig({ addressPools: pools, l2Advertisements: [{ name: 'all' }] }))).toEqual(
      [],
    );
  });

  test('node-address pools are never L2-announced: refused when named, left out of "all pools"', () => {
    const withNodes = [...pools, { name: 'nodes', nodeAddresses: { type: 'InternalIP' } }];
    expect(
      errors(
        validateConfig({
          addressPools: withNodes,
          l2Advertisements: [{ name: 'a', addressPools: ['nodes'] }],
        }),
      ),
    ).toEqual([
      'l2Advertisements[0].addressPools[0]: pool "nodes" hands out node addresses, which each node already answers ARP/NDP for; remove it here',
    ]);
    const r = validateConfig({ addressPools: withNodes, l2Advertisements: [{ name: 'all' }] });
    expect(r.ok && r.config.l2Advertisements[0]!.poolNames).toEqual(['lan', 'bgp']);
  });

  test('a pool announced by BGP and L2 both is fine', () => {
    const r = validateConfig({
      addressPools: pools,
      peers: [{ name: 'tor', peerAddress: '203.0.113.1', peerASN: 64500, myASN: 64501 }],
      bgpAdvertisements: [{ name: 'all' }],
      l2Advertisements: [{ name: 'lan', addressPools: ['lan'] }],
    });
    expect([errors(r), warnings(r)]).toEqual([[], []]);
  });
});

describe('interface name patterns', () => {
  test.each([
    ['en*', 'enp3s0', true],
    ['en*', 'en', true],
    ['en*', 'eth0', false],
    ['eth?', 'eth0', true],
    ['eth?', 'eth10', false],
    ['bond0.1??', 'bond0.100', true],
    ['bond0.1??', 'bond0x100', false],
    ['eth0', 'eth0', true],
    ['*', 'anything', true],
    ['v+lan', 'v+lan', true],
    ['v+lan', 'vvlan', false],
  ])('%s matches %s: %s', (pattern, name, expected) => {
    expect(matchesInterfacePattern(pattern, name)).toBe(expected);
  });
});
