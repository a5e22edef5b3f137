// bfd and bfdProfiles: timers come from the peer's bfd block, then its profile, then the defaults (300 ms x 3,
// the bounds are the schema's). What only a config can get wrong: a profile that does not exist, settings on a
// peer whose BFD is off, and two peers that would share one BFD session (same address, same kind) with
// different timers.
import { BFD_DEFAULTS, canonicalAddress, isMultihopBfd } from '@herald/inet';
import type { Path } from '../path.ts';
import { isObject } from '../shape.ts';
import type { BfdSettings } from '../types.ts';
import { bool, type Ctx, checkDuplicateNames, err, field, int, str, warn } from './context.ts';

const TIMER_FIELDS = ['minReceive', 'minTransmit', 'multiplier'] as const;

function profileNamed(profiles: readonly unknown[], name: string | undefined): unknown {
  return name === undefined ? undefined : profiles.find((p) => str(field(p, 'name')) === name);
}

/** The peer's BFD timers, or undefined when its BFD is off. Reads only what the schema walk has checked. */
export function resolveBfd(peer: unknown, profiles: readonly unknown[]): BfdSettings | undefined {
  const bfd = field(peer, 'bfd');
  if (bool(field(bfd, 'enabled')) !== true) return undefined;
  const profileName = str(field(bfd, 'profile'));
  const profile = profileNamed(profiles, profileName);
  const pick = (k: (typeof TIMER_FIELDS)[number], dflt: number) =>
    int(field(bfd, k)) ?? int(field(profile, k)) ?? dflt;
  return {
    profile: profileName,
    minReceiveMs: pick('minReceive', BFD_DEFAULTS.minReceiveMs),
    minTransmitMs: pick('minTransmit', BFD_DEFAULTS.minTransmitMs),
    multiplier: pick('multiplier', BFD_DEFAULTS.multiplier),
  };
}

export function checkBfd(ctx: Ctx, peers: readonly unknown[], profiles: readonly unknown[]): void {
  checkDuplicateNames(ctx, profiles, 'bfdProfiles', 'BFD profile');
  /** One BFD session per (kind, peer address, local address): the peers that share it must agree. */
  const sessions = new Map<string, { index: number; timers: string }>();
  peers.forEach((peer, i) => {
    const bfd = field(peer, 'bfd');
    if (!isObject(bfd)) return;
    const p: Path = ['peers', i, 'bfd'];
    const profileName = str(bfd.profile);
    if (profileName !== undefined && profileNamed(profiles, profileName) === undefined) {
      const known = [...new Set(profiles.flatMap((x) => str(field(x, 'name')) ?? []))];
      err(
        ctx,
        [...p, 'profile'],
        `no bfdProfiles entry is named "${profileName}"${known.length > 0 ? ` (profiles: ${known.join(', ')})` : ''}`,
      );
      return;
    }
    if (bool(bfd.enabled) !== true) {
      const set = ['profile', ...TIMER_FIELDS].filter((k) => bfd[k] !== undefined);
      if (set.length > 0)
        warn(ctx, p, `BFD is off for this peer (enabled is not true): ${set.join(', ')} has no effect`);
      return;
    }
    const settings = resolveBfd(peer, profiles)!;
    const peerAddress = str(field(peer, 'peerAddress'));
    const address = peerAddress === undefined ? undefined : canonicalAddress(peerAddress);
    if (address === undefined) return; // the peers check reports it
    const source = str(field(peer, 'sourceAddress'));
    const key = JSON.stringify([
      isMultihopBfd(int(field(peer, 'ebgpMultihop'))),
      address,
      source === undefined ? null : (canonicalAddress(source) ?? source),
    ]);
    const timers = `${settings.minReceiveMs}/${settings.minTransmitMs}/${settings.multiplier}`;
    const first = sessions.get(key);
    if (first === undefined) sessions.set(key, { index: i, timers });
    else if (first.timers !== timers)
      err(
        ctx,
        p,
        `peers[${first.index}] runs BFD to ${address} too, with other timers (${first.timers} vs ${timers} as minReceive/minTransmit/multiplier): both use one BFD session, so their timers must match`,
      );
  });
}
