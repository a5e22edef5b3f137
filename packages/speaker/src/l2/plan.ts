// Layer-2 mode's Kubernetes side, as a pure function of snapshots: which nodes form the liveness mesh, and
// for each LoadBalancer address of an L2-announced pool, which nodes are eligible to answer for it and on
// which of this node's interfaces. Every speaker computes the same candidates from the same objects; the
// worker (driver.ts) then picks, among the candidates it holds alive, the one with the highest rendezvous
// score (@herald/l2).
//
// Eligible (candidate) nodes for an address: selected by an l2Advertisement that covers the address's pool,
// Ready, not excluded (node.kubernetes.io/exclude-from-external-load-balancers, NetworkUnavailable), with an
// address to send heartbeats to; and for `externalTrafficPolicy: Local` only nodes with a serving endpoint of
// the Service. A Service without any serving endpoint has no candidates (kube-proxy would reject its traffic).
// Services sharing an address (herald.dev/allow-shared-ip) share its announcer: the candidates are the nodes
// eligible for all of them.
import { compareText, parseIp, rangeContains } from '@herald/inet';
import type { Assignment } from '@herald/l2';
import { isOurService, nodeIneligibility, serviceKey } from '../announce/decide.ts';
import { servingNodes, summarizeEndpoints } from '../announce/endpoints.ts';
import type {
  EndpointSliceSnapshot,
  L2AdvertisementView,
  NodeSnapshot,
  SelectorMatcher,
  ServiceSnapshot,
  SpeakerConfigView,
} from '../announce/model.ts';
import { nodeAddresses } from '../runtime.ts';
import { getOrCreate } from '../util.ts';
import { interfacesFor, type SystemInterface } from './interfaces.ts';

export interface L2PlanInput {
  readonly nodeName: string;
  /** Every Node of the cluster. */
  readonly nodes: Iterable<NodeSnapshot>;
  readonly services: Iterable<ServiceSnapshot>;
  readonly slicesOf: (serviceKey: string) => readonly EndpointSliceSnapshot[];
  readonly config: SpeakerConfigView;
  readonly loadBalancerClass?: string;
  readonly match: SelectorMatcher;
  /** This node's network interfaces. */
  readonly interfaces: readonly SystemInterface[];
  /** The heartbeat port every speaker listens on. */
  readonly port: number;
}

export interface L2Plan {
  /** This node is selected by at least one l2Advertisement: it runs the mesh and may answer. */
  readonly member: boolean;
  /** The other members and where their heartbeats go (their InternalIP, IPv4 first). */
  readonly members: ReadonlyMap<string, { readonly address: string; readonly port: number }>;
  /** One entry per address, sorted by address. */
  readonly assignments: readonly Assignment[];
  /** Why some address or node is left out (for the log and /status). */
  readonly notes: readonly string[];
}

interface NodeFacts {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly eligible: boolean;
  readonly address: string | undefined;
}

function isReady(node: NodeSnapshot): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function selects(ad: L2AdvertisementView, labels: Readonly<Record<string, string>>, match: SelectorMatcher) {
  return ad.nodeSelectors.length === 0 || ad.nodeSelectors.some((s) => match(s, labels));
}

