// Wiring: informers → runtime → BGP sessions, plus the HTTP endpoints, Events and signal handling.
// Everything decided here is in the pure modules; this file only connects them to the world.
import type { Server } from 'node:http';
import {
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  type V1ConfigMap,
  type V1EndpointSlice,
  type V1Node,
  type V1Service,
  Watch,
} from '@kubernetes/client-node';
import { type Logger, pino } from 'pino';
import { nodeIneligibility, serviceKey } from './announce/decide.ts';
import type { SelectorMatcher } from './announce/model.ts';
import { loadSpeakerConfig, type ParseResult } from './config-load.ts';
import type { PeerSettings } from './config-view.ts';
import { ServiceEventWriter } from './kube/events.ts';
import { Reflector, type ReflectorStatus } from './kube/reflector.ts';
import { slimEndpointSlice, slimService } from './kube/slim.ts';
import { AnnouncementEventThrottle } from './observe/announce-events.ts';
import { startHttpServer } from './observe/http.ts';
import { SpeakerMetrics } from './observe/metrics.ts';
import { reasons } from './observe/reasons.ts';
import { buildStatus } from './observe/status.ts';
import { SpeakerRuntime } from './runtime.ts';
import { BgpSessionDriver } from './sessions/bgp-driver.ts';
import type { ShutdownMode } from './sessions/port.ts';
import { version } from './version.ts';

export interface SpeakerOptions {
  readonly nodeName: string;
  /** Path to a kubeconfig; undefined = in-cluster service account. */
  readonly kubeconfig?: string;
  readonly namespace: string;
  readonly configMap: string;
  readonly configKey: string;
  readonly loadBalancerClass?: string;
  readonly metricsAddress: string;
  readonly logLevel: string;
  readonly shutdownMode: ShutdownMode;
  readonly bgpListenAddress?: string;
  readonly bgpListenPort: number;
  readonly parseConfig: (text: string) => ParseResult;
  readonly matchSelector: SelectorMatcher;
  /** Cooldown between announcement Events for one Service. */
  readonly eventCooldownMs?: number;
}

export interface RunningSpeaker {
  readonly log: Logger;
  readonly http: Server;
  /** Stops per the shutdown mode (or the mode given) and releases everything. */
  shutdown(mode?: ShutdownMode): Promise<void>;
}

export async function startSpeaker(o: SpeakerOptions): Promise<RunningSpeaker> {
  const log = pino({ level: o.logLevel, base: { component: 'herald-speaker', node: o.nodeName } });
  const kc = new KubeConfig();
  if (o.kubeconfig) kc.loadFromFile(o.kubeconfig);
  else kc.loadFromCluster();
  const core = kc.makeApiClient(CoreV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const watch = new Watch(kc);
  const metrics = new SpeakerMetrics(o.nodeName);

  const events = new ServiceEventWriter(core, o.nodeName, log, (reason, ok) => {
    if (ok) metrics.eventsEmitted.inc({ reason });
    else metrics.eventErrors.inc();
  });
  const uidOf = new Map<string, string | undefined>();
  const throttle = new AnnouncementEventThrottle((key, state) => {
    const [namespace = '', name = ''] = key.split('/');
    events.emit(
      { namespace, name, uid: uidOf.get(key) },
      'Normal',
      state.announcing ? reasons.announcementStarted : reasons.announcementStopped,
      state.detail,
    );
  }, o.eventCooldownMs ?? 30_000);

  const driver = new BgpSessionDriver({
    nodeName: o.nodeName,
    listenAddress: o.bgpListenAddress,
    listenPort: o.bgpListenPort,
    logger: log.child({ subsystem: 'bgp' }),
  });

  // The runtime needs the reflectors' stores and the reflectors notify the runtime: create the runtime with
  // late-bound store accessors.
  let services!: Reflector<V1Service>;
  let slices!: Reflector<V1EndpointSlice>;
  let nodes!: Reflector<V1Node>;
  let configMaps!: Reflector<V1ConfigMap>;
  const nodeKey = `/${o.nodeName}`;
  const configKey = `${o.namespace}/${o.configMap}`;

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
    loadConfig: (cm) => loadSpeakerConfig(cm, o.configKey, o.parseConfig),
    match: o.matchSelector,
    log,
    metrics,
    events: throttle,
  });
  metrics.setSessionSource({
    snapshots: () => runtime.sessionSnapshots(),
    prefixCounts: () => runtime.prefixCounts(),
  });

  let started = false;
  const reflectors: ReflectorStatus[] = [];
  const onStatus = () => {
    for (const r of reflectors) metrics.kubeConnected.set({ resource: r.resource }, r.connected ? 1 : 0);
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
    }
  };
  const common = {
    watch,
    log,
    onStatus,
    onError: (resource: string) => metrics.kubeErrors.inc({ resource }),
  };
  services = new Reflector({
    ...common,
    resource: 'services',
    path: '/api/v1/services',
    list: (p) => core.listServiceForAllNamespaces(p),
    transform: slimService,
    onChange: (changes) => {
      for (const c of changes) {
        if (c.current) uidOf.set(c.key, c.current.metadata?.uid);
        else uidOf.delete(c.key);
        runtime.serviceChanged(c.key);
      }
    },
  });
  slices = new Reflector({
    ...common,
    resource: 'endpointslices',
    path: '/apis/discovery.k8s.io/v1/endpointslices',
    list: (p) => discovery.listEndpointSliceForAllNamespaces(p),
    transform: slimEndpointSlice,
    onChange: (changes) => {
      for (const c of changes) runtime.sliceChanged(c.key, c.current);
    },
  });
  nodes = new Reflector({
    ...common,
    resource: 'nodes',
    path: '/api/v1/nodes',
    fieldSelector: `metadata.name=${o.nodeName}`,
    list: (p) => core.listNode(p),
    onChange: () => runtime.nodeChanged(),
  });
  configMaps = new Reflector({
    ...common,
    resource: 'configmaps',
    path: `/api/v1/namespaces/${o.namespace}/configmaps`,
    fieldSelector: `metadata.name=${o.configMap}`,
    list: (p) => core.listNamespacedConfigMap({ namespace: o.namespace, ...p }),
    onChange: () => runtime.configChanged(),
  });
  reflectors.push(services, slices, nodes, configMaps);

  const http = await startHttpServer(o.metricsAddress, {
    registry: metrics.registry,
    ready: () => runtime.ready,
    status: () =>
      buildStatus({
        node: o.nodeName,
        version,
        ready: runtime.ready,
        shutdownMode: o.shutdownMode,
        config: runtime.configStatus,
        kube: reflectors.map((r) => ({
          resource: r.resource,
          synced: r.synced,
          connected: r.connected,
          lastError: r.lastError ?? null,
          resourceVersion: r.resourceVersion,
        })),
        sessions: runtime.sessionSnapshots(),
        announced: runtime.announced(),
        decisions: runtime.serviceDecisions(),
      }),
  });
  for (const r of reflectors) r.start();
  log.info(
    {
      version,
      namespace: o.namespace,
      configMap: o.configMap,
      loadBalancerClass: o.loadBalancerClass ?? null,
      shutdownMode: o.shutdownMode,
      metricsAddress: o.metricsAddress,
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
      for (const r of reflectors) r.stop();
      await runtime.stop(mode);
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      // A scraper's keep-alive connection must not hold the shutdown open.
      http.closeAllConnections();
      await closed;
      log.info({}, 'stopped');
    })();
    return shuttingDown;
  };
  return { log, http, shutdown };
}

export { serviceKey };
