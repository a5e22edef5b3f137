// For tests: a SpeakerRuntime over in-memory stores and fake sessions that record what they were handed.
import type { Clock } from '@herald/kube';
import type {
  AdvertisementView,
  DesiredRoute,
  EndpointSliceSnapshot,
  EndpointSnapshot,
  LabelSelector,
  NodeSnapshot,
  ServiceSnapshot,
  SpeakerConfigView,
} from '../announce/model.ts';
import { type SpeakerConfigLoad, SpeakerRuntime } from '../runtime.ts';
import type { PeerSessionPort, SessionDriver, SessionSnapshot, StopMode } from '../sessions/port.ts';
import { poolRange } from './pool-range.ts';
import { sessionSnapshot } from './session-snapshot.ts';

type Settings = { asn: number };
const match = (s: LabelSelector, labels: Readonly<Record<string, string>>) =>
  Object.entries(s.matchLabels ?? {}).every(([k, v]) => labels[k] === v);

export class FakeSession implements PeerSessionPort {
  /** "+prefix" per announce, "-prefix" per withdraw, in order. */
  readonly log: string[] = [];
  /** Every route handed to announce(), with its attributes, in order. */
  readonly announced: DesiredRoute[] = [];
  stopped?: StopMode;
  readonly peer: string;
  constructor(peer: string) {
    this.peer = peer;
  }
  announce(routes: readonly DesiredRoute[]) {
    this.log.push(...routes.map((r) => `+${r.prefix}`));
    this.announced.push(...routes);
  }
  withdraw(prefixes: readonly string[]) {
    this.log.push(...prefixes.map((p) => `-${p}`));
  }
  /** How many log entries preceded initialTableLoaded() (End-of-RIB may follow them); undefined before. */
  tableLoadedAfter?: number;
  initialTableLoaded() {
    this.tableLoadedAfter ??= this.log.length;
  }
  async stop(mode: StopMode) {
    this.stopped = mode;
  }
  snapshot(): SessionSnapshot {
    return sessionSnapshot({
      peer: this.peer,
      state: 'Established',
      established: true,
      uptimeSeconds: 1,
      establishedTransitions: 1,
    });
  }
}

export interface HarnessOptions {
  /** Overrides of the one advertisement ("ad", every pool, peer and node). */
  readonly advertisement?: Partial<AdvertisementView>;
  readonly clock?: Clock;
}

/** Node n1, pool 198.51.100.0/24, one advertisement; Services are added with one endpoint each by default. */
export function setup(options: HarnessOptions = {}) {
  const opened: FakeSession[] = [];
  const driver: SessionDriver<Settings> = {
    open: (peer) => {
      const s = new FakeSession(peer);
      opened.push(s);
      return s;
    },
    sameSettings: (a, b) => a.asn === b.asn,
    setPassivePeers: () => {},
    close: async () => {},
  };
  const services = new Map<string, ServiceSnapshot>();
  const slices = new Map<string, EndpointSliceSnapshot>();
  let node: NodeSnapshot | undefined = { metadata: { name: 'n1', labels: {} } };
  let config: SpeakerConfigLoad<Settings> = { kind: 'missing' };
  const view = (peers: string[]): SpeakerConfigView => ({
    pools: [{ name: 'p', ranges: [poolRange('198.51.100.0/24')] }],
    peers: peers.map((name) => ({ name, internal: false, nodeSelectors: [] })),
    advertisements: [
      {
        name: 'ad',
        pools: [],
        peers: [],
        nodeSelectors: [],
        communities: [],
        largeCommunities: [],
        ...options.advertisement,
      },
    ],
  });
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  const rt = new SpeakerRuntime<Settings>({
    nodeName: 'n1',
    stores: {
      service: (k) => services.get(k),
      services: () => services.values(),
      slice: (k) => slices.get(k),
      node: () => node,
      configSource: () => config,
    },
    driver,
    loadConfig: (src) => src as SpeakerConfigLoad<Settings>,
    match,
    log,
    clock: options.clock,
  });
  /** Replaces the Service's one slice with these endpoints. */
  const setEndpoints = (name: string, endpoints: readonly EndpointSnapshot[]) => {
    const slice: EndpointSliceSnapshot = {
      metadata: { namespace: 'ns', name: `${name}-x`, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      endpoints,
    };
    slices.set(`ns/${name}-x`, slice);
    rt.sliceChanged(`ns/${name}-x`, slice);
  };
  const addService = (
    name: string,
    ip: string,
    nodeName = 'n2',
    spec: Partial<NonNullable<ServiceSnapshot['spec']>> = {},
    annotations?: Record<string, string>,
  ) => {
    services.set(`ns/${name}`, {
      metadata: { namespace: 'ns', name, ...(annotations ? { annotations } : {}) },
      spec: { type: 'LoadBalancer', ...spec },
      status: { loadBalancer: { ingress: [{ ip }] } },
    });
    rt.serviceChanged(`ns/${name}`);
    setEndpoints(name, [{ addresses: ['10.0.0.1'], nodeName, conditions: { ready: true } }]);
  };
  return {
    rt,
    opened,
    services,
    addService,
    setEndpoints,
    setConfig: (c: SpeakerConfigLoad<Settings>) => {
      config = c;
      rt.configChanged();
    },
    /** What the same ConfigMap reduces to once a Secret changed. */
    setPasswords: (c: SpeakerConfigLoad<Settings>) => {
      config = c;
      rt.passwordsChanged();
    },
    setNode: (n: NodeSnapshot | undefined) => {
      node = n;
      rt.nodeChanged();
    },
    valid: (sessions: Record<string, number>): SpeakerConfigLoad<Settings> => ({
      kind: 'valid',
      view: view(Object.keys(sessions)),
      sessions: new Map(Object.entries(sessions).map(([k, asn]) => [k, { asn }])),
      digest: `sha256:${Object.keys(sessions).join(',')}`,
    }),
  };
}
