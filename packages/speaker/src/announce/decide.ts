// The announce decision: a pure function of snapshots (Service, its EndpointSlices, this Node, config) to the
// set of (prefix, attributes, peers) this node should announce. No I/O, no clock; the runtime calls it from
// the informer caches and diffs the answer against what the BGP sessions already carry.

import { type CommunityValue, hasServiceAttributeAnnotations, serviceBgpAttributes } from '@herald/config';
import {
  type Family,
  familyBits,
  formatCommunity,
  formatLargeCommunity,
  formatPrefix,
  parseIp,
  prefixOf,
  rangeContains,
} from '@herald/inet';
import { getOrCreate } from '../util.ts';
import { type EndpointSummary, summarizeEndpoints } from './endpoints.ts';
import {
  type AdvertisementView,
  type DesiredRib,
  type DesiredRoute,
  type DrainState,
  type EndpointSliceSnapshot,
  excludeFromExternalLoadBalancersLabel,
  type LabelSelector,
  type NodeSnapshot,
  type RouteAttributes,
  type SelectorMatcher,
  type ServiceSnapshot,
  type SpeakerConfigView,
} from './model.ts';

/** What follows from this node and the config alone, computed once per Node/config change. */
export interface NodeContext {
  readonly nodeName: string;
  /** Why this node announces nothing at all; undefined when it may announce. */
  readonly ineligible?: string;
  /** The ineligibility was not an operator's decision (no Node object, NetworkUnavailable): no drain. */
  readonly ineligibleUnplanned?: boolean;
  /** spec.unschedulable: advertisements with `cordonedNodes: withdraw` stop here. */
  readonly cordoned: boolean;
  /** Peers whose nodeSelectors select this node: exactly the sessions this speaker runs. */
  readonly peers: ReadonlySet<string>;
  /** Advertisements that select this node, each narrowed to the peers it may use from here. */
  readonly advertisements: ReadonlyArray<{
    readonly ad: AdvertisementView;
    readonly peers: readonly string[];
  }>;
  readonly config: SpeakerConfigView;
  readonly loadBalancerClass?: string;
}

function selects(
  selectors: readonly LabelSelector[],
  labels: Record<string, string>,
  match: SelectorMatcher,
) {
  return selectors.length === 0 || selectors.some((s) => match(s, labels));
}

export function nodeIneligibility(node: NodeSnapshot | undefined): string | undefined {
  if (!node) return 'Node object not found';
  const labels = node.metadata?.labels ?? {};
  if (excludeFromExternalLoadBalancersLabel in labels)
    return `Node is labelled ${excludeFromExternalLoadBalancersLabel}`;
  const unavailable = node.status?.conditions?.find((c) => c.type === 'NetworkUnavailable');
  if (unavailable?.status === 'True') return 'Node condition NetworkUnavailable is True';
  return undefined;
}

export function buildNodeContext(args: {
  nodeName: string;
  node: NodeSnapshot | undefined;
  config: SpeakerConfigView;
  loadBalancerClass?: string;
  match: SelectorMatcher;
}): NodeContext {
  const { nodeName, node, config, match } = args;
  const labels = { ...(node?.metadata?.labels ?? {}) };
  // Sessions depend on the peer selectors only: an excluded node still peers (so routes can come back without
  // a session flap) but announces nothing.
  const peers = new Set(
    node ? config.peers.filter((p) => selects(p.nodeSelectors, labels, match)).map((p) => p.name) : [],
  );
  const advertisements = config.advertisements
    .filter((ad) => node !== undefined && selects(ad.nodeSelectors, labels, match))
    .map((ad) => ({ ad, peers: [...peers].filter((p) => ad.peers.length === 0 || ad.peers.includes(p)) }))
    .filter((x) => x.peers.length > 0);
  const ineligible = nodeIneligibility(node);
  return {
    nodeName,
    ineligible,
    // Only the label is somebody's plan; a missing Node or a broken network is not a moment to linger.
    ineligibleUnplanned:
      ineligible !== undefined && !ineligible.includes(excludeFromExternalLoadBalancersLabel),
    cordoned: node?.spec?.unschedulable === true,
    peers,
    advertisements,
    config,
    loadBalancerClass: args.loadBalancerClass,
  };
}

