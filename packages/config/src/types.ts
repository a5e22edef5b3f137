// The typed, defaulted config that controller, speaker and heraldctl consume. Everything here has passed
// validation: numbers are in range, names resolved, communities numeric. Durations are whole SECONDS
// (BGP timers are 16-bit second counts on the wire, RFC 4271 §4.2), in fields whose names end in `Seconds`.
import type { AddressRange, Family, IpAddress, LargeCommunity } from '@herald/inet';
import type { LabelSelector } from './selector.ts';
import type { ServiceAttributePolicy } from './service-attributes.ts';

export interface ServiceAllocation {
  /** Lower value = preferred. Pools without a priority are tried after every pool that has one. */
  readonly priority: number | undefined;
  /** Namespace names whose Services may use the pool (OR with namespaceSelectors). Empty = no restriction. */
  readonly namespaces: readonly string[];
  /** Namespace label selectors (OR). Empty = no restriction. */
  readonly namespaceSelectors: readonly LabelSelector[];
  /** Service label selectors (OR). Empty = no restriction. */
  readonly serviceSelectors: readonly LabelSelector[];
}

/** Node status.addresses types a node-address pool can hand out. */
export type NodeAddressType = 'InternalIP' | 'ExternalIP';

/** A node-address pool's source: which Nodes' addresses of which type a Service gets. */
export interface NodeAddressSource {
  /** Default InternalIP. */
  readonly type: NodeAddressType;
  /** Nodes whose addresses the pool hands out (OR); empty = every node. */
  readonly nodeSelectors: readonly LabelSelector[];
}

export interface AddressPool {
  readonly name: string;
  /** Entries in the order written; each a CIDR or an inclusive range of one family. Empty for a node-address pool. */
  readonly addresses: readonly AddressRange[];
  /**
   * Set for a node-address pool: Services get the addresses of eligible Nodes (docs/node-addresses.md), and
   * `addresses` is empty. Undefined for a pool of address ranges.
   */
  readonly nodeAddresses: NodeAddressSource | undefined;
  /** Families present in `addresses`, IPv4 first (empty for a node-address pool: the Nodes decide). */
  readonly families: readonly Family[];
  /** Default true. When false the pool serves only Services that ask for it (annotation or IP). */
  readonly autoAssign: boolean;
  /** Default false. When true IPv4 addresses ending in .0 or .255 are never assigned. */
  readonly avoidBuggyIPs: boolean;
  /** Undefined when the pool has no `serviceAllocation`: it serves every Service. */
  readonly serviceAllocation: ServiceAllocation | undefined;
}

export interface SecretKeyRef {
  readonly name: string;
  readonly key: string;
}

export interface GracefulRestart {
  /** Default false. */
  readonly enabled: boolean;
  /** Default 120. RFC 4724 Restart Time, 0..4095. */
  readonly restartTimeSeconds: number;
}

/** Limit on the prefixes a router may send (the speaker counts them, never uses them). */
export interface MaxPrefixes {
  readonly limit: number;
  /** `block`: ignore the excess, keep the session; `restart`: Cease 6/1 and a damped restart. */
  readonly action: 'block' | 'restart';
  readonly restartTimeSeconds: number;
}

/**
 * BFD timers of one peer (RFC 5880), resolved from the peer's `bfd` block, its profile and the defaults.
 * Milliseconds; the wire carries microseconds.
 */
export interface BfdSettings {
  /** The profile the timers came from, if any (for status output). */
  readonly profile: string | undefined;
  /** Required Min RX Interval. */
  readonly minReceiveMs: number;
  /** Desired Min TX Interval. */
  readonly minTransmitMs: number;
  /** Detect Mult. */
  readonly multiplier: number;
}

export interface BgpPeer {
  readonly name: string;
  /** Canonical text (RFC 5952 for IPv6). */
  readonly peerAddress: string;
  readonly peerIp: IpAddress;
  readonly peerASN: number;
  readonly myASN: number;
  /** peerASN === myASN. */
  readonly internal: boolean;
  /** Default 179. */
  readonly peerPort: number;
  /** Canonical text; same family as peerAddress. Undefined = chosen by the kernel. */
  readonly sourceAddress: string | undefined;
  /** Dotted quad BGP Identifier; undefined = derived by the speaker from the node. */
  readonly routerID: string | undefined;
  /** Default 90; 0 (no keepalives / hold timer) or 3..65535. */
  readonly holdTimeSeconds: number;
  /**
   * Explicit keepalive interval, or undefined for the default: one third of the hold time negotiated with
   * the router (holdTime/3 when the router accepts ours).
   */
  readonly keepaliveTimeSeconds: number | undefined;
  /** ConnectRetryTime (RFC 4271 §8): the longest wait between connection attempts. Default 10. */
  readonly connectTimeSeconds: number;
  /** Lowest hold time accepted in the router's OPEN. Default 3 (0 when holdTimeSeconds is 0). */
  readonly minHoldTimeSeconds: number;
  /** RFC 4486 limit on received prefixes per family. Default 1000, action block. */
  readonly maxPrefixes: MaxPrefixes;
  /** IP TTL for eBGP sessions to a router more than one hop away; undefined = 1 (directly connected). */
  readonly ebgpMultihop: number | undefined;
  /** GTSM (RFC 5082): send TTL 255 and accept only 255. Default false; exclusive with ebgpMultihop. */
  readonly ttlSecurity: boolean;
  /** SO_BINDTODEVICE: the session's connections only use this interface or VRF device. */
  readonly bindInterface: string | undefined;
  /** Default false. When true the speaker never connects and only accepts the router's connection. */
  readonly passive: boolean;
  readonly gracefulRestart: GracefulRestart;
  /** TCP-MD5 (RFC 2385) password: a key of a Secret in Herald's namespace (never the ConfigMap itself). */
  readonly passwordSecretRef: SecretKeyRef | undefined;
  /** Nodes that peer with this router (OR); empty = every node. */
  readonly nodeSelectors: readonly LabelSelector[];
  /** BFD with this router; undefined when BFD is off (the default). Not part of the BGP session settings. */
  readonly bfd: BfdSettings | undefined;
}

