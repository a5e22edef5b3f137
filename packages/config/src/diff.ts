// Config change → which BGP sessions must be reset. A session depends only on its peer's session settings;
// node selectors decide WHETHER a node has the session, not how it is set up, so they are not part of the key.
import type { BgpPeer, HeraldConfig } from './types.ts';

/**
 * A stable string of every setting that shapes the BGP session (addresses, ASNs, port, timers, multihop,
 * passive, graceful restart, the TCP-MD5 Secret reference, GTSM, interface; the password itself lives in a Secret
 * and is compared by the speaker). Two peers with equal keys can keep the same session.
 */
export function peerSettingsKey(p: BgpPeer): string {
  return JSON.stringify([
    p.peerAddress,
    p.peerASN,
    p.myASN,
    p.peerPort,
    p.sourceAddress ?? null,
    p.routerID ?? null,
    p.holdTimeSeconds,
    p.keepaliveTimeSeconds ?? null,
    p.connectTimeSeconds,
    p.minHoldTimeSeconds,
    p.maxPrefixes.limit,
    p.maxPrefixes.action,
    p.maxPrefixes.restartTimeSeconds,
    p.ebgpMultihop ?? null,
    p.ttlSecurity,
    p.bindInterface ?? null,
    p.passive,
    p.gracefulRestart.enabled,
    p.gracefulRestart.restartTimeSeconds,
    p.passwordSecretRef === undefined ? null : [p.passwordSecretRef.name, p.passwordSecretRef.key],
  ]);
}

/** True when a session set up for `a` is also right for `b` (names and nodeSelectors are not compared). */
export function peerSettingsEqual(a: BgpPeer, b: BgpPeer): boolean {
  return peerSettingsKey(a) === peerSettingsKey(b);
}

export interface PeerDiff {
  /** Peers only in the new config. */
  readonly added: readonly BgpPeer[];
  /** Peers only in the old config. */
  readonly removed: readonly BgpPeer[];
  /** Same name, different session settings: the session must be reset. */
  readonly changed: readonly { readonly before: BgpPeer; readonly after: BgpPeer }[];
  /** Same name, same session settings (nodeSelectors may differ): keep the session. */
  readonly unchanged: readonly BgpPeer[];
}

/** Peers matched by name between two configs. */
export function diffPeers(before: HeraldConfig | undefined, after: HeraldConfig): PeerDiff {
  const old = new Map((before?.peers ?? []).map((p) => [p.name, p]));
  const added: BgpPeer[] = [];
  const changed: { before: BgpPeer; after: BgpPeer }[] = [];
  const unchanged: BgpPeer[] = [];
  for (const p of after.peers) {
    const o = old.get(p.name);
    if (o === undefined) added.push(p);
    else if (peerSettingsEqual(o, p)) unchanged.push(p);
    else changed.push({ before: o, after: p });
    old.delete(p.name);
  }
  return { added, removed: [...old.values()], changed, unchanged };
}
