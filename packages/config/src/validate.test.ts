import { formatConfigError, parseConfig, parseConfigSource } from './parse.ts';
import type { ConfigResult, HeraldConfig } from './types.ts';
import { nativeSocketErrors } from './validate/transport.ts';
import { validateConfig } from './validate.ts';

const peer = { name: 'tor-1', peerAddress: '203.0.113.1', peerASN: 64500, myASN: 64501 };
const ibgp = { name: 'rr', peerAddress: '203.0.113.10', peerASN: 64512, myASN: 64512 };
const pool = { name: 'default', addresses: ['198.51.100.0/26'] };

function errors(r: ConfigResult): string[] {
  return r.ok ? [] : r.errors.map(formatConfigError);
}
function ok(r: ConfigResult): HeraldConfig {
  if (!r.ok) throw new Error(`expected valid config, got:\n${errors(r).join('\n')}`);
  return r.config;
}
const v = (o: unknown) => errors(validateConfig(o));

describe('document level', () => {
  test('non-mapping inputs', () => {
    for (const input of [null, undefined, 42, 'x', [], true])
      expect(v(input)).toEqual([expect.stringMatching(/^the configuration must be a mapping/)]);
  });
  test('empty mapping is valid and empty', () => {
    const c = ok(validateConfig({}));
    expect(c.addressPools).toEqual([]);
    expect(c.bgpCommunities.size).toBe(0);
  });
  test('YAML syntax error carries line and column', () => {
    const r = parseConfig('addressPools:\n  - name: a\n    addresses: [\n');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors[0]!.message).toMatch(/^YAML syntax error at line \d+, column \d+/);
      expect(r.errors[0]!.line).toBeGreaterThan(0);
    }
  });
  test('duplicate keys and several documents are errors', () => {
    expect(errors(parseConfig('peers: []\npeers: []\n'))[0]).toMatch(/Map keys must be unique/);
    expect(errors(parseConfig('peers: []\n---\npeers: []\n'))).toEqual([
      'expected one YAML document, found 2 (separated by "---")',
    ]);
  });
  test('YAML 1.2: "no" stays a string, so it is a type error for a boolean', () => {
    expect(v({ addressPools: [{ ...pool, autoAssign: 'no' }] })).toEqual([
      'addressPools[0].autoAssign: must be a boolean (true or false), got the string "no"',
    ]);
    expect(
      errors(
        parseConfig('addressPools:\n  - name: a\n    addresses: [198.51.100.0/26]\n    autoAssign: no\n'),
      ),
    ).toEqual(['addressPools[0].autoAssign: must be a boolean (true or false), got the string "no"']);
  });
  test('error positions point at the offending node', () => {
    const r = parseConfig(
      'addressPools:\n  - name: a\n    addresses:\n      - 198.51.100.0/26\n      - 198.51.100.7/24\n',
    );
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.errors[0]).toMatchObject({ path: 'addressPools[0].addresses[1]', line: 5, column: 9 });
  });
});

describe('peer limits', () => {
  test('minHoldTime: a hold time, at most holdTime, 0s with holdTime 0s; default 3s (0s with holdTime 0s)', () => {
    expect(v({ peers: [{ ...peer, minHoldTime: '2s' }] })).toEqual([
      'peers[0].minHoldTime: 2s is not a hold time: 0s or at least 3s (RFC 4271 §4.2)',
    ]);
    expect(v({ peers: [{ ...peer, holdTime: '30s', minHoldTime: '31s' }] })).toEqual([
      'peers[0].minHoldTime: 31s is longer than holdTime 30s; it must be at most the hold time',
    ]);
    expect(v({ peers: [{ ...peer, holdTime: '0s', minHoldTime: '3s' }] })).toEqual([
      'peers[0].minHoldTime: must be 0s when holdTime is 0s (the session has no hold timer)',
    ]);
    expect(ok(validateConfig({ peers: [{ ...peer, holdTime: '0s' }] })).peers[0]!.minHoldTimeSeconds).toBe(0);
    expect(ok(validateConfig({ peers: [{ ...peer, minHoldTime: '0s' }] })).peers[0]!.minHoldTimeSeconds).toBe(
      0,
    );
  });
  test('maxPrefixes: limit 1..2^32-1, block or restart, restartTime 1s..65535s', () => {
    expect(v({ peers: [{ ...peer, maxPrefixes: { limit: 0, action: 'drop', restartTime: '0s' } }] })).toEqual(
      [
        'peers[0].maxPrefixes.limit: must be 1..4294967295, got 0',
        'peers[0].maxPrefixes.action: must be one of block, restart; got "drop"',
        'peers[0].maxPrefixes.restartTime: 0s is out of range: must be 1s..65535s',
      ],
    );
    const c = ok(validateConfig({ peers: [{ ...peer, maxPrefixes: { limit: 50, action: 'restart' } }] }));
    expect(c.peers[0]!.maxPrefixes).toEqual({ limit: 50, action: 'restart', restartTimeSeconds: 60 });
  });
});

