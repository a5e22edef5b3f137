// What a kube-proxy would make a node answer for: the pure decision behind the lab's kube-proxy stand-in.
//
// There is no kubelet or kube-proxy in the test bed, so each node namespace runs a stand-in
// (kube-proxy-standin.ts) that puts the LoadBalancer IPs this node serves on its `lo` and answers HTTP on them
// with the node's name. It is driven by the Services and EndpointSlices it watches — like kube-proxy, and
// deliberately NOT by what the speaker announces: that keeps it an independent oracle. If a speaker announced
// an IP from a node kube-proxy would not serve it on (e.g. a Local Service without an endpoint there), the
// client's connections hashed to that node would fail and the e2e test would see it.
//
// The rules follow kube-proxy (KEP-1669 endpoint conditions, externalTrafficPolicy):
// - an endpoint can take traffic when it is ready, or terminating but still serving;
// - Cluster: every node serves the IPs while the Service has at least one such endpoint anywhere
//   (kube-proxy rejects traffic for a Service without endpoints);
// - Local: only nodes with such an endpoint of their own serve the IPs (kube-proxy drops the rest);
// - an ingress IP that is some Node's address (a node-address pool) is never put on lo: the node it belongs to
//   already has it, and on any other node it would capture traffic meant for that node.
// This module deliberately shares no code with the speaker's decide.ts for the same reason.

export interface ServiceView {
  readonly namespace: string;
  readonly name: string;
  readonly type: string | undefined;
  readonly externalTrafficPolicy: string | undefined;
  readonly publishNotReadyAddresses: boolean;
  readonly ingressIPs: readonly string[];
}

export interface EndpointView {
  readonly nodeName: string | undefined;
  readonly ready: boolean | undefined;
  readonly serving: boolean | undefined;
  readonly hasAddress: boolean;
}

export interface SliceView {
  readonly namespace: string;
  /** The owning Service (label kubernetes.io/service-name). */
  readonly serviceName: string | undefined;
  readonly addressType: string | undefined;
  readonly endpoints: readonly EndpointView[];
}

function canTakeTraffic(ep: EndpointView, publishNotReady: boolean): boolean {
  if (!ep.hasAddress) return false;
  if (publishNotReady) return true;
  // Per the API an unset `ready` means ready, and an unset `serving` means "same as ready".
  const ready = ep.ready ?? true;
  return ready || (ep.serving ?? ready);
}

/** The LoadBalancer IPs NODE answers for, sorted. NODE_ADDRESSES: every address of every Node. */
export function servedAddresses(
  nodeName: string,
  services: readonly ServiceView[],
  slices: readonly SliceView[],
  nodeAddresses: ReadonlySet<string> = new Set(),
): string[] {
  const out = new Set<string>();
  for (const svc of services) {
    if (svc.type !== 'LoadBalancer' || svc.ingressIPs.length === 0) continue;
    const endpoints = slices
      .filter((s) => s.namespace === svc.namespace && s.serviceName === svc.name && s.addressType !== 'FQDN')
      .flatMap((s) => s.endpoints)
      .filter((ep) => canTakeTraffic(ep, svc.publishNotReadyAddresses));
    const serves =
      svc.externalTrafficPolicy === 'Local'
        ? endpoints.some((ep) => ep.nodeName === nodeName)
        : endpoints.length > 0;
    if (serves) for (const ip of svc.ingressIPs) if (!nodeAddresses.has(ip)) out.add(ip);
  }
  return [...out].sort();
}
