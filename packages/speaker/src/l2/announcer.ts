// Layer-2 mode on the speaker's main thread: turns the Kubernetes caches and the config into the mesh
// members and per-address candidates (plan.ts), hands them to the worker thread that runs the heartbeats and
// the ARP/NDP sockets (worker.ts), and turns what the worker reports into Events, logs, metrics and /status.
//
// L2 mode runs on this node when the config in force has l2Advertisements and one of them selects this node.
// It needs the heartbeat key file (--l2-key-file) and @herald/native; without them it does not start, and
// /status, the log and herald_speaker_l2_ready say why — nothing runs weaker than configured.

import { Worker } from 'node:worker_threads';
import { compareText } from '@herald/inet';
import type { AnnouncerChange, Assignment } from '@herald/l2';
import { nativeSupport } from '@herald/native';
import type {
  EndpointSliceSnapshot,
  NodeSnapshot,
  SelectorMatcher,
  ServiceSnapshot,
  SpeakerConfigView,
} from '../announce/model.ts';
import { serviceNameLabel } from '../announce/model.ts';
import type { SpeakerMetrics } from '../observe/metrics.ts';
import type { RuntimeLogger } from '../runtime.ts';
import { listInterfaces, type SystemInterface } from './interfaces.ts';
import { readKeyFile } from './keys.ts';
import { addCounters, emptyCounters } from './metrics.ts';
import { type L2Plan, planL2, slicesByService } from './plan.ts';
import type {
  Conflict,
  FromWorker,
  InterfaceState,
  MeshPeer,
  ToWorker,
  WorkerCounters,
  WorkerState,
} from './protocol.ts';

export interface L2Settings {
  /** The heartbeat key file (one key per line); undefined: L2 mode cannot run here. */
  readonly keyFile?: string;
  readonly port: number;
  readonly intervalMs: number;
  readonly detectMultiplier: number;
}

/** A watch on every Node, started only while L2 mode runs (BGP alone needs only this node's). */
export interface NodeWatch {
  readonly synced: boolean;
  values(): Iterable<NodeSnapshot>;
  stop(): void;
}

export interface L2AnnouncerOptions {
  readonly nodeName: string;
  readonly loadBalancerClass?: string;
  readonly match: SelectorMatcher;
  readonly settings: L2Settings;
  readonly log: RuntimeLogger;
  readonly metrics: SpeakerMetrics;
  readonly services: () => Iterable<ServiceSnapshot>;
  readonly slices: () => Iterable<EndpointSliceSnapshot>;
  /** Starts the all-Nodes watch; `onChange` runs on every change and on sync. */
  readonly watchNodes: (onChange: () => void) => NodeWatch;
  /** Writes an L2AnnouncerChanged Event on the Service. */
  readonly event: (service: string, message: string) => void;
  /** Where the worker's code is; default worker.ts / worker.js next to this file. */
  readonly workerUrl?: URL;
  /** Where this node's interfaces come from; default the running system. */
  readonly interfaces?: () => SystemInterface[];
}

/** An address as the plan computed it (@herald/l2's Assignment), with its announcer as this node sees it. */
export interface L2AddressStatus extends Assignment {
  readonly announcer: string | null;
}

/** The `l2` section of /status (a public contract like the rest: add fields, never rename). */
export interface L2Status {
  /** The config in force has l2Advertisements. */
  readonly enabled: boolean;
  /** One of them selects this node: it runs the mesh and may answer. */
  readonly member: boolean;
  readonly ready: boolean;
  readonly notReady: readonly string[];
  readonly mesh: {
    readonly port: number;
    readonly intervalMs: number;
    readonly detectionMs: number;
    readonly peers: readonly MeshPeer[];
  };
  readonly interfaces: readonly InterfaceState[];
  /** Every L2 address and who answers for it, as this node sees it. */
  readonly addresses: readonly L2AddressStatus[];
  readonly conflicts: readonly Conflict[];
  readonly notes: readonly string[];
}

const RESTART_MS = [1000, 2000, 5000, 10_000, 30_000];
/** A burst of watch events is planned once; a plan that took long spaces the next ones (4× its time). */
const PLAN_DELAY_MS = 20;
const KEY_CHECK_MS = 10_000;