describe('shape', () => {
  test('unknown keys at every level, with did-you-mean', () => {
    expect(
      v({
        adressPools: [],
        addressPools: [{ ...pool, autoAsign: true, serviceAllocation: { priorty: 1 } }],
        peers: [{ ...peer, gracefulRestart: { enable: true }, nodeSelectors: [{ matchLabel: {} }] }],
        bgpAdvertisements: [{ name: 'a', comunities: [] }],
      }),
    ).toEqual([
      'adressPools: unknown field; did you mean "addressPools"?',
      'addressPools[0].autoAsign: unknown field; did you mean "autoAssign"?',
      'addressPools[0].serviceAllocation.priorty: unknown field; did you mean "priority"?',
      'peers[0].gracefulRestart.enable: unknown field; did you mean "enabled"?',
      'peers[0].nodeSelectors[0].matchLabel: unknown field; did you mean "matchLabels"?',
      'bgpAdvertisements[0].comunities: unknown field; did you mean "communities"?',
    ]);
  });
  test('Object.prototype names are unknown fields too, from YAML and from JSON', () => {
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
    const yaml = `addressPools:\n  - name: a\n    addresses: [198.51.100.0/26]\n${names
      .map((n) => `    ${n}: {}\n`)
      .join('')}`;
    const expected = names.map((n) =>
      expect.stringMatching(new RegExp(`^addressPools\\[0\\]\\.${n}: unknown field`)),
    );
    expect(errors(parseConfig(yaml))).toEqual(expected);
    const json = JSON.parse(
      `{"addressPools":[{"name":"a","addresses":["198.51.100.0/26"],${names.map((n) => `"${n}":{}`).join(',')}}]}`,
    );
    expect(v(json)).toEqual(expected);
  });
  test('unknown key far from any known one lists the known fields', () => {
    expect(v({ addressPools: [{ ...pool, zzzzzz: 1 }] })).toEqual([
      'addressPools[0].zzzzzz: unknown field (known fields: name, addresses, nodeAddresses, autoAssign, avoidBuggyIPs, serviceAllocation)',
    ]);
  });
  test('wrong types and missing required fields', () => {
    expect(
      v({
        addressPools: [{ name: 7, addresses: '198.51.100.0/26' }, {}],
        peers: [{ name: 'p', peerAddress: '203.0.113.1', peerASN: '64500', myASN: 64501.5, passive: 'yes' }],
        bgpCommunities: { a: 1 },
      }),
    ).toEqual([
      'addressPools[0].name: must be a string, got the integer 7',
      'addressPools[0].addresses: must be a list, got the string "198.51.100.0/26"',
      'addressPools[1].addresses: is required (or nodeAddresses, for a pool of node addresses)',
      'addressPools[1].name: is required',
      'peers[0].peerASN: must be an integer, got the string "64500"',
      'peers[0].myASN: must be an integer, got the number 64501.5',
      'peers[0].passive: must be a boolean (true or false), got the string "yes"',
      'bgpCommunities.a: must be a string, got the integer 1',
    ]);
  });
  test('names must be DNS-1123 labels; empty addresses list', () => {
    expect(v({ addressPools: [{ name: 'Default', addresses: [] }] })).toEqual([
      'addressPools[0].name: "Default" must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit',
      'addressPools[0].addresses: must list at least 1 entry',
    ]);
  });
  test('null field value is the same as omitted', () => {
    const c = ok(validateConfig({ peers: [{ ...peer, nodeSelectors: null }], addressPools: null }));
    expect(c.peers[0]!.nodeSelectors).toEqual([]);
  });
});