export function serviceKey(svc: { metadata?: { namespace?: string; name?: string } }): string {
  return `${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`;
}

/** One (peer, prefix) this Service contributes, before merging with other Services' contributions. */
export interface RouteContribution {
  readonly peer: string;
  readonly prefix: string;
  readonly family: Family;
  readonly attributes: RouteAttributes;
  /** The advertisement behind it (the first, when several give this Service the same route). */
  readonly advertisement: string;
  /** RFC 8326 drain before a planned withdrawal, ms (the longest of the advertisements); 0: withdraw at once. */
  readonly drainMs: number;
  /** A weight change is sent at most once per this many ms (the longest of the advertisements). */
  readonly weightHoldDownMs: number;
  /** Set while the contribution drains (announce/drain.ts). */
  readonly drain?: DrainState;
}

export interface ServiceDecision {
  readonly key: string;
  readonly routes: readonly RouteContribution[];
  /**
   * Why the Service is not (or, when `draining`, soon no longer) announced from this node; empty when it is, or
   * when it is not ours at all.
   */
  readonly reason?: string;
  /** Whether the Service is a LoadBalancer of our class at all; non-ours are never reported. */
  readonly ours: boolean;
  /**
   * Every endpoint that can serve is terminating (on this node for Local, anywhere for Cluster): a planned end,
   * so the routes drain with GRACEFUL_SHUTDOWN where the advertisement has a drainTime.
   */
  readonly draining?: boolean;
  /**
   * No routes, for a reason nobody planned (no serving endpoint, no Node object, NetworkUnavailable): withdraw
   * at once, never drain. Every other withdrawal — deleted Service, changed IP, cordon, exclusion label,
   * config — is planned.
   */
  readonly unplanned?: boolean;
}

export function isOurService(svc: ServiceSnapshot, loadBalancerClass: string | undefined): boolean {
  if (svc.spec?.type !== 'LoadBalancer') return false;
  // Same rule as the controller: without a configured class handle only class-less Services.
  return (svc.spec.loadBalancerClass ?? undefined) === (loadBalancerClass || undefined);
}

/**
 * The weight of this node for one family under `weighting: endpoints`: Local — its ready endpoints (while only
 * terminating ones are left, those still serving); Cluster — 1, the same from every node, because kube-proxy
 * spreads each node's traffic over all endpoints anyway. A family without slices counts the other's Pods.
 */
export function endpointWeight(summary: EndpointSummary, family: Family, local: boolean): number {
  if (!local) return 1;
  const own = summary.onNode[family];
  const counts = own.serving > 0 ? own : summary.onNode[family === 'ipv4' ? 'ipv6' : 'ipv4'];
  return counts.ready > 0 ? counts.ready : counts.serving;
}

interface ServiceExtras {
  readonly localPref: number | undefined;
  readonly communities: readonly string[];
  readonly largeCommunities: readonly string[];
}
const NO_EXTRAS: ServiceExtras = { localPref: undefined, communities: [], largeCommunities: [] };
const NO_ALIASES: ReadonlyMap<string, CommunityValue> = new Map();

const routeKey = (r: { peer: string; prefix: string }) => `${r.peer}\u0000${r.prefix}`;

