// Wiring: informers → work queue → Reconciler, under leader election. Every replica watches and keeps its
// config current (so it is ready to lead at once); only the leader restores, allocates and writes.

import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  ListWatch,
  PatchStrategy,
  setHeaderOptions,
  type V1ConfigMap,
  type V1Namespace,
  type V1Service,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Allocator } from './allocator/index.ts';
import { loadConfig } from './config-source.ts';
import { EventRecorder } from './events.ts';
import { LeaderElector } from './leader/elector.ts';
import type { ControllerMetrics } from './metrics.ts';
import { WorkQueue } from './queue.ts';
import { Reconciler, reasons } from './reconciler.ts';
import { isHandled, type StatusPatch, serviceKey, splitKey } from './service.ts';
import { SlimmingWatch, slimNamespace, slimService } from './slim.ts';

export const FIELD_MANAGER = 'herald-controller';

/** Objects per list request when (re)filling a cache. */
const LIST_PAGE_SIZE = 500;

export interface ControllerOptions {
  readonly kubeConfig: KubeConfig;
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

type Cache<T extends KubernetesObject> = ListWatch<T>;

export class Controller {
  private readonly o: ControllerOptions;
  private readonly core: CoreV1Api;
  private readonly allocator = new Allocator();
  private readonly queue: WorkQueue;
  private readonly events: EventRecorder;
  private readonly reconciler: Reconciler;
  private readonly elector: LeaderElector | null;
  private services!: Cache<V1Service>;
  private configMaps!: Cache<V1ConfigMap>;
  private namespaces!: Cache<V1Namespace>;
  private leading = false;
  private synced = false;
  private stopping = false;
  private workers: Promise<void>[] = [];
  private lastConfigText: string | undefined | null = null;
  private validConfigSeen = false;
  private pendingPools: Parameters<Reconciler['applyPools']>[0] | null = null;

  constructor(options: ControllerOptions) {
    this.o = options;
    const kc = options.kubeConfig;
    this.core = kc.makeApiClient(CoreV1Api);
    this.queue = new WorkQueue({ onDepth: (d) => options.metrics.queueDepth.set(d) });
    this.events = new EventRecorder({
      api: this.core,
      instance: options.identity,
      log: options.log,
      onDropped: (reason) => options.metrics.eventsDropped.inc({ reason }),
      onApiError: (verb) => options.metrics.apiErrors.inc({ verb, resource: 'events' }),
      busy: () => this.queue.length > 0,
    });
    this.reconciler = new Reconciler({
      allocator: this.allocator,
      getService: (key) => {
        const { namespace, name } = splitKey(key);
        return this.services.get(name, namespace);
      },
      namespaceLabels: (ns) => this.namespaces.get(ns)?.metadata?.labels,
      writeStatus: (svc, patch) => this.writeStatus(svc, patch),
      recordEvent: (target, type, reason, message) => {
        if (this.leading) this.events.record(target, type, reason, message);
      },
      metrics: options.metrics,
      log: options.log,
      loadBalancerClass: options.loadBalancerClass,
      onAddressesFreed: (waiting) => {
        for (const k of waiting) this.queue.add(k);
      },
    });
    this.elector = options.leaderElect
      ? new LeaderElector({
          api: kc.makeApiClient(CoordinationV1Api),
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
            options.metrics.leader.set(0);
            this.queue.shutDown();
            options.onLostLeadership();
          },
          onApiError: (verb) => options.metrics.apiErrors.inc({ verb, resource: 'leases' }),
        })
      : null;
  }

