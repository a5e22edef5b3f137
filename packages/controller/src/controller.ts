// Wiring: informers → work queues → Reconciler and ConfigHandler, under leader election. Every replica watches
// and keeps its configuration current (so it is ready to lead at once); only the leader restores, allocates
// and writes. The pieces are @herald/kube's (reflector, work queue, Event recorder) and this package's pure
// decisions; this file only connects them.

import { configMapKey } from '@herald/config';
import {
  apiErrorCode,
  describeApiError,
  EventRecorder,
  type KubeClient,
  runWorkers,
  WorkQueue,
} from '@herald/kube';
import type { Logger } from '@herald/kube/process';
import type { V1Service } from '@kubernetes/client-node';
import { Allocator } from './allocator/index.ts';
import { AttributeRefusalReporter } from './attribute-report.ts';
import { ConfigHandler } from './config-handler.ts';
import { type ControllerInformers, controllerWatchBackoff, createInformers } from './informers.ts';
import { LeaderElector } from './leader/elector.ts';
import type { ControllerMetrics } from './metrics.ts';
import { NodeAddressCaches, NodeAddressReconciler } from './node-addresses/index.ts';
import { enqueueOrder, Reconciler } from './reconciler.ts';
import { type StatusPatch, serviceKey, splitKey } from './service.ts';
import { buildControllerStatus, type ControllerStatusDocument } from './status.ts';

export const FIELD_MANAGER = 'herald-controller';

/** reportingComponent of the controller's Events. */
export const REPORTING_CONTROLLER = 'herald.dev/controller';

/** The ConfigHandler's one key in its queue. */
const CONFIG_KEY = 'config';

export interface ControllerOptions {
  /** One connection pool for lists, watches, status patches, Events and the Lease. */
  readonly kube: KubeClient;
  readonly namespace: string;
  readonly configMapName: string;
  readonly loadBalancerClass: string | undefined;
  readonly identity: string;
  readonly leaderElect: boolean;
  readonly leaseName: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly workers: number;
  readonly log: Logger;
  readonly metrics: ControllerMetrics;
  /** Leadership lost: the process must stop writing at once (main exits). */
  readonly onLostLeadership: () => void;
}

const within = (ms: number, p: Promise<unknown>): Promise<unknown> =>
  Promise.race([p, new Promise((resolve) => setTimeout(resolve, ms).unref())]);

export class Controller {
  private readonly o: ControllerOptions;
  private readonly kube: KubeClient;
  private readonly allocator = new Allocator();
  /** Service keys, reconciled by the leader's workers. */
  private readonly queue: WorkQueue;
  /** The config key, reconciled on every replica. */
  private readonly configQueue = new WorkQueue();
  private readonly events: EventRecorder;
  private readonly informers: ControllerInformers;
  private readonly nodeCaches: NodeAddressCaches;
  private readonly nodeAddresses: NodeAddressReconciler;
  private readonly reconciler: Reconciler;
  private readonly config: ConfigHandler;
  private readonly elector: LeaderElector | null;
  private leading = false;
  private synced = false;
  private stopping = false;
  private readonly running: Promise<void>[] = [];

