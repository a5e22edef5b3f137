// The chart values the whole-system harness installs: a pool from the LoadBalancer ranges, the lab's FRR
// router as peer (one session per address family), graceful restart on, and short Lease timings so a killed
// leader is replaced within seconds. Shared by the full e2e and `npm run lab`.
import { ROUTER_IPV4, ROUTER_IPV6 } from '../lab/index.ts';

export const RELEASE = 'herald';
export const HERALD_NAMESPACE = 'herald-system';
/** Names the chart derives from the release name (fullname = release name, as it contains "herald"). */
export const CONFIG_MAP = 'herald-config';
export const CONTROLLER_SA = 'herald-controller';
export const SPEAKER_SA = 'herald-speaker';
export const LEASE = 'herald-controller';

export const ROUTER_ASN = 64512;
export const NODE_ASN = 64600;
/** The speakers' metrics/status port on every node (the chart's default). */
export const SPEAKER_METRICS_PORT = 7473;

export const DEFAULT_POOL = {
  name: 'default',
  addresses: ['198.51.100.0/26', '2001:db8:100::/112'],
};

export interface ChartValues {
  [key: string]: unknown;
  config: {
    addressPools: Array<Record<string, unknown>>;
    peers: Array<Record<string, unknown>>;
    bgpAdvertisements: Array<Record<string, unknown>>;
  };
}

export function defaultValues(): ChartValues {
  const peer = (name: string, address: string) => ({
    name,
    peerAddress: address,
    peerASN: ROUTER_ASN,
    myASN: NODE_ASN,
    // Fast failure detection in the lab; routers and speakers agree on the smaller hold time.
    holdTime: '9s',
    connectTime: '2s',
    gracefulRestart: { enabled: true, restartTime: '60s' },
  });
  return {
    logLevel: 'info',
    controller: {
      replicas: 2,
      leaderElection: { enabled: true, leaseDuration: '6s', renewDeadline: '4s', retryPeriod: '1s' },
    },
    config: {
      addressPools: [structuredClone(DEFAULT_POOL)],
      peers: [peer('router-v4', ROUTER_IPV4), peer('router-v6', ROUTER_IPV6)],
      bgpAdvertisements: [{ name: 'all' }],
    },
  };
}