  /** Informers synced and a valid config loaded. Standbys are ready too: readiness says "can lead". */
  get ready(): boolean {
    return this.synced && this.validConfigSeen;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /**
   * A ListWatch cache whose objects are slimmed before they are stored (see slim.ts). The list is read in
   * pages so that a large cluster never needs its whole Service list as one JSON document in memory.
   */
  private informer<T extends KubernetesObject>(
    resource: string,
    path: string,
    list: (page: {
      limit: number;
      _continue?: string;
    }) => Promise<{ items: T[]; metadata?: { resourceVersion?: string; _continue?: string } }>,
    slim: (obj: T) => T,
    fieldSelector?: string,
  ): Cache<T> {
    const watch = new SlimmingWatch<T>(this.o.kubeConfig, slim);
    const lw = new ListWatch<T>(
      path,
      watch,
      async () => {
        try {
          const items: T[] = [];
          let page = await list({ limit: LIST_PAGE_SIZE });
          for (;;) {
            for (const item of page.items) items.push(slim(item));
            const next = page.metadata?._continue;
            if (!next) break;
            page = await list({ limit: LIST_PAGE_SIZE, _continue: next });
          }
          // Pages of one list share a snapshot; the last page carries its resourceVersion.
          return { items, metadata: { resourceVersion: page.metadata?.resourceVersion } } as Awaited<
            ReturnType<ConstructorParameters<typeof ListWatch<T>>[2]>
          >;
        } catch (e) {
          this.o.metrics.apiErrors.inc({ verb: 'list', resource });
          throw e;
        }
      },
      false,
      undefined,
      fieldSelector,
    );
    // client-node's ListWatch stops on an error; restart it (it relists when needed) after a backoff that
    // doubles from 1 s to 30 s with jitter, so an apiserver that stays down is not hammered by every replica
    // in lock step. A failure more than a minute after the previous one starts again at 1 s.
    let failures = 0;
    let lastFailureAt = 0;
    lw.on('error', (err: unknown) => {
      if (this.stopping) return;
      const now = Date.now();
      if (now - lastFailureAt > 60_000) failures = 0;
      lastFailureAt = now;
      const delayMs = Math.min(30_000, 1000 * 2 ** failures) * (0.8 + 0.2 * Math.random());
      failures++;
      this.o.metrics.apiErrors.inc({ verb: 'watch', resource });
      this.o.log.warn(
        { resource, err: String(err), retryInMs: Math.round(delayMs) },
        'watch failed; restarting',
      );
      setTimeout(() => {
        // A failure inside start() is reported through this same 'error' handler; nothing to do here.
        if (!this.stopping) lw.start().catch(() => {});
      }, delayMs);
    });
    return lw;
  }

  async start(): Promise<void> {
    const ns = this.o.namespace;
    this.services = this.informer<V1Service>(
      'services',
      '/api/v1/services',
      (page) => this.core.listServiceForAllNamespaces(page),
      slimService,
    );
    this.configMaps = this.informer<V1ConfigMap>(
      'configmaps',
      `/api/v1/namespaces/${ns}/configmaps`,
      (page) =>
        this.core.listNamespacedConfigMap({
          namespace: ns,
          fieldSelector: `metadata.name=${this.o.configMapName}`,
          ...page,
        }),
      (cm) => cm, // one object, read whole
      `metadata.name=${this.o.configMapName}`,
    );
    this.namespaces = this.informer<V1Namespace>(
      'namespaces',
      '/api/v1/namespaces',
      (page) => this.core.listNamespace(page),
      slimNamespace,
    );

    const onService = (svc: V1Service): void => {
      if (this.leading) this.queue.add(serviceKey(svc));
    };
    this.services.on('add', onService);
    this.services.on('update', onService);
    this.services.on('delete', onService);
    const onConfig = (): void => this.handleConfig();
    this.configMaps.on('add', onConfig);
    this.configMaps.on('update', onConfig);
    this.configMaps.on('delete', onConfig);
    const onNamespace = (nsObj: V1Namespace): void => {
      // Namespace labels feed serviceAllocation: requeue only that namespace's Services.
      if (!this.leading) return;
      for (const svc of this.services.list(nsObj.metadata?.name)) this.queue.add(serviceKey(svc));
    };
    this.namespaces.on('update', onNamespace);

    await Promise.all([this.services.start(), this.configMaps.start(), this.namespaces.start()]);
    this.synced = true;
    this.handleConfig();
    this.o.log.info(
      { services: this.services.list().length, identity: this.o.identity, leaderElect: this.o.leaderElect },
      'caches synced',
    );
    if (this.elector !== null) this.elector.start();
    else this.startLeading();
  }

  /** (Re)reads the ConfigMap from the cache. Invalid → Event + log + stale metric; last good stays. */
  private handleConfig(): void {
    if (!this.synced) return;
    const cm = this.configMaps.get(this.o.configMapName, this.o.namespace);
    const text =
      cm === undefined
        ? undefined
        : (cm.data?.['config.yaml'] ?? `\u0000missing-key:${cm.metadata?.resourceVersion}`);
    if (text === this.lastConfigText) return; // metadata-only update
    this.lastConfigText = text;
    const result = loadConfig(cm, this.o.namespace, this.o.configMapName);
    const m = this.o.metrics;
    if (!result.ok) {
      m.configStale.set(1);
      this.o.log.error(
        { configMap: `${this.o.namespace}/${this.o.configMapName}`, errors: result.errors },
        this.validConfigSeen
          ? 'invalid configuration; keeping the last good one'
          : 'invalid configuration; no valid configuration yet',
      );
      if (cm !== undefined && this.leading) {
        this.events.record(
          {
            kind: 'ConfigMap',
            namespace: this.o.namespace,
            name: this.o.configMapName,
            uid: cm.metadata?.uid,
          },
          'Warning',
          reasons.configInvalid,
          `${result.errors.length} error(s); ${this.validConfigSeen ? 'the last good configuration stays in force' : 'no configuration in force yet'}: ${result.errors.join('; ')}`,
        );
      }
      return;
    }
    m.configStale.set(0);
    m.configLoadedTimestamp.set(Date.now() / 1000);
    this.validConfigSeen = true;
    for (const w of result.warnings) this.o.log.warn({ warning: w }, 'configuration warning');
    this.o.log.info({ pools: result.pools.map((p) => p.name) }, 'configuration loaded');
    if (!this.leading) {
      this.pendingPools = result.pools; // applied when we start leading
      return;
    }
    this.reconciler.applyPools(result.pools);
    if (cm !== undefined)
      this.events.record(
        { kind: 'ConfigMap', namespace: this.o.namespace, name: this.o.configMapName, uid: cm.metadata?.uid },
        'Normal',
        reasons.configLoaded,
        `configuration loaded: ${result.pools.length} address pool(s)`,
        'Configure',
      );
    // A config change may affect any Service (new pools for pending ones, pool names): requeue all we handle.
    this.enqueueAll();
  }

  private enqueueAll(): void {
    for (const svc of this.services.list()) {
      if (isHandled(svc, this.o.loadBalancerClass) || svc.status?.loadBalancer?.ingress?.length)
        this.queue.add(serviceKey(svc));
    }
  }

  private startLeading(): void {
    if (this.stopping) return;
    this.o.metrics.leader.set(1);
    // Leading from here on (Events allowed); no await below until workers start, so nothing runs in between.
    this.leading = true;
    if (this.pendingPools !== null) {
      this.reconciler.applyPools(this.pendingPools);
      this.pendingPools = null;
    }
    // Learn every existing assignment BEFORE allocating anything.
    const restored = this.reconciler.restoreAll(this.services.list());
    this.o.log.info({ restored }, 'restored assignments from Service status; reconciling');
    this.enqueueAll();
    for (let i = 0; i < this.o.workers; i++) this.workers.push(this.worker());
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === null) return;
      const end = this.o.metrics.reconcileDuration.startTimer();
      try {
        const outcome = await this.reconciler.reconcile(key);
        this.queue.forget(key);
        end({ result: outcome });
      } catch (e) {
        end({ result: 'error' });
        const delay = this.queue.addRateLimited(key);
        const code = e instanceof ApiException ? e.code : undefined;
        this.o.log[code === 409 ? 'debug' : 'warn'](
          { service: key, code, err: String(e), retryInMs: delay },
          'reconcile failed; retrying',
        );
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async writeStatus(svc: V1Service, patch: StatusPatch): Promise<void> {
    const { namespace, name } = splitKey(serviceKey(svc));
    try {
      await this.core.patchNamespacedServiceStatus(
        { name, namespace, body: patch, fieldManager: FIELD_MANAGER },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (e) {
      const code = e instanceof ApiException ? e.code : undefined;
      if (code !== 409) this.o.metrics.apiErrors.inc({ verb: 'patch', resource: 'services/status' });
      throw e;
    }
  }

  /** Graceful stop: finish in-flight reconciles, flush Events, hand the Lease over. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.queue.shutDown();
    await Promise.race([Promise.all(this.workers), new Promise((r) => setTimeout(r, 5000))]);
    this.leading = false;
    this.o.metrics.leader.set(0);
    await Promise.race([this.events.flush(), new Promise((r) => setTimeout(r, 2000))]);
    if (this.elector !== null) await this.elector.release();
    await Promise.allSettled([this.services?.stop(), this.configMaps?.stop(), this.namespaces?.stop()]);
  }
}