export function decideService(
  svc: ServiceSnapshot,
  slices: readonly EndpointSliceSnapshot[],
  ctx: NodeContext,
): ServiceDecision {
  const key = serviceKey(svc);
  if (!isOurService(svc, ctx.loadBalancerClass)) return { key, routes: [], ours: false };
  const none = (reason: string, unplanned = false): ServiceDecision => ({
    key,
    routes: [],
    reason,
    ours: true,
    ...(unplanned ? { unplanned } : {}),
  });
  if (svc.metadata?.deletionTimestamp) return none('Service is being deleted');
  const ips = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((ip): ip is string => !!ip);
  if (ips.length === 0) return none('no IP in status.loadBalancer.ingress');
  if (ctx.ineligible) return none(ctx.ineligible, ctx.ineligibleUnplanned);

  const summary = summarizeEndpoints(slices, ctx.nodeName, svc.spec?.publishNotReadyAddresses === true);
  const local = svc.spec?.externalTrafficPolicy === 'Local';
  if (local && !summary.servingOnNode)
    return none('externalTrafficPolicy Local and no serving endpoint on this node', true);
  if (!local && !summary.servingAnywhere) return none('no serving endpoint', true);
  const draining = local
    ? summary.onNode.ipv4.ready + summary.onNode.ipv6.ready === 0
    : !summary.readyAnywhere;

  // Per-Service attributes: what each advertisement lets this Service's annotations add (most have none).
  const anns = svc.metadata?.annotations;
  const extras = new Map<string, ServiceExtras>();
  const extraFor = (ad: AdvertisementView): ServiceExtras => {
    if (!hasServiceAttributeAnnotations(anns)) return NO_EXTRAS;
    return getOrCreate(extras, ad.name, () => {
      const x = serviceBgpAttributes(anns, ad, ctx.config.aliases ?? NO_ALIASES);
      return {
        localPref: x.localPref,
        communities: x.communities.map(formatCommunity),
        largeCommunities: x.largeCommunities.map(formatLargeCommunity),
      };
    });
  };

  const routes = new Map<string, RouteContribution>();
  const unmatched: string[] = [];
  for (const text of ips) {
    const ip = parseIp(text);
    if (!ip) {
      unmatched.push(`${text} is not an IP address`);
      continue;
    }
    const pool = ctx.config.pools.find((p) => p.ranges.some((r) => rangeContains(r, ip)));
    if (!pool) {
      unmatched.push(`${text} is in no address pool`);
      continue;
    }
    const before = routes.size;
    const cordonedAds: string[] = [];
    for (const { ad, peers } of ctx.advertisements) {
      if (ad.pools.length > 0 && !ad.pools.includes(pool.name)) continue;
      if (ctx.cordoned && ad.withdrawFromCordonedNodes) {
        cordonedAds.push(ad.name);
        continue;
      }
      const bits = familyBits[ip.family];
      const length = (ip.family === 'ipv4' ? ad.aggregationLength : ad.aggregationLengthV6) ?? bits;
      const prefix = formatPrefix(prefixOf(ip, length));
      const extra = extraFor(ad);
      for (const peer of peers) {
        const internal = ctx.config.peers.find((p) => p.name === peer)?.internal ?? false;
        const r: RouteContribution = {
          peer,
          prefix,
          family: ip.family,
          attributes: routeAttributes(
            ad,
            internal,
            extra,
            ad.weighting ? endpointWeight(summary, ip.family, local) : undefined,
          ),
          advertisement: ad.name,
          drainMs: ad.drainMs ?? 0,
          weightHoldDownMs: ad.weightHoldDownMs ?? 0,
        };
        // Two advertisements may give this Service the same prefix for one peer: one route, merged.
        const k = routeKey(r);
        const previous = routes.get(k);
        routes.set(k, previous ? mergeServiceContributions(previous, r) : r);
      }
    }
    if (routes.size === before)
      unmatched.push(
        cordonedAds.length > 0
          ? `Node is cordoned (spec.unschedulable) and bgpAdvertisement ${cordonedAds.join(', ')} withdraws from cordoned nodes`
          : `no advertisement for pool ${pool.name} selects this node and a peer`,
      );
  }
  const list = [...routes.values()];
  if (list.length === 0) return { key, routes: list, ours: true, reason: unmatched.join('; ') };
  if (!draining) return { key, routes: list, ours: true };
  const reason = local
    ? 'every serving endpoint on this node is terminating'
    : 'every serving endpoint is terminating';
  return { key, routes: list, ours: true, reason, draining };
}

/** An advertisement's attributes towards external and internal peers, built once per advertisement. */
const attributesOf = new WeakMap<AdvertisementView, readonly [RouteAttributes, RouteAttributes]>();

/**
 * The attributes a route gets from its advertisement and its Service, in mergeAttributes' form (sorted,
 * without duplicates) so DesiredRibIndex can hand a lone contribution's object on as it is. Most Services add
 * nothing to their advertisement: their routes share one object per advertisement and peer kind, so 10,000
 * routes hold one copy and the BGP library validates and groups it once.
 */
