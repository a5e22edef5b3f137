// MetalLB → Herald conversion, on fixtures written from MetalLB's documented examples (docs/examples/metallb)
// and on small objects for each rule. Every converted document is validated with @herald/config, the code the
// controller and speakers run.
import { readFileSync } from 'node:fs';
import { parseConfig } from '@herald/config';
import { stringify } from 'yaml';
import { convertMetallb } from './convert.ts';
import { parseGoDuration } from './go-duration.ts';
import { readMetallbText } from './read.ts';
import { formatNote, type MigrationNote } from './types.ts';

const root = new URL('../../../../', import.meta.url).pathname;
const fixture = (name: string) => readFileSync(`${root}docs/examples/metallb/${name}`, 'utf8');

function convert(text: string) {
  const input = readMetallbText(text, 'input.yaml');
  expect(input.errors).toEqual([]);
  const c = convertMetallb(input.objects);
  const valid = parseConfig(stringify(c.document));
  return { ...c, readNotes: input.notes, valid };
}

const lines = (notes: readonly MigrationNote[]) => notes.map(formatNote);

/** A YAML stream of metallb.io objects from [kind, name, spec] triples (namespace metallb-system). */
function crs(...objects: [string, string, Record<string, unknown>, Record<string, string>?][]): string {
  return objects
    .map(([kind, name, spec, labels]) =>
      stringify({
        apiVersion: kind === 'BGPPeer' ? 'metallb.io/v1beta2' : 'metallb.io/v1beta1',
        kind,
        metadata: { name, namespace: 'metallb-system', ...(labels ? { labels } : {}) },
        spec,
      }),
    )
    .join('---\n');
}

const pool: [string, string, Record<string, unknown>] = [
  'IPAddressPool',
  'p',
  { addresses: ['198.51.100.0/26'] },
];
const ebgp = (
  name = 'r1',
  extra: Record<string, unknown> = {},
): [string, string, Record<string, unknown>] => [
  'BGPPeer',
  name,
  { myASN: 64500, peerASN: 64501, peerAddress: '203.0.113.1', ...extra },
];

test('the documented CR setup converts to a valid config, listing what has no equivalent', () => {
  const c = convert(fixture('crs.yaml'));
  expect(c.valid.ok).toBe(true);
  expect(c.document).toEqual({
    addressPools: [
      { name: 'first-pool', addresses: ['198.51.100.0/24'] },
      {
        name: 'team-a',
        addresses: ['2001:db8:100::/124'],
        autoAssign: false,
        serviceAllocation: {
          priority: 50,
          namespaces: ['team-a'],
          namespaceSelectors: [{ matchLabels: { tenant: 'team-a' } }],
        },
      },
      { name: 'office-l2', addresses: ['203.0.113.200-203.0.113.210'] },
    ],
    peers: [
      {
        name: 'tor-1',
        peerAddress: '203.0.113.1',
        peerASN: 64501,
        myASN: 64500,
        holdTime: '9s',
        nodeSelectors: [
          {
            matchLabels: { rack: 'frontend' },
            matchExpressions: [
              { key: 'kubernetes.io/hostname', operator: 'In', values: ['node-a', 'node-b'] },
            ],
          },
        ],
        bfd: { enabled: true, profile: 'fast' },
      },
      {
        name: 'reflector',
        peerAddress: '2001:db8:1::1',
        peerASN: 64500,
        myASN: 64500,
        gracefulRestart: { enabled: true },
      },
    ],
    bgpAdvertisements: [
      {
        name: 'local',
        addressPools: ['first-pool'],
        aggregationLength: 32,
        communities: ['no-advertise', 'vpn-only'],
        peers: ['tor-1'],
      },
      { name: 'external', addressPools: ['first-pool'], aggregationLength: 24, peers: ['tor-1'] },
      {
        name: 'east',
        addressPools: ['team-a'],
        localPref: 200,
        largeCommunities: ['site-a'],
        peers: ['reflector'],
        nodeSelectors: [{ matchLabels: { 'kubernetes.io/hostname': 'node-a' } }],
      },
    ],
    bfdProfiles: [{ name: 'fast', minReceive: 380, minTransmit: 270 }],
    bgpCommunities: { 'vpn-only': '1234:1', 'site-a': '64500:1:1' },
    l2Advertisements: [{ name: 'office', addressPools: ['office-l2'], interfaces: ['eth1'] }],
  });
  const notes = c.notes.map((n) => `${n.action} ${n.source} ${n.field}`);
  expect(notes.sort()).toEqual(
    [
      'dropped BGPPeer metallb-system/tor-1 spec.password',
      'adapted Community metallb-system/communities spec.communities[1]',
      'adapted L2Advertisement metallb-system/office ',
      'adapted IPAddressPool metallb-system/first-pool spec.addresses[0]',
      'dropped BGPAdvertisement metallb-system/local spec.localPref',
      'adapted BGPAdvertisement metallb-system/east spec.ipAddressPoolSelectors',
    ].sort(),
  );
  expect(lines(c.notes)).toContain(
    'adapted IPAddressPool metallb-system/first-pool spec.addresses[0]: "198.51.100.10/24" has host bits set; ' +
      'MetalLB uses the network 198.51.100.0/24, which Herald requires written so',
  );
});

