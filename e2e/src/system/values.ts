// The chart values the test bed installs: a pool from the LoadBalancer ranges, the lab's FRR router as peer
// (one session per address family), graceful restart on, and short Lease timings so a killed leader is
// replaced within seconds. Shared by the e2e tests and `npm run lab`; tests adjust a copy.
import { parse } from 'yaml';
import { HERALD_NAMESPACE, NODE_ASN, READER_SA } from '../constants.ts';
import { ROUTER_ASN, ROUTER_IPV4, ROUTER_IPV6 } from '../lab/index.ts';

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
    l2Advertisements?: Array<Record<string, unknown>>;
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
    // The test bed reads /metrics and /status as this ServiceAccount (system.ts mints its token).
    metrics: {
      authorization: {
        statusReaders: [{ kind: 'ServiceAccount', name: READER_SA, namespace: HERALD_NAMESPACE }],
      },
    },
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

/** Values whose `config` is this config.yaml text (a test that states its configuration as YAML). */
export function valuesWithConfig(configYaml: string, values: ChartValues = defaultValues()): ChartValues {
  return { ...values, config: parse(configYaml) as ChartValues['config'] };
}

/** The default values with these leader-election timings (Go durations) for the controller replicas. */
export function withLeaderElection(
  values: ChartValues,
  timings: { leaseDuration: string; renewDeadline: string; retryPeriod: string },
): ChartValues {
  const controller = (values.controller ?? {}) as Record<string, unknown>;
  return { ...values, controller: { ...controller, leaderElection: { enabled: true, ...timings } } };
}

/**
 * Layer-2 mode: the default pool answered for on the node segment by one node per address (no peers, no BGP),
 * the speakers with CAP_NET_RAW and the heartbeat key (speaker.l2). `intervalMs` × `detectMultiplier` is the
 * detection time (the chart's defaults: 200 ms × 5).
 */
export function l2Values(
  o: { intervalMs?: number; detectMultiplier?: number; bgp?: boolean } = {},
): ChartValues {
  const base = defaultValues();
  return {
    ...base,
    speaker: {
      l2: {
        enabled: true,
        port: 7474,
        heartbeatInterval: o.intervalMs ?? 200,
        detectMultiplier: o.detectMultiplier ?? 5,
      },
    },
    config: {
      ...base.config,
      ...(o.bgp ? {} : { peers: [], bgpAdvertisements: [] }),
      l2Advertisements: [{ name: 'lan' }],
    },
  };
}

/**
 * config.yaml for BFD tests and benchmarks: the lab's pool, the router over IPv4 and over IPv6 (hold time 9 s,
 * graceful restart with restart time 60 s, as defaultValues), each with `bfd: { enabled: BFD }`.
 */
export function bfdLabConfig(bfd: boolean): string {
  const peer = (name: string, address: string) => `
  - name: ${name}
    peerAddress: ${address}
    peerASN: ${ROUTER_ASN}
    myASN: ${NODE_ASN}
    holdTime: 9s
    connectTime: 2s
    gracefulRestart: { enabled: true, restartTime: 60s }
    bfd: { enabled: ${bfd} }`;
  return `
addressPools:
  - name: ${DEFAULT_POOL.name}
    addresses: [${DEFAULT_POOL.addresses.map((a) => `"${a}"`).join(', ')}]
peers:${peer('router-v4', ROUTER_IPV4)}${peer('router-v6', ROUTER_IPV6)}
bgpAdvertisements:
  - name: all
`;
}
