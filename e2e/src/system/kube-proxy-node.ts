// The real kube-proxy (built from k8s.io/kubernetes by e2e/testbin/ensure.sh, same version as the apiserver),
// one per node namespace, for the node-address data plane: it watches Services, EndpointSlices and its Node
// through the namespace's apiserver forwarder, as the kube-system/kube-proxy ServiceAccount bound to the
// apiserver's own system:node-proxier ClusterRole — exactly what a cluster's kube-proxy runs as — and programs
// iptables or nftables inside the node namespace. Nothing here decides anything: what it does with
// status.loadBalancer.ingress is the thing the node-address e2e test observes.

/** kube-proxy's backends the lab runs (kube-proxy --proxy-mode). */
export type KubeProxyMode = 'iptables' | 'nftables';

export const KUBE_PROXY_SA = { namespace: 'kube-system', name: 'kube-proxy' } as const;
/** The ClusterRole the apiserver bootstraps for kube-proxy. */
export const NODE_PROXIER_ROLE = 'system:node-proxier';
/** healthz on the node namespace's loopback: 200 once the first sync of the rules is done. */
export const KUBE_PROXY_HEALTHZ = '127.0.0.1:10256';

/**
 * The KubeProxyConfiguration for NODE. clusterCIDR is the lab's pod range (traffic from pods is not
 * masqueraded); nodePortAddresses `primary` keeps node ports off loopback (no route_localnet change);
 * conntrack limits and timeouts are left as the kernel has them (0 = do not touch: the sysctls are not all
 * per-namespace, and the machine is shared).
 */
export function kubeProxyConfig(opts: { node: string; mode: KubeProxyMode; kubeconfig: string }): string {
  return [
    'apiVersion: kubeproxy.config.k8s.io/v1alpha1',
    'kind: KubeProxyConfiguration',
    `clientConnection: { kubeconfig: ${JSON.stringify(opts.kubeconfig)} }`,
    `hostnameOverride: ${opts.node}`,
    `mode: ${opts.mode}`,
    'clusterCIDR: 198.19.0.0/16',
    'nodePortAddresses: [primary]',
    `healthzBindAddress: ${KUBE_PROXY_HEALTHZ}`,
    'metricsBindAddress: 127.0.0.1:10249',
    'conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s }',
    '',
  ].join('\n');
}