test('the legacy ConfigMap converts, with notes naming the legacy fields', () => {
  const c = convert(fixture('legacy-configmap.yaml'));
  expect(c.valid.ok).toBe(true);
  expect(c.document).toEqual({
    addressPools: [
      {
        name: 'my-ip-space',
        addresses: ['198.51.100.0/24', '198.51.101.150-198.51.101.200'],
        autoAssign: false,
        avoidBuggyIPs: true,
      },
      { name: 'lan', addresses: ['203.0.113.240/28'] },
    ],
    peers: [
      {
        name: 'peer-203-0-113-1',
        peerAddress: '203.0.113.1',
        peerASN: 64512,
        myASN: 64512,
        peerPort: 179,
        routerID: '203.0.113.44',
        holdTime: '2m',
        nodeSelectors: [
          {
            matchLabels: { 'kubernetes.io/hostname': 'prod-01' },
            matchExpressions: [{ key: 'beta.kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm'] }],
          },
        ],
      },
    ],
    bgpAdvertisements: [
      {
        name: 'my-ip-space',
        addressPools: ['my-ip-space'],
        aggregationLength: 32,
        localPref: 100,
        communities: ['64512:1', 'no-export'],
      },
    ],
    l2Advertisements: [{ name: 'lan', addressPools: ['lan'] }],
  });
  expect(c.notes.map((n) => `${n.action} ${n.field}`).sort()).toEqual(
    [
      'adapted data.config bgp-communities.no-export',
      'adapted data.config address-pools[1].protocol',
      'adapted data.config address-pools[1].protocol',
      'dropped data.config peers[0].password',
    ].sort(),
  );
  expect(c.notes.every((n) => n.source === 'ConfigMap metallb-system/config')).toBe(true);
});

test('a legacy pool without bgp-advertisements gets one default advertisement; unknown legacy keys are listed', () => {
  const c = convert(
    'peers: [{peer-address: 203.0.113.1, peer-asn: 64501, my-asn: 64500, ebgp-multihop: true, colour: red}]\n' +
      'address-pools: [{name: a, protocol: bgp, addresses: [198.51.100.0/26]}]\n' +
      'bfd-profiles: [{name: slow, receive-interval: 10, echo-mode: true}]\n',
  );
  expect(c.valid.ok).toBe(true);
  expect(c.document.bgpAdvertisements).toEqual([{ name: 'a', addressPools: ['a'] }]);
  expect(c.document.peers[0]).toMatchObject({ ebgpMultihop: 255 });
  expect(lines(c.readNotes)).toEqual([
    "ignored input.yaml peers[0].colour: not a field of MetalLB's legacy configuration; not converted",
  ]);
  expect(c.notes.map((n) => `${n.action} ${n.field}`)).toEqual(
    expect.arrayContaining([
      'adapted bfd-profiles[0].receive-interval',
      'dropped bfd-profiles[0].echo-mode',
      'adapted peers[0].ebgp-multihop',
    ]),
  );
  expect(c.document.bfdProfiles).toEqual([{ name: 'slow', minReceive: 50 }]);
});

