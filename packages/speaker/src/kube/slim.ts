// What the speaker keeps of each cached object: exactly the fields the announce decision and the Events read.
// Everything else (managedFields, other annotations, ports, topology hints…) is dropped before caching; the
// EndpointSlice slim is @herald/kube's, shared with the controller.
import { serviceAttributeAnnotations } from '@herald/config';
import type { V1Service } from '@kubernetes/client-node';

/** The per-Service BGP attribute annotations, when the Service has any (most have none: no object kept). */
function bgpAnnotations(all: Record<string, string> | undefined): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const k of serviceAttributeAnnotations) {
    const v = all?.[k];
    if (v === undefined) continue;
    out ??= {};
    out[k] = v;
  }
  return out;
}

export function slimService(s: V1Service): V1Service {
  const m = s.metadata;
  return {
    metadata: {
      name: m?.name,
      namespace: m?.namespace,
      uid: m?.uid,
      resourceVersion: m?.resourceVersion,
      deletionTimestamp: m?.deletionTimestamp,
      annotations: bgpAnnotations(m?.annotations),
    },
    spec: {
      type: s.spec?.type,
      loadBalancerClass: s.spec?.loadBalancerClass,
      externalTrafficPolicy: s.spec?.externalTrafficPolicy,
      publishNotReadyAddresses: s.spec?.publishNotReadyAddresses,
    },
    status: { loadBalancer: { ingress: s.status?.loadBalancer?.ingress?.map((i) => ({ ip: i.ip })) } },
  };
}

/** Slices are slimmed the same way by every Herald program (@herald/kube). */
export { slimEndpointSlice } from '@herald/kube';
