import { formatConfigError } from '../parse.ts';
import type { ConfigResult, HeraldConfig } from '../types.ts';
import { validateConfig } from '../validate.ts';

const base = {
  addressPools: [{ name: 'default', addresses: ['198.51.100.0/26'] }],
  peers: [{ name: 'tor', peerAddress: '203.0.113.1', peerASN: 64500, myASN: 64501 }],
  bgpCommunities: { 'from-k8s': '64501:100', site: '64501:1:1' },
};
const withAd = (ad: Record<string, unknown>) =>
  validateConfig({ ...base, bgpAdvertisements: [{ name: 'a', ...ad }] });
const errors = (r: ConfigResult) => (r.ok ? [] : r.errors.map(formatConfigError));
const warnings = (r: ConfigResult) => r.warnings.map(formatConfigError);
function ad(r: ConfigResult): HeraldConfig['bgpAdvertisements'][number] {
  if (!r.ok) throw new Error(errors(r).join('\n'));
  return r.config.bgpAdvertisements[0]!;
}

describe('weighting and graceful shutdown', () => {
  test('typed values with defaults', () => {
    expect(
      ad(withAd({ weighting: 'endpoints', weightHoldDown: '30s', gracefulShutdown: { drainTime: '1m' } })),
    ).toMatchObject({
      weighting: 'endpoints',
      weightHoldDownSeconds: 30,
      gracefulShutdown: { drainTimeSeconds: 60, cordonedNodes: 'announce' },
    });
    expect(ad(withAd({ gracefulShutdown: { cordonedNodes: 'withdraw' } })).gracefulShutdown).toEqual({
      drainTimeSeconds: 0,
      cordonedNodes: 'withdraw',
    });
  });
  test('enums, durations and the one-hour bound, each with its path', () => {
    expect(
      errors(
        withAd({
          weighting: 'pods',
          weightHoldDown: '2h',
          gracefulShutdown: { drainTime: '61m', cordonedNodes: 'drain' },
        }),
      ),
    ).toEqual([
      'bgpAdvertisements[0].weighting: must be one of none, endpoints; got "pods"',
      'bgpAdvertisements[0].weightHoldDown: 2h is longer than 60m, the longest allowed',
      'bgpAdvertisements[0].gracefulShutdown.drainTime: 61m is longer than 60m, the longest allowed',
      'bgpAdvertisements[0].gracefulShutdown.cordonedNodes: must be one of announce, withdraw; got "drain"',
    ]);
    expect(errors(withAd({ weightHoldDown: '10' }))[0]).toMatch(/weightHoldDown: .*not a duration/);
  });
});

describe('serviceAttributes (the allow-list of per-Service attributes)', () => {
  test('patterns resolve: values, wildcards, well-known names and aliases', () => {
    const policy = ad(
      withAd({
        serviceAttributes: {
          communities: ['64501:7', '64502:*', 'no-export', 'from-k8s'],
          largeCommunities: ['64501:1:2', '64501:3:*', '64501:*:*', 'site'],
          localPref: { minimum: 50 },
        },
      }),
    ).serviceAttributes;
    expect(policy).toEqual({
      communities: [
        { text: '64501:7', asn: 64501, value: 7 },
        { text: '64502:*', asn: 64502, value: undefined },
        { text: 'no-export', asn: 65535, value: 0xff01 },
        { text: 'from-k8s', asn: 64501, value: 100 },
      ],
      largeCommunities: [
        { text: '64501:1:2', global: 64501, local1: 1, local2: 2 },
        { text: '64501:3:*', global: 64501, local1: 3, local2: undefined },
        { text: '64501:*:*', global: 64501, local1: undefined, local2: undefined },
        { text: 'site', global: 64501, local1: 1, local2: 1 },
      ],
      localPref: { minimum: 50, maximum: 4294967295 },
    });
    expect(ad(withAd({})).serviceAttributes).toBeUndefined();
  });
  test('every bad entry is reported where it is, with what would be right', () => {
    const r = withAd({
      serviceAttributes: {
        communities: ['*:*', '64501:70000', 'site', 'form-k8s', '64501:1:2'],
        largeCommunities: ['64501:*:7', 'from-k8s', '1:2'],
        localPref: { minimum: 300, maximum: 200 },
      },
    });
    expect(errors(r)).toEqual([
      'bgpAdvertisements[0].serviceAttributes.communities[0]: "*:*" is not an allowed-community entry: expected "asn:value", "asn:*" (asn and value 0..65535), a well-known name or a bgpCommunities alias',
      'bgpAdvertisements[0].serviceAttributes.communities[1]: "64501:70000" is not an allowed-community entry: expected "asn:value", "asn:*" (asn and value 0..65535), a well-known name or a bgpCommunities alias',
      'bgpAdvertisements[0].serviceAttributes.communities[2]: "site" is not an allowed-community entry: expected "asn:value", "asn:*" (asn and value 0..65535), a well-known name or a bgpCommunities alias; alias "site" is a large community: list it under largeCommunities',
      'bgpAdvertisements[0].serviceAttributes.communities[3]: "form-k8s" is not an allowed-community entry: expected "asn:value", "asn:*" (asn and value 0..65535), a well-known name or a bgpCommunities alias; no such bgpCommunities alias; did you mean "from-k8s"?',
      'bgpAdvertisements[0].serviceAttributes.communities[4]: "64501:1:2" is not an allowed-community entry: expected "asn:value", "asn:*" (asn and value 0..65535), a well-known name or a bgpCommunities alias; it looks like a large community: list it under largeCommunities',
      'bgpAdvertisements[0].serviceAttributes.largeCommunities[0]: "64501:*:7" is not an allowed-large-community entry: expected "global:local1:local2", "global:local1:*" or "global:*:*" (each 0..4294967295), or a bgpCommunities alias',
      'bgpAdvertisements[0].serviceAttributes.largeCommunities[1]: "from-k8s" is not an allowed-large-community entry: expected "global:local1:local2", "global:local1:*" or "global:*:*" (each 0..4294967295), or a bgpCommunities alias; alias "from-k8s" is a standard community: list it under communities',
      'bgpAdvertisements[0].serviceAttributes.largeCommunities[2]: "1:2" is not an allowed-large-community entry: expected "global:local1:local2", "global:local1:*" or "global:*:*" (each 0..4294967295), or a bgpCommunities alias; it looks like a standard community: list it under communities',
      'bgpAdvertisements[0].serviceAttributes.localPref.maximum: 200 is below minimum 300',
    ]);
  });
  test('a LOCAL_PREF range that no selected peer would receive is a warning', () => {
    const r = withAd({ serviceAttributes: { localPref: {} } });
    expect(errors(r)).toEqual([]);
    expect(warnings(r)).toEqual([
      'bgpAdvertisements[0].serviceAttributes.localPref: LOCAL_PREF is only sent to iBGP peers (RFC 4271 §5.1.5) and every selected peer is eBGP: a herald.dev/bgp-local-pref annotation changes nothing',
    ]);
  });
});
