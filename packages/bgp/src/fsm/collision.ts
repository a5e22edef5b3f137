/**
 * RFC 4271 §6.8 connection collision, as pure decisions over plain data: what to do with a connection the
 * peer opens, given what the peer already has, and which of two connections survives once the peer's BGP
 * Identifier is known. The peer machine (peer-machine.ts) carries the decisions out.
 */
import { CeaseSubcode } from '../errors.ts';
import type { SessionState } from '../types.ts';
import type { Direction } from './events.ts';
import { ipv4ToNumber } from './open-policy.ts';

/** What the peer has when a connection comes in. */
export interface PeerSnapshot {
  /** ManualStart seen and no ManualStop since. */
  readonly started: boolean;
  /** State of the connection we initiated, once it reached OpenSent. */
  readonly outgoing?: SessionState;
  /** State of the connection the peer initiated earlier, once it reached OpenSent. */
  readonly incoming?: SessionState;
}

export type Admission =
  /** No connection has reached OpenSent: use this one (an outgoing connect attempt is abandoned). */
  | { readonly kind: 'adopt' }
  /** Ours is in OpenSent/OpenConfirm: run both until the peer's identifier decides (§6.8). */
  | { readonly kind: 'adopt-alongside' }
  /**
   * The peer already has an incoming connection short of Established and opens another: it gave up on the
   * first (restart, timeout), so the new one replaces it rather than waiting for a hold timer on a dead one.
   */
  | { readonly kind: 'replace-incoming' }
  | {
      readonly kind: 'refuse';
      readonly subcode: number;
      readonly code: RefusalCode;
      readonly reason: string;
    };

/** Why a connection from a configured peer was refused, as a stable word (a metric label). */
export type RefusalCode = 'session-established' | 'collision-in-progress' | 'session-not-started';

export function admitIncoming(peer: PeerSnapshot): Admission {
  if (peer.outgoing === 'Established' || peer.incoming === 'Established')
    return {
      kind: 'refuse',
      subcode: CeaseSubcode.ConnectionCollisionResolution,
      code: 'session-established',
      reason: 'session already Established',
    };
  if (peer.outgoing !== undefined && peer.incoming !== undefined)
    return {
      kind: 'refuse',
      subcode: CeaseSubcode.ConnectionRejected,
      code: 'collision-in-progress',
      reason: 'a collision is already being resolved',
    };
  if (!peer.started)
    return {
      kind: 'refuse',
      subcode: CeaseSubcode.ConnectionRejected,
      code: 'session-not-started',
      reason: 'session not started',
    };
  if (peer.incoming !== undefined) return { kind: 'replace-incoming' };
  if (peer.outgoing !== undefined) return { kind: 'adopt-alongside' };
  return { kind: 'adopt' };
}

export interface SpeakerIdentity {
  readonly routerId: string;
  readonly asn: number;
}

/**
 * RFC 4271 §6.8: the connection initiated by the speaker with the higher BGP Identifier survives. Equal
 * identifiers (possible only between different ASes, RFC 6286 §2.2) are broken by the larger AS number
 * (RFC 6286 §2.3). The two-argument form compares identifiers only.
 */
export function collisionWinner(
  localRouterId: string,
  peerRouterId: string,
  asns?: { readonly local: number; readonly peer: number },
): 'locally-initiated' | 'remotely-initiated' {
  const local = ipv4ToNumber(localRouterId);
  const peer = ipv4ToNumber(peerRouterId);
  if (local === peer && asns) return asns.local > asns.peer ? 'locally-initiated' : 'remotely-initiated';
  return local > peer ? 'locally-initiated' : 'remotely-initiated';
}

/** The direction of the connection that survives a collision between `local` and `peer`. */
export function survivingDirection(local: SpeakerIdentity, peer: SpeakerIdentity): Direction {
  return collisionWinner(local.routerId, peer.routerId, { local: local.asn, peer: peer.asn }) ===
    'locally-initiated'
    ? 'outgoing'
    : 'incoming';
}
