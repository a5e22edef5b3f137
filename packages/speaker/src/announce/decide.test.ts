import { poolRange } from '../testing/pool-range.ts';
import { buildNodeContext, decideAll, decideService, type NodeContext } from './decide.ts';
import { canServe } from './endpoints.ts';
import type {
  AdvertisementView,
  EndpointSliceSnapshot,
  LabelSelector,
  NodeSnapshot,
  PeerView,
  ServiceSnapshot,
  SpeakerConfigView,
} from './model.ts';

// matchLabels-only matcher: the runtime injects @herald/config's full matcher; the rules here only need this.
const match = (s: LabelSelector, labels: Readonly<Record<string, string>>) =>
  Object.entries(s.matchLabels ?? {}).every(([k, v]) => labels[k] === v);

const pools = [
  { name: 'v4', ranges: [poolRange('198.51.100.0/24')] },
  { name: 'v6', ranges: [poolRange('2001:db8:100::/64')] },
  { name: 'other', ranges: [poolRange('198.51.101.10-198.51.101.20')] },
];
const peerA: PeerView = { name: 'a', internal: false, nodeSelectors: [] };
const peerB: PeerView = { name: 'b', internal: true, nodeSelectors: [] };
const ad = (over: Partial<AdvertisementView> = {}): AdvertisementView => ({
  name: 'ad',
  pools: [],
  peers: [],
  nodeSelectors: [],
  communities: [],
  largeCommunities: [],
  ...over,
});
const config = (over: Partial<SpeakerConfigView> = {}): SpeakerConfigView => ({
  pools,
  peers: [peerA, peerB],
  advertisements: [ad()],
  ...over,
});
const node = (
  over: { labels?: Record<string, string>; conditions?: { type: string; status: string }[] } = {},
) =>
  ({
    metadata: { name: 'n1', labels: { zone: 'z1', ...over.labels } },
    status: { conditions: over.conditions ?? [{ type: 'Ready', status: 'True' }] },
  }) satisfies NodeSnapshot;
const ctx = (over: { node?: NodeSnapshot; config?: SpeakerConfigView; loadBalancerClass?: string } = {}) =>
  buildNodeContext({
    nodeName: 'n1',
    node: 'node' in over ? over.node : node(),
    config: over.config ?? config(),
    loadBalancerClass: over.loadBalancerClass,
    match,
  });
const svc = (
  ips: string[],
  spec: Partial<NonNullable<ServiceSnapshot['spec']>> = {},
  name = 's1',
): ServiceSnapshot => ({
  metadata: { namespace: 'ns', name },
  spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', ...spec },
  status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } },
});
type Cond = { ready?: boolean; serving?: boolean; terminating?: boolean };
const slice = (
  eps: Array<{ node: string; cond?: Cond; addresses?: string[] }>,
  addressType = 'IPv4',
): EndpointSliceSnapshot => ({
  metadata: { namespace: 'ns', name: `s1-${addressType}`, labels: { 'kubernetes.io/service-name': 's1' } },
  addressType,
  endpoints: eps.map((e) => ({
    addresses: e.addresses ?? ['10.0.0.1'],
    nodeName: e.node,
    conditions: e.cond,
  })),
});
const ready = { ready: true, serving: true, terminating: false };
const prefixes = (c: NodeContext, s: ServiceSnapshot, slices: EndpointSliceSnapshot[]) =>
  decideService(s, slices, c)
    .routes.map((r) => `${r.peer} ${r.prefix}`)
    .sort();

describe('canServe', () => {
  it('treats ready, unset, and serving-while-terminating as able to serve', () => {
    expect(canServe({ addresses: ['10.0.0.1'], conditions: ready }, false)).toBe(true);
    expect(canServe({ addresses: ['10.0.0.1'] }, false)).toBe(true);
    expect(
      canServe(
        { addresses: ['10.0.0.1'], conditions: { ready: false, serving: true, terminating: true } },
        false,
      ),
    ).toBe(true);
  });
  it('rejects not-ready, terminating-not-serving and address-less endpoints', () => {
    expect(canServe({ addresses: ['10.0.0.1'], conditions: { ready: false } }, false)).toBe(false);
    expect(
      canServe(
        { addresses: ['10.0.0.1'], conditions: { ready: false, serving: false, terminating: true } },
        false,
      ),
    ).toBe(false);
    expect(canServe({ addresses: [], conditions: ready }, false)).toBe(false);
  });
  it('counts not-ready endpoints when the Service publishes not-ready addresses', () => {
    expect(canServe({ addresses: ['10.0.0.1'], conditions: { ready: false, serving: false } }, true)).toBe(
      true,
    );
  });
});

