import { parseInterval } from './announce/ip.ts';
import type {
  EndpointSliceSnapshot,
  LabelSelector,
  NodeSnapshot,
  ServiceSnapshot,
  SpeakerConfigView,
} from './announce/model.ts';
import { type ConfigLoad, SpeakerRuntime } from './runtime.ts';
import type { PeerSessionPort, SessionDriver, SessionSnapshot } from './sessions/port.ts';

type Settings = { asn: number };
const match = (s: LabelSelector, labels: Readonly<Record<string, string>>) =>
  Object.entries(s.matchLabels ?? {}).every(([k, v]) => labels[k] === v);

class FakeSession implements PeerSessionPort {
  readonly log: string[] = [];
  stopped?: string;
  readonly peer: string;
  constructor(peer: string) {
    this.peer = peer;
  }
  announce(routes: readonly { prefix: string }[]) {
    this.log.push(...routes.map((r) => `+${r.prefix}`));
  }
  withdraw(prefixes: readonly string[]) {
    this.log.push(...prefixes.map((p) => `-${p}`));
  }
  async stop(mode: string) {
    this.stopped = mode;
  }
  snapshot(): SessionSnapshot {
    return {
      peer: this.peer,
      peerAddress: '203.0.113.1',
      state: 'Established',
      established: true,
      uptimeSeconds: 1,
      establishedSince: null,
      establishedTransitions: 1,
      updatesSent: 0,
      updatesReceived: 0,
      messagesSent: 0,
      messagesReceived: 0,
      notificationsSent: [],
      notificationsReceived: [],
      lastError: null,
    };
  }
}

function setup() {
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
  let config: ConfigLoad<Settings> = { kind: 'missing' };
  const view = (peers: string[]): SpeakerConfigView => ({
    pools: [{ name: 'p', ranges: [parseInterval('198.51.100.0/24')!] }],
    peers: peers.map((name) => ({ name, internal: false, nodeSelectors: [] })),
    advertisements: [
      { name: 'ad', pools: [], peers: [], nodeSelectors: [], communities: [], largeCommunities: [] },
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
    loadConfig: (src) => src as ConfigLoad<Settings>,
    match,
    log,
  });
  const addService = (name: string, ip: string, nodeName = 'n2') => {
    services.set(`ns/${name}`, {
      metadata: { namespace: 'ns', name },
      spec: { type: 'LoadBalancer' },
      status: { loadBalancer: { ingress: [{ ip }] } },
    });
    const slice: EndpointSliceSnapshot = {
      metadata: { namespace: 'ns', name: `${name}-x`, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.1'], nodeName, conditions: { ready: true } }],
    };
    slices.set(`ns/${name}-x`, slice);
    rt.serviceChanged(`ns/${name}`);
    rt.sliceChanged(`ns/${name}-x`, slice);
  };
  return {
    rt,
    opened,
    services,
    addService,
    setConfig: (c: ConfigLoad<Settings>) => {
      config = c;
      rt.configChanged();
    },
    setNode: (n: NodeSnapshot | undefined) => {
      node = n;
      rt.nodeChanged();
    },
    valid: (sessions: Record<string, number>): ConfigLoad<Settings> => ({
      kind: 'valid',
      view: view(Object.keys(sessions)),
      sessions: new Map(Object.entries(sessions).map(([k, asn]) => [k, { asn }])),
    }),
  };
}

describe('SpeakerRuntime', () => {
  it('announces to every session and withdraws when the Service goes', () => {
    const t = setup();
    t.setConfig(t.valid({ a: 1, b: 2 }));
    t.addService('s1', '198.51.100.1');
    t.rt.start();
    expect(t.opened.map((s) => [s.peer, s.log])).toEqual([
      ['a', ['+198.51.100.1/32']],
      ['b', ['+198.51.100.1/32']],
    ]);
    t.services.delete('ns/s1');
    t.rt.serviceChanged('ns/s1');
    t.rt.reconcile();
    expect(t.opened[0]!.log).toEqual(['+198.51.100.1/32', '-198.51.100.1/32']);
  });

  it('a full resync (relist, node update) sends nothing when nothing changed', () => {
    const t = setup();
    t.setConfig(t.valid({ a: 1 }));
    t.addService('s1', '198.51.100.1');
    t.addService('s2', '198.51.100.2');
    t.rt.start();
    const before = [...t.opened[0]!.log];
    for (const k of ['ns/s1', 'ns/s2']) t.rt.serviceChanged(k);
    t.setNode({ metadata: { name: 'n1', labels: { any: 'thing' } } });
    t.rt.reconcile();
    expect(t.opened[0]!.log).toEqual(before);
    expect(t.opened).toHaveLength(1);
  });

  it('a config change to one peer restarts only that session', () => {
    const t = setup();
    t.setConfig(t.valid({ a: 1, b: 2 }));
    t.addService('s1', '198.51.100.1');
    t.rt.start();
    t.setConfig(t.valid({ a: 1, b: 3 }));
    t.rt.reconcile();
    expect(t.opened.map((s) => [s.peer, s.stopped])).toEqual([
      ['a', undefined],
      ['b', 'reconfigure'],
      ['b', undefined],
    ]);
    // The new session gets the full table; the kept one is not re-sent anything.
    expect(t.opened[2]!.log).toEqual(['+198.51.100.1/32']);
    expect(t.opened[0]!.log).toEqual(['+198.51.100.1/32']);
  });

  it('keeps the last good config when the new one is invalid or missing', () => {
    const t = setup();
    t.setConfig(t.valid({ a: 1 }));
    t.addService('s1', '198.51.100.1');
    t.rt.start();
    t.setConfig({ kind: 'invalid', errors: ['peers[0].peerASN: must be 1..4294967295'] });
    t.rt.reconcile();
    expect(t.rt.configStatus).toMatchObject({
      stale: true,
      errors: ['peers[0].peerASN: must be 1..4294967295'],
    });
    t.setConfig({ kind: 'missing' });
    t.rt.reconcile();
    expect(t.opened).toHaveLength(1);
    expect(t.opened[0]!.stopped).toBeUndefined();
    expect(t.opened[0]!.log).toEqual(['+198.51.100.1/32']);
    t.setConfig(t.valid({ a: 1 }));
    t.rt.reconcile();
    expect(t.rt.configStatus.stale).toBe(false);
  });

  it('withdraws everything when the node becomes excluded, keeping the session', () => {
    const t = setup();
    t.setConfig(t.valid({ a: 1 }));
    t.addService('s1', '198.51.100.1');
    t.rt.start();
    t.setNode({
      metadata: { name: 'n1', labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': 'true' } },
    });
    t.rt.reconcile();
    expect(t.opened[0]!.log).toEqual(['+198.51.100.1/32', '-198.51.100.1/32']);
    expect(t.opened[0]!.stopped).toBeUndefined();
  });

  it('moves a Local Service when its endpoint moves between slices', () => {
    const t = setup();
    t.setConfig(t.valid({ a: 1 }));
    t.addService('s1', '198.51.100.1', 'n1');
    const svc = t.services.get('ns/s1')!;
    t.services.set('ns/s1', { ...svc, spec: { ...svc.spec, externalTrafficPolicy: 'Local' } });
    t.rt.start();
    expect(t.opened[0]!.log).toEqual(['+198.51.100.1/32']);
    t.addService('s1', '198.51.100.1', 'n2');
    t.services.set('ns/s1', { ...svc, spec: { ...svc.spec, externalTrafficPolicy: 'Local' } });
    t.rt.reconcile();
    expect(t.opened[0]!.log).toEqual(['+198.51.100.1/32', '-198.51.100.1/32']);
  });
});
