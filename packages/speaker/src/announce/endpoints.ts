// Whether a Service has endpoints that can take traffic, read from its EndpointSlices (discovery.k8s.io/v1).

import type { Family } from '@herald/inet';
import { endpointCanServe } from '@herald/kube';
import type { EndpointSliceSnapshot, EndpointSnapshot } from './model.ts';

/** The one rule for "can this endpoint take traffic" is @herald/kube's (the controller uses it too). */
export const canServe = endpointCanServe;

/**
 * Ready: can serve and is not terminating — a Pod that will stay. `ready` already means "not terminating" in
 * the API; the explicit check keeps a slice that says both from counting a leaving Pod.
 */
export function isReady(endpoint: EndpointSnapshot, publishNotReadyAddresses: boolean): boolean {
  if (!canServe(endpoint, publishNotReadyAddresses)) return false;
  if (publishNotReadyAddresses) return true;
  return (endpoint.conditions?.ready ?? true) && endpoint.conditions?.terminating !== true;
}

/** Endpoints on this node, of one address family. */
export interface NodeEndpointCount {
  /** Ready (not terminating) endpoints: the node's weight under `weighting: endpoints`. */
  readonly ready: number;
  /** Endpoints that can serve, terminating ones included. */
  readonly serving: number;
}

export interface EndpointSummary {
  /** At least one endpoint anywhere in the cluster can serve. */
  readonly servingAnywhere: boolean;
  /** At least one endpoint on this node can serve. */
  readonly servingOnNode: boolean;
  /** At least one endpoint anywhere is ready; false while every serving one is terminating. */
  readonly readyAnywhere: boolean;
  /** Per address family (of the slices) on this node. */
  readonly onNode: Readonly<Record<Family, NodeEndpointCount>>;
}

const familyOfSlice: Readonly<Record<string, Family>> = { IPv4: 'ipv4', IPv6: 'ipv6' };

/**
 * Looks across ALL of a Service's slices (both address families) so a dual-stack Service is judged once, and
 * counts this node's endpoints per family: a dual-stack Pod is listed once in each family's slice.
 */
export function summarizeEndpoints(
  slices: readonly EndpointSliceSnapshot[],
  nodeName: string,
  publishNotReadyAddresses: boolean,
): EndpointSummary {
  let servingAnywhere = false;
  let readyAnywhere = false;
  const onNode = { ipv4: { ready: 0, serving: 0 }, ipv6: { ready: 0, serving: 0 } };
  for (const slice of slices) {
    const family = familyOfSlice[slice.addressType ?? ''];
    if (family === undefined) continue; // FQDN slices name no Pods
    for (const ep of slice.endpoints ?? []) {
      if (!canServe(ep, publishNotReadyAddresses)) continue;
      servingAnywhere = true;
      const ready = isReady(ep, publishNotReadyAddresses);
      if (ready) readyAnywhere = true;
      if (ep.nodeName !== nodeName) continue;
      onNode[family].serving++;
      if (ready) onNode[family].ready++;
    }
  }
  const servingOnNode = onNode.ipv4.serving + onNode.ipv6.serving > 0;
  return { servingAnywhere, servingOnNode, readyAnywhere, onNode };
}

/** The nodes with at least one endpoint that can serve (layer-2 mode's candidates for `Local` Services). */
export function servingNodes(
  slices: readonly EndpointSliceSnapshot[],
  publishNotReadyAddresses: boolean,
): Set<string> {
  const nodes = new Set<string>();
  for (const slice of slices) {
    if (slice.addressType === 'FQDN') continue;
    for (const ep of slice.endpoints ?? [])
      if (ep.nodeName && canServe(ep, publishNotReadyAddresses)) nodes.add(ep.nodeName);
  }
  return nodes;
}
