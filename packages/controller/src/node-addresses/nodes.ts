// Which Nodes a node-address Service is listed on, and with which addresses: pure functions of the cached Nodes
// and EndpointSlices. A Node is eligible when it is Ready, schedulable (not cordoned), not being deleted, not
// labelled node.kubernetes.io/exclude-from-external-load-balancers and matched by the pool's nodeSelectors;
// for externalTrafficPolicy Local it must also run a serving endpoint of the Service (kube-proxy drops Local
// traffic on a node without one, so listing it would blackhole that node's share).

import { matchesAnySelector, type NodeAddressSource } from '@herald/config';
import { compareText, type Family, formatIp, parseIp } from '@herald/inet';
import { endpointCanServe, excludeFromExternalLoadBalancersLabel } from '@herald/kube';
import type { V1EndpointSlice, V1Node } from '@kubernetes/client-node';

/** One listed node and its addresses of the pool's type, in the Service's families. */
export interface NodeAddresses {
  readonly node: string;
  readonly addresses: ReadonlyArray<{ readonly family: Family; readonly address: string }>;
}

/** Why a Node is not listed (for the Event when no node is), or undefined when it may be. */
export function nodeIneligibility(
  node: V1Node,
  source: NodeAddressSource,
  serving: ReadonlySet<string> | undefined,
): string | undefined {
  const labels = node.metadata?.labels ?? {};
  if (node.metadata?.deletionTimestamp) return 'being deleted';
  if (excludeFromExternalLoadBalancersLabel in labels)
    return `labelled ${excludeFromExternalLoadBalancersLabel}`;
  if (!matchesAnySelector(source.nodeSelectors, labels)) return 'not matched by the pool’s nodeSelectors';
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') return 'not Ready';
  if (node.spec?.unschedulable === true) return 'cordoned (spec.unschedulable)';
  if (serving !== undefined && !serving.has(node.metadata?.name ?? ''))
    return 'no serving endpoint of the Service (externalTrafficPolicy: Local)';
  return undefined;
}

/** Every address of TYPE on the Node, canonical text, by family; malformed entries are skipped. */
export function addressesOfType(node: V1Node, type: string): Array<{ family: Family; address: string }> {
  const out: Array<{ family: Family; address: string }> = [];
  for (const a of node.status?.addresses ?? []) {
    if (a.type !== type) continue;
    const ip = parseIp(a.address ?? '');
    if (ip !== undefined) out.push({ family: ip.family, address: formatIp(ip) });
  }
  return out;
}

/**
 * The eligible Nodes with their addresses of the pool's type in FAMILIES, sorted by node name (so the
 * Service's status never changes just because the cache iterated in another order). A Node without such an
 * address is left out; `skipped` says why every other Node is not listed.
 */
export function eligibleNodes(
  nodes: Iterable<V1Node>,
  source: NodeAddressSource,
  families: readonly Family[],
  serving: ReadonlySet<string> | undefined,
): { listed: NodeAddresses[]; skipped: Array<{ node: string; why: string }> } {
  const listed: NodeAddresses[] = [];
  const skipped: Array<{ node: string; why: string }> = [];
  for (const node of nodes) {
    const name = node.metadata?.name ?? '';
    const why = nodeIneligibility(node, source, serving);
    if (why !== undefined) {
      skipped.push({ node: name, why });
      continue;
    }
    const addresses = addressesOfType(node, source.type).filter((a) => families.includes(a.family));
    if (addresses.length === 0) {
      skipped.push({ node: name, why: `no ${source.type} of the Service's families` });
      continue;
    }
    listed.push({ node: name, addresses });
  }
  const byName = (a: { node: string }, b: { node: string }) => compareText(a.node, b.node);
  return { listed: listed.sort(byName), skipped: skipped.sort(byName) };
}

/**
 * status.loadBalancer.ingress for these nodes: the primary family's addresses first (like every Herald
 * assignment), then the other family's; within a family by node name, then as the Node lists them.
 */
export function ingressAddresses(listed: readonly NodeAddresses[], families: readonly Family[]): string[] {
  const out: string[] = [];
  for (const family of families)
    for (const n of listed)
      for (const a of n.addresses) if (a.family === family && !out.includes(a.address)) out.push(a.address);
  return out;
}

/** Nodes with a serving endpoint of the Service, across all its slices (both families). */
export function servingNodes(
  slices: Iterable<V1EndpointSlice>,
  publishNotReadyAddresses: boolean,
): Set<string> {
  const out = new Set<string>();
  for (const slice of slices) {
    if (slice.addressType === 'FQDN') continue;
    for (const ep of slice.endpoints ?? [])
      if (ep.nodeName && endpointCanServe(ep, publishNotReadyAddresses)) out.add(ep.nodeName);
  }
  return out;
}
