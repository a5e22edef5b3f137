import type {
  EndpointSliceSnapshot,
  L2AdvertisementView,
  LabelSelector,
  NodeSnapshot,
  ServiceSnapshot,
  SpeakerConfigView,
} from '../announce/model.ts';
import { poolRange } from '../testing/pool-range.ts';
import { interfacesFor } from './interfaces.ts';
import { type L2PlanInput, planL2 } from './plan.ts';

const match = (s: LabelSelector, labels: Readonly<Record<string, string>>) =>
  Object.entries(s.matchLabels ?? {}).every(([k, v]) => labels[k] === v);

const node = (
  name: string,
  o: { labels?: Record<string, string>; ready?: boolean; ip?: string; unavailable?: boolean } = {},
): NodeSnapshot => ({
  metadata: { name, labels: o.labels ?? {} },
  status: {
    conditions: [
      { type: 'Ready', status: o.ready === false ? 'False' : 'True' },
      ...(o.unavailable ? [{ type: 'NetworkUnavailable', status: 'True' }] : []),
    ],
    addresses:
      o.ip === '' ? [] : [{ type: 'InternalIP', address: o.ip ?? `203.0.113.${11 + Number(name.at(-1))}` }],
  },
});
const svc = (name: string, ips: string[], local = false): ServiceSnapshot => ({
  metadata: { namespace: 'default', name },
  spec: { type: 'LoadBalancer', externalTrafficPolicy: local ? 'Local' : 'Cluster' },
  status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } },
});
const slice = (nodes: string[]): EndpointSliceSnapshot => ({
  addressType: 'IPv4',
  endpoints: nodes.map((n, i) => ({ addresses: [`10.0.0.${i}`], nodeName: n, conditions: { ready: true } })),
});
const l2 = (o: Partial<L2AdvertisementView> = {}): L2AdvertisementView => ({
  name: 'lan',
  pools: [],
  nodeSelectors: [],
  interfaces: [],
  interfacePatterns: [],
  ...o,
});
const config = (ads: L2AdvertisementView[]): SpeakerConfigView => ({
  pools: [
    { name: 'lan', ranges: [poolRange('198.51.100.0/26'), poolRange('2001:db8:100::/120')] },
    { name: 'bgp', ranges: [poolRange('198.51.100.64/26')] },
  ],
  peers: [],
  advertisements: [],
  l2Advertisements: ads,
});
const interfaces = [
  { name: 'lo', addresses: ['127.0.0.1'] },
  { name: 'eth0', addresses: ['203.0.113.11', 'fe80::1'] },
  { name: 'eth1', addresses: [] },
  { name: 'enp3s0', addresses: [] },
];

function plan(o: Partial<L2PlanInput> & { slices?: Record<string, EndpointSliceSnapshot[]> } = {}) {
  return planL2({
    nodeName: 'node-0',
    nodes: [node('node-0'), node('node-1'), node('node-2')],
    services: [svc('web', ['198.51.100.1'])],
    slicesOf: (k) => o.slices?.[k] ?? [slice(['node-2'])],
    config: config([l2()]),
    match,
    interfaces,
    port: 7474,
    ...o,
  });
}