export class L2Announcer {
  readonly #o: L2AnnouncerOptions;
  #config: SpeakerConfigView | undefined;
  #kubeSynced = false;
  #nodes: NodeWatch | undefined;
  #worker: Worker | undefined;
  #workerFailures = 0;
  #restartTimer: NodeJS.Timeout | undefined;
  #planTimer: NodeJS.Timeout | undefined;
  #keyTimer: NodeJS.Timeout | undefined;
  #keysText = '';
  #lastPlanMs = 0;
  #plan: L2Plan | undefined;
  #sentMembers = '';
  #sentAssignments = '';
  #problem: string | undefined;
  #state: WorkerState | undefined;
  #base: WorkerCounters = emptyCounters();
  readonly #announcers = new Map<string, string>();
  readonly #changes = { gained: 0, lost: 0 };
  #stopped = false;
  #leaving: ((handedOver: boolean) => void) | undefined;
  /** A worker handing over before it ends; no new one starts (same UDP port) until it has. */
  #retiring: Promise<void> | undefined;

  constructor(o: L2AnnouncerOptions) {
    this.#o = o;
    o.metrics.setL2Source(() => {
      const announcing = { ipv4: 0, ipv6: 0 };
      for (const [a, n] of this.#announcers)
        if (n === o.nodeName) announcing[a.includes(':') ? 'ipv6' : 'ipv4']++;
      return {
        ready: this.#running() ? (this.#state?.ready ?? false) : undefined,
        detectionSeconds: (o.settings.intervalMs * o.settings.detectMultiplier) / 1000,
        announcing,
        peers: this.#state?.peers ?? [],
        counters: addCounters(this.#base, this.#state?.counters ?? emptyCounters()),
        announcerChanges: this.#changes,
      };
    });
  }

  /** A new valid config is in force (from SpeakerRuntime). */
  configChanged(view: SpeakerConfigView): void {
    this.#config = view;
    this.#reconsider();
  }

  /** Services, EndpointSlices or this node changed. */
  changed(): void {
    this.#schedulePlan();
  }

  /** Every cache the speaker keeps has its first full list. */
  setSynced(synced: boolean): void {
    this.#kubeSynced = synced;
    this.#schedulePlan();
  }

  /** Clean shutdown: hand the addresses over (peers take over at once), then stop the worker. */
  async shutdown(): Promise<void> {
    this.#stopped = true;
    for (const t of [this.#planTimer, this.#restartTimer, this.#keyTimer]) if (t) clearTimeout(t);
    await this.#leaveAndStop();
    this.#nodes?.stop();
    this.#nodes = undefined;
  }

  /** The config in force has l2Advertisements (whether or not one selects this node). */
  get enabled(): boolean {
    return (this.#config?.l2Advertisements ?? []).length > 0;
  }

  status(): L2Status {
    const s = this.#o.settings;
    const ads = this.#config?.l2Advertisements ?? [];
    const plan = this.#plan;
    const notReady = [
      ...(this.#problem ? [this.#problem] : []),
      ...(this.#running() ? (this.#state?.notReady ?? ['starting']) : []),
    ];
    return {
      enabled: ads.length > 0,
      member: plan?.member ?? false,
      ready: this.#running() && (this.#state?.ready ?? false),
      notReady,
      mesh: {
        port: s.port,
        intervalMs: s.intervalMs,
        detectionMs: s.intervalMs * s.detectMultiplier,
        peers: this.#state?.peers ?? [],
      },
      interfaces: this.#state?.interfaces ?? [],
      addresses: (plan?.assignments ?? []).map((a) => ({
        address: a.address,
        announcer: this.#announcers.get(a.address) ?? null,
        services: a.services,
        candidates: a.candidates,
        interfaces: a.interfaces,
      })),
      conflicts: this.#state?.conflicts ?? [],
      notes: plan?.notes ?? [],
    };
  }

  // ---- internals ----

  #running(): boolean {
    return this.#worker !== undefined;
  }

  /** Starts or stops the node watch and the worker to match the config. */
  #reconsider(): void {
    if (this.#stopped) return;
    const enabled = (this.#config?.l2Advertisements ?? []).length > 0;
    if (enabled && !this.#nodes) {
      this.#nodes = this.#o.watchNodes(() => this.#schedulePlan());
      this.#o.log.info({}, 'L2 mode configured: watching all Nodes');
    }
    if (!enabled && this.#nodes) {
      this.#nodes.stop();
      this.#nodes = undefined;
      this.#o.log.info({}, 'L2 mode no longer configured');
    }
    this.#schedulePlan();
  }

  #schedulePlan(): void {
    if (this.#stopped || this.#planTimer) return;
    // Coalesce a burst of watch events (a rollout, a relist) into one plan.
    this.#planTimer = setTimeout(
      () => {
        this.#planTimer = undefined;
        const started = performance.now();
        this.#replan();
        this.#lastPlanMs = performance.now() - started;
      },
      Math.max(PLAN_DELAY_MS, 4 * this.#lastPlanMs),
    );
  }

  #replan(): void {
    if (this.#stopped) return;
    const config = this.#config;
    if (!config || (config.l2Advertisements ?? []).length === 0 || !this.#nodes) {
      this.#plan = undefined;
      void this.#leaveAndStop();
      return;
    }
    const grouped = slicesByService(this.#o.slices(), serviceNameLabel);
    const plan = planL2({
      nodeName: this.#o.nodeName,
      nodes: this.#nodes.values(),
      services: this.#o.services(),
      slicesOf: (key) => grouped.get(key) ?? [],
      config,
      loadBalancerClass: this.#o.loadBalancerClass,
      match: this.#o.match,
      interfaces: (this.#o.interfaces ?? listInterfaces)(),
      port: this.#o.settings.port,
    });
    const previousNotes = this.#plan?.notes.join('\n');
    this.#plan = plan;
    if (plan.notes.length > 0 && plan.notes.join('\n') !== previousNotes)
      this.#o.log.warn({ notes: plan.notes }, 'L2 mode: some addresses or nodes are left out');
    if (!plan.member) {
      void this.#leaveAndStop();
      return;
    }
    if (!this.#ensureWorker()) return;
    const synced = this.#kubeSynced && this.#nodes.synced;
    const members = JSON.stringify([...plan.members].sort(([a], [b]) => compareText(a, b)));
    if (members !== this.#sentMembers) {
      this.#post({ type: 'members', members: [...plan.members] });
      this.#sentMembers = members;
    }
    const assignments = JSON.stringify([synced, plan.assignments]);
    if (assignments !== this.#sentAssignments) {
      this.#post({ type: 'assignments', synced, assignments: plan.assignments as Assignment[] });
      this.#sentAssignments = assignments;
    }
  }

  /** The worker, started when it can be; false (with the reason in status) when it cannot. */
  #ensureWorker(): boolean {
    if (this.#worker) return true;
    if (this.#restartTimer || this.#retiring) return false;
    const support = nativeSupport();
    if (!support.ok) return this.#cannotRun(`native socket support is unavailable: ${support.reason}`);
    if (!this.#o.settings.keyFile)
      return this.#cannotRun(
        'no heartbeat key file (--l2-key-file; the chart sets it with speaker.l2.enabled)',
      );
    const keys = readKeyFile(this.#o.settings.keyFile);
    if (!keys.ok) return this.#cannotRun(`heartbeat key: ${keys.reason}`);
    this.#problem = undefined;
    this.#keysText = keys.keys.map((k) => k.toString('base64')).join('\n');
    const s = this.#o.settings;
    const url =
      this.#o.workerUrl ??
      new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);
    const worker = new Worker(url, {
      workerData: {
        self: this.#o.nodeName,
        port: s.port,
        intervalMs: s.intervalMs,
        detectMultiplier: s.detectMultiplier,
        keys: keys.keys,
      },
    });
    this.#worker = worker;
    this.#sentMembers = '';
    this.#sentAssignments = '';
    worker.on('message', (m: FromWorker) => this.#onMessage(m));
    worker.on('error', (err) => this.#o.log.error({ err: err.message }, 'L2 worker failed'));
    worker.on('exit', (code) => this.#onExit(worker, code));
    this.#keyTimer ??= setInterval(() => this.#checkKeys(), KEY_CHECK_MS);
    this.#o.log.info(
      { port: s.port, intervalMs: s.intervalMs, detectionMs: s.intervalMs * s.detectMultiplier },
      'L2 mode starting: heartbeat mesh and ARP/NDP responder',
    );
    return true;
  }

  #cannotRun(problem: string): false {
    if (problem !== this.#problem) this.#o.log.error({ problem }, 'L2 mode cannot run on this node');
    this.#problem = problem;
    return false;
  }

  #checkKeys(): void {
    if (!this.#worker || !this.#o.settings.keyFile) return;
    const keys = readKeyFile(this.#o.settings.keyFile);
    if (!keys.ok) {
      // Keep the keys in force: a half-written file during a rotation must not stop the mesh.
      this.#o.log.warn({ problem: keys.reason }, 'heartbeat key file unreadable; keeping the keys in use');
      return;
    }
    const text = keys.keys.map((k) => k.toString('base64')).join('\n');
    if (text === this.#keysText) return;
    this.#keysText = text;
    this.#post({ type: 'keys', keys: keys.keys });
    this.#o.log.info({ keys: keys.keys.length }, 'heartbeat keys reloaded');
  }

  #post(m: ToWorker): void {
    this.#worker?.postMessage(m);
  }

  #onMessage(m: FromWorker): void {
    switch (m.type) {
      case 'announcers':
        this.#onAnnouncers(m.changes);
        return;
      case 'peers':
        for (const c of m.changes)
          this.#o.log.info(
            { peer: c.node, state: c.state, previous: c.previous, ready: c.ready },
            'L2 peer changed',
          );
        return;
      case 'state':
        this.#state = m.state;
        return;
      case 'log':
        this.#o.log[m.level](m.fields, `L2: ${m.msg}`);
        return;
      case 'left':
        this.#leaving?.(m.handedOver);
        return;
    }
  }

  #onAnnouncers(changes: readonly AnnouncerChange[]): void {
    const self = this.#o.nodeName;
    const gained: string[] = [];
    const lost: string[] = [];
    for (const c of changes) {
      if (c.announcer === undefined) this.#announcers.delete(c.address);
      else this.#announcers.set(c.address, c.announcer);
      if (c.announcer === self) gained.push(c.address);
      else if (c.previous === self) lost.push(c.address);
      if (c.announcer !== self) continue;
      const on = this.#plan?.assignments.find((a) => a.address === c.address)?.interfaces ?? [];
      const how = `${c.address.includes(':') ? 'Neighbor Discovery' : 'ARP'} on ${on.join(', ') || 'no interface'}`;
      for (const svc of c.services)
        this.#o.event(
          svc,
          `node ${self} answers for ${c.address} (${how}); before: ${c.previous ?? 'nobody'}`,
        );
    }
    this.#changes.gained += gained.length;
    this.#changes.lost += lost.length;
    if (gained.length + lost.length > 0)
      this.#o.log.info(
        {
          gained: gained.slice(0, 20),
          lost: lost.slice(0, 20),
          gainedCount: gained.length,
          lostCount: lost.length,
        },
        'L2 announcer changed',
      );
  }

  #onExit(worker: Worker, code: number): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    if (this.#state) this.#base = addCounters(this.#base, this.#state.counters);
    this.#state = undefined;
    // Its addresses are no longer answered here; the peers see its heartbeats stop and take over.
    for (const [a, n] of this.#announcers) if (n === this.#o.nodeName) this.#announcers.delete(a);
    this.#leaving?.(false);
    if (this.#stopped || !this.#plan?.member) return;
    const delay = RESTART_MS[Math.min(this.#workerFailures, RESTART_MS.length - 1)]!;
    this.#workerFailures++;
    this.#o.log.error({ code, restartInMs: delay }, 'L2 worker exited; restarting');
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      this.#schedulePlan();
    }, delay);
  }

  /** Hands over (peers take over with announcements), then ends the worker. Bounded by a Detection Time. */
  #leaveAndStop(): Promise<void> {
    if (!this.#retiring && this.#worker) {
      this.#retiring = this.#retire(this.#worker).finally(() => {
        this.#retiring = undefined;
        this.#schedulePlan();
      });
    }
    return this.#retiring ?? Promise.resolve();
  }

  async #retire(worker: Worker): Promise<void> {
    const s = this.#o.settings;
    const handedOver = await new Promise<boolean>((resolve) => {
      this.#leaving = resolve;
      worker.postMessage({ type: 'leave' } satisfies ToWorker);
      setTimeout(() => resolve(false), s.intervalMs * s.detectMultiplier + 1000).unref();
    });
    this.#leaving = undefined;
    this.#o.log.info({ handedOver }, handedOver ? 'L2 addresses handed over' : 'L2 handover timed out');
    this.#worker = undefined;
    if (this.#state) this.#base = addCounters(this.#base, this.#state.counters);
    this.#state = undefined;
    this.#announcers.clear();
    worker.postMessage({ type: 'stop' } satisfies ToWorker);
    await worker.terminate();
  }
}