describe('pools', () => {
  test('duplicate names', () => {
    expect(v({ addressPools: [pool, { name: 'default', addresses: ['198.51.100.64/26'] }] })).toEqual([
      'addressPools[1].name: duplicate pool name "default" (also addressPools[0])',
    ]);
  });
  test('overlaps: across pools, within a pool, v6, ranges vs CIDRs', () => {
    expect(
      v({
        addressPools: [
          { name: 'a', addresses: ['198.51.100.0/26', '2001:db8:100::/64', '198.51.100.100-198.51.100.120'] },
          {
            name: 'b',
            addresses: ['198.51.100.63/32', '2001:db8:100::ff-2001:db8:100::1:0', '198.51.100.64/26'],
          },
          { name: 'c', addresses: ['198.51.100.128/25', '198.51.100.200-198.51.100.210'] },
        ],
      }),
    ).toEqual([
      'addressPools[1].addresses[0]: "198.51.100.63/32" overlaps "198.51.100.0/26" (addressPools[0].addresses[0] of pool "a")',
      'addressPools[1].addresses[1]: "2001:db8:100::ff-2001:db8:100::1:0" overlaps "2001:db8:100::/64" (addressPools[0].addresses[1] of pool "a")',
      'addressPools[1].addresses[2]: "198.51.100.64/26" overlaps "198.51.100.100-198.51.100.120" (addressPools[0].addresses[2] of pool "a")',
      'addressPools[2].addresses[1]: "198.51.100.200-198.51.100.210" overlaps "198.51.100.128/25" (addressPools[2].addresses[0] in the same pool)',
    ]);
  });
  test('adjacent entries do not overlap; v4 and v6 never overlap', () => {
    ok(
      validateConfig({
        addressPools: [
          { name: 'a', addresses: ['198.51.100.0/26', '::/0'] },
          { name: 'b', addresses: ['198.51.100.64-198.51.100.64', '0.0.0.0/1'] },
        ],
      }),
    );
  });
  test('entry syntax errors all reported', () => {
    expect(
      v({
        addressPools: [
          {
            name: 'a',
            addresses: ['198.51.100.7/24', '2001:db8::/129', '198.51.100.9-198.51.100.1', 'x', 5],
          },
        ],
      }),
    ).toEqual([
      'addressPools[0].addresses[0]: "198.51.100.7/24" has host bits set; did you mean "198.51.100.0/24"?',
      'addressPools[0].addresses[1]: "2001:db8::/129" is not a valid CIDR: prefix length must be 0..128 for IPv6',
      'addressPools[0].addresses[2]: "198.51.100.9-198.51.100.1" is not a valid range: start 198.51.100.9 is after end 198.51.100.1',
      'addressPools[0].addresses[3]: "x" is neither a CIDR ("198.51.100.0/26") nor a range ("a.b.c.d-e.f.g.h")',
      'addressPools[0].addresses[4]: must be a string, got the integer 5',
    ]);
  });
  test('defaults and parsed ranges', () => {
    const c = ok(
      validateConfig({
        addressPools: [{ name: 'a', addresses: ['2001:db8:100::/64', '198.51.100.10-198.51.100.20'] }],
      }),
    );
    const p = c.addressPools[0]!;
    expect(p).toMatchObject({
      autoAssign: true,
      avoidBuggyIPs: false,
      serviceAllocation: undefined,
      families: ['ipv4', 'ipv6'],
    });
    expect(p.addresses[1]).toEqual({
      family: 'ipv4',
      start: 0xc633640an,
      end: 0xc6336414n,
      text: '198.51.100.10-198.51.100.20',
      kind: 'range',
      prefixLength: undefined,
    });
  });
  test('serviceAllocation checks and typed result', () => {
    expect(
      v({
        addressPools: [
          {
            ...pool,
            serviceAllocation: {
              priority: -1,
              namespaces: ['Team_A'],
              namespaceSelectors: [{ matchLabels: { 'a/b/c': 'x' } }],
              serviceSelectors: [{ matchExpressions: [{ key: 'k', operator: 'Exists', values: ['v'] }] }],
            },
          },
        ],
      }),
    ).toEqual([
      'addressPools[0].serviceAllocation.priority: must be 0..2147483647, got -1',
      'addressPools[0].serviceAllocation.namespaces[0]: "Team_A" is not a valid namespace name',
      'addressPools[0].serviceAllocation.namespaceSelectors[0].matchLabels["a/b/c"]: label key "a/b/c" has more than one "/"',
      'addressPools[0].serviceAllocation.serviceSelectors[0].matchExpressions[0].values: operator Exists takes no values',
    ]);
    const c = ok(
      validateConfig({
        addressPools: [
          {
            ...pool,
            serviceAllocation: { priority: 5, serviceSelectors: [{ matchLabels: { app: 'web' } }] },
          },
        ],
      }),
    );
    expect(c.addressPools[0]!.serviceAllocation).toEqual({
      priority: 5,
      namespaces: [],
      namespaceSelectors: [],
      serviceSelectors: [{ matchLabels: { app: 'web' }, matchExpressions: [] }],
    });
  });
});