  constructor(options: ControllerOptions) {
    this.o = options;
    const kube = options.kube;
    const m = options.metrics;
    this.kube = kube;
    this.queue = new WorkQueue({ onDepth: (d) => m.queueDepth.set(d) });
    this.events = new EventRecorder({
      api: kube,
      component: 'herald-controller',
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: options.identity,
      log: options.log,
      onDropped: (reason) => m.eventsDropped.inc({ reason }),
      onFailed: (verb) => m.apiErrors.inc({ verb, resource: 'events' }),
      busy: () => this.queue.length > 0,
    });
    this.informers = createInformers({
      kube,
      namespace: options.namespace,
      configMapName: options.configMapName,
      log: options.log,
      onError: (resource, verb) => m.apiErrors.inc({ verb, resource }),
      onServices: (changes) => {
        if (this.leading) for (const c of changes) this.queue.add(c.key);
      },
      onNamespaces: (changes) => {
        // Namespace labels feed serviceAllocation: requeue only those namespaces' Services.
        if (!this.leading) return;
        const names = new Set(changes.map((c) => (c.current ?? c.previous)?.metadata?.name));
        for (const svc of this.informers.services.values())
          if (names.has(svc.metadata?.namespace)) this.queue.add(serviceKey(svc));
      },
      onConfigMap: () => {
        if (this.synced) this.configQueue.add(CONFIG_KEY);
      },
    });
    this.nodeCaches = new NodeAddressCaches({
      api: kube,
      watcher: kube,
      log: options.log,
      backoff: controllerWatchBackoff,
      onError: (resource, verb) => m.apiErrors.inc({ verb, resource }),
      // Eligibility and addresses of every node-address Service may have changed.
      onNodes: () => {
        if (this.leading) for (const k of this.nodeAddresses.keys) this.queue.add(k);
      },
      onSlices: (services, synced) => {
        if (!this.leading) return;
        for (const k of synced ? this.nodeAddresses.keys : services)
          if (this.nodeAddresses.keys.has(k)) this.queue.add(k);
      },
    });
    this.nodeAddresses = new NodeAddressReconciler({
      nodes: () => this.nodeCaches.nodes.values(),
      slicesOf: (key) => this.nodeCaches.slicesOf(key),
      nodeOf: (address) => this.nodeCaches.nodeOf(address),
      writeStatus: (svc, patch) => this.writeStatus(svc, patch),
      recordEvent: (target, type, reason, message) => {
        if (this.leading) this.events.record(target, type, reason, message, 'Allocate');
      },
      metrics: m,
      log: options.log,
      now: Date.now,
      requeueAfter: (key, ms) => this.queue.addAfter(key, ms),
      onPortsFreed: (waiting) => {
        for (const k of waiting) this.queue.add(k);
      },
    });
    this.reconciler = new Reconciler({
      allocator: this.allocator,
      getService: (key) => this.informers.services.get(key),
      namespaceLabels: (ns) => this.informers.namespaces.get(`/${ns}`)?.metadata?.labels,
      writeStatus: (svc, patch) => this.writeStatus(svc, patch),
      recordEvent: (target, type, reason, message) => {
        if (this.leading) this.events.record(target, type, reason, message, 'Allocate');
      },
      metrics: m,
      log: options.log,
      loadBalancerClass: options.loadBalancerClass,
      onAddressesFreed: (waiting) => {
        for (const k of waiting) this.queue.add(k);
      },
      nodeAddresses: this.nodeAddresses,
      attributes: new AttributeRefusalReporter({
        config: () => this.config.inForce,
        recordEvent: (target, type, reason, message) => {
          if (this.leading) this.events.record(target, type, reason, message, 'Announce');
        },
      }),
    });
    this.config = new ConfigHandler({
      namespace: options.namespace,
      name: options.configMapName,
      key: configMapKey,
      configMap: () => this.informers.configMaps.get(`${options.namespace}/${options.configMapName}`),
      leading: () => this.leading,
      applyPools: (pools) => {
        this.reconciler.applyPools(pools);
        // Only Local node-address Services read EndpointSlices: watch them only while such a pool exists.
        this.nodeCaches.watchSlices(this.nodeAddresses.hasPools);
        // A config change may affect any Service (new pools for pending ones, pool names): requeue all.
        this.enqueueAll();
      },
      recordEvent: (target, type, reason, message, action) => {
        if (this.leading) this.events.record(target, type, reason, message, action);
      },
      metrics: m,
      log: options.log,
      now: Date.now,
    });
    this.elector = options.leaderElect
      ? new LeaderElector({
          api: kube,
          namespace: options.namespace,
          name: options.leaseName,
          identity: options.identity,
          leaseDurationMs: options.leaseDurationMs,
          renewDeadlineMs: options.renewDeadlineMs,
          retryPeriodMs: options.retryPeriodMs,
          log: options.log,
          onStartedLeading: () => this.startLeading(),
          onStoppedLeading: () => {
            this.leading = false;
            m.leader.set(0);
            this.queue.shutDown();
            options.onLostLeadership();
          },
          onApiError: (verb) => m.apiErrors.inc({ verb, resource: 'leases' }),
        })
      : null;
  }

