import { parseConfig } from './parse.ts';
import {
  describePermission,
  permissionAttributes,
  programPermissions,
  speakerSecretPermissions,
} from './permissions.ts';
import type { HeraldConfig } from './types.ts';

const names = { namespace: 'herald-system', configMap: 'herald-config', lease: 'herald-controller' };

/** A valid config with these peers, each `[address, Secret name or none]`. */
function withPeers(...peers: Array<[string, string?]>): HeraldConfig {
  const lines = peers.map(
    ([address, secret]) =>
      `  - {name: p${address.split('.').pop()}, peerAddress: ${address}, peerASN: 64512, myASN: 64512${
        secret === undefined ? '' : `, passwordSecretRef: {name: ${secret}, key: password}`
      }}`,
  );
  const r = parseConfig(`peers:${lines.length === 0 ? ' []' : `\n${lines.join('\n')}`}\n`);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

describe('speakerSecretPermissions', () => {
  it('list and watch each Secret the peers name, once, by name, in the install namespace', () => {
    const perms = speakerSecretPermissions(
      withPeers(
        ['203.0.113.1', 'tor-b'],
        ['203.0.113.2', 'tor-a'],
        ['203.0.113.3', 'tor-b'],
        ['203.0.113.4'],
      ),
    );
    expect(perms.map((p) => describePermission(p, names))).toEqual([
      'list secrets "tor-a"',
      'watch secrets "tor-a"',
      'list secrets "tor-b"',
      'watch secrets "tor-b"',
    ]);
    expect(permissionAttributes(perms[0] as (typeof perms)[number], names)).toEqual({
      verb: 'list',
      group: '',
      resource: 'secrets',
      namespace: 'herald-system',
      name: 'tor-a',
    });
  });

  it('no peer password, no Secret permission; the speaker must never get or list Secrets in general', () => {
    expect(speakerSecretPermissions(withPeers(['203.0.113.4']))).toEqual([]);
    expect(
      programPermissions.speaker.mustNot
        .filter((p) => p.resource === 'secrets')
        .map((p) => permissionAttributes(p, names)),
    ).toEqual([
      { verb: 'get', group: '', resource: 'secrets', namespace: 'herald-system' },
      { verb: 'list', group: '', resource: 'secrets', namespace: 'herald-system' },
    ]);
  });
});