export interface BgpAdvertisement {
  readonly name: string;
  /** As written; empty = every pool. */
  readonly addressPools: readonly string[];
  /** Resolved pool names this advertisement covers (all pools when `addressPools` is empty). */
  readonly poolNames: readonly string[];
  /** Default 32. Prefix length announced for IPv4 addresses. */
  readonly aggregationLength: number;
  /** Default 128. Prefix length announced for IPv6 addresses. */
  readonly aggregationLengthV6: number;
  /** LOCAL_PREF, sent to iBGP peers only; undefined = not sent. */
  readonly localPref: number | undefined;
  /** RFC 1997 communities as 32-bit values (aliases and well-known names resolved), in order, deduplicated. */
  readonly communities: readonly number[];
  readonly largeCommunities: readonly LargeCommunity[];
  /** As written; empty = every peer. */
  readonly peers: readonly string[];
  /** Resolved peer names (all peers when `peers` is empty). */
  readonly peerNames: readonly string[];
  /** Nodes that announce (OR); empty = every node. */
  readonly nodeSelectors: readonly LabelSelector[];
  /** Default 'none'. 'endpoints': the link bandwidth community carries the node's share of the endpoints. */
  readonly weighting: Weighting;
  /** Default 10. A weight change is sent at most once per this many seconds (0: at once). */
  readonly weightHoldDownSeconds: number;
  readonly gracefulShutdown: GracefulShutdown;
  /** What a Service may add by annotation; undefined = nothing (every such annotation is refused). */
  readonly serviceAttributes: ServiceAttributePolicy | undefined;
}

/** How routes are weighted for weighted ECMP (the link bandwidth extended community). */
export type Weighting = 'none' | 'endpoints';

/** RFC 8326 graceful shutdown of this advertisement's routes before a planned withdrawal. */
export interface GracefulShutdown {
  /** Default 0: withdraw at once. Otherwise announce with GRACEFUL_SHUTDOWN this long, then withdraw. */
  readonly drainTimeSeconds: number;
  /** Default 'announce'. 'withdraw': a cordoned node (spec.unschedulable) drains and withdraws the routes. */
  readonly cordonedNodes: 'announce' | 'withdraw';
}

/**
 * An `l2Advertisements` entry: the pools whose addresses are answered for on the local segment (ARP, IPv6
 * Neighbor Discovery) by one node at a time, chosen among the nodes the selectors match.
 */
export interface L2Advertisement {
  readonly name: string;
  /** As written; empty = every pool. */
  readonly addressPools: readonly string[];
  /** Resolved pool names this advertisement covers (all pools when `addressPools` is empty). */
  readonly poolNames: readonly string[];
  /** Nodes that may announce (OR); empty = every node. */
  readonly nodeSelectors: readonly LabelSelector[];
  /** Interfaces by exact name. Empty together with `interfacePatterns`: the interface of the node's InternalIP. */
  readonly interfaces: readonly string[];
  /** `interfaceSelector.namePatterns`: shell-style patterns (`*`, `?`); empty when not given. */
  readonly interfacePatterns: readonly string[];
}

/** A `bgpCommunities` alias, resolved. */
export type CommunityValue =
  | { readonly kind: 'standard'; readonly value: number }
  | { readonly kind: 'large'; readonly value: LargeCommunity };

export interface HeraldConfig {
  readonly addressPools: readonly AddressPool[];
  readonly peers: readonly BgpPeer[];
  readonly bgpAdvertisements: readonly BgpAdvertisement[];
  readonly bgpCommunities: ReadonlyMap<string, CommunityValue>;
  readonly l2Advertisements: readonly L2Advertisement[];
}

/** One validation problem. `path` is like `addressPools[1].addresses[0]`; '' for the document itself. */
export interface ConfigError {
  readonly path: string;
  readonly message: string;
  /** 1-based position in the YAML text, when the config came from text and the node is known. */
  readonly line?: number;
  readonly column?: number;
}

export type ConfigResult =
  | { readonly ok: true; readonly config: HeraldConfig; readonly warnings: readonly ConfigError[] }
  | {
      readonly ok: false;
      readonly errors: readonly ConfigError[];
      readonly warnings: readonly ConfigError[];
    };