  /** Informers synced and a valid config loaded. Standbys are ready too: readiness says "can lead". */
  get ready(): boolean {
    return this.synced && this.config.hasValidConfig;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** The /status document of this replica. */
  status(version: string): ControllerStatusDocument {
    return buildControllerStatus({
      identity: this.o.identity,
      version,
      leader: this.leading,
      ready: this.ready,
      config: this.config.status,
      pools: this.allocator.stats(),
      waiting: this.reconciler.waiting.size,
    });
  }

  async start(): Promise<void> {
    const { services, namespaces, configMaps } = this.informers;
    const { nodes } = this.nodeCaches;
    for (const r of [services, namespaces, configMaps, nodes]) r.start();
    await Promise.all([
      services.whenSynced(),
      namespaces.whenSynced(),
      configMaps.whenSynced(),
      nodes.whenSynced(),
    ]);
    if (this.stopping) return;
    this.synced = true;
    this.config.reconcile(); // the first load, before anything else reads the configuration
    this.running.push(
      runWorkers(this.configQueue, 1, {
        reconcile: async () => this.config.reconcile(),
        onError: (_key, err) =>
          this.o.log.error({ err: describeApiError(err) }, 'configuration handling failed'),
      }),
    );
    this.o.log.info(
      { services: services.size, identity: this.o.identity, leaderElect: this.o.leaderElect },
      'caches synced',
    );
    if (this.elector !== null) this.elector.start();
    else this.startLeading();
  }

  private enqueueAll(): void {
    for (const key of enqueueOrder(this.informers.services.values(), this.o.loadBalancerClass))
      this.queue.add(key);
  }

  private startLeading(): void {
    if (this.stopping) return;
    this.o.metrics.leader.set(1);
    // Leading from here on (Events allowed); nothing below awaits until the workers start, so nothing runs
    // in between.
    this.leading = true;
    this.config.reconcile(); // the pools in force go to the allocator before anything is restored
    // Learn every existing assignment BEFORE allocating anything.
    const restored = this.reconciler.restoreAll([...this.informers.services.values()]);
    this.o.log.info({ restored }, 'restored assignments from Service status; reconciling');
    this.enqueueAll();
    const m = this.o.metrics;
    this.running.push(
      runWorkers(this.queue, this.o.workers, {
        reconcile: async (key) => {
          const end = m.reconcileDuration.startTimer();
          try {
            end({ result: await this.reconciler.reconcile(key) });
          } catch (e) {
            end({ result: 'error' });
            throw e;
          }
        },
        onError: (key, e, retryInMs) => {
          const code = apiErrorCode(e);
          this.o.log[code === 409 ? 'debug' : 'warn'](
            { service: key, code, err: describeApiError(e), retryInMs },
            'reconcile failed; retrying',
          );
        },
      }),
    );
  }

  private async writeStatus(svc: V1Service, patch: StatusPatch): Promise<void> {
    const { namespace, name } = splitKey(serviceKey(svc));
    try {
      await this.kube.strategicMergePatch(
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(name)}/status`,
        patch,
        { fieldManager: FIELD_MANAGER },
      );
    } catch (e) {
      const code = apiErrorCode(e);
      if (code !== 409) this.o.metrics.apiErrors.inc({ verb: 'patch', resource: 'services/status' });
      throw e;
    }
  }

  /** Graceful stop: finish in-flight reconciles, flush Events, hand the Lease over. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.queue.shutDown();
    this.configQueue.shutDown();
    await within(5000, Promise.all(this.running));
    this.leading = false;
    this.o.metrics.leader.set(0);
    await within(2000, this.events.flush());
    if (this.elector !== null) await this.elector.release();
    for (const r of Object.values(this.informers)) r.stop();
    this.nodeCaches.stop();
  }
}