export function planL2(input: L2PlanInput): L2Plan {
  const ads = input.config.l2Advertisements ?? [];
  const notes: string[] = [];
  const facts = new Map<string, NodeFacts>();
  let selfNode: NodeSnapshot | undefined;
  for (const node of input.nodes) {
    const name = node.metadata?.name;
    if (!name) continue;
    if (name === input.nodeName) selfNode = node;
    const a = nodeAddresses(node);
    facts.set(name, {
      name,
      labels: node.metadata?.labels ?? {},
      eligible: isReady(node) && nodeIneligibility(node) === undefined,
      address: a.ipv4 ?? a.ipv6,
    });
  }
  const self = facts.get(input.nodeName);
  const isMember = (n: NodeFacts) => ads.some((ad) => selects(ad, n.labels, input.match));
  const members = new Map<string, { address: string; port: number }>();
  for (const n of facts.values()) {
    if (!isMember(n)) continue;
    if (n.address === undefined) {
      notes.push(`node ${n.name} has no InternalIP or ExternalIP: it cannot take part in the L2 mesh`);
      continue;
    }
    if (n.name !== input.nodeName) members.set(n.name, { address: n.address, port: input.port });
  }
  const member = self !== undefined && isMember(self);
  if (ads.length === 0 || !member) return { member, members, assignments: [], notes };

  const own = nodeAddresses(selfNode);
  const ownAddresses = [own.ipv4, own.ipv6].filter((a): a is string => a !== undefined);
  const byAddress = new Map<
    string,
    { candidates: Set<string>; interfaces: Set<string>; services: string[] }
  >();
  for (const svc of input.services) {
    if (!isOurService(svc, input.loadBalancerClass) || svc.metadata?.deletionTimestamp) continue;
    const key = serviceKey(svc);
    const ips = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((ip): ip is string => !!ip);
    if (ips.length === 0) continue;
    const slices = input.slicesOf(key);
    const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
    const local = svc.spec?.externalTrafficPolicy === 'Local';
    const serving = local ? servingNodes(slices, publishNotReady) : undefined;
    const anywhere = local || summarizeEndpoints(slices, input.nodeName, publishNotReady).servingAnywhere;
    for (const text of ips) {
      const ip = parseIp(text);
      if (!ip) continue;
      const pool = input.config.pools.find((p) => p.ranges.some((r) => rangeContains(r, ip)));
      if (!pool) continue;
      const covering = ads.filter((ad) => ad.pools.length === 0 || ad.pools.includes(pool.name));
      if (covering.length === 0) continue; // announced by BGP only, or not at all
      const candidates = new Set<string>();
      if (anywhere)
        for (const n of facts.values()) {
          if (!n.eligible || n.address === undefined) continue;
          if (serving && !serving.has(n.name)) continue;
          if (covering.some((ad) => selects(ad, n.labels, input.match))) candidates.add(n.name);
        }
      const interfaces = new Set<string>();
      for (const ad of covering)
        if (selects(ad, self!.labels, input.match))
          for (const i of interfacesFor(ad, input.interfaces, ownAddresses)) interfaces.add(i);
      const entry = byAddress.get(text);
      if (!entry) {
        byAddress.set(text, { candidates, interfaces, services: [key] });
        continue;
      }
      // A shared address: only nodes eligible for every Service on it.
      for (const c of [...entry.candidates]) if (!candidates.has(c)) entry.candidates.delete(c);
      for (const i of interfaces) entry.interfaces.add(i);
      entry.services.push(key);
    }
  }
  const assignments: Assignment[] = [];
  for (const [address, e] of byAddress) {
    if (e.candidates.size === 0 && e.services.length > 1)
      notes.push(`${address} is shared by ${e.services.join(', ')}, which have no eligible node in common`);
    assignments.push({
      address,
      candidates: [...e.candidates].sort(),
      interfaces: [...e.interfaces].sort(),
      services: [...e.services].sort(),
    });
  }
  assignments.sort((a, b) => compareText(a.address, b.address));
  return { member, members, assignments, notes };
}

/** Groups EndpointSlices by the Service they belong to (label kubernetes.io/service-name). */
export function slicesByService(
  slices: Iterable<EndpointSliceSnapshot>,
  serviceNameLabel: string,
): Map<string, EndpointSliceSnapshot[]> {
  const out = new Map<string, EndpointSliceSnapshot[]>();
  for (const s of slices) {
    const name = s.metadata?.labels?.[serviceNameLabel];
    if (name) getOrCreate(out, `${s.metadata?.namespace ?? ''}/${name}`, () => []).push(s);
  }
  return out;
}