describe('peers', () => {
  test('defaults, canonical addresses, iBGP flag', () => {
    const c = ok(
      validateConfig({
        peers: [{ ...ibgp, peerAddress: '2001:DB8:1::0:1', sourceAddress: '2001:db8:1:0::2' }],
      }),
    );
    expect(c.peers[0]).toEqual({
      name: 'rr',
      peerAddress: '2001:db8:1::1',
      peerIp: { family: 'ipv6', value: 0x20010db8000100000000000000000001n },
      peerASN: 64512,
      myASN: 64512,
      internal: true,
      peerPort: 179,
      sourceAddress: '2001:db8:1::2',
      routerID: undefined,
      holdTimeSeconds: 90,
      keepaliveTimeSeconds: undefined,
      connectTimeSeconds: 10,
      minHoldTimeSeconds: 3,
      maxPrefixes: { limit: 1000, action: 'block', restartTimeSeconds: 60 },
      ebgpMultihop: undefined,
      ttlSecurity: false,
      bindInterface: undefined,
      passive: false,
      gracefulRestart: { enabled: false, restartTimeSeconds: 120 },
      passwordSecretRef: undefined,
      nodeSelectors: [],
    });
  });
  test('durations parse into seconds', () => {
    const c = ok(
      validateConfig({
        peers: [
          {
            ...peer,
            holdTime: '1m30s',
            keepaliveTime: '0m30s',
            connectTime: '1h',
            gracefulRestart: { enabled: true, restartTime: '2m' },
          },
        ],
      }),
    );
    expect(c.peers[0]).toMatchObject({
      holdTimeSeconds: 90,
      keepaliveTimeSeconds: 30,
      connectTimeSeconds: 3600,
      gracefulRestart: { enabled: true, restartTimeSeconds: 120 },
    });
  });
  test('timer rules', () => {
    expect(
      v({
        peers: [
          { ...peer, name: 'a', holdTime: '1s' },
          { ...peer, name: 'b', peerPort: 1001, holdTime: '30s', keepaliveTime: '31s' },
          { ...peer, name: 'c', peerPort: 1002, holdTime: '0s', keepaliveTime: '10s' },
          { ...peer, name: 'd', peerPort: 1003, keepaliveTime: '0s' },
          { ...peer, name: 'e', peerPort: 1004, holdTime: '90', connectTime: '0s' },
          {
            ...peer,
            name: 'f',
            peerPort: 1005,
            holdTime: '65536s',
            gracefulRestart: { restartTime: '4096s' },
          },
          { ...peer, name: 'g', peerPort: 1006, keepaliveTime: '1.5s' },
        ],
      }),
    ).toEqual([
      'peers[0].holdTime: 1s is not allowed: hold time must be 0s (disabled) or at least 3s (RFC 4271 §4.2)',
      'peers[1].keepaliveTime: 31s is longer than holdTime 30s; it must be at most the hold time',
      'peers[2].keepaliveTime: must be 0s or omitted when holdTime is 0s (keepalives are disabled)',
      'peers[3].keepaliveTime: must be at least 1s when holdTime is not 0s',
      'peers[4].holdTime: "90" is not a duration; write whole seconds with units h, m, s, e.g. "90s" or "1m30s"',
      'peers[4].connectTime: 0s is out of range: must be 1s..65535s',
      'peers[5].holdTime: 65536s exceeds 65535s (16-bit field)',
      'peers[5].gracefulRestart.restartTime: 4096s exceeds 4095s (12-bit Restart Time, RFC 4724)',
      'peers[6].keepaliveTime: "1.5s" is not a duration; write whole seconds with units h, m, s, e.g. "90s" or "1m30s"',
    ]);
    ok(
      validateConfig({
        peers: [
          { ...peer, holdTime: '0s', keepaliveTime: '0s' },
          { ...peer, name: 'b', peerPort: 2, holdTime: '3s', keepaliveTime: '3s' },
        ],
      }),
    );
  });
  test('ASNs', () => {
    expect(
      v({
        peers: [
          { ...peer, peerASN: 0 },
          { ...peer, name: 'b', peerPort: 2, myASN: 4294967296 },
          { ...peer, name: 'c', peerPort: 3, peerASN: 23456 },
        ],
      }),
    ).toEqual([
      'peers[0].peerASN: must be 1..4294967295, got 0',
      'peers[1].myASN: must be 1..4294967295, got 4294967296',
      'peers[2].peerASN: AS 23456 is AS_TRANS (RFC 6793), a placeholder for 4-octet ASNs; it cannot be a real AS',
    ]);
    const r = validateConfig({ peers: [{ ...peer, peerASN: 4294967295, myASN: 65535 }] });
    expect(r.ok).toBe(true);
    expect(r.warnings.map(formatConfigError)).toEqual([
      'peers[0].peerASN: AS 4294967295 is reserved (RFC 7300) and should not be used',
      'peers[0].myASN: AS 65535 is reserved (RFC 7300) and should not be used',
    ]);
  });
  test('addresses, router id, multihop, duplicates', () => {
    expect(
      v({
        peers: [
          { ...peer, peerAddress: '203.0.113.256', routerID: '2001:db8::1' },
          { ...peer, name: 'b', sourceAddress: '2001:db8:1::2', routerID: '0.0.0.0' },
          { ...ibgp, ebgpMultihop: 2, peerAddress: '::' },
          { ...peer, name: 'd' },
          { ...peer, name: 'e', ebgpMultihop: 0 },
        ],
      }),
    ).toEqual([
      'peers[0].peerAddress: "203.0.113.256" is not an IP address',
      'peers[0].routerID: "2001:db8::1" is not a dotted-quad IPv4 address (a BGP Identifier is 4 octets, RFC 6286)',
      'peers[1].sourceAddress: "2001:db8:1::2" is IPv6 but peerAddress "203.0.113.1" is IPv4; they must be the same family',
      'peers[1].routerID: the BGP Identifier must not be 0.0.0.0',
      'peers[2].peerAddress: "::" is the unspecified address',
      'peers[2].ebgpMultihop: applies to eBGP only; this peer is iBGP (peerASN = myASN = 64512), whose sessions may span hops already',
      'peers[4].peerAddress: peers[3] already peers with 203.0.113.1 port 179 from the same nodes',
      'peers[4].ebgpMultihop: must be 1..255, got 0',
    ]);
  });
  test('same router from different node groups is fine', () => {
    ok(
      validateConfig({
        peers: [
          { ...peer, nodeSelectors: [{ matchLabels: { rack: '1' } }] },
          { ...peer, name: 'b', nodeSelectors: [{ matchLabels: { rack: '2' } }] },
        ],
      }),
    );
  });
  test('TCP-MD5: only from a Secret; its name and key are checked', () => {
    const inConfigMap =
      "a password here would be readable by everyone who can read ConfigMaps; put it in a Secret in Herald's namespace and refer to it with passwordSecretRef: {name, key}";
    expect(v({ peers: [{ ...peer, password: 's3cret' }] })).toEqual([`peers[0].password: ${inConfigMap}`]);
    expect(v({ peers: [{ ...peer, passwordSecretRef: { name: 'bgp' } }] })).toEqual([
      'peers[0].passwordSecretRef.key: is required',
    ]);
    expect(v({ peers: [{ ...peer, passwordSecretRef: { name: 'BGP_auth', key: 'pass word' } }] })).toEqual([
      'peers[0].passwordSecretRef.name: "BGP_auth" is not a Secret name (lower-case letters, digits, "-" and ".", at most 253 characters)',
      'peers[0].passwordSecretRef.key: "pass word" is not a key of a Secret\'s data (letters, digits, "-", "_" and ".")',
    ]);
    const c = ok(
      validateConfig({ peers: [{ ...peer, passwordSecretRef: { name: 'bgp-auth', key: 'password' } }] }),
    );
    expect(c.peers[0]?.passwordSecretRef).toEqual({ name: 'bgp-auth', key: 'password' });
  });
  test('GTSM excludes multihop; bindInterface is an interface name', () => {
    expect(v({ peers: [{ ...peer, ttlSecurity: true, ebgpMultihop: 2 }] })).toEqual([
      'peers[0].ebgpMultihop: cannot be combined with ttlSecurity: GTSM (RFC 5082) accepts only a directly connected router, and multihop is for routers further away; use one or the other',
    ]);
    expect(v({ peers: [{ ...peer, bindInterface: 'eth0:1' }] })).toEqual([
      'peers[0].bindInterface: "eth0:1" is not an interface name (no "/", ":" or spaces, not "." or "..")',
    ]);
    expect(v({ peers: [{ ...peer, bindInterface: 'a-very-long-name' }] })).toEqual([
      'peers[0].bindInterface: "a-very-long-name" has 16 bytes; an interface name has at most 15',
    ]);
    const c = ok(validateConfig({ peers: [{ ...peer, ttlSecurity: true, bindInterface: 'vrf-blue' }] }));
    expect(c.peers[0]).toMatchObject({
      ttlSecurity: true,
      bindInterface: 'vrf-blue',
      ebgpMultihop: undefined,
    });
  });
  test('where native sockets cannot load, every setting that needs them is an error naming the reason', () => {
    const c = ok(
      validateConfig({
        peers: [
          { ...peer, passwordSecretRef: { name: 'bgp-auth', key: 'password' }, ttlSecurity: true },
          { ...peer, name: 'b', peerAddress: '203.0.113.2', ebgpMultihop: 3, bindInterface: 'eth1' },
          { ...ibgp },
        ],
      }),
    );
    const reason = 'Linux is required, this is darwin';
    const needs = `needs native socket support (TCP-MD5, TTL and device options), which cannot load on this node: ${reason}`;
    expect(nativeSocketErrors(c, reason).map(formatConfigError)).toEqual([
      `peers[0].passwordSecretRef: ${needs}`,
      `peers[0].ttlSecurity: ${needs}`,
      `peers[1].ebgpMultihop: ${needs}`,
      `peers[1].bindInterface: ${needs}`,
    ]);
  });
});

