// The announce decision: a pure function of snapshots (Service, its EndpointSlices, this Node, config) to the
// set of (prefix, attributes, peers) this node should announce. No I/O, no clock; the runtime calls it from
// the informer caches and diffs the answer against what the BGP sessions already carry.

import { getOrCreate } from '../util.ts';
import { summarizeEndpoints } from './endpoints.ts';
import { type Family, familyBits, intervalContains, parseIp, prefixOf } from './ip.ts';
import {
  type AdvertisementView,
  type DesiredRib,
  type DesiredRoute,
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
  return {
    nodeName,
    ineligible: nodeIneligibility(node),
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
}

export interface ServiceDecision {
  readonly key: string;
  readonly routes: readonly RouteContribution[];
  /** Why the Service is not announced from this node (empty when it is, or when it is not ours at all). */
  readonly reason?: string;
  /** Whether the Service is a LoadBalancer of our class at all; non-ours are never reported. */
  readonly ours: boolean;
}

export function isOurService(svc: ServiceSnapshot, loadBalancerClass: string | undefined): boolean {
  if (svc.spec?.type !== 'LoadBalancer') return false;
  // Same rule as the controller: without a configured class handle only class-less Services.
  return (svc.spec.loadBalancerClass ?? undefined) === (loadBalancerClass || undefined);
}

export function decideService(
  svc: ServiceSnapshot,
  slices: readonly EndpointSliceSnapshot[],
  ctx: NodeContext,
): ServiceDecision {
  const key = serviceKey(svc);
  if (!isOurService(svc, ctx.loadBalancerClass)) return { key, routes: [], ours: false };
  const none = (reason: string): ServiceDecision => ({ key, routes: [], reason, ours: true });
  if (svc.metadata?.deletionTimestamp) return none('Service is being deleted');
  const ips = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((ip): ip is string => !!ip);
  if (ips.length === 0) return none('no IP in status.loadBalancer.ingress');
  if (ctx.ineligible) return none(ctx.ineligible);

  const summary = summarizeEndpoints(slices, ctx.nodeName, svc.spec?.publishNotReadyAddresses === true);
  const local = svc.spec?.externalTrafficPolicy === 'Local';
  if (local && !summary.servingOnNode)
    return none('externalTrafficPolicy Local and no serving endpoint on this node');
  if (!local && !summary.servingAnywhere) return none('no serving endpoint');

  const routes: RouteContribution[] = [];
  const unmatched: string[] = [];
  for (const text of ips) {
    const ip = parseIp(text);
    if (!ip) {
      unmatched.push(`${text} is not an IP address`);
      continue;
    }
    const pool = ctx.config.pools.find((p) => p.ranges.some((r) => intervalContains(r, ip)));
    if (!pool) {
      unmatched.push(`${text} is in no address pool`);
      continue;
    }
    const before = routes.length;
    for (const { ad, peers } of ctx.advertisements) {
      if (ad.pools.length > 0 && !ad.pools.includes(pool.name)) continue;
      const bits = familyBits[ip.family];
      const length = (ip.family === 'ipv4' ? ad.aggregationLength : ad.aggregationLengthV6) ?? bits;
      const prefix = prefixOf(ip, length);
      for (const peer of peers) {
        const internal = ctx.config.peers.find((p) => p.name === peer)?.internal ?? false;
        routes.push({
          peer,
          prefix,
          family: ip.family,
          attributes: {
            // LOCAL_PREF is an iBGP attribute (RFC 4271 §5.1.5); never offered to an external peer.
            localPref: internal ? ad.localPref : undefined,
            communities: ad.communities,
            largeCommunities: ad.largeCommunities,
          },
        });
      }
    }
    if (routes.length === before)
      unmatched.push(`no advertisement for pool ${pool.name} selects this node and a peer`);
  }
  return { key, routes, ours: true, reason: routes.length === 0 ? unmatched.join('; ') : undefined };
}

/** Several advertisements (or aggregated Services) may yield one prefix for one peer: union their attributes. */
export function mergeAttributes(list: readonly RouteAttributes[]): RouteAttributes {
  const communities = new Set<string>();
  const large = new Set<string>();
  let localPref: number | undefined;
  for (const a of list) {
    for (const c of a.communities) communities.add(c);
    for (const c of a.largeCommunities) large.add(c);
    // The highest LOCAL_PREF wins so a preference is never silently lowered by another advertisement.
    if (a.localPref !== undefined && (localPref === undefined || a.localPref > localPref))
      localPref = a.localPref;
  }
  return { localPref, communities: [...communities].sort(), largeCommunities: [...large].sort() };
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
