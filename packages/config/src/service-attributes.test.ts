import { annotations } from './constants.ts';
import {
  formatRefusal,
  hasServiceAttributeAnnotations,
  parseCommunityPattern,
  parseLargeCommunityPattern,
  type ServiceAttributePolicy,
  serviceAttributeRefusals,
  serviceBgpAttributes,
} from './service-attributes.ts';
import type { CommunityValue } from './types.ts';
import { validateConfig } from './validate.ts';

const aliases = new Map<string, CommunityValue>([
  ['from-k8s', { kind: 'standard', value: 64512 * 65536 + 100 }],
  ['gold', { kind: 'large', value: [64512, 1, 1] }],
]);
const policy: ServiceAttributePolicy = {
  communities: ['64512:*', 'no-export', 'from-k8s'].map((t) => parseCommunityPattern(t, aliases)!),
  largeCommunities: ['64512:1:*'].map((t) => parseLargeCommunityPattern(t, aliases)!),
  localPref: { minimum: 50, maximum: 200 },
};
const ad = { name: 'to-tors', serviceAttributes: policy };

test('no annotations: nothing to do (the fast path every other Service takes)', () => {
  expect(hasServiceAttributeAnnotations(undefined)).toBe(false);
  expect(hasServiceAttributeAnnotations({ 'herald.dev/address-pool': 'x' })).toBe(false);
  expect(serviceBgpAttributes({}, ad, aliases)).toEqual({
    communities: [],
    largeCommunities: [],
    localPref: undefined,
    refused: [],
  });
});

test('allowed values are applied: numeric, wildcard matches, well-known names, aliases; duplicates once', () => {
  const r = serviceBgpAttributes(
    {
      [annotations.bgpCommunities]: ' 64512:7, no-export,from-k8s, 64512:100 ',
      [annotations.bgpLargeCommunities]: '64512:1:9, gold',
      [annotations.bgpLocalPref]: '150',
    },
    ad,
    aliases,
  );
  expect(r).toEqual({
    communities: [64512 * 65536 + 7, 0xffffff01, 64512 * 65536 + 100],
    largeCommunities: [
      [64512, 1, 9],
      [64512, 1, 1],
    ],
    localPref: 150,
    refused: [],
  });
});

test('everything else is refused with the reason, and the rest still applies', () => {
  const r = serviceBgpAttributes(
    {
      [annotations.bgpCommunities]: '65000:1,64512:7,gold,bogus,blackhole',
      [annotations.bgpLargeCommunities]: '64512:2:1,64512:1',
      [annotations.bgpLocalPref]: '500',
    },
    ad,
    aliases,
  );
  expect(r.communities).toEqual([64512 * 65536 + 7]);
  expect(r.largeCommunities).toEqual([]);
  expect(r.localPref).toBeUndefined();
  expect(r.refused.map(formatRefusal)).toEqual([
    'herald.dev/bgp-communities 65000:1: not allowed by bgpAdvertisement "to-tors" (serviceAttributes.communities: 64512:*, no-export, from-k8s)',
    'herald.dev/bgp-communities gold: not a community ("asn:value", a well-known name or a bgpCommunities alias); large communities go in herald.dev/bgp-large-communities',
    'herald.dev/bgp-communities bogus: not a community ("asn:value", a well-known name or a bgpCommunities alias)',
    'herald.dev/bgp-communities blackhole: not allowed by bgpAdvertisement "to-tors" (serviceAttributes.communities: 64512:*, no-export, from-k8s)',
    'herald.dev/bgp-large-communities 64512:2:1: not allowed by bgpAdvertisement "to-tors" (serviceAttributes.largeCommunities: 64512:1:*)',
    'herald.dev/bgp-large-communities 64512:1: not a large community ("global:local1:local2" or a bgpCommunities alias); standard communities go in herald.dev/bgp-communities',
    'herald.dev/bgp-local-pref 500: outside 50..200 (serviceAttributes.localPref of bgpAdvertisement "to-tors")',
  ]);
});

test('an advertisement without serviceAttributes refuses every annotation, saying so', () => {
  const r = serviceBgpAttributes(
    { [annotations.bgpCommunities]: '64512:7', [annotations.bgpLocalPref]: 'high' },
    { name: 'plain', serviceAttributes: undefined },
    aliases,
  );
  expect(r.refused.map(formatRefusal)).toEqual([
    'herald.dev/bgp-communities 64512:7: bgpAdvertisement "plain" allows no per-Service attributes (it has no serviceAttributes)',
    'herald.dev/bgp-local-pref high: not a LOCAL_PREF (a whole number 0..4294967295)',
  ]);
  expect(
    serviceBgpAttributes(
      { [annotations.bgpLocalPref]: '100' },
      { name: 'no-lp', serviceAttributes: { ...policy, localPref: undefined } },
      aliases,
    ).refused.map(formatRefusal),
  ).toEqual([
    'herald.dev/bgp-local-pref 100: not allowed by bgpAdvertisement "no-lp" (it has no serviceAttributes.localPref)',
  ]);
});

test('pattern syntax', () => {
  expect(parseCommunityPattern('64512:*', aliases)).toEqual({
    text: '64512:*',
    asn: 64512,
    value: undefined,
  });
  for (const bad of ['*:*', '*:1', '64512:', '65536:*', '01:*', 'gold', 'x'])
    expect(parseCommunityPattern(bad, aliases)).toBeUndefined();
  expect(parseLargeCommunityPattern('1:*:*', aliases)).toEqual({
    text: '1:*:*',
    global: 1,
    local1: undefined,
    local2: undefined,
  });
  for (const bad of ['*:1:1', '1:*:1', '1:2', '4294967296:1:1', 'from-k8s'])
    expect(parseLargeCommunityPattern(bad, aliases)).toBeUndefined();
});

test('refusals across the advertisements that announce the Service’s pools, each once', () => {
  const r = validateConfig({
    addressPools: [
      { name: 'a', addresses: ['198.51.100.0/26'] },
      { name: 'b', addresses: ['198.51.100.64/26'] },
    ],
    peers: [{ name: 'tor', peerAddress: '203.0.113.1', peerASN: 64500, myASN: 64501 }],
    bgpAdvertisements: [
      { name: 'open', addressPools: ['a'], serviceAttributes: { communities: ['64501:*'] } },
      { name: 'closed', addressPools: ['a'] },
      { name: 'other-pool', addressPools: ['b'] },
    ],
  });
  if (!r.ok) throw new Error('config');
  const anns = { [annotations.bgpCommunities]: '64501:7' };
  expect(serviceAttributeRefusals(anns, ['a'], r.config).map(formatRefusal)).toEqual([
    'herald.dev/bgp-communities 64501:7: bgpAdvertisement "closed" allows no per-Service attributes (it has no serviceAttributes)',
  ]);
  expect(serviceAttributeRefusals(anns, [], r.config)).toEqual([]);
  expect(serviceAttributeRefusals({}, ['a', 'b'], r.config)).toEqual([]);
});
