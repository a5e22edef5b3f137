// Reduces the validated Herald config (@herald/config's HeraldConfig) to what the speaker decides with.
import { type BgpPeer, type HeraldConfig, peerSettingsEqual, type SecretKeyRef } from '@herald/config';
import { formatCommunity, formatLargeCommunity } from '@herald/inet';
import type { AdvertisementView, SpeakerConfigView } from './announce/model.ts';
import { NO_PASSWORD, type PeerPassword, samePassword } from './peer-password.ts';

/**
 * The validated peer and its TCP-MD5 password as resolved from the Secret it names: what a BGP session is
 * opened with.
 */
export type PeerSettings = BgpPeer & { readonly password: PeerPassword };

/** Resolves a peer's Secret reference to its password (the speaker's Secret cache). */
export type PasswordSource = (ref: SecretKeyRef) => PeerPassword;

const unresolved: PasswordSource = (ref) => ({
  state: 'blocked',
  source: `${ref.name} key ${ref.key}`,
  problem: 'secret-pending',
  message: `Secret ${ref.name} is not read by this speaker`,
});

export function toSpeakerView(
  config: HeraldConfig,
  passwords: PasswordSource = unresolved,
): {
  view: SpeakerConfigView;
  sessions: Map<string, PeerSettings>;
} {
  const view: SpeakerConfigView = {
    pools: config.addressPools.map((p) => ({
      name: p.name,
      ranges: p.addresses.map((a) => ({ family: a.family, start: a.start, end: a.end })),
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
        largeCommunities: a.largeCommunities.map(formatLargeCommunity),
        weighting: a.weighting === 'endpoints',
        weightHoldDownMs: a.weightHoldDownSeconds * 1000,
        drainMs: a.gracefulShutdown.drainTimeSeconds * 1000,
        withdrawFromCordonedNodes: a.gracefulShutdown.cordonedNodes === 'withdraw',
        serviceAttributes: a.serviceAttributes,
      }),
    ),
    l2Advertisements: config.l2Advertisements.map((a) => ({
      name: a.name,
      pools: a.addressPools,
      nodeSelectors: a.nodeSelectors,
      interfaces: a.interfaces,
      interfacePatterns: a.interfacePatterns,
    })),
    aliases: config.bgpCommunities,
  };
  const sessions = new Map<string, PeerSettings>(
    config.peers.map((p) => [
      p.name,
      { ...p, password: p.passwordSecretRef === undefined ? NO_PASSWORD : passwords(p.passwordSecretRef) },
    ]),
  );
  return { view, sessions };
}

/**
 * Two peer settings need the same BGP session when everything that goes into the OPEN or the transport is
 * equal, the password from the Secret included; nodeSelectors only decide WHETHER this node peers, which
 * the session plan handles.
 */
export function samePeerSettings(a: PeerSettings, b: PeerSettings): boolean {
  return peerSettingsEqual(a, b) && samePassword(a.password, b.password);
}
