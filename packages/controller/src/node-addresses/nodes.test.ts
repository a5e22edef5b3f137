import { eligibleNodes, ingressAddresses, servingNodes } from './nodes.ts';
import { labNodes, node, slice } from './testing.ts';

const all = { type: 'InternalIP' as const, nodeSelectors: [] };

describe('eligibleNodes', () => {
  test('Ready, schedulable, not being deleted, not excluded, selected: sorted by name with their addresses', () => {
    const nodes = [
      node({ name: 'b', v4: '203.0.113.12' }),
      node({ name: 'a', v4: '203.0.113.11', v6: '2001:DB8:1::0011' }),
      node({ name: 'not-ready', v4: '203.0.113.13', ready: false }),
      node({ name: 'cordoned', v4: '203.0.113.14', unschedulable: true }),
      node({ name: 'going', v4: '203.0.113.15', deleting: true }),
      node({
        name: 'excluded',
        v4: '203.0.113.16',
        labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '' },
      }),
      node({ name: 'v6-only', v6: '2001:db8:1::17' }),
    ];
    const r = eligibleNodes(nodes, all, ['ipv4', 'ipv6'], undefined);
    expect(r.listed).toEqual([
      {
        node: 'a',
        addresses: [
          { family: 'ipv4', address: '203.0.113.11' },
          { family: 'ipv6', address: '2001:db8:1::11' },
        ],
      },
      { node: 'b', addresses: [{ family: 'ipv4', address: '203.0.113.12' }] },
      { node: 'v6-only', addresses: [{ family: 'ipv6', address: '2001:db8:1::17' }] },
    ]);
    expect(r.skipped).toEqual([
      { node: 'cordoned', why: 'cordoned (spec.unschedulable)' },
      { node: 'excluded', why: 'labelled node.kubernetes.io/exclude-from-external-load-balancers' },
      { node: 'going', why: 'being deleted' },
      { node: 'not-ready', why: 'not Ready' },
    ]);
    expect(eligibleNodes(nodes, all, ['ipv4'], undefined).skipped).toContainEqual({
      node: 'v6-only',
      why: "no InternalIP of the Service's families",
    });
  });

  test('the pool’s type and nodeSelectors', () => {
    const nodes = [
      node({ name: 'edge', v4: '203.0.113.11', external: '198.51.100.200', labels: { role: 'edge' } }),
      node({ name: 'inner', v4: '203.0.113.12' }),
    ];
    const edge = {
      type: 'ExternalIP' as const,
      nodeSelectors: [{ matchLabels: { role: 'edge' }, matchExpressions: [] }],
    };
    const r = eligibleNodes(nodes, edge, ['ipv4'], undefined);
    expect(r.listed).toEqual([{ node: 'edge', addresses: [{ family: 'ipv4', address: '198.51.100.200' }] }]);
    expect(r.skipped).toEqual([{ node: 'inner', why: 'not matched by the pool’s nodeSelectors' }]);
  });

  test('Local: only nodes with a serving endpoint', () => {
    const serving = servingNodes([slice('web', [{ node: 'node-1' }])], false);
    const r = eligibleNodes(labNodes(3), all, ['ipv4'], serving);
    expect(r.listed.map((n) => n.node)).toEqual(['node-1']);
    expect(r.skipped.map((s) => s.why)).toEqual([
      'no serving endpoint of the Service (externalTrafficPolicy: Local)',
      'no serving endpoint of the Service (externalTrafficPolicy: Local)',
    ]);
  });
});

describe('servingNodes', () => {
  test('ready or serving-terminating endpoints count; not-ready ones only with publishNotReadyAddresses', () => {
    const s = slice('web', [
      { node: 'node-0' },
      { node: 'node-1', ready: false, serving: true, terminating: true },
      { node: 'node-2', ready: false, serving: false },
    ]);
    expect([...servingNodes([s], false)].sort()).toEqual(['node-0', 'node-1']);
    expect([...servingNodes([s], true)].sort()).toEqual(['node-0', 'node-1', 'node-2']);
    expect([...servingNodes([{ ...s, addressType: 'FQDN' }], false)]).toEqual([]);
  });
});

describe('ingressAddresses', () => {
  test('primary family first, then by node; each address once', () => {
    const listed = eligibleNodes(labNodes(2), all, ['ipv6', 'ipv4'], undefined).listed;
    expect(ingressAddresses(listed, ['ipv6', 'ipv4'])).toEqual([
      '2001:db8:1::11',
      '2001:db8:1::12',
      '203.0.113.11',
      '203.0.113.12',
    ]);
    expect(ingressAddresses(listed, ['ipv4'])).toEqual(['203.0.113.11', '203.0.113.12']);
  });
});
