// The plain data the announce decision works on. Kubernetes objects are reduced to the fields the rules
// read (structurally compatible with @kubernetes/client-node's V1Service / V1EndpointSlice / V1Node, so the
// runtime passes informer objects as they are and tests write literals), and the Herald config is reduced to
// a speaker view that the runtime builds from @herald/config.
import type { CommunityValue, ServiceAttributePolicy } from '@herald/config';
import type { Family, IpRange } from '@herald/inet';
import type { EndpointConditionsView } from '@herald/kube';

export interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Only the herald.dev/* ones the speaker reads are kept (kube/slim.ts). */
  readonly annotations?: Readonly<Record<string, string>>;
  readonly deletionTimestamp?: Date | string;
}

export interface ServiceSnapshot {
  readonly metadata?: ObjectMeta;
  readonly spec?: {
    readonly type?: string;
    readonly loadBalancerClass?: string;
    readonly externalTrafficPolicy?: string;
    readonly publishNotReadyAddresses?: boolean;
  };
  readonly status?: {
    readonly loadBalancer?: { readonly ingress?: ReadonlyArray<{ readonly ip?: string }> };
  };
}

/** One endpoint of a slice: the fields @herald/kube's endpoint rule reads. */
export type EndpointSnapshot = EndpointConditionsView;

export interface EndpointSliceSnapshot {
  readonly metadata?: ObjectMeta;
  readonly addressType?: string;
  readonly endpoints?: readonly EndpointSnapshot[] | null;
}

export interface NodeSnapshot {
  readonly metadata?: ObjectMeta;
  /** `unschedulable`: the node is cordoned (the first step of `kubectl drain`). */
  readonly spec?: { readonly unschedulable?: boolean };
  readonly status?: {
    readonly conditions?: ReadonlyArray<{ readonly type?: string; readonly status?: string }>;
    readonly addresses?: ReadonlyArray<{ readonly type?: string; readonly address?: string }>;
  };
}

/** Label selector with Kubernetes semantics (matchLabels AND matchExpressions). */
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: ReadonlyArray<{
    readonly key: string;
    readonly operator: string;
    readonly values?: readonly string[];
  }>;
}

/** Decides whether a label set matches one selector; injected so the config package's semantics are used. */
export type SelectorMatcher = (selector: LabelSelector, labels: Readonly<Record<string, string>>) => boolean;

export interface PoolView {
  readonly name: string;
  readonly ranges: readonly IpRange[];
}

export interface PeerView {
  readonly name: string;
  /** true when peerASN equals myASN: LOCAL_PREF is only meaningful (and only sent) on iBGP. */
  readonly internal: boolean;
  /** Empty means every node. A node matches when ANY selector matches (OR of selectors). */
  readonly nodeSelectors: readonly LabelSelector[];
}

export interface AdvertisementView {
  readonly name: string;
  /** Empty means every pool. */
  readonly pools: readonly string[];
  /** Empty means every peer. */
  readonly peers: readonly string[];
  /** Empty means every node. */
  readonly nodeSelectors: readonly LabelSelector[];
  readonly aggregationLength?: number;
  readonly aggregationLengthV6?: number;
  readonly localPref?: number;
  /** Resolved "asn:value" strings (aliases already expanded). */
  readonly communities: readonly string[];
  /** Resolved "global:local1:local2" strings. */
  readonly largeCommunities: readonly string[];
  /** weighting: endpoints — routes carry the link bandwidth community (absent/false: none). */
  readonly weighting?: boolean;
  /** A weight change is sent at most once per this many ms (absent: 0). */
  readonly weightHoldDownMs?: number;
  /** RFC 8326 drain before a planned withdrawal, in ms (absent: 0 = withdraw at once). */
  readonly drainMs?: number;
  /** gracefulShutdown.cordonedNodes: withdraw — a cordoned node does not announce these routes. */
  readonly withdrawFromCordonedNodes?: boolean;
  /** What Services may add by annotation (absent: nothing). */
  readonly serviceAttributes?: ServiceAttributePolicy;
}

/** An l2Advertisements entry (layer-2 mode, packages/speaker/src/l2/). */
export interface L2AdvertisementView {
  readonly name: string;
  /** Empty means every pool. */
  readonly pools: readonly string[];
  /** Empty means every node. */
  readonly nodeSelectors: readonly LabelSelector[];
  /** Exact interface names; with no patterns either: the interface holding the node's InternalIP. */
  readonly interfaces: readonly string[];
  readonly interfacePatterns: readonly string[];
}

export interface SpeakerConfigView {
  readonly pools: readonly PoolView[];
  readonly peers: readonly PeerView[];
  readonly advertisements: readonly AdvertisementView[];
  /** Layer-2 announcements; absent or empty: L2 mode is off. */
  readonly l2Advertisements?: readonly L2AdvertisementView[];
  /** bgpCommunities aliases, for the values Services name in annotations. */
  readonly aliases?: ReadonlyMap<string, CommunityValue>;
}

/** Path attributes the speaker controls per prefix. NEXT_HOP comes from the session, not from here. */
export interface RouteAttributes {
  readonly localPref?: number;
  readonly communities: readonly string[];
  readonly largeCommunities: readonly string[];
  /**
   * Weighted ECMP: the route's share in endpoints (sent as the link bandwidth community, 1 Mbit/s each);
   * undefined: no link bandwidth community.
   */
  readonly weight?: number;
  /** RFC 8326: the route is draining before a planned withdrawal; GRACEFUL_SHUTDOWN (65535:0) is added. */
  readonly gracefulShutdown?: boolean;
}

/**
 * The link bandwidth one endpoint stands for under `weighting: endpoints`: 1 Mbit/s (125,000 bytes/s), the
 * reference FRR's `set extcommunity bandwidth num-multipaths` uses. Only proportions matter to a router.
 */
export const LINK_BANDWIDTH_PER_ENDPOINT = 125_000;

/** When a draining route started draining and when it will be withdrawn (ms since the epoch). */
export interface DrainState {
  readonly since: number;
  readonly withdrawAt: number;
}

export interface DesiredRoute {
  readonly prefix: string;
  readonly family: Family;
  readonly attributes: RouteAttributes;
  /** "namespace/name" of each Service whose IP this prefix covers (several when aggregated or shared). */
  readonly services: readonly string[];
  /** Present while the route carries GRACEFUL_SHUTDOWN. */
  readonly drain?: DrainState;
}

/** Per peer name, prefix → route. Only peers selected for this node appear. */
export type DesiredRib = ReadonlyMap<string, ReadonlyMap<string, DesiredRoute>>;

export { excludeFromExternalLoadBalancersLabel, serviceNameLabel } from '@herald/kube';
