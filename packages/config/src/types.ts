// The typed, defaulted config that controller, speaker and heraldctl consume. Everything here has passed
// validation: numbers are in range, names resolved, communities numeric. Durations are whole SECONDS
// (BGP timers are 16-bit second counts on the wire, RFC 4271 §4.2), in fields whose names end in `Seconds`.
import type { AddressRange, IpAddress, IpFamily } from './ip.ts';
import type { LabelSelector } from './selector.ts';

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

export interface AddressPool {
  readonly name: string;
  /** Entries in the order written; each a CIDR or an inclusive range of one family. */
  readonly addresses: readonly AddressRange[];
  /** Families present in `addresses`, IPv4 first. */
  readonly families: readonly IpFamily[];
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
  /** IP TTL for eBGP sessions to a router more than one hop away; undefined = 1 (directly connected). */
  readonly ebgpMultihop: number | undefined;
  /** Default false. When true the speaker never connects and only accepts the router's connection. */
  readonly passive: boolean;
  readonly gracefulRestart: GracefulRestart;
  /** TCP MD5 (RFC 2385). Validation currently rejects both: node:net cannot set TCP_MD5SIG. */
  readonly password: string | undefined;
  readonly passwordSecretRef: SecretKeyRef | undefined;
  /** Nodes that peer with this router (OR); empty = every node. */
  readonly nodeSelectors: readonly LabelSelector[];
}

/** RFC 8092 large community: [Global Administrator, Local Data 1, Local Data 2]. */
export type LargeCommunity = readonly [number, number, number];

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
