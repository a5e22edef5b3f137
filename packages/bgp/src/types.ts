/**
 * Shared vocabulary of @herald/bgp (the equivalent of BIRD's bgp.h): plain data types that the codec,
 * the peer machine, the RIBs and the driver all speak. No behaviour lives here.
 */
import type { Family, Prefix } from '@herald/inet';
import type { TcpMd5Key } from './transport.ts';

/**
 * Address family of a prefix: @herald/inet's one spelling, under BGP's name for it (AFI, RFC 4760). Only the
 * unicast SAFI is supported, so the AFI alone identifies the family.
 */
export type Afi = Family;

/** An IP prefix (canonical text, host bits zero): @herald/inet's. */
export type { Prefix };

/** ORIGIN attribute values (RFC 4271 §5.1.1). */
export type Origin = 'igp' | 'egp' | 'incomplete';

/**
 * What we announce for a prefix. Textual forms are used so callers (config, CLI) never handle wire encodings.
 * - `communities`: RFC 1997 `'asn:value'` or a well-known name (@herald/inet's WELL_KNOWN_COMMUNITIES:
 *   `graceful-shutdown`, `accept-own`, `blackhole`, `no-export`, `no-advertise`, `no-export-subconfed`, `no-peer`).
 * - `largeCommunities`: RFC 8092 `'global:local1:local2'`.
 * - `extendedCommunities`: RFC 4360 `'rt:asn:value'`, `'ro:asn:value'` (2- or 4-octet AS, or IPv4 address as
 *   administrator).
 * - `localPref` is only sent to iBGP peers (RFC 4271 §5.1.5); it is silently not sent to eBGP peers.
 * - `asPathPrepend`: how many extra times the local AS is prepended (eBGP only; iBGP sends an empty AS_PATH
 *   per RFC 4271 §5.1.2, so prepending does not apply there).
 */
/** An immutable value: the library keeps derived data (validation, UPDATE grouping) per attributes object. */
export interface RouteAttributes {
  /** IPv4 next hop for IPv4 prefixes, IPv6 global next hop for IPv6 prefixes. */
  readonly nextHop: string;
  /** Optional IPv6 link-local next hop sent as the second MP_REACH next hop (RFC 2545 §3). */
  readonly nextHopLinkLocal?: string;
  readonly origin?: Origin;
  readonly med?: number;
  readonly localPref?: number;
  readonly communities?: readonly string[];
  readonly largeCommunities?: readonly string[];
  readonly extendedCommunities?: readonly string[];
  readonly asPathPrepend?: number;
}

/** One AS_PATH segment as received (RFC 4271 §4.3, type 1 = AS_SET, 2 = AS_SEQUENCE, 3/4 = confed). */
export interface AsPathSegment {
  readonly type: 'set' | 'sequence' | 'confed-sequence' | 'confed-set';
  readonly asns: readonly number[];
}

/** Path attributes as decoded from a received UPDATE, in textual form. */
export interface ReceivedAttributes {
  readonly origin?: Origin;
  /** AS_PATH after merging AS4_PATH for 2-octet peers (RFC 6793 §4.2.3). */
  readonly asPath: readonly AsPathSegment[];
  readonly nextHop?: string;
  readonly nextHopLinkLocal?: string;
  readonly med?: number;
  readonly localPref?: number;
  readonly atomicAggregate?: boolean;
  readonly aggregator?: { readonly asn: number; readonly address: string };
  readonly communities?: readonly string[];
  readonly largeCommunities?: readonly string[];
  readonly extendedCommunities?: readonly string[];
  /**
   * Attributes we do not interpret, so callers can see them (never re-advertised: we do not transit). `value`
   * is a view into the received message: copy it to keep it beyond the event.
   */
  readonly unknown?: readonly { readonly typeCode: number; readonly flags: number; readonly value: Buffer }[];
}

/** What one UPDATE carried for one family: its prefixes with their shared attributes, and its withdrawals. */
export interface ReceivedRoutes {
  readonly afi: Afi;
  readonly announced: readonly Prefix[];
  /** The attributes every prefix in `announced` shares. */
  readonly attributes: ReceivedAttributes;
  readonly withdrawn: readonly Prefix[];
}

/** A route learnt from the peer, as a ReceivedRouteTable keeps it (sessions themselves only count). */
export interface ReceivedRoute {
  readonly prefix: Prefix;
  readonly attributes: ReceivedAttributes;
}

/** RFC 4271 §8 session states. */
export type SessionState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

/** Minimal structured logger; a pino logger satisfies it. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Millisecond clock of the driver, which stamps every machine input with it (the machine reads none). */
export interface Clock {
  now(): number;
}

/** RFC 4724 graceful restart, restarting-speaker side. */
export interface GracefulRestartConfig {
  /** Seconds the peer should retain our routes as stale while we restart (0..4095). */
  readonly restartTime: number;
  /**
   * Set when this process is (re)starting after a graceful shutdown: the OPEN carries the Restart State (R) bit
   * so the peer keeps our routes as stale until our End-of-RIB.
   */
  readonly restarting?: boolean;
}

