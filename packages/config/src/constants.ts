// Names shared by the controller, the speaker, heraldctl and the Helm chart. One definition, no drift.

/** The ConfigMap (in the install namespace) holding the configuration. */
export const configMapName = 'herald-config';
/** The ConfigMap data key holding the YAML configuration. */
export const configMapKey = 'config.yaml';

/** Service annotations. */
export const annotations = {
  /** Requested IPs, comma separated, at most one per family: "198.51.100.7,2001:db8:100::7". */
  loadBalancerIPs: 'herald.dev/loadBalancerIPs',
  /** Requested pool name. */
  addressPool: 'herald.dev/address-pool',
  /** Sharing key: Services with the same key may share an IP (non-overlapping ports). */
  allowSharedIP: 'herald.dev/allow-shared-ip',
  /** Written by the controller: the pool the IP(s) came from. */
  ipAllocatedFromPool: 'herald.dev/ip-allocated-from-pool',
  /** status.loadBalancer.ingress[].ipMode: "VIP" (default) or "Proxy" (KEP-1860, for PROXY-protocol setups). */
  ipMode: 'herald.dev/ip-mode',
  /** Extra RFC 1997 communities for the Service's routes, comma separated; only what serviceAttributes allows. */
  bgpCommunities: 'herald.dev/bgp-communities',
  /** Extra RFC 8092 large communities for the Service's routes, comma separated; as above. */
  bgpLargeCommunities: 'herald.dev/bgp-large-communities',
  /** LOCAL_PREF for the Service's routes (iBGP peers), within serviceAttributes.localPref. */
  bgpLocalPref: 'herald.dev/bgp-local-pref',
} as const;

/** Service status.conditions types the controller owns (metav1.Condition; docs/operations.md). */
export const conditionTypes = {
  /** True: the Service holds the addresses it asks for. False: reason = the allocation failure cause. */
  addressAllocated: 'herald.dev/AddressAllocated',
} as const;

/** Defaults applied by validation when a field is omitted (documented in docs/configuration.md). */
export const defaults = {
  autoAssign: true,
  nodeAddressType: 'InternalIP',
  avoidBuggyIPs: false,
  peerPort: 179,
  holdTime: '90s',
  connectTime: '10s',
  passive: false,
  ttlSecurity: false,
  gracefulRestartEnabled: false,
  gracefulRestartTime: '120s',
  aggregationLength: 32,
  aggregationLengthV6: 128,
  minHoldTime: '3s',
  /**
   * The speaker never uses received routes, only counts them: 1,000 prefixes per family is more than a router
   * has reason to send it, and `block` keeps announcing whatever the router sends beyond that.
   */
  maxPrefixesLimit: 1000,
  maxPrefixesAction: 'block',
  maxPrefixesRestartTime: '1m',
  weighting: 'none',
  weightHoldDown: '10s',
  drainTime: '0s',
  cordonedNodes: 'announce',
} as const;
