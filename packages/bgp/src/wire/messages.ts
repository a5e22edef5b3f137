/** Decoded BGP messages (RFC 4271 §4) as plain data; the codec's vocabulary. */

import type { BgpError } from '../errors.ts';
import type { Afi, Prefix, ReceivedAttributes } from '../types.ts';
import type { NlriRun } from './nlri.ts';

export const MessageType = {
  Open: 1,
  Update: 2,
  Notification: 3,
  Keepalive: 4,
  RouteRefresh: 5,
} as const;

/** Message type names, as used in counters and events. */
export type MessageTypeName = 'open' | 'update' | 'notification' | 'keepalive' | 'route-refresh';

export const HEADER_LENGTH = 19;
export const MAX_MESSAGE_SIZE = 4096;
/** RFC 8654. */
export const EXTENDED_MAX_MESSAGE_SIZE = 65535;
export { AS_TRANS } from '@herald/inet';

export interface GracefulRestartCapability {
  readonly restarting: boolean;
  /** RFC 8538 N bit; decoded only. */
  readonly notification: boolean;
  readonly restartTime: number;
  readonly families: readonly { readonly afi: Afi; readonly forwardingPreserved: boolean }[];
}

/** Capabilities we understand (RFC 5492); anything else is ignored per §3 but listed in `unknown`. */
export interface Capabilities {
  readonly multiprotocol: readonly Afi[];
  readonly routeRefresh: boolean;
  readonly fourOctetAsn?: number;
  readonly gracefulRestart?: GracefulRestartCapability;
  readonly extendedMessages: boolean;
  readonly unknown: readonly { readonly code: number; readonly value: Buffer }[];
}

export interface OpenMessage {
  readonly type: 'open';
  readonly version: number;
  /** The 2-octet "My Autonomous System" field (AS_TRANS when the real ASN needs 4 octets). */
  readonly myAsn: number;
  readonly holdTime: number;
  readonly bgpIdentifier: string;
  readonly capabilities: Capabilities;
}

/** Path attributes as decoded, still with raw next hops per family. */
export interface UpdateMessage {
  readonly type: 'update';
  /** IPv4 withdrawn routes field plus MP_UNREACH_NLRI prefixes (as objects: built on first access). */
  readonly withdrawn: readonly Prefix[];
  /** IPv4 NLRI field plus MP_REACH_NLRI prefixes (as objects: built on first access). */
  readonly announced: readonly Prefix[];
  /** The same withdrawn prefixes, validated, in wire form: what a receiver that only counts reads. */
  readonly withdrawnNlri: readonly NlriRun[];
  /** The same announced prefixes, validated, in wire form. */
  readonly announcedNlri: readonly NlriRun[];
  /** Attributes; `nextHop` is the NEXT_HOP attribute (applies to IPv4 NLRI in the NLRI field). */
  readonly attributes: ReceivedAttributes;
  /** MP_REACH_NLRI next hop(s), which apply to the prefixes carried in MP_REACH_NLRI. */
  readonly mpReach?: { readonly afi: Afi; readonly nextHop?: string; readonly nextHopLinkLocal?: string };
  /** End-of-RIB marker (RFC 4724 §2) for this family, if the UPDATE is one. */
  readonly endOfRib?: Afi;
  /**
   * RFC 7606 outcome: 'treat-as-withdraw' means every announced prefix must be handled as withdrawn;
   * the error explains why.
   */
  readonly treatAsWithdraw?: BgpError;
  readonly discardedAttributes: readonly { readonly typeCode: number; readonly error: BgpError }[];
}

export interface NotificationMessage {
  readonly type: 'notification';
  readonly code: number;
  readonly subcode: number;
  readonly data: Buffer;
}

export interface KeepaliveMessage {
  readonly type: 'keepalive';
}

export interface RouteRefreshMessage {
  readonly type: 'route-refresh';
  readonly afi: Afi | undefined;
  readonly rawAfi: number;
  readonly safi: number;
  /** RFC 7313 subtype (0 = normal request). */
  readonly subtype: number;
}

export type BgpMessage =
  | OpenMessage
  | UpdateMessage
  | NotificationMessage
  | KeepaliveMessage
  | RouteRefreshMessage;

/** Negotiated facts the UPDATE codec needs in both directions. */
export interface CodecContext {
  /** Both sides advertised the 4-octet ASN capability: AS_PATH carries 4-octet ASNs. */
  readonly fourOctetAsn: boolean;
  /** Largest message we accept / may send. */
  readonly maxMessageSize: number;
  /** Peer is eBGP (affects LOCAL_PREF handling, RFC 7606 §7.5). */
  readonly ebgp: boolean;
}