describe('advertisements', () => {
  const base = {
    addressPools: [pool, { name: 'v6', addresses: ['2001:db8:100::/64'] }],
    peers: [peer, ibgp],
  };
  test('defaults and resolution', () => {
    const c = ok(validateConfig({ ...base, bgpAdvertisements: [{ name: 'a' }] }));
    expect(c.bgpAdvertisements[0]).toEqual({
      name: 'a',
      addressPools: [],
      poolNames: ['default', 'v6'],
      aggregationLength: 32,
      aggregationLengthV6: 128,
      localPref: undefined,
      communities: [],
      largeCommunities: [],
      peers: [],
      peerNames: ['tor-1', 'rr'],
      nodeSelectors: [],
      weighting: 'none',
      weightHoldDownSeconds: 10,
      gracefulShutdown: { drainTimeSeconds: 0, cordonedNodes: 'announce' },
      serviceAttributes: undefined,
    });
  });
  test('unknown / duplicate references', () => {
    expect(
      v({
        ...base,
        bgpAdvertisements: [{ name: 'a', addressPools: ['defautl', 'v6', 'v6'], peers: ['tor1', 'zzzzzz'] }],
      }),
    ).toEqual([
      'bgpAdvertisements[0].addressPools[0]: unknown pool "defautl"; did you mean "default"?',
      'bgpAdvertisements[0].addressPools[2]: pool "v6" is listed twice',
      'bgpAdvertisements[0].peers[0]: unknown peer "tor1"; did you mean "tor-1"?',
      'bgpAdvertisements[0].peers[1]: unknown peer "zzzzzz"',
    ]);
  });
  test('duplicate names', () => {
    expect(v({ ...base, bgpAdvertisements: [{ name: 'a' }, { name: 'a' }] })).toEqual([
      'bgpAdvertisements[1].name: duplicate advertisement name "a" (also bgpAdvertisements[0])',
    ]);
  });
  test('aggregation length vs pool prefixes and ranges', () => {
    const pools = [
      { name: 'cidr', addresses: ['198.51.100.0/26', '2001:db8:100::/64'] },
      { name: 'aligned', addresses: ['198.51.100.128-198.51.100.191'] },
      { name: 'ragged', addresses: ['198.51.100.200-198.51.100.210'] },
    ];
    expect(
      v({
        addressPools: pools,
        peers: [peer],
        bgpAdvertisements: [
          { name: 'ok', addressPools: ['cidr', 'aligned'], aggregationLength: 26, aggregationLengthV6: 64 },
          { name: 'short', addressPools: ['cidr'], aggregationLength: 24, aggregationLengthV6: 48 },
          { name: 'ragged', addressPools: ['ragged'], aggregationLength: 30 },
          { name: 'big', aggregationLength: 33, aggregationLengthV6: 129 },
        ],
      }),
    ).toEqual([
      'bgpAdvertisements[1].aggregationLength: 24 is shorter than the prefix length of addressPools[0].addresses[0] "198.51.100.0/26" of pool "cidr": a /24 announcement would cover addresses outside the pool',
      'bgpAdvertisements[1].aggregationLengthV6: 48 is shorter than the prefix length of addressPools[0].addresses[1] "2001:db8:100::/64" of pool "cidr": a /48 announcement would cover addresses outside the pool',
      'bgpAdvertisements[2].aggregationLength: 30 is too short for addressPools[2].addresses[0] "198.51.100.200-198.51.100.210" of pool "ragged": the range is not made of whole /30 blocks, so a /30 announcement would cover addresses outside the pool',
      'bgpAdvertisements[3].aggregationLength: must be 0..32, got 33',
      'bgpAdvertisements[3].aggregationLengthV6: must be 0..128, got 129',
    ]);
  });
  test('localPref: error for eBGP-only selection, warning for mixed, fine for iBGP', () => {
    expect(v({ ...base, bgpAdvertisements: [{ name: 'a', peers: ['tor-1'], localPref: 100 }] })).toEqual([
      'bgpAdvertisements[0].localPref: LOCAL_PREF is only sent to iBGP peers (RFC 4271 §5.1.5), and every selected peer is eBGP (tor-1)',
    ]);
    const mixed = validateConfig({ ...base, bgpAdvertisements: [{ name: 'a', localPref: 100 }] });
    expect(mixed.ok).toBe(true);
    expect(mixed.warnings.map(formatConfigError)).toEqual([
      'bgpAdvertisements[0].localPref: sent to iBGP peers only; eBGP peers tor-1 will not receive LOCAL_PREF',
    ]);
    expect(
      ok(validateConfig({ ...base, bgpAdvertisements: [{ name: 'a', peers: ['rr'], localPref: 100 }] }))
        .bgpAdvertisements[0]!.localPref,
    ).toBe(100);
  });
  test('every well-known community name resolves, accept-own included (the table heraldctl uses too)', () => {
    const names = [
      'graceful-shutdown',
      'accept-own',
      'blackhole',
      'no-export',
      'no-advertise',
      'no-export-subconfed',
      'no-peer',
    ];
    const c = ok(validateConfig({ ...base, bgpAdvertisements: [{ name: 'a', communities: names }] }));
    expect(c.bgpAdvertisements[0]!.communities).toEqual([
      0xffff0000, 0xffff0001, 0xffff029a, 0xffffff01, 0xffffff02, 0xffffff03, 0xffffff04,
    ]);
    expect(v({ ...base, bgpCommunities: { 'accept-own': '1:1' } })).toEqual([
      'bgpCommunities.accept-own: "accept-own" is a well-known community name and cannot be redefined',
    ]);
  });
  test('communities: syntax, aliases, well-known, kinds, dedupe', () => {
    const c = ok(
      validateConfig({
        ...base,
        bgpCommunities: { 'from-k8s': '64512:100', site: '64512:1:1' },
        bgpAdvertisements: [
          {
            name: 'a',
            communities: ['from-k8s', '64512:100', 'no-export', '0:0', '65535:65535'],
            largeCommunities: ['site', '4294967295:0:1'],
          },
        ],
      }),
    );
    expect(c.bgpAdvertisements[0]!.communities).toEqual([64512 * 65536 + 100, 0xffffff01, 0, 0xffffffff]);
    expect(c.bgpAdvertisements[0]!.largeCommunities).toEqual([
      [64512, 1, 1],
      [4294967295, 0, 1],
    ]);
    expect(c.bgpCommunities.get('site')).toEqual({ kind: 'large', value: [64512, 1, 1] });
    expect(
      v({
        ...base,
        bgpCommunities: { 'from-k8s': '64512:100', site: '64512:1:1', bad: '1:2:3:4', 'no-export': '1:1' },
        bgpAdvertisements: [
          {
            name: 'a',
            communities: ['site', 'from-k88', '65536:1', '1:2:3', 'bad'],
            largeCommunities: ['from-k8s', '1:2', 'x:1:1', 'nope'],
          },
        ],
      }),
    ).toEqual([
      'bgpCommunities.bad: "1:2:3:4" is not a community: expected "asn:value" (each 0..65535) or "global:local1:local2" (each 0..4294967295)',
      'bgpCommunities.no-export: "no-export" is a well-known community name and cannot be redefined',
      'bgpAdvertisements[0].communities[0]: alias "site" is a large community (64512:1:1); list it under largeCommunities',
      'bgpAdvertisements[0].communities[1]: unknown community alias "from-k88"; did you mean "from-k8s"?',
      'bgpAdvertisements[0].communities[2]: "65536:1" is not a valid community: expected "asn:value" with both parts 0..65535, a well-known name (graceful-shutdown, accept-own, blackhole, no-export, no-advertise, no-export-subconfed, no-peer) or a bgpCommunities alias',
      'bgpAdvertisements[0].communities[3]: "1:2:3" is not a valid community: expected "asn:value" with both parts 0..65535, a well-known name (graceful-shutdown, accept-own, blackhole, no-export, no-advertise, no-export-subconfed, no-peer) or a bgpCommunities alias; it looks like a large community: list it under largeCommunities',
      'bgpAdvertisements[0].largeCommunities[0]: alias "from-k8s" is a standard community; list it under communities',
      'bgpAdvertisements[0].largeCommunities[1]: "1:2" is not a valid large community: expected "global:local1:local2", each 0..4294967295; it looks like a standard community: list it under communities',
      'bgpAdvertisements[0].largeCommunities[2]: "x:1:1" is not a valid large community: expected "global:local1:local2", each 0..4294967295',
      'bgpAdvertisements[0].largeCommunities[3]: unknown community alias "nope"',
    ]);
  });
  test('selectors in advertisements', () => {
    expect(
      v({
        ...base,
        bgpAdvertisements: [
          {
            name: 'a',
            nodeSelectors: [
              {
                matchExpressions: [
                  { key: 'k', operator: 'In' },
                  { key: 'k', operator: 'NotIn', values: [] },
                  { key: 'k', operator: 'in', values: ['x'] },
                ],
              },
              { matchLabels: { 'kubernetes.io/hostname': 'bad value!' } },
            ],
          },
        ],
      }),
    ).toEqual([
      'bgpAdvertisements[0].nodeSelectors[0].matchExpressions[0].values: operator In needs at least one value',
      'bgpAdvertisements[0].nodeSelectors[0].matchExpressions[1].values: operator NotIn needs at least one value',
      'bgpAdvertisements[0].nodeSelectors[0].matchExpressions[2].operator: must be one of In, NotIn, Exists, DoesNotExist; got "in"; did you mean "In"?',
      'bgpAdvertisements[0].nodeSelectors[1].matchLabels["kubernetes.io/hostname"]: label value "bad value!" must start and end with an alphanumeric and contain only alphanumerics, "-", "_" and "."',
    ]);
  });
});