test('BGPPeer.bfdProfile turns BFD on with the converted profile; an unknown profile leaves BFD off, noted', () => {
  const c = convert(
    crs(
      pool,
      ebgp('r1', { bfdProfile: 'fast' }),
      ebgp('r2', { bfdProfile: 'missing', peerAddress: '203.0.113.2' }),
      [
        'BFDProfile',
        'fast',
        { receiveInterval: 100, transmitInterval: 100, detectMultiplier: 5, passiveMode: true },
      ],
    ),
  );
  expect(c.valid.ok).toBe(true);
  expect(c.document.peers.map((p) => p.bfd)).toEqual([{ enabled: true, profile: 'fast' }, undefined]);
  expect(c.document.bfdProfiles).toEqual([
    { name: 'fast', minReceive: 100, minTransmit: 100, multiplier: 5 },
  ]);
  expect(lines(c.notes)).toEqual(
    expect.arrayContaining([
      'dropped BGPPeer metallb-system/r2 spec.bfdProfile: no BFDProfile "missing" among the objects read: this peer runs without BFD',
      expect.stringMatching(/^dropped BFDProfile metallb-system\/fast spec\.passiveMode: /),
    ]),
  );
});

test('kubectl get -o yaml lists are flattened; status and other kinds are ignored with a note', () => {
  const list = stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      {
        apiVersion: 'metallb.io/v1beta1',
        kind: 'IPAddressPool',
        metadata: { name: 'p', namespace: 'metallb-system', uid: 'x', resourceVersion: '1' },
        spec: { addresses: ['198.51.100.0/26'], autoAssign: true },
        status: { assignedIPv4: 1 },
      },
      { apiVersion: 'metallb.io/v1beta1', kind: 'ServiceBGPStatus', metadata: { name: 's' }, status: {} },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'controller' } },
    ],
  });
  const c = convert(list);
  expect(c.document.addressPools).toEqual([{ name: 'p', addresses: ['198.51.100.0/26'], autoAssign: true }]);
  expect(lines(c.readNotes)).toEqual([
    'ignored ServiceBGPStatus s: status written by MetalLB, not configuration',
    'ignored input.yaml: 1 object that is not MetalLB configuration (Deployment)',
  ]);
});

test('dynamicASN: internal becomes peerASN = myASN; external drops the peer and the advertisement naming only it', () => {
  const c = convert(
    crs(
      pool,
      ['BGPPeer', 'ibgp', { myASN: 64500, dynamicASN: 'internal', peerAddress: '203.0.113.1' }],
      ['BGPPeer', 'any', { myASN: 64500, dynamicASN: 'external', peerAddress: '203.0.113.2' }],
      ['BGPAdvertisement', 'to-any', { peers: ['any'] }],
      ['BGPAdvertisement', 'to-both', { peers: ['any', 'ibgp'], localPref: 50 }],
    ),
  );
  expect(c.valid.ok).toBe(true);
  expect(c.document.peers).toEqual([
    { name: 'ibgp', peerAddress: '203.0.113.1', peerASN: 64500, myASN: 64500 },
  ]);
  expect(c.document.bgpAdvertisements).toEqual([{ name: 'to-both', localPref: 50, peers: ['ibgp'] }]);
  expect(lines(c.notes)).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^dropped BGPPeer metallb-system\/any spec.dynamicASN: the whole peer/),
      expect.stringMatching(
        /^dropped BGPAdvertisement metallb-system\/to-any: the whole advertisement: none of its peers/,
      ),
    ]),
  );
});