describe('decideService', () => {
  it('announces a Cluster Service with a serving endpoint on another node to every peer as /32', () => {
    expect(prefixes(ctx(), svc(['198.51.100.7']), [slice([{ node: 'n2', cond: ready }])])).toEqual([
      'a 198.51.100.7/32',
      'b 198.51.100.7/32',
    ]);
  });

  it('withdraws a Cluster Service with no serving endpoint anywhere', () => {
    const d = decideService(svc(['198.51.100.7']), [slice([{ node: 'n1', cond: { ready: false } }])], ctx());
    expect(d.routes).toEqual([]);
    expect(d.reason).toBe('no serving endpoint');
    expect(decideService(svc(['198.51.100.7']), [], ctx()).routes).toEqual([]);
  });

  it('announces a Local Service only from a node with a serving endpoint', () => {
    const s = svc(['198.51.100.7'], { externalTrafficPolicy: 'Local' });
    expect(prefixes(ctx(), s, [slice([{ node: 'n2', cond: ready }])])).toEqual([]);
    expect(prefixes(ctx(), s, [slice([{ node: 'n1', cond: ready }])])).toHaveLength(2);
  });

  it('keeps announcing a Local Service whose only local endpoint is terminating but serving', () => {
    const s = svc(['198.51.100.7'], { externalTrafficPolicy: 'Local' });
    const terminating = { ready: false, serving: true, terminating: true };
    expect(prefixes(ctx(), s, [slice([{ node: 'n1', cond: terminating }])])).toHaveLength(2);
    const gone = { ready: false, serving: false, terminating: true };
    expect(prefixes(ctx(), s, [slice([{ node: 'n1', cond: gone }])])).toEqual([]);
  });

  it('respects publishNotReadyAddresses for Local', () => {
    const s = svc(['198.51.100.7'], { externalTrafficPolicy: 'Local', publishNotReadyAddresses: true });
    expect(prefixes(ctx(), s, [slice([{ node: 'n1', cond: { ready: false } }])])).toHaveLength(2);
  });

  it('looks across all slices and both families for a local endpoint', () => {
    const s = svc(['198.51.100.7', '2001:db8:100::7'], { externalTrafficPolicy: 'Local' });
    const v4 = slice([{ node: 'n2', cond: ready }]);
    const v6 = slice([{ node: 'n1', cond: ready, addresses: ['fd12::1'] }], 'IPv6');
    expect(prefixes(ctx(), s, [v4, v6])).toEqual([
      'a 198.51.100.7/32',
      'a 2001:db8:100::7/128',
      'b 198.51.100.7/32',
      'b 2001:db8:100::7/128',
    ]);
  });

  it('announces nothing from a node labelled exclude-from-external-load-balancers', () => {
    const c = ctx({
      node: node({ labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } }),
    });
    const d = decideService(svc(['198.51.100.7']), [slice([{ node: 'n1', cond: ready }])], c);
    expect(d.routes).toEqual([]);
    expect(d.reason).toMatch(/exclude-from-external-load-balancers/);
    // The sessions stay: exclusion is about announcements, not peering.
    expect([...c.peers].sort()).toEqual(['a', 'b']);
  });

  it('announces nothing from a NetworkUnavailable node, and from an unknown node', () => {
    const c = ctx({ node: node({ conditions: [{ type: 'NetworkUnavailable', status: 'True' }] }) });
    expect(prefixes(c, svc(['198.51.100.7']), [slice([{ node: 'n1', cond: ready }])])).toEqual([]);
    const ok = ctx({ node: node({ conditions: [{ type: 'NetworkUnavailable', status: 'False' }] }) });
    expect(prefixes(ok, svc(['198.51.100.7']), [slice([{ node: 'n1', cond: ready }])])).toHaveLength(2);
    const unknown = ctx({ node: undefined });
    expect(prefixes(unknown, svc(['198.51.100.7']), [slice([{ node: 'n1', cond: ready }])])).toEqual([]);
    expect(unknown.peers.size).toBe(0);
  });

  it('ignores Services that are not LoadBalancers of our class, being deleted, or without status', () => {
    const eps = [slice([{ node: 'n1', cond: ready }])];
    expect(decideService(svc(['198.51.100.7'], { type: 'ClusterIP' }), eps, ctx()).ours).toBe(false);
    expect(decideService(svc(['198.51.100.7'], { loadBalancerClass: 'x' }), eps, ctx()).ours).toBe(false);
    expect(
      prefixes(ctx({ loadBalancerClass: 'x' }), svc(['198.51.100.7'], { loadBalancerClass: 'x' }), eps),
    ).toHaveLength(2);
    expect(prefixes(ctx({ loadBalancerClass: 'x' }), svc(['198.51.100.7']), eps)).toEqual([]);
    expect(prefixes(ctx(), svc([]), eps)).toEqual([]);
    const deleting = {
      ...svc(['198.51.100.7']),
      metadata: { namespace: 'ns', name: 's1', deletionTimestamp: 'x' },
    };
    expect(prefixes(ctx(), deleting, eps)).toEqual([]);
  });

  it('announces only IPs inside a pool covered by an advertisement', () => {
    const c = ctx({ config: config({ advertisements: [ad({ pools: ['v6'] })] }) });
    const eps = [slice([{ node: 'n1', cond: ready }])];
    expect(prefixes(c, svc(['198.51.100.7', '2001:db8:100::7']), eps)).toEqual([
      'a 2001:db8:100::7/128',
      'b 2001:db8:100::7/128',
    ]);
    const d = decideService(svc(['203.0.113.9']), eps, ctx());
    expect(d.routes).toEqual([]);
    expect(d.reason).toBe('203.0.113.9 is in no address pool');
    expect(prefixes(ctx(), svc(['198.51.101.15']), eps)).toHaveLength(2);
    expect(prefixes(ctx(), svc(['198.51.101.21']), eps)).toEqual([]);
  });

  it('selects peers by the peer nodeSelectors and the advertisement peers list', () => {
    const eps = [slice([{ node: 'n1', cond: ready }])];
    const onlyZ2 = { ...peerA, nodeSelectors: [{ matchLabels: { zone: 'z2' } }] };
    const c1 = ctx({ config: config({ peers: [onlyZ2, peerB] }) });
    expect([...c1.peers]).toEqual(['b']);
    expect(prefixes(c1, svc(['198.51.100.7']), eps)).toEqual(['b 198.51.100.7/32']);
    const c2 = ctx({ config: config({ advertisements: [ad({ peers: ['a'] })] }) });
    expect(prefixes(c2, svc(['198.51.100.7']), eps)).toEqual(['a 198.51.100.7/32']);
    // OR of selectors: one matching selector is enough.
    const either = {
      ...peerA,
      nodeSelectors: [{ matchLabels: { zone: 'z2' } }, { matchLabels: { zone: 'z1' } }],
    };
    expect([...ctx({ config: config({ peers: [either] }) }).peers]).toEqual(['a']);
  });

  it('selects nodes by the advertisement nodeSelectors', () => {
    const eps = [slice([{ node: 'n1', cond: ready }])];
    const c = ctx({
      config: config({ advertisements: [ad({ nodeSelectors: [{ matchLabels: { zone: 'z9' } }] })] }),
    });
    const d = decideService(svc(['198.51.100.7']), eps, c);
    expect(d.routes).toEqual([]);
    expect(d.reason).toMatch(/no advertisement for pool v4/);
  });

  it('applies aggregation lengths per family and attributes, with LOCAL_PREF only towards iBGP peers', () => {
    const c = ctx({
      config: config({
        advertisements: [
          ad({
            aggregationLength: 24,
            aggregationLengthV6: 64,
            localPref: 200,
            communities: ['65000:1'],
            largeCommunities: ['65000:1:2'],
          }),
        ],
      }),
    });
    const d = decideService(
      svc(['198.51.100.7', '2001:db8:100::7']),
      [slice([{ node: 'n1', cond: ready }])],
      c,
    );
    expect(d.routes.map((r) => [r.peer, r.prefix, r.attributes.localPref])).toEqual([
      ['a', '198.51.100.0/24', undefined],
      ['b', '198.51.100.0/24', 200],
      ['a', '2001:db8:100::/64', undefined],
      ['b', '2001:db8:100::/64', 200],
    ]);
    expect(d.routes[0]!.attributes.communities).toEqual(['65000:1']);
    expect(d.routes[0]!.attributes.largeCommunities).toEqual(['65000:1:2']);
  });
});