test('coverage warnings', () => {
  expect(validateConfig({ addressPools: [pool] }).warnings.map(formatConfigError)).toEqual([
    'peers: no peers configured: addresses are assigned but not announced anywhere',
  ]);
  expect(
    validateConfig({
      addressPools: [pool, { name: 'b', addresses: ['198.51.100.64/26'] }],
      peers: [peer],
      bgpAdvertisements: [{ name: 'a', addressPools: ['default'] }],
    }).warnings.map(formatConfigError),
  ).toEqual([
    'addressPools[1].name: pool "b" is not in any bgpAdvertisement: its addresses are assigned but not announced',
  ]);
});

test('many errors at once across every section, in document order', () => {
  const r = parseConfig(`
addressPools:
  - name: a
    addresses: [198.51.100.0/33]
peers:
  - name: p
    peerAddress: nope
    peerASN: 64500
    myASN: 64500
    ebgpMultihop: 1
bgpAdvertisements:
  - name: x
    peers: [q]
bgpCommunities:
  c: "x"
`);
  expect(errors(r)).toEqual([
    'addressPools[0].addresses[0]: "198.51.100.0/33" is not a valid CIDR: prefix length must be 0..32 for IPv4',
    'peers[0].peerAddress: "nope" is not an IP address',
    'peers[0].ebgpMultihop: applies to eBGP only; this peer is iBGP (peerASN = myASN = 64500), whose sessions may span hops already',
    'bgpAdvertisements[0].peers[0]: unknown peer "q"',
    'bgpCommunities.c: "x" is not a community: expected "asn:value" (each 0..65535) or "global:local1:local2" (each 0..4294967295)',
  ]);
});