/** Damped reconnect (RFC 4271 §8.1.1 DampPeerOscillations) parameters, all in milliseconds. */
export interface ReconnectBackoffConfig {
  /** First delay after a failure. Default 2000. */
  readonly initialMs?: number;
  /** Cap on the delay. Default `connectRetryTime` (120 s). */
  readonly maxMs?: number;
  /** Multiplier per consecutive failure. Default 2. */
  readonly multiplier?: number;
  /** Jitter fraction: the delay is drawn uniformly from [d*(1-jitter), d]. Default 0.25 (RFC 4271 §10). */
  readonly jitter?: number;
  /** A session must stay Established this long before the backoff resets. Default 60000. */
  readonly stableMs?: number;
}

/** Configuration of one BGP peer. */
export interface PeerConfig {
  /** Name used in logs and for `speaker.removePeer()`. Default: `peerAddress`. */
  readonly name?: string;
  readonly localAsn: number;
  /** The peer's ASN, or `'external'`/`'internal'` to accept any ASN of that kind (the peer's OPEN decides). */
  readonly peerAsn: number | 'external' | 'internal';
  readonly peerAddress: string;
  /** Default 179. */
  readonly peerPort?: number;
  /** Source address for active connects; also the expected destination of incoming ones. */
  readonly localAddress?: string;
  /**
   * BGP Identifier. Default: the session's local IPv4 address. For an IPv6-only session without a routerId
   * one is derived deterministically from the local IPv6 address (see docs/bgp.md).
   */
  readonly routerId?: string;
  /** Seconds; default 90. 0 disables keepalives and the hold timer; otherwise must be >= 3. */
  readonly holdTime?: number;
  /** Seconds; default holdTime/3 of the negotiated hold time. */
  readonly keepaliveTime?: number;
  /** Seconds; RFC default 120. Used as the cap of the damped reconnect backoff. */
  readonly connectRetryTime?: number;
  readonly reconnectBackoff?: ReconnectBackoffConfig;
  /** Never dial; wait for the peer to connect (through a BgpSpeaker listener). */
  readonly passive?: boolean;
  /**
   * eBGP multihop: the TTL (IPv6 hop limit) of the session's segments, for a router up to this many hops
   * away. Unset, an eBGP session is sent with TTL 1 (directly connected only), as FRR, BIRD and GoBGP do;
   * iBGP sessions use the system's default (64). eBGP only; exclusive with ttlSecurity.
   */
  readonly ebgpMultihop?: number;
  /**
   * GTSM (RFC 5082) for a directly connected router: send TTL 255 and drop anything (the SYN included)
   * that arrives with less. Exclusive with ebgpMultihop.
   */
  readonly ttlSecurity?: boolean;
  /**
   * TCP-MD5 signature key (RFC 2385): a router's `password`, as bytes or a string taken as UTF-8, 1–80
   * bytes. Never logged: the resolved config holds it as a TcpMd5Key (which may also be passed in).
   */
  readonly password?: string | Uint8Array | TcpMd5Key;
  /** SO_BINDTODEVICE: the session's connections only use this interface or VRF device. */
  readonly bindInterface?: string;
  /** Families to negotiate; default ['ipv4'] for an IPv4 peer address, ['ipv6'] for IPv6. */
  readonly families?: readonly Afi[];
  readonly gracefulRestart?: GracefulRestartConfig;
  /**
   * The routes are still being loaded when the session starts: End-of-RIB is held until
   * `BgpSession.initialTableLoaded()` (RFC 4724 §4.1: a restarting speaker sends End-of-RIB once its initial
   * updates are done). Lets a session come up while its table is computed, without the router taking an empty
   * table for the full one and flushing the stale routes it kept. Default false: End-of-RIB follows whatever
   * is in the Adj-RIB-Out when the session is Established.
   */
  readonly deferEndOfRib?: boolean;
  /** Advertise RFC 8654 extended messages (65535-byte UPDATEs). Default true. */
  readonly extendedMessages?: boolean;
  /** Delay before pending Adj-RIB-Out changes are flushed, to coalesce bursts. Default 0 (next macrotask). */
  readonly updateBatchMs?: number;
  /**
   * Lowest hold time (seconds) accepted in the peer's OPEN; lower, and 0, get OPEN error 2/6 (RFC 4271 §6.2
   * lets a speaker refuse any hold time). Default 3 (0 when our own holdTime is 0).
   */
  readonly minHoldTime?: number;
  /** Seconds an incoming connection may wait in OpenSent for the peer's OPEN. Default 15 (RFC: 240). */
  readonly incomingOpenHoldTime?: number;
  /** Idle seconds before TCP keepalive probes on the session's sockets; 0 = off. Default 30. */
  readonly tcpKeepaliveTime?: number;
  /** RFC 4486 upper bound on the prefixes received per family. Default: no limit. */
  readonly maxPrefixes?: MaxPrefixesConfig;
}

/** Prefix limit (FRR `maximum-prefix … restart`, BIRD `receive limit … action`). */
export interface MaxPrefixesConfig {
  /** Most prefixes recorded per address family. */
  readonly limit: number;
  /**
   * `restart` (default): exceeding the limit sends Cease / Maximum Number of Prefixes Reached (6/1, with
   * AFI, SAFI and the limit as data) and the session restarts after `restartTime`, doubled while it keeps
   * tripping. `block`: prefixes beyond the limit are ignored and counted; the session stays up.
   */
  readonly action?: 'restart' | 'block';
  /** Seconds before the first restart after a `restart`; default 60. */
  readonly restartTime?: number;
}
