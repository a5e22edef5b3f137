import { parseConfig, referencedSecrets } from '@herald/config';
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

  it('resolves each peer’s password from the Secret it names, and reports the Secrets named', () => {
    const withRef = yaml.replace(
      '    myASN: 64600\n',
      '    myASN: 64600\n    passwordSecretRef: {name: bgp-r4, key: password}\n',
    );
    const named: string[][] = [];
    const r = loadSpeakerConfig(cm(withRef), 'config.yaml', parseConfig, {
      loaded: (config) => named.push([...referencedSecrets(config)]),
      passwords: (ref) => ({
        state: 'blocked',
        source: ref.name,
        problem: 'secret-not-found',
        message: 'gone',
      }),
    });
    if (r.kind !== 'valid') throw new Error(JSON.stringify(r));
    expect(named).toEqual([['bgp-r4']]);
    expect(r.sessions.get('r4')?.password).toMatchObject({ state: 'blocked', problem: 'secret-not-found' });
    const plain = loadSpeakerConfig(cm(yaml), 'config.yaml', parseConfig);
    expect(plain.kind === 'valid' && plain.sessions.get('r4')?.password).toEqual({ state: 'none' });
  });

  it('where native sockets cannot load, a config that needs them is invalid with the reason', () => {
    const gtsm = yaml.replace('    myASN: 64600\n', '    myASN: 64600\n    ttlSecurity: true\n');
    const native = { ok: false as const, reason: 'glibc (libc.so.6) cannot be loaded: musl' };
    let loaded = 0;
    expect(
      loadSpeakerConfig(cm(gtsm), 'config.yaml', parseConfig, { native, loaded: () => loaded++ }),
    ).toEqual({
      kind: 'invalid',
      errors: [
        'peers[0].ttlSecurity: needs native socket support (TCP-MD5, TTL and device options), which cannot load on this node: glibc (libc.so.6) cannot be loaded: musl',
      ],
    });
    expect(loaded).toBe(0);
    expect(loadSpeakerConfig(cm(yaml), 'config.yaml', parseConfig, { native }).kind).toBe('valid');
  });
});
