// EndpointSlices (discovery.k8s.io/v1) as every Herald program reads them: which Service a slice belongs to,
// what of it is worth caching, and whether an endpoint can take traffic. The speaker decides announcements from
// it and the controller lists nodes of node-address Services with it: one rule, so the two never disagree.
import type { V1EndpointSlice } from '@kubernetes/client-node';
import { serviceNameLabel } from './well-known.ts';

/** The fields of one endpoint the rule below reads (V1Endpoint and cached slims both fit). */
export interface EndpointConditionsView {
  readonly addresses?: readonly string[];
  readonly nodeName?: string;
  readonly conditions?: {
    readonly ready?: boolean;
    readonly serving?: boolean;
    readonly terminating?: boolean;
  };
}

/**
 * An endpoint can serve when it is ready, or when it is terminating but still serving: during a rolling update
 * the old pod keeps answering until it exits, and dropping its node early would blackhole the node's traffic
 * (kube-proxy routes to serving-terminating endpoints for the same reason, KEP-1669). Per the API, an unset
 * `ready` means ready and an unset `serving` means "same as ready". With publishNotReadyAddresses every listed
 * endpoint counts, exactly as the EndpointSlice controller then marks them all ready.
 */
export function endpointCanServe(
  endpoint: EndpointConditionsView,
  publishNotReadyAddresses: boolean,
): boolean {
  if (!endpoint.addresses || endpoint.addresses.length === 0) return false;
  if (publishNotReadyAddresses) return true;
  const c = endpoint.conditions ?? {};
  const ready = c.ready ?? true;
  // `serving` is `ready` without the "not terminating" clause, so ready implies serving.
  return ready || (c.serving ?? false);
}

/**
 * What a Herald cache keeps of a slice: its identity, its Service (the one label), the address type, and per
 * endpoint its addresses, node and conditions. Topology hints, ports, zones, targetRefs and managedFields go.
 */
export function slimEndpointSlice(e: V1EndpointSlice): V1EndpointSlice {
  const m = e.metadata;
  const owner = m?.labels?.[serviceNameLabel];
  return {
    metadata: {
      name: m?.name,
      namespace: m?.namespace,
      resourceVersion: m?.resourceVersion,
      labels: owner === undefined ? undefined : { [serviceNameLabel]: owner },
    },
    addressType: e.addressType,
    endpoints: (e.endpoints ?? []).map((ep) => ({
      addresses: ep.addresses,
      nodeName: ep.nodeName,
      conditions: ep.conditions
        ? {
            ready: ep.conditions.ready,
            serving: ep.conditions.serving,
            terminating: ep.conditions.terminating,
          }
        : undefined,
    })),
  };
}
