import { formatConfigError, parseConfig } from '../parse.ts';
import type { ConfigResult, HeraldConfig } from '../types.ts';
import { validateConfig } from '../validate.ts';

const peer = { name: 'tor-1', peerAddress: '203.0.113.1', peerASN: 64500, myASN: 64501 };
const ranges = { name: 'default', addresses: ['198.51.100.0/26'] };

const errors = (r: ConfigResult): string[] => (r.ok ? [] : r.errors.map(formatConfigError));
const warnings = (r: ConfigResult): string[] => r.warnings.map(formatConfigError);
function ok(r: ConfigResult): HeraldConfig {
  if (!r.ok) throw new Error(`expected a valid config, got:\n${errors(r).join('\n')}`);
  return r.config;
}

describe('addressPools[].nodeAddresses', () => {
  test('a node-address pool: defaults, selectors, no ranges, no families', () => {
    const c = ok(
      validateConfig({
        addressPools: [
          { name: 'nodes', nodeAddresses: {} },
          {
            name: 'edge',
            autoAssign: false,
            nodeAddresses: {
              type: 'ExternalIP',
              nodeSelectors: [{ matchLabels: { 'node-role.kubernetes.io/edge': '' } }],
            },
          },
          ranges,
        ],
      }),
    );
    expect(c.addressPools.map((p) => [p.name, p.nodeAddresses, p.addresses.length, p.families])).toEqual([
      ['nodes', { type: 'InternalIP', nodeSelectors: [] }, 0, []],
      [
        'edge',
        {
          type: 'ExternalIP',
          nodeSelectors: [{ matchLabels: { 'node-role.kubernetes.io/edge': '' }, matchExpressions: [] }],
        },
        0,
        [],
      ],
      ['default', undefined, 1, ['ipv4']],
    ]);
    expect(c.addressPools[1]!.autoAssign).toBe(false);
  });

  test('exactly one of addresses and nodeAddresses; range-only fields refused', () => {
    expect(
      errors(
        validateConfig({
          addressPools: [
            { name: 'both', addresses: ['198.51.100.0/26'], nodeAddresses: { type: 'InternalIP' } },
            { name: 'neither' },
            { name: 'buggy', nodeAddresses: {}, avoidBuggyIPs: true },
          ],
        }),
      ),
    ).toEqual([
      'addressPools[0].nodeAddresses: a pool hands out either its own addresses or node addresses: set addresses or nodeAddresses, not both',
      'addressPools[1].addresses: is required (or nodeAddresses, for a pool of node addresses)',
      'addressPools[2].avoidBuggyIPs: applies to address ranges only; a node-address pool hands out node addresses as the Nodes report them',
    ]);
  });

  test('type is InternalIP or ExternalIP; selectors are checked like every other selector', () => {
    expect(
      errors(
        validateConfig({
          addressPools: [
            {
              name: 'nodes',
              nodeAddresses: {
                type: 'InternalIp',
                nodeSelectors: [{ matchExpressions: [{ key: 'zone', operator: 'In' }] }],
                nodeSelector: {},
              },
            },
          ],
        }),
      ),
    ).toEqual([
      'addressPools[0].nodeAddresses.type: must be one of InternalIP, ExternalIP; got "InternalIp"; did you mean "InternalIP"?',
      'addressPools[0].nodeAddresses.nodeSelectors[0].matchExpressions[0].values: operator In needs at least one value',
      'addressPools[0].nodeAddresses.nodeSelector: unknown field; did you mean "nodeSelectors"?',
    ]);
  });

  test('never announced: an advertisement may not name one, and "all pools" leaves them out', () => {
    expect(
      errors(
        validateConfig({
          addressPools: [ranges, { name: 'nodes', nodeAddresses: {} }],
          peers: [peer],
          bgpAdvertisements: [{ name: 'a', addressPools: ['default', 'nodes'] }],
        }),
      ),
    ).toEqual([
      'bgpAdvertisements[0].addressPools[1]: pool "nodes" hands out node addresses, which are never announced over BGP (each node already owns its address); remove it here',
    ]);
    const c = ok(
      validateConfig({
        addressPools: [ranges, { name: 'nodes', nodeAddresses: {} }],
        peers: [peer],
        bgpAdvertisements: [{ name: 'all' }],
      }),
    );
    expect(c.bgpAdvertisements[0]!.poolNames).toEqual(['default']);
  });

  test('no peers and no advertisements: nothing to warn about when every pool is a node-address pool', () => {
    const only = parseConfig('addressPools:\n  - name: nodes\n    nodeAddresses: { type: InternalIP }\n');
    expect(ok(only).addressPools[0]!.name).toBe('nodes');
    expect(warnings(only)).toEqual([]);
    const mixed = validateConfig({ addressPools: [{ name: 'nodes', nodeAddresses: {} }, ranges] });
    expect(warnings(mixed)).toEqual([
      'peers: no peers configured: addresses are assigned but not announced anywhere',
    ]);
    const unannounced = validateConfig({
      addressPools: [{ name: 'nodes', nodeAddresses: {} }, ranges],
      peers: [peer],
      bgpAdvertisements: [{ name: 'a', addressPools: ['default'] }],
    });
    expect(warnings(unannounced)).toEqual([]);
  });

  test('errors carry YAML positions', () => {
    const r = parseConfig('addressPools:\n  - name: n\n    nodeAddresses:\n      type: Hostname\n');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatchObject({ path: 'addressPools[0].nodeAddresses.type', line: 4 });
  });
});