describe('decideService: traffic (weights, drains, per-Service attributes)', () => {
  const terminating = { ready: false, serving: true, terminating: true };
  const weighted = ctx({ config: config({ advertisements: [ad({ weighting: true })] }) });
  const weights = (c: NodeContext, s: ServiceSnapshot, slices: EndpointSliceSnapshot[]) =>
    decideService(s, slices, c)
      .routes.map((r) => `${r.peer} ${r.prefix} ${r.attributes.weight}`)
      .sort();

  it('Local: the weight is the ready endpoints on this node, per family', () => {
    const s = svc(['198.51.100.7', '2001:db8:100::7'], { externalTrafficPolicy: 'Local' });
    const v4 = slice([
      { node: 'n1', cond: ready },
      { node: 'n1', cond: ready },
      { node: 'n1', cond: terminating },
      { node: 'n2', cond: ready },
    ]);
    const v6 = slice([{ node: 'n1', cond: ready }], 'IPv6');
    expect(weights(weighted, s, [v4, v6])).toEqual([
      'a 198.51.100.7/32 2',
      'a 2001:db8:100::7/128 1',
      'b 198.51.100.7/32 2',
      'b 2001:db8:100::7/128 1',
    ]);
    // A family without slices counts the other family's Pods.
    expect(weights(weighted, s, [v4])).toContain('a 2001:db8:100::7/128 2');
  });

  it('Cluster: 1 from every node; no weighting: no weight at all', () => {
    const eps = [
      slice([
        { node: 'n2', cond: ready },
        { node: 'n2', cond: ready },
      ]),
    ];
    expect(weights(weighted, svc(['198.51.100.7']), eps)).toEqual([
      'a 198.51.100.7/32 1',
      'b 198.51.100.7/32 1',
    ]);
    expect(decideService(svc(['198.51.100.7']), eps, ctx()).routes[0]!.attributes).not.toHaveProperty(
      'weight',
    );
  });

  it('draining: only terminating endpoints left (on this node for Local, anywhere for Cluster)', () => {
    const localSvc = svc(['198.51.100.7'], { externalTrafficPolicy: 'Local' });
    const d = decideService(
      localSvc,
      [
        slice([
          { node: 'n1', cond: terminating },
          { node: 'n2', cond: ready },
        ]),
      ],
      weighted,
    );
    expect(d).toMatchObject({ draining: true, reason: 'every serving endpoint on this node is terminating' });
    expect(d.routes.map((r) => r.attributes.weight)).toEqual([1, 1]); // still serving: counted until they go
    const cluster = decideService(svc(['198.51.100.7']), [slice([{ node: 'n1', cond: terminating }])], ctx());
    expect(cluster.draining).toBe(true);
    const staying = decideService(
      svc(['198.51.100.7']),
      [
        slice([
          { node: 'n1', cond: terminating },
          { node: 'n2', cond: ready },
        ]),
      ],
      ctx(),
    );
    expect(staying.draining).toBeUndefined();
  });

  it('planned and unplanned withdrawals are told apart', () => {
    const eps = [slice([{ node: 'n1', cond: ready }])];
    const unplanned = (c: NodeContext, s: ServiceSnapshot, e: EndpointSliceSnapshot[]) =>
      decideService(s, e, c).unplanned ?? false;
    expect(unplanned(ctx(), svc(['198.51.100.7']), [slice([{ node: 'n1', cond: { ready: false } }])])).toBe(
      true,
    );
    expect(
      unplanned(
        ctx({ node: node({ conditions: [{ type: 'NetworkUnavailable', status: 'True' }] }) }),
        svc(['198.51.100.7']),
        eps,
      ),
    ).toBe(true);
    expect(unplanned(ctx({ node: undefined }), svc(['198.51.100.7']), eps)).toBe(true);
    expect(
      unplanned(
        ctx({ node: node({ labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } }) }),
        svc(['198.51.100.7']),
        eps,
      ),
    ).toBe(false);
    expect(unplanned(ctx(), svc([]), eps)).toBe(false);
    expect(
      unplanned(
        ctx(),
        { ...svc(['198.51.100.7']), metadata: { namespace: 'ns', name: 's1', deletionTimestamp: 'x' } },
        eps,
      ),
    ).toBe(false);
  });

  it('a cordoned node withdraws the routes of advertisements with cordonedNodes: withdraw, and says why', () => {
    const cordoned = { ...node(), spec: { unschedulable: true } };
    const eps = [slice([{ node: 'n1', cond: ready }])];
    const both = config({
      advertisements: [
        ad({ name: 'drain', peers: ['a'], withdrawFromCordonedNodes: true }),
        ad({ name: 'keep', peers: ['b'] }),
      ],
    });
    expect(prefixes(ctx({ node: cordoned, config: both }), svc(['198.51.100.7']), eps)).toEqual([
      'b 198.51.100.7/32',
    ]);
    const only = config({ advertisements: [ad({ name: 'drain', withdrawFromCordonedNodes: true })] });
    const d = decideService(svc(['198.51.100.7']), eps, ctx({ node: cordoned, config: only }));
    expect(d).toMatchObject({
      routes: [],
      reason:
        'Node is cordoned (spec.unschedulable) and bgpAdvertisement drain withdraws from cordoned nodes',
    });
    expect(d.unplanned).toBeUndefined();
    expect(prefixes(ctx({ config: only }), svc(['198.51.100.7']), eps)).toHaveLength(2);
  });

  it('two advertisements giving one Service the same route: one contribution, the larger settings', () => {
    const c = ctx({
      config: config({
        advertisements: [
          ad({ name: 'x', communities: ['65000:1'], weighting: true, drainMs: 5_000 }),
          ad({ name: 'y', communities: ['65000:2'], drainMs: 30_000, weightHoldDownMs: 7_000 }),
        ],
      }),
    });
    const d = decideService(svc(['198.51.100.7']), [slice([{ node: 'n1', cond: ready }])], c);
    expect(d.routes.filter((r) => r.peer === 'a')).toEqual([
      {
        peer: 'a',
        prefix: '198.51.100.7/32',
        family: 'ipv4',
        attributes: {
          localPref: undefined,
          communities: ['65000:1', '65000:2'],
          largeCommunities: [],
          weight: 1,
        },
        advertisement: 'x',
        drainMs: 30_000,
        weightHoldDownMs: 7_000,
      },
    ]);
  });

  it('per-Service attributes: each advertisement adds what it allows; LOCAL_PREF replaces its own (iBGP)', () => {
    const allowAll = {
      communities: [{ text: '64512:*', asn: 64512, value: undefined }],
      largeCommunities: [{ text: '64512:*:*', global: 64512, local1: undefined, local2: undefined }],
      localPref: { minimum: 0, maximum: 500 },
    };
    const c = ctx({
      config: config({
        advertisements: [
          ad({ name: 'open', peers: ['b'], localPref: 100, serviceAttributes: allowAll }),
          ad({ name: 'closed', peers: ['a'] }),
        ],
      }),
    });
    const s: ServiceSnapshot = {
      ...svc(['198.51.100.7']),
      metadata: {
        namespace: 'ns',
        name: 's1',
        annotations: {
          'herald.dev/bgp-communities': '64512:7',
          'herald.dev/bgp-large-communities': '64512:1:2',
          'herald.dev/bgp-local-pref': '300',
        },
      },
    };
    const routes = decideService(s, [slice([{ node: 'n1', cond: ready }])], c).routes;
    expect(routes.map((r) => [r.peer, r.attributes]).sort()).toEqual([
      ['a', { localPref: undefined, communities: [], largeCommunities: [] }],
      ['b', { localPref: 300, communities: ['64512:7'], largeCommunities: ['64512:1:2'] }],
    ]);
  });
});

describe('decideAll', () => {
  it('dedupes aggregated prefixes across Services and merges attributes of overlapping advertisements', () => {
    const c = ctx({
      config: config({
        peers: [peerB],
        advertisements: [
          ad({ aggregationLength: 24, communities: ['65000:2'], localPref: 100 }),
          ad({ name: 'ad2', aggregationLength: 24, communities: ['65000:1'], localPref: 300 }),
        ],
      }),
    });
    const services = [svc(['198.51.100.7'], {}, 's1'), svc(['198.51.100.9'], {}, 's2')];
    const rib = decideAll(services, () => [slice([{ node: 'n3', cond: ready }])], c);
    expect([...rib.keys()]).toEqual(['b']);
    const route = rib.get('b')!.get('198.51.100.0/24')!;
    expect(route.services).toEqual(['ns/s1', 'ns/s2']);
    expect(route.attributes).toEqual({
      localPref: 300,
      communities: ['65000:1', '65000:2'],
      largeCommunities: [],
    });
    expect(rib.get('b')!.size).toBe(1);
  });
});
