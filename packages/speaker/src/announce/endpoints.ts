// Whether a Service has endpoints that can take traffic, read from its EndpointSlices (discovery.k8s.io/v1).
import type { EndpointSliceSnapshot, EndpointSnapshot } from './model.ts';

/**
 * An endpoint can serve when it is ready, or when it is terminating but still serving: during a rolling update
 * the old pod keeps answering until it exits, and withdrawing it early would blackhole the node's traffic
 * (kube-proxy routes to serving-terminating endpoints for the same reason). Per the API, an unset `ready` means
 * ready and an unset `serving` means "same as ready". With publishNotReadyAddresses every listed endpoint counts,
 * exactly as the EndpointSlice controller then marks them all ready.
 */
export function canServe(endpoint: EndpointSnapshot, publishNotReadyAddresses: boolean): boolean {
  if (!endpoint.addresses || endpoint.addresses.length === 0) return false;
  if (publishNotReadyAddresses) return true;
  const c = endpoint.conditions ?? {};
  const ready = c.ready ?? true;
  // `serving` is `ready` without the "not terminating" clause, so ready implies serving.
  return ready || (c.serving ?? false);
}

export interface EndpointSummary {
  /** At least one endpoint anywhere in the cluster can serve. */
  readonly servingAnywhere: boolean;
  /** At least one endpoint on this node can serve. */
  readonly servingOnNode: boolean;
}

/** Looks across ALL of a Service's slices (both address families) so a dual-stack Service is judged once. */
export function summarizeEndpoints(
  slices: readonly EndpointSliceSnapshot[],
  nodeName: string,
  publishNotReadyAddresses: boolean,
): EndpointSummary {
  let servingAnywhere = false;
  let servingOnNode = false;
  for (const slice of slices) {
    if (slice.addressType === 'FQDN') continue;
    for (const ep of slice.endpoints ?? []) {
      if (!canServe(ep, publishNotReadyAddresses)) continue;
      servingAnywhere = true;
      if (ep.nodeName === nodeName) {
        servingOnNode = true;
        return { servingAnywhere, servingOnNode };
      }
    }
  }
  return { servingAnywhere, servingOnNode };
}
