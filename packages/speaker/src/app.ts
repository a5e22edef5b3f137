// Wiring: informers → runtime → BGP sessions, plus the HTTP endpoints, Events and signal handling.
// Everything decided here is in the pure modules; this file only connects them to the world.
import { type BfdIsolation, BfdService, type BfdStateChange, diagnosticName } from '@herald/bfd';
import { referencedSecrets } from '@herald/config';
import {
  configMapReflector,
  EventRecorder,
  KubeClient,
  loadKubeConnection,
  nodeChanged,
  Reflector,
  type ReflectorStatus,
  type Serving,
  type ServingFlags,
  slimNode,
  startServing,
} from '@herald/kube';
import { createLogger, type Logger } from '@herald/kube/process';
import { nativeSupport, openUdpSocket } from '@herald/native';
import type { V1ConfigMap, V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import { nodeIneligibility, serviceKey } from './announce/decide.ts';
import type { SelectorMatcher } from './announce/model.ts';
import { loadSpeakerConfig, type ParseResult } from './config-load.ts';
import type { PeerSettings } from './config-view.ts';
import { PeerSecrets } from './kube/secrets.ts';
import { slimEndpointSlice, slimService } from './kube/slim.ts';
import { L2Announcer, type L2Settings } from './l2/announcer.ts';
import { watchAllNodes } from './l2/node-watch.ts';
import { AnnouncementEventThrottle } from './observe/announce-events.ts';
import { SpeakerMetrics } from './observe/metrics.ts';
import { reasons } from './observe/reasons.ts';
import { buildStatus } from './observe/status.ts';
import { SpeakerRuntime } from './runtime.ts';
import type { BfdPeerStatus } from './sessions/bfd-coupling.ts';
import { BgpSessionDriver } from './sessions/bgp-driver.ts';
import type { ShutdownMode } from './sessions/port.ts';
import { version } from './version.ts';

/** reportingComponent of the speaker's Events. */
export const REPORTING_CONTROLLER = 'herald.dev/speaker';

export interface SpeakerOptions {
  readonly nodeName: string;
  /** Path to a kubeconfig; undefined = in-cluster service account. */
  readonly kubeconfig?: string;
  readonly namespace: string;
  readonly configMap: string;
  readonly configKey: string;
  readonly loadBalancerClass?: string;
  /** --metrics-address, --health-address, --metrics-auth, TLS files and the authorization attribute. */
  readonly serving: ServingFlags;
  readonly logLevel: string;
  readonly shutdownMode: ShutdownMode;
  /** Addresses for passive peers; undefined = the node addresses passive peers peer from. */
  readonly bgpListenAddresses?: readonly string[];
  readonly bgpListenPort: number;
  /** Where BFD runs: a worker thread (default), or `inline` on the main thread (measurements only). */
  readonly bfdIsolation?: BfdIsolation;
  readonly parseConfig: (text: string) => ParseResult;
  readonly matchSelector: SelectorMatcher;
  /** Cooldown between announcement Events for one Service. */
  readonly eventCooldownMs?: number;
  /** Layer-2 mode (runs only when the config has l2Advertisements that select this node). */
  readonly l2: L2Settings;
}

export interface RunningSpeaker {
  readonly log: Logger;
  readonly http: Serving;
  /** Stops per the shutdown mode (or the mode given) and releases everything. */
  shutdown(mode?: ShutdownMode): Promise<void>;
  /** How long a shutdown may spend draining routes (RFC 8326) before the sessions close, in ms. */
  drainBudgetMs(): number;
}

export async function startSpeaker(o: SpeakerOptions): Promise<RunningSpeaker> {
  const log = createLogger({ level: o.logLevel, base: { component: 'herald-speaker', node: o.nodeName } });
  // One connection pool for lists, watches and Events.
  const kube = new KubeClient(loadKubeConnection(o.kubeconfig), { userAgent: 'herald-speaker' });
  const metrics = new SpeakerMetrics(o.nodeName);

  const events = new EventRecorder({
    api: kube,
    component: 'herald-speaker',
    host: o.nodeName,
    reportingController: REPORTING_CONTROLLER,
    reportingInstance: o.nodeName,
    log,
    onWritten: (reason) => metrics.eventsEmitted.inc({ reason }),
    onFailed: () => metrics.eventErrors.inc(),
  });
  const uidOf = new Map<string, string | undefined>();
  const throttle = new AnnouncementEventThrottle((key, state) => {
    const [namespace = '', name = ''] = key.split('/');
    events.record(
      { kind: 'Service', namespace, name, uid: uidOf.get(key) },
      'Normal',
      state.announcing ? reasons.announcementStarted : reasons.announcementStopped,
      state.detail,
    );
  }, o.eventCooldownMs ?? 30_000);

  // TCP-MD5, GTSM, TTL and interface binding need the native socket layer; without it a config asking for
  // them is rejected with this reason (never applied without them).
  const native = nativeSupport();
  if (!native.ok) log.warn({ reason: native.reason }, 'native socket support unavailable');
  let nodeUid: string | undefined;
  // Events about this node's sessions (BFD, passwords) go on its Node object.
  const nodeTarget = () => ({ kind: 'Node', namespace: '', name: o.nodeName, uid: nodeUid });
  // BFD state changes become Events on this Node (kubectl describe node shows them).
  const bfdEvent = (peer: string, change: BfdStateChange, status: BfdPeerStatus | undefined) => {
    const target = nodeTarget();
    const who = `peer ${peer}${status ? ` (${status.peerAddress})` : ''}`;
    if (change.to === 'Up') {
      events.record(target, 'Normal', reasons.bfdSessionUp, `BFD session with ${who} is Up`);
    } else if (change.from === 'Up' && change.to === 'Down' && change.peerAdminDown) {
      events.record(
        target,
        'Normal',
        reasons.bfdSessionDown,
        `BFD session with ${who} went Down: the router took it AdminDown; the BGP session stays (RFC 5882 §3.2)`,
      );
    } else if (change.from === 'Up' && change.to === 'Down') {
      events.record(
        target,
        'Warning',
        reasons.bfdSessionDown,
        `BFD session with ${who} went Down (${diagnosticName(change.diagnostic)}): BGP session closed with Cease/BFD Down`,
      );
    }
  };
  const driver = new BgpSessionDriver({
    nodeName: o.nodeName,
    listenAddresses: o.bgpListenAddresses,
    listenPort: o.bgpListenPort,
    logger: log.child({ subsystem: 'bgp' }),
    onConnectionRejected: (reason) => metrics.connectionsRejected.inc({ reason }),
    onPrefixLimit: (peer, family, action) => metrics.prefixLimitReached.inc({ peer, family, action }),
    bfd: {
      onChange: bfdEvent,
      ...(o.bfdIsolation === 'inline'
        ? { start: () => new BfdService({ isolation: 'inline', udp: { openUdpSocket } }) }
        : {}),
    },
    onPasswordEvent: (e) =>
      events.record(
        nodeTarget(),
        e.type === 'unavailable' ? 'Warning' : 'Normal',
        e.type === 'unavailable' ? reasons.peerPasswordUnavailable : reasons.peerPasswordChanged,
        e.message,
      ),
  });
  metrics.setBfdSource(() => driver.bfdMetrics());

  // The runtime needs the reflectors' stores and the reflectors notify the runtime: create the runtime with
  // late-bound store accessors.
  let services!: Reflector<V1Service>;
  let slices!: Reflector<V1EndpointSlice>;
  let nodes!: Reflector<V1Node>;
  let configMaps!: Reflector<V1ConfigMap>;
  type AnyReflector = ReflectorStatus & { start(): void; stop(): void };
  const nodeKey = `/${o.nodeName}`;
  const configKey = `${o.namespace}/${o.configMap}`;

  const l2 = new L2Announcer({
    nodeName: o.nodeName,
    loadBalancerClass: o.loadBalancerClass,
    match: o.matchSelector,
    settings: o.l2,
    log: log.child({ subsystem: 'l2' }),
    metrics,
    services: () => services.values(),
    slices: () => slices.values(),
    watchNodes: (onChange) =>
      watchAllNodes(
        {
          kube,
          log,
          onError: () => metrics.kubeErrors.inc({ resource: 'nodes (all)' }),
          onStatus: (r) => metrics.kubeConnected.set({ resource: r.resource }, r.connected ? 1 : 0),
        },
        onChange,
      ),
    event: (key, message) => {
      const [namespace = '', name = ''] = key.split('/');
      events.record(
        { kind: 'Service', namespace, name, uid: uidOf.get(key) },
        'Normal',
        reasons.l2AnnouncerChanged,
        message,
      );
    },
  });

  // The Secrets the peers name, and only those (the chart's RBAC grants exactly these names).
  const secrets = new PeerSecrets({
    api: kube,
    watcher: kube,
    namespace: o.namespace,
    log,
    onChange: () => runtime.passwordsChanged(),
    onError: () => metrics.kubeErrors.inc({ resource: 'secrets' }),
  });

  const runtime = new SpeakerRuntime<PeerSettings>({
    nodeName: o.nodeName,
    loadBalancerClass: o.loadBalancerClass,
    stores: {
      service: (k) => services.get(k),
      services: () => services.values(),
      slice: (k) => slices.get(k),
      node: () => nodes.get(nodeKey),
      configSource: () => configMaps.get(configKey),
    },
    driver,
    loadConfig: (cm) =>
      loadSpeakerConfig(cm, o.configKey, o.parseConfig, {
        native,
        passwords: (ref) => secrets.password(ref.name, ref.key),
        loaded: (config) => secrets.watch(referencedSecrets(config)),
      }),
    match: o.matchSelector,
    log,
    metrics,
    events: throttle,
    onConfigLoaded: (view) => l2.configChanged(view),
  });
  metrics.setSessionSource({
    snapshots: () => runtime.sessionSnapshots(),
    prefixCounts: () => runtime.prefixCounts(),
    drainingCounts: () => runtime.drainingCounts(),
  });

  let started = false;
  const reflectors: AnyReflector[] = [];
  const onStatus = () => {
    for (const r of reflectors) metrics.kubeConnected.set({ resource: r.resource }, r.connected ? 1 : 0);
    // Sessions need only the config and the Node: open them while the Service and EndpointSlice lists are
    // still loading, so the routes go out on sessions already Established (End-of-RIB waits for them).
    if (reflectors.length === 4 && nodes.synced && configMaps.synced) runtime.startPeering();
    // Start reconciling only when every cache holds a full list: deciding on a partial view would withdraw
    // routes for Services we simply have not seen yet.
    if (!started && reflectors.length === 4 && reflectors.every((r) => r.synced)) {
      started = true;
      log.info(
        {
          services: services.size,
          endpointSlices: slices.size,
          nodeFound: nodes.size > 0,
          configMapFound: configMaps.size > 0,
        },
        'caches synced; reconciling',
      );
      runtime.start();
      l2.setSynced(true);
    }
  };
  const common = { watcher: kube, log, onStatus };
  const countErrors = (resource: string) => ({ onError: () => metrics.kubeErrors.inc({ resource }) });
  services = new Reflector({
    ...common,
    ...countErrors('services'),
    resource: 'services',
    path: '/api/v1/services',
    list: (p) => kube.list<V1Service>('/api/v1/services', p),
    transform: slimService,
    onChange: (changes) => {
      for (const c of changes) {
        if (c.current) uidOf.set(c.key, c.current.metadata?.uid);
        else uidOf.delete(c.key);
        runtime.serviceChanged(c.key);
      }
      l2.changed();
    },
  });
  slices = new Reflector({
    ...common,
    ...countErrors('endpointslices'),
    resource: 'endpointslices',
    path: '/apis/discovery.k8s.io/v1/endpointslices',
    list: (p) => kube.list<V1EndpointSlice>('/apis/discovery.k8s.io/v1/endpointslices', p),
    transform: slimEndpointSlice,
    onChange: (changes) => {
      for (const c of changes) runtime.sliceChanged(c.key, c.current);
      l2.changed();
    },
  });
  nodes = new Reflector({
    ...common,
    ...countErrors('nodes'),
    resource: 'nodes',
    path: '/api/v1/nodes',
    fieldSelector: `metadata.name=${o.nodeName}`,
    list: (p) => kube.list<V1Node>('/api/v1/nodes', p),
    transform: slimNode,
    onChange: (changes) => {
      nodeUid = nodes.get(nodeKey)?.metadata?.uid;
      // A Node change re-decides every Service (eligibility, selectors, next hops): only when something the
      // decision reads changed, not on every kubelet status update (10,000 Services cost ~0.2 s of CPU).
      if (changes.some((c) => nodeChanged(c.previous, c.current))) runtime.nodeChanged();
      l2.changed();
    },
  });
  configMaps = configMapReflector({
    ...common,
    ...countErrors('configmaps'),
    api: kube,
    namespace: o.namespace,
    name: o.configMap,
    onChange: () => runtime.configChanged(),
  });
  reflectors.push(services, slices, nodes, configMaps);

  const http = await startServing({
    flags: o.serving,
    resource: 'speakers',
    kube,
    onRefused: (path, status) => metrics.httpRefused.inc({ path, code: String(status) }),
    handlers: {
      metrics: metrics.registry,
      ready: () => runtime.ready,
      status: () =>
        buildStatus({
          node: o.nodeName,
          version,
          ready: runtime.ready,
          shutdownMode: o.shutdownMode,
          config: runtime.configStatus,
          kube: [
            ...reflectors.map((r) => ({
              resource: r.resource,
              synced: r.synced,
              connected: r.connected,
              lastError: r.lastError ?? null,
              resourceVersion: r.resourceVersion,
            })),
            ...secrets.statuses(),
          ],
          sessions: runtime.sessionSnapshots(),
          announced: runtime.announced(),
          decisions: runtime.serviceDecisions(),
          l2: l2.enabled ? l2.status() : undefined,
        }),
    },
  });
  for (const r of reflectors) r.start();
  log.info(
    {
      version,
      namespace: o.namespace,
      configMap: o.configMap,
      loadBalancerClass: o.loadBalancerClass ?? null,
      shutdownMode: o.shutdownMode,
      metricsAddress: o.serving.metricsAddress,
      metricsAuth: o.serving.metricsAuth,
      healthAddress: o.serving.healthAddress || null,
      bfdIsolation: o.bfdIsolation ?? 'worker',
    },
    'herald-speaker started',
  );

  let shuttingDown: Promise<void> | undefined;
  const shutdown = (requested?: ShutdownMode) => {
    shuttingDown ??= (async () => {
      const node = nodes.get(nodeKey);
      let mode = requested ?? o.shutdownMode;
      // A cordoned or excluded node is going away for maintenance: keeping its routes as stale would
      // blackhole traffic for restartTime, so withdraw even in graceful-restart mode.
      if (mode === 'graceful-restart' && (node?.spec?.unschedulable || nodeIneligibility(node))) {
        log.info(
          { reason: node?.spec?.unschedulable ? 'node cordoned' : nodeIneligibility(node) },
          'withdrawing instead of graceful restart',
        );
        mode = 'withdraw';
      }
      log.info({ mode }, 'shutting down');
      // L2 first: the peers take this node's addresses over (and announce them) while it still answers.
      await l2.shutdown();
      for (const r of reflectors) r.stop();
      secrets.stop();
      await runtime.stop(mode);
      // A scraper's keep-alive connection must not hold the shutdown open.
      await http.close();
      log.info({}, 'stopped');
    })();
    return shuttingDown;
  };
  return { log, http, shutdown, drainBudgetMs: () => runtime.drainBudgetMs() };
}

export { serviceKey };
