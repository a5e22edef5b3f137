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
} as const;

/** Defaults applied by validation when a field is omitted (documented in docs/configuration.md). */
export const defaults = {
  autoAssign: true,
  avoidBuggyIPs: false,
  peerPort: 179,
  holdTime: '90s',
  connectTime: '10s',
  passive: false,
  gracefulRestartEnabled: false,
  gracefulRestartTime: '120s',
  aggregationLength: 32,
  aggregationLengthV6: 128,
} as const;
