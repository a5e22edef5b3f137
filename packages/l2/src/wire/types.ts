/**
 * Why a received frame was not used. Every decoder here returns one of these instead of throwing, so a
 * driver can count discards by reason (`herald_speaker_l2_frames_discarded_total{reason}`) and nothing a
 * neighbour sends can take it down.
 */
export type WireDiscardReason =
  /** Shorter than its headers or than its own length fields say. */
  | 'truncated'
  /** Not the EtherType (or IPv6 next header / ICMPv6 type) this decoder handles. */
  | 'ethertype'
  /** A valid packet of a kind Herald does not answer (another ARP hardware/protocol pair or operation). */
  | 'unsupported'
  /** RFC 4861 §7.1: the hop limit is not 255, so the packet did not originate on this link. */
  | 'hop-limit'
  /** The ICMPv6 checksum does not match. */
  | 'checksum'
  /** A field breaks a validity rule of RFC 826 / RFC 4861 §7.1 (the detail names it). */
  | 'invalid';

export interface WireDiscard {
  readonly reason: WireDiscardReason;
  readonly detail: string;
}

export const WIRE_DISCARD_REASONS: readonly WireDiscardReason[] = [
  'truncated',
  'ethertype',
  'unsupported',
  'hop-limit',
  'checksum',
  'invalid',
];
