import { parseConfig } from '@herald/config';
import { loadSpeakerConfig } from './config-load.ts';

const yaml = `
addressPools:
  - name: main
    addresses: [198.51.100.0/26, 2001:db8:100::/112]
peers:
  - name: r4
    peerAddress: 203.0.113.1
    peerASN: 64512
    myASN: 64600
    nodeSelectors:
      - matchLabels: {zone: b}
bgpCommunities:
  edge: "65000:7"
bgpAdvertisements:
  - name: main
    aggregationLength: 28
    communities: [edge]
    largeCommunities: ["64600:1:2"]
`;
const cm = (text: string | undefined) => ({ data: text === undefined ? {} : { 'config.yaml': text } });

describe('loadSpeakerConfig', () => {
  it('reduces a valid config to the speaker view', () => {
    const r = loadSpeakerConfig(cm(yaml), 'config.yaml', parseConfig);
    if (r.kind !== 'valid') throw new Error(JSON.stringify(r));
    expect(r.view.pools[0]).toMatchObject({ name: 'main' });
    expect(r.view.pools[0]!.ranges.map((x) => x.family)).toEqual(['ipv4', 'ipv6']);
    expect(r.view.peers).toEqual([
      { name: 'r4', internal: false, nodeSelectors: [{ matchLabels: { zone: 'b' }, matchExpressions: [] }] },
    ]);
    expect(r.view.advertisements[0]).toMatchObject({
      pools: ['main'],
      peers: ['r4'],
      aggregationLength: 28,
      aggregationLengthV6: undefined,
      communities: ['65000:7'],
      largeCommunities: ['64600:1:2'],
    });
    expect([...r.sessions.keys()]).toEqual(['r4']);
  });

  it('reports every error with its path, a missing key, and a missing ConfigMap', () => {
    const bad = loadSpeakerConfig(cm('peers:\n  - name: r4\n    peerASN: 0\n'), 'config.yaml', parseConfig);
    expect(bad.kind).toBe('invalid');
    if (bad.kind === 'invalid') expect(bad.errors.some((e) => e.startsWith('peers[0]'))).toBe(true);
    expect(loadSpeakerConfig(cm(undefined), 'config.yaml', parseConfig)).toEqual({
      kind: 'invalid',
      errors: ['data.config.yaml: key missing from the ConfigMap'],
    });
    expect(loadSpeakerConfig(undefined, 'config.yaml', parseConfig)).toEqual({ kind: 'missing' });
  });

  it('turns a throwing parser into an invalid config instead of a crash', () => {
    const r = loadSpeakerConfig(cm('x'), 'config.yaml', () => {
      throw new Error('boom');
    });
    expect(r).toEqual({ kind: 'invalid', errors: ['config parser failed: boom'] });
  });
});
