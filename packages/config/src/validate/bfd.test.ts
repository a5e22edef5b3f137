import { formatConfigError } from '../parse.ts';
import type { ConfigResult, HeraldConfig } from '../types.ts';
import { validateConfig } from '../validate.ts';

const peer = { name: 'tor-1', peerAddress: '203.0.113.1', peerASN: 64500, myASN: 64501 };
const errors = (r: ConfigResult) => (r.ok ? [] : r.errors.map(formatConfigError));
const warnings = (r: ConfigResult) => r.warnings.map(formatConfigError);
function ok(r: ConfigResult): HeraldConfig {
  if (!r.ok) throw new Error(`expected a valid config, got:\n${errors(r).join('\n')}`);
  return r.config;
}

describe('bfd', () => {
  test('off by default, and off unless enabled is true', () => {
    expect(ok(validateConfig({ peers: [peer] })).peers[0]!.bfd).toBeUndefined();
    const r = validateConfig({ peers: [{ ...peer, bfd: { minReceive: 100 } }] });
    expect(ok(r).peers[0]!.bfd).toBeUndefined();
    expect(warnings(r)).toContain(
      'peers[0].bfd: BFD is off for this peer (enabled is not true): minReceive has no effect',
    );
  });

  test('enabled: 300 ms x 3 unless the peer or its profile says otherwise; the peer wins over the profile', () => {
    const config = ok(
      validateConfig({
        bfdProfiles: [{ name: 'fast', minReceive: 100, minTransmit: 100, multiplier: 5 }],
        peers: [
          { ...peer, bfd: { enabled: true } },
          { ...peer, name: 'tor-2', peerAddress: '203.0.113.2', bfd: { enabled: true, profile: 'fast' } },
          {
            ...peer,
            name: 'tor-3',
            peerAddress: '203.0.113.3',
            bfd: { enabled: true, profile: 'fast', minTransmit: 200 },
          },
        ],
      }),
    );
    expect(config.peers.map((p) => p.bfd)).toEqual([
      { profile: undefined, minReceiveMs: 300, minTransmitMs: 300, multiplier: 3 },
      { profile: 'fast', minReceiveMs: 100, minTransmitMs: 100, multiplier: 5 },
      { profile: 'fast', minReceiveMs: 100, minTransmitMs: 200, multiplier: 5 },
    ]);
  });

  test('timers below the measured floor, above a minute, or a zero multiplier are errors with their path', () => {
    expect(
      errors(
        validateConfig({
          bfdProfiles: [{ name: 'x', minReceive: 10 }],
          peers: [{ ...peer, bfd: { enabled: true, minTransmit: 60_001, multiplier: 0 } }],
        }),
      ),
    ).toEqual([
      // In the order of the document, which lists bfdProfiles first here.
      'bfdProfiles[0].minReceive: must be 50..60000, got 10',
      'peers[0].bfd.minTransmit: must be 50..60000, got 60001',
      'peers[0].bfd.multiplier: must be 1..255, got 0',
    ]);
  });

  test('a profile must exist; profile names are unique; unknown fields are refused', () => {
    expect(
      errors(
        validateConfig({
          bfdProfiles: [{ name: 'a' }, { name: 'a' }],
          peers: [{ ...peer, bfd: { enabled: true, profile: 'b', detectMult: 3 } }],
        }),
      ),
    ).toEqual([
      'bfdProfiles[1].name: duplicate BFD profile name "a" (also bfdProfiles[0])',
      'peers[0].bfd.profile: no bfdProfiles entry is named "b" (profiles: a)',
      'peers[0].bfd.detectMult: unknown field (known fields: enabled, profile, minReceive, minTransmit, multiplier)',
    ]);
  });

  test('peers that share one BFD session (same address and kind) must agree on its timers', () => {
    const second = { ...peer, name: 'tor-1b', peerPort: 1179 };
    expect(
      errors(
        validateConfig({
          peers: [
            { ...peer, bfd: { enabled: true } },
            { ...second, bfd: { enabled: true, minReceive: 100 } },
          ],
        }),
      ),
    ).toEqual([
      'peers[1].bfd: peers[0] runs BFD to 203.0.113.1 too, with other timers (300/300/3 vs 100/300/3 as minReceive/minTransmit/multiplier): both use one BFD session, so their timers must match',
    ]);
    expect(
      errors(
        validateConfig({
          peers: [
            { ...peer, bfd: { enabled: true } },
            { ...second, bfd: { enabled: true } },
          ],
        }),
      ),
    ).toEqual([]);
  });

  test('BFD settings are not BGP session settings: changing them keeps the BGP session', async () => {
    const { peerSettingsEqual } = await import('../diff.ts');
    const a = ok(validateConfig({ peers: [peer] })).peers[0]!;
    const b = ok(validateConfig({ peers: [{ ...peer, bfd: { enabled: true } }] })).peers[0]!;
    expect(peerSettingsEqual(a, b)).toBe(true);
  });
});