function routeAttributes(
  ad: AdvertisementView,
  internal: boolean,
  extra: ServiceExtras,
  weight: number | undefined,
): RouteAttributes {
  // LOCAL_PREF is an iBGP attribute (RFC 4271 §5.1.5); never offered to an external peer. A Service's own
  // (allowed) LOCAL_PREF replaces the advertisement's for its routes.
  const build = (localPref: number | undefined, x: ServiceExtras): RouteAttributes =>
    mergeAttributes([
      {
        localPref,
        communities: [...ad.communities, ...x.communities],
        largeCommunities: [...ad.largeCommunities, ...x.largeCommunities],
        ...(weight !== undefined ? { weight } : {}),
      },
    ]);
  if (extra !== NO_EXTRAS || weight !== undefined)
    return build(internal ? (extra.localPref ?? ad.localPref) : undefined, extra);
  let pair = attributesOf.get(ad);
  if (!pair) {
    pair = [build(undefined, NO_EXTRAS), build(ad.localPref, NO_EXTRAS)];
    attributesOf.set(ad, pair);
  }
  return pair[internal ? 1 : 0];
}

/** Two advertisements' versions of one Service's route: one route, the larger of each setting. */
function mergeServiceContributions(a: RouteContribution, b: RouteContribution): RouteContribution {
  return {
    ...a,
    attributes: mergeAttributes([a.attributes, b.attributes], 'max'),
    drainMs: Math.max(a.drainMs, b.drainMs),
    weightHoldDownMs: Math.max(a.weightHoldDownMs, b.weightHoldDownMs),
  };
}

/**
 * Several contributions to one prefix for one peer: union their communities; the highest LOCAL_PREF wins so a
 * preference is never silently lowered by another advertisement. Weights add up across Services (an aggregate
 * or a shared IP carries all their endpoints) — `'max'` within one Service, whose advertisements count the
 * same endpoints. GRACEFUL_SHUTDOWN only when every contribution drains: one Service leaving must not push
 * traffic away from another that stays.
 */
export function mergeAttributes(
  list: readonly RouteAttributes[],
  weights: 'sum' | 'max' = 'sum',
): RouteAttributes {
  const communities = new Set<string>();
  const large = new Set<string>();
  let localPref: number | undefined;
  let weight: number | undefined;
  let gracefulShutdown = list.length > 0;
  for (const a of list) {
    for (const c of a.communities) communities.add(c);
    for (const c of a.largeCommunities) large.add(c);
    if (a.localPref !== undefined && (localPref === undefined || a.localPref > localPref))
      localPref = a.localPref;
    if (a.weight !== undefined)
      weight =
        weight === undefined ? a.weight : weights === 'sum' ? weight + a.weight : Math.max(weight, a.weight);
    if (a.gracefulShutdown !== true) gracefulShutdown = false;
  }
  return {
    localPref,
    communities: [...communities].sort(),
    largeCommunities: [...large].sort(),
    ...(weight !== undefined ? { weight } : {}),
    ...(gracefulShutdown ? { gracefulShutdown } : {}),
  };
}

/** The whole desired RIB from scratch: used for full resyncs and as the reference in tests. */
export function decideAll(
  services: Iterable<ServiceSnapshot>,
  slicesOf: (key: string) => readonly EndpointSliceSnapshot[],
  ctx: NodeContext,
): DesiredRib {
  const grouped = new Map<
    string,
    Map<string, { family: Family; attrs: RouteAttributes[]; services: string[] }>
  >();
  for (const svc of services) {
    const d = decideService(svc, slicesOf(serviceKey(svc)), ctx);
    for (const r of d.routes) {
      const peer = getOrCreate(grouped, r.peer, () => new Map());
      const entry = getOrCreate(peer, r.prefix, () => ({
        family: r.family,
        attrs: [] as RouteAttributes[],
        services: [] as string[],
      }));
      entry.attrs.push(r.attributes);
      if (!entry.services.includes(d.key)) entry.services.push(d.key);
    }
  }
  const rib = new Map<string, Map<string, DesiredRoute>>();
  for (const [peer, prefixes] of grouped) {
    const out = new Map<string, DesiredRoute>();
    for (const [prefix, e] of prefixes) {
      out.set(prefix, {
        prefix,
        family: e.family,
        attributes: mergeAttributes(e.attrs),
        services: e.services.sort(),
      });
    }
    rib.set(peer, out);
  }
  return rib;
}