test('pool selectors that select nothing drop the advertisement instead of widening it to every pool', () => {
  const c = convert(
    crs(pool, ebgp(), [
      'BGPAdvertisement',
      'none',
      { ipAddressPoolSelectors: [{ matchLabels: { x: 'y' } }] },
    ]),
  );
  expect(c.document.bgpAdvertisements).toEqual([]);
  expect(lines(c.notes).filter((l) => l.startsWith('dropped'))).toEqual([
    'dropped BGPAdvertisement metallb-system/none: the whole advertisement: it selects no pool Herald has, and an ' +
      'empty addressPools list would mean every pool',
  ]);
  const unknown = convert(crs(pool, ebgp(), ['BGPAdvertisement', 'ghost', { ipAddressPools: ['nope'] }]));
  expect(unknown.document.bgpAdvertisements).toEqual([]);
  expect(lines(unknown.notes)).toContain(
    'dropped BGPAdvertisement metallb-system/ghost spec.ipAddressPools: no IPAddressPool "nope" (MetalLB ignores it too)',
  );
});

test('timers: Go durations become whole seconds; a keepalive alone implies holdTime = 3 × keepalive', () => {
  const c = convert(
    crs(
      pool,
      ebgp('a', { keepaliveTime: '10s' }),
      ebgp('b', { holdTime: '1m30.5s', connectTime: '5s', peerAddress: '203.0.113.2' }),
      ['BGPAdvertisement', 'all', {}],
    ),
  );
  expect(c.valid.ok).toBe(true);
  expect(c.document.peers.map((p) => [p.holdTime, p.keepaliveTime, p.connectTime])).toEqual([
    ['30s', '10s', undefined],
    ['1m30s', undefined, '5s'],
  ]);
  expect(lines(c.notes).map((l) => l.split(':')[0])).toEqual([
    'adapted BGPPeer metallb-system/a spec.keepaliveTime',
    'adapted BGPPeer metallb-system/b spec.holdTime',
  ]);
});

test('names become DNS-1123 labels and every reference follows; duplicates get a suffix', () => {
  const c = convert(
    crs(
      ['IPAddressPool', 'Prod.Pool', { addresses: ['198.51.100.0/26'] }],
      ['IPAddressPool', 'prod-pool', { addresses: ['198.51.100.64/26'] }],
      ebgp('Tor.1'),
      ['BGPAdvertisement', 'adv', { ipAddressPools: ['Prod.Pool'], peers: ['Tor.1'] }],
    ),
  );
  expect(c.valid.ok).toBe(true);
  expect(c.document.addressPools.map((p) => p.name)).toEqual(['prod-pool', 'prod-pool-2']);
  expect(c.document.bgpAdvertisements).toEqual([
    { name: 'adv', addressPools: ['prod-pool'], peers: ['tor-1'] },
  ]);
});

test('communities: large: prefix, leading zeros, aliases of both kinds', () => {
  const c = convert(
    crs(
      pool,
      ebgp(),
      [
        'Community',
        'c',
        {
          communities: [
            { name: 'big', value: 'large:1:2:3' },
            { name: 'small', value: '7003:007' },
          ],
        },
      ],
      ['BGPAdvertisement', 'adv', { communities: ['big', 'small', 'large:4:5:6', '65000:010'] }],
    ),
  );
  expect(c.valid.ok).toBe(true);
  expect(c.document.bgpCommunities).toEqual({ big: '1:2:3', small: '7003:7' });
  expect(c.document.bgpAdvertisements).toEqual([
    { name: 'adv', communities: ['small', '65000:10'], largeCommunities: ['big', '4:5:6'] },
  ]);
});

test('fields without an equivalent are listed; unknown spec fields are listed, never silently lost', () => {
  const c = convert(
    crs(
      pool,
      ebgp('r', {
        vrf: 'red',
        disableMP: true,
        passwordSecret: { name: 'md5', namespace: 'metallb-system' },
        ebgpMultiHop: true,
        colour: 'blue',
      }),
      ['BGPPeer', 'unnumbered', { myASN: 64500, peerASN: 64501, interface: 'eth0' }],
    ),
  );
  expect(c.valid.ok).toBe(true);
  expect(c.document.peers).toEqual([
    {
      name: 'r',
      peerAddress: '203.0.113.1',
      peerASN: 64501,
      myASN: 64500,
      ebgpMultihop: 255,
      passwordSecretRef: { name: 'md5', key: 'password' },
      bindInterface: 'red',
    },
  ]);
  expect(c.notes.map((n) => `${n.action} ${n.source} ${n.field}`).sort()).toEqual(
    [
      'ignored BGPPeer metallb-system/r spec.colour',
      'adapted BGPPeer metallb-system/r spec.vrf',
      'dropped BGPPeer metallb-system/r spec.disableMP',
      'adapted BGPPeer metallb-system/r spec.passwordSecret',
      'adapted BGPPeer metallb-system/r spec.ebgpMultiHop',
      'dropped BGPPeer metallb-system/unnumbered spec.interface',
    ].sort(),
  );
});

