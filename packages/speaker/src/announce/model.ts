// The plain data the announce decision works on. Kubernetes objects are reduced to the fields the rules
// read (structurally compatible with @kubernetes/client-node's V1Service / V1EndpointSlice / V1Node, so the
// runtime passes informer objects as they are and tests write literals), and the Herald config is reduced to
// a speaker view that the runtime builds from @herald/config.
import type { Family, IpInterval } from './ip.ts';

export interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly labels?: Readonly<Record<string, string>>;
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

export interface EndpointSnapshot {
  readonly addresses?: readonly string[];
  readonly nodeName?: string;
  readonly conditions?: {
    readonly ready?: boolean;
    readonly serving?: boolean;
    readonly terminating?: boolean;
  };
}

export interface EndpointSliceSnapshot {
  readonly metadata?: ObjectMeta;
  readonly addressType?: string;
  readonly endpoints?: readonly EndpointSnapshot[] | null;
}

export interface NodeSnapshot {
  readonly metadata?: ObjectMeta;
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
  readonly ranges: readonly IpInterval[];
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
}

export interface SpeakerConfigView {
  readonly pools: readonly PoolView[];
  readonly peers: readonly PeerView[];
  readonly advertisements: readonly AdvertisementView[];
}

/** Path attributes the speaker controls per prefix. NEXT_HOP comes from the session, not from here. */
export interface RouteAttributes {
  readonly localPref?: number;
  readonly communities: readonly string[];
  readonly largeCommunities: readonly string[];
}

export interface DesiredRoute {
  readonly prefix: string;
  readonly family: Family;
  readonly attributes: RouteAttributes;
  /** "namespace/name" of each Service whose IP this prefix covers (several when aggregated or shared). */
  readonly services: readonly string[];
}

/** Per peer name, prefix → route. Only peers selected for this node appear. */
export type DesiredRib = ReadonlyMap<string, ReadonlyMap<string, DesiredRoute>>;

export const excludeFromExternalLoadBalancersLabel =
  'node.kubernetes.io/exclude-from-external-load-balancers';
export const serviceNameLabel = 'kubernetes.io/service-name';
