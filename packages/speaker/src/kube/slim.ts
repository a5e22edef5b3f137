// What the speaker keeps of each cached object: exactly the fields the announce decision and the Events read.
// Everything else (managedFields, annotations, ports, topology hints…) is dropped before caching.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { serviceNameLabel } from '../announce/model.ts';

export function slimService(s: V1Service): V1Service {
  const m = s.metadata;
  return {
    metadata: {
      name: m?.name,
      namespace: m?.namespace,
      uid: m?.uid,
      resourceVersion: m?.resourceVersion,
      deletionTimestamp: m?.deletionTimestamp,
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
