// Reduces the validated Herald config (@herald/config's HeraldConfig) to what the speaker decides with.
import { type BgpPeer, type HeraldConfig, peerSettingsEqual } from '@herald/config';
import type { AdvertisementView, SpeakerConfigView } from './announce/model.ts';

/** The validated peer; its session settings are what a BGP session is opened with. */
export type PeerSettings = BgpPeer;

export function formatCommunity(value: number): string {
  return `${value >>> 16}:${value & 0xffff}`;
}

export function toSpeakerView(config: HeraldConfig): {
  view: SpeakerConfigView;
  sessions: Map<string, PeerSettings>;
} {
  const view: SpeakerConfigView = {
    pools: config.addressPools.map((p) => ({
      name: p.name,
      ranges: p.addresses.map((a) => ({
        family: a.family === 'IPv4' ? ('ipv4' as const) : ('ipv6' as const),
        first: a.start,
        last: a.end,
      })),
    })),
    peers: config.peers.map((p) => ({ name: p.name, internal: p.internal, nodeSelectors: p.nodeSelectors })),
    advertisements: config.bgpAdvertisements.map(
      (a): AdvertisementView => ({
        name: a.name,
        pools: a.poolNames,
        peers: a.peerNames,
        nodeSelectors: a.nodeSelectors,
        // A full-length "aggregation" is no aggregation: keep the view minimal so /32 stays the default path.
        aggregationLength: a.aggregationLength === 32 ? undefined : a.aggregationLength,
        aggregationLengthV6: a.aggregationLengthV6 === 128 ? undefined : a.aggregationLengthV6,
        localPref: a.localPref,
        communities: a.communities.map(formatCommunity),
        largeCommunities: a.largeCommunities.map((l) => l.join(':')),
      }),
    ),
  };
  return { view, sessions: new Map(config.peers.map((p) => [p.name, p])) };
}

/**
 * Two peer settings need the same BGP session when everything that goes into the OPEN or the transport is
 * equal; nodeSelectors only decide WHETHER this node peers, which the session plan handles.
 */
export function samePeerSettings(a: PeerSettings, b: PeerSettings): boolean {
  return peerSettingsEqual(a, b);
}