test('what Herald rejects stays visible: overlapping pools come out invalid, with the path of the later one', () => {
  const c = convert(
    crs(pool, ['IPAddressPool', 'q', { addresses: ['198.51.100.0/28'] }], ebgp(), [
      'BGPAdvertisement',
      'a',
      {},
    ]),
  );
  expect(c.valid.ok).toBe(false);
  expect(c.valid.ok ? [] : c.valid.errors.map((e) => e.path)).toEqual(['addressPools[1].addresses[0]']);
  expect(c.origins.addressPools[1]?.label).toBe('IPAddressPool metallb-system/q');
});

test('YAML syntax errors are reported with the line, and nothing is read from that document', () => {
  const r = readMetallbText('kind: [unclosed\n', 'bad.yaml');
  expect(r.objects).toEqual([]);
  expect(r.errors[0]).toMatch(/^bad\.yaml:\d+: YAML syntax error/);
});

test('Go durations', () => {
  expect(['90s', '1m30s', '1.5h', '500ms', '0', '2h45m', 'x', '10', '-3s'].map(parseGoDuration)).toEqual([
    90,
    90,
    5400,
    0.5,
    0,
    9900,
    undefined,
    undefined,
    -3,
  ]);
});

test("a ConfigMap with a `config` key that is not MetalLB's is just another object", () => {
  const r = readMetallbText(
    'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: config, namespace: app}\ndata: {config: "logLevel: debug\\n"}\n',
    'cm.yaml',
  );
  expect(r.objects).toEqual([]);
  expect(lines(r.notes)).toEqual(['ignored cm.yaml: 1 object that is not MetalLB configuration (ConfigMap)']);
});

test('L2Advertisement → l2Advertisements: pools (listed or selected), nodes, interfaces; unset interfaces noted', () => {
  const c = convert(
    crs(
      ['IPAddressPool', 'lan', { addresses: ['198.51.100.0/28'] }, { zone: 'office' }],
      ['IPAddressPool', 'dc', { addresses: ['198.51.100.64/28'] }],
      [
        'L2Advertisement',
        'office',
        {
          ipAddressPoolSelectors: [{ matchLabels: { zone: 'office' } }],
          nodeSelectors: [{ matchLabels: { 'kubernetes.io/hostname': 'node-a' } }],
        },
      ],
      ['L2Advertisement', 'dc', { ipAddressPools: ['dc', 'gone'], interfaces: ['bond0'] }],
      ['L2Advertisement', 'nothing', { ipAddressPools: ['gone'] }],
    ),
  );
  expect(c.valid.ok).toBe(true);
  expect(c.document.l2Advertisements).toEqual([
    {
      name: 'office',
      addressPools: ['lan'],
      nodeSelectors: [{ matchLabels: { 'kubernetes.io/hostname': 'node-a' } }],
    },
    { name: 'dc', addressPools: ['dc'], interfaces: ['bond0'] },
  ]);
  const notes = lines(c.notes);
  expect(notes).toContain(
    "adapted L2Advertisement metallb-system/office spec.interfaces: unset: MetalLB answers on every interface, Herald on the interface holding the node's InternalIP; list the interfaces (or interfaceSelector.namePatterns) if clients reach the nodes on others",
  );
  expect(notes).toContain(
    'dropped L2Advertisement metallb-system/dc spec.ipAddressPools: no IPAddressPool "gone" (MetalLB ignores it too)',
  );
  // Never widened to "every pool": an advertisement whose pools are all gone is dropped whole.
  expect(notes).toContain(
    'dropped L2Advertisement metallb-system/nothing: the whole advertisement: it selects no pool Herald has, and an empty addressPools list would mean every pool',
  );
});