describe('ConfigMap manifests', () => {
  const cm = (body: string, name = 'herald-config') =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  config.yaml: |\n${body
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n')}\n`;
  test('extracts data."config.yaml"', () => {
    const r = parseConfigSource(cm('addressPools:\n  - name: a\n    addresses: [198.51.100.0/26]'));
    expect(r.source).toBe('configmap');
    expect(r.ok).toBe(true);
  });
  test('picks herald-config among several documents', () => {
    const text = `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: herald-system\n---\n${cm('peers: [x]')}`;
    const r = parseConfigSource(text);
    expect(r.source).toBe('configmap');
    expect(errors(r)).toEqual(['peers[0]: must be a mapping, got the string "x"']);
  });
  test('manifest without the ConfigMap', () => {
    expect(errors(parseConfigSource('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n'))).toEqual([
      'the manifest has no ConfigMap with data."config.yaml" (expected ConfigMap "herald-config")',
    ]);
  });
  test('plain config passes through', () => {
    expect(parseConfigSource('peers: []').source).toBe('config');
  });
});

describe('robustness: never throws', () => {
  // Deterministic PRNG so a failure is reproducible.
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const atoms = [
    '',
    '-',
    ':',
    ' ',
    '\n',
    '  ',
    '[',
    ']',
    '{',
    '}',
    ',',
    '"',
    "'",
    '&a',
    '*a',
    '!!str',
    '#',
    '|',
    '>',
    '?',
    'addressPools',
    'peers',
    'bgpAdvertisements',
    'bgpCommunities',
    'name',
    'addresses',
    '198.51.100.0/24',
    '::/0',
    'peerASN',
    '0',
    '4294967296',
    'null',
    'true',
    '1e400',
    '-1',
    'matchExpressions',
    'operator',
    'In',
    'values',
    '%',
    '\t',
    '---',
  ];
  test('random YAML-ish junk', () => {
    for (let i = 0; i < 3000; i++) {
      let text = '';
      const len = rand(60);
      for (let j = 0; j < len; j++) text += atoms[rand(atoms.length)];
      const r = parseConfig(text);
      expect(typeof r.ok).toBe('boolean');
      if (!r.ok) expect(r.errors.length).toBeGreaterThan(0);
      parseConfigSource(text);
    }
  });
  test('random structures built from valid pieces', () => {
    const values: unknown[] = [
      null,
      0,
      -1,
      1.5,
      'x',
      '198.51.100.0/26',
      [],
      {},
      true,
      [{}],
      { name: 'a' },
      ['a'],
      4294967296,
    ];
    const keys = [
      'addressPools',
      'peers',
      'bgpAdvertisements',
      'bgpCommunities',
      'name',
      'addresses',
      'serviceAllocation',
      'namespaceSelectors',
      'matchExpressions',
      'matchLabels',
      'peerAddress',
      'peerASN',
      'myASN',
      'holdTime',
      'keepaliveTime',
      'gracefulRestart',
      'communities',
      'largeCommunities',
      'localPref',
      'aggregationLength',
      'nodeSelectors',
      'key',
      'operator',
      'values',
      'constructor',
      '__proto__',
    ];
    const gen = (depth: number): unknown => {
      if (depth > 4 || rand(3) === 0) return values[rand(values.length)];
      if (rand(2) === 0) return Array.from({ length: rand(3) }, () => gen(depth + 1));
      const o: Record<string, unknown> = {};
      for (let k = rand(4); k > 0; k--) o[keys[rand(keys.length)]!] = gen(depth + 1);
      return o;
    };
    for (let i = 0; i < 3000; i++) {
      const r = validateConfig(gen(0));
      expect(typeof r.ok).toBe('boolean');
      if (!r.ok) for (const e of r.errors) expect(e.message).not.toMatch(/internal error/);
    }
  });
  test('a billion-laughs alias bomb is refused, not expanded', () => {
    const bomb = `a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n`;
    const r = parseConfig(bomb);
    expect(r.ok).toBe(false);
  });
});