describe('L2 plan', () => {
  test('Cluster: every ready node is a candidate; members are the other nodes at their InternalIP', () => {
    const p = plan();
    expect(p.member).toBe(true);
    expect([...p.members]).toEqual([
      ['node-1', { address: '203.0.113.12', port: 7474 }],
      ['node-2', { address: '203.0.113.13', port: 7474 }],
    ]);
    expect(p.assignments).toEqual([
      {
        address: '198.51.100.1',
        candidates: ['node-0', 'node-1', 'node-2'],
        interfaces: ['eth0'],
        services: ['default/web'],
      },
    ]);
  });

  test('Local: only nodes with a serving endpoint; none at all when there is none', () => {
    const local = plan({ services: [svc('web', ['198.51.100.1'], true)] });
    expect(local.assignments[0]!.candidates).toEqual(['node-2']);
    const none = plan({ services: [svc('web', ['198.51.100.1'], true)], slices: { 'default/web': [] } });
    expect(none.assignments[0]!.candidates).toEqual([]);
  });

  test('Cluster without any serving endpoint: no candidates (kube-proxy would reject the traffic)', () => {
    expect(plan({ slices: { 'default/web': [] } }).assignments[0]!.candidates).toEqual([]);
  });

  test('not Ready, excluded, NetworkUnavailable and address-less nodes are never candidates', () => {
    const p = plan({
      nodes: [
        node('node-0'),
        node('node-1', { ready: false }),
        node('node-2', { labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } }),
        node('node-3', { unavailable: true }),
        node('node-4', { ip: '' }),
      ],
    });
    expect(p.assignments[0]!.candidates).toEqual(['node-0']);
    expect(p.notes).toEqual([
      'node node-4 has no InternalIP or ExternalIP: it cannot take part in the L2 mesh',
    ]);
  });

  test('nodeSelectors pick the members and candidates; an unselected node runs nothing', () => {
    const ads = [l2({ nodeSelectors: [{ matchLabels: { l2: 'yes' } }] })];
    const nodes = [
      node('node-0', { labels: { l2: 'yes' } }),
      node('node-1', { labels: { l2: 'yes' } }),
      node('node-2'),
    ];
    const p = plan({ config: config(ads), nodes });
    expect(p.assignments[0]!.candidates).toEqual(['node-0', 'node-1']);
    expect([...p.members.keys()]).toEqual(['node-1']);
    const outside = plan({ config: config(ads), nodes, nodeName: 'node-2' });
    expect([outside.member, outside.assignments]).toEqual([false, []]);
  });

  test('only addresses of pools an l2Advertisement covers; other classes and Services are ignored', () => {
    const p = plan({
      config: config([l2({ pools: ['lan'] })]),
      services: [
        svc('web', ['198.51.100.1', '2001:db8:100::1']),
        svc('bgp-only', ['198.51.100.65']),
        svc('outside', ['192.0.2.200']),
        { ...svc('other-class', ['198.51.100.2']), spec: { type: 'LoadBalancer', loadBalancerClass: 'x' } },
        { ...svc('cluster-ip', ['198.51.100.3']), spec: { type: 'ClusterIP' } },
        {
          ...svc('going', ['198.51.100.4']),
          metadata: { namespace: 'default', name: 'going', deletionTimestamp: 'now' },
        },
      ],
    });
    expect(p.assignments.map((a) => a.address)).toEqual(['198.51.100.1', '2001:db8:100::1']);
  });

  test('a shared address: candidates common to every Service, and a note when there are none', () => {
    const services = [svc('a', ['198.51.100.9'], true), svc('b', ['198.51.100.9'], true)];
    const common = plan({
      services,
      slices: { 'default/a': [slice(['node-1', 'node-2'])], 'default/b': [slice(['node-2'])] },
    });
    expect(common.assignments).toEqual([
      expect.objectContaining({ candidates: ['node-2'], services: ['default/a', 'default/b'] }),
    ]);
    const none = plan({
      services,
      slices: { 'default/a': [slice(['node-1'])], 'default/b': [slice(['node-2'])] },
    });
    expect(none.assignments[0]!.candidates).toEqual([]);
    expect(none.notes).toEqual([
      '198.51.100.9 is shared by default/a, default/b, which have no eligible node in common',
    ]);
  });

  test('interfaces: by name (kept even when missing), by pattern, or the one holding the node address', () => {
    expect(interfacesFor(l2({ interfaces: ['eth1', 'bond9'] }), interfaces, ['203.0.113.11'])).toEqual([
      'eth1',
      'bond9',
    ]);
    expect(interfacesFor(l2({ interfacePatterns: ['e*'] }), interfaces, [])).toEqual([
      'eth0',
      'eth1',
      'enp3s0',
    ]);
    expect(interfacesFor(l2({ interfacePatterns: ['*'] }), interfaces, [])).not.toContain('lo');
    expect(interfacesFor(l2(), interfaces, ['203.0.113.11'])).toEqual(['eth0']);
    expect(interfacesFor(l2(), interfaces, ['198.51.100.200'])).toEqual([]);
  });

  test('two advertisements for one pool: the union of their interfaces on this node', () => {
    const p = plan({
      config: config([l2({ interfaces: ['eth1'] }), l2({ name: 'b', interfacePatterns: ['enp*'] })]),
    });
    expect(p.assignments[0]!.interfaces).toEqual(['enp3s0', 'eth1']);
  });
});
