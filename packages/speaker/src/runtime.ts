// The speaker's level-triggered core. Informer changes only mark keys dirty; `reconcile()` reads the caches,
// recomputes the desired routes of the dirty Services with the pure decision, and hands each session only
// the difference against what it already carries. Sessions and their timers live in the BGP library and
// never wait for this loop or for the apiserver.
import { compareText } from '@herald/inet';
import { type Clock, type ConfigStatus, realClock } from '@herald/kube';
import {
  buildNodeContext,
  decideService,
  type NodeContext,
  type RouteContribution,
  type ServiceDecision,
  serviceKey,
} from './announce/decide.ts';
import { DrainTracker } from './announce/drain.ts';
import type {
  DesiredRoute,
  EndpointSliceSnapshot,
  NodeSnapshot,
  SelectorMatcher,
  ServiceSnapshot,
  SpeakerConfigView,
} from './announce/model.ts';
import { serviceNameLabel } from './announce/model.ts';
import { DesiredRibIndex, diffPeer, type PeerPrefix } from './announce/rib.ts';
import { WeightHoldDown } from './announce/weight-hold.ts';
import type { AnnouncementEventThrottle } from './observe/announce-events.ts';
import type { SpeakerMetrics } from './observe/metrics.ts';
import { planSessions } from './sessions/plan.ts';
import type {
  NodeAddresses,
  PeerSessionPort,
  SessionDriver,
  SessionSnapshot,
  StopMode,
} from './sessions/port.ts';
import { getOrCreate } from './util.ts';

/** The config part of /status: @herald/kube's, shared with the controller. */
export type { ConfigStatus };

export type SpeakerConfigLoad<P> =
  | {
      readonly kind: 'valid';
      readonly view: SpeakerConfigView;
      readonly sessions: ReadonlyMap<string, P>;
      /** Of the ConfigMap text (see @herald/kube configDigest). */
      readonly digest: string;
    }
  | { readonly kind: 'invalid'; readonly errors: readonly string[] }
  | { readonly kind: 'missing' };

export interface RuntimeLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface RuntimeStores {
  service(key: string): ServiceSnapshot | undefined;
  services(): Iterable<ServiceSnapshot>;
  slice(key: string): EndpointSliceSnapshot | undefined;
  node(): NodeSnapshot | undefined;
  /** Raw config source (the ConfigMap), loaded by `loadConfig`. */
  configSource(): unknown;
}

export interface RuntimeOptions<P> {
  readonly nodeName: string;
  readonly loadBalancerClass?: string;
  readonly stores: RuntimeStores;
  readonly driver: SessionDriver<P>;
  readonly loadConfig: (source: unknown) => SpeakerConfigLoad<P>;
  readonly match: SelectorMatcher;
  readonly log: RuntimeLogger;
  readonly metrics?: SpeakerMetrics;
  readonly events?: AnnouncementEventThrottle;
  /** Called with each new valid config once it is in force (layer-2 mode reads its part there). */
  readonly onConfigLoaded?: (view: SpeakerConfigView) => void;
  /** Time for drains and weight hold-downs; default the real clock. */
  readonly clock?: Clock;
}

interface SessionEntry<P> {
  readonly settings: P;
  readonly port: PeerSessionPort;
  /** What we handed this session: the Adj-RIB-Out as the runtime knows it. */
  readonly announced: Map<string, DesiredRoute>;
}

export class SpeakerRuntime<P> {
  readonly #o: RuntimeOptions<P>;
  readonly #rib = new DesiredRibIndex();
  readonly #sessions = new Map<string, SessionEntry<P>>();
  /** serviceKey → slice keys, kept from slice events (a slice names its Service by label). */
  readonly #slicesByService = new Map<string, Set<string>>();
  readonly #sliceOwner = new Map<string, string>();
  readonly #dirtyServices = new Set<string>();
  readonly #decisions = new Map<string, { announcing: boolean; reason?: string }>();
  #configDirty = true;
  #passwordsDirty = false;
  #nodeDirty = true;
  #ctx?: NodeContext;
  #config?: SpeakerConfigLoad<P> & { kind: 'valid' };
  #configStatus: ConfigStatus = { loaded: false, stale: false, errors: [], loadedAt: null, digest: null };
  #scheduled = false;
  /**
   * `idle` until the config and Node are cached; `peering` (sessions open and come up, nothing is decided)
   * until every cache is; then `announcing`. Sessions come up while the Service and EndpointSlice lists
   * load (seconds at 10,000 Services), instead of after them.
   */
  #phase: 'idle' | 'peering' | 'announcing' = 'idle';
  /** The first announcing reconcile decides every Service as a baseline (no Events for what already was). */
  #baselineDone = false;
  #stopped = false;
  #nodeAddresses: NodeAddresses = {};
  readonly #clock: Clock;
  /** RFC 8326 drains in progress (announce/drain.ts). */
  readonly #drains = new DrainTracker();
  /** Weight changes waiting for the end of their hold-down (announce/weight-hold.ts). */
  readonly #holds = new WeightHoldDown();
  /** The timer that reconciles the Services whose drain or hold-down ends next. */
  #timer: { at: number; handle: unknown } | undefined;

  constructor(options: RuntimeOptions<P>) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
  }

  // ---- change notifications (from the reflectors) ----

  serviceChanged(key: string): void {
    this.#dirtyServices.add(key);
    this.#schedule();
  }

  sliceChanged(key: string, current: EndpointSliceSnapshot | undefined): void {
    const previousOwner = this.#sliceOwner.get(key);
    const name = current?.metadata?.labels?.[serviceNameLabel];
    const owner = current && name ? `${current.metadata?.namespace ?? ''}/${name}` : undefined;
    if (previousOwner && previousOwner !== owner) {
      this.#slicesByService.get(previousOwner)?.delete(key);
      if (this.#slicesByService.get(previousOwner)?.size === 0) this.#slicesByService.delete(previousOwner);
      this.#dirtyServices.add(previousOwner);
    }
    if (owner) {
      getOrCreate(this.#slicesByService, owner, () => new Set()).add(key);
      this.#sliceOwner.set(key, owner);
      this.#dirtyServices.add(owner);
    } else {
      this.#sliceOwner.delete(key);
    }
    this.#schedule();
  }

  nodeChanged(): void {
    this.#nodeDirty = true;
    this.#schedule();
  }

  configChanged(): void {
    this.#configDirty = true;
    this.#schedule();
  }

  /**
   * A Secret that peers name changed (or could be read, or stopped being readable): the config is reduced
   * again with the passwords it now gives, and only sessions whose password changed are restarted.
   */
  passwordsChanged(): void {
    this.#passwordsDirty = true;
    this.#schedule();
  }

  /**
   * Loads the config and opens the sessions it selects for this node, announcing nothing yet: call once the
   * ConfigMap and Node caches have synced. End-of-RIB is held on every session until `start()` has handed
   * over the whole table.
   */
  startPeering(): void {
    if (this.#phase !== 'idle') return;
    this.#phase = 'peering';
    this.reconcile();
  }

  /** Begins announcing; call once every cache has synced so the first decision sees the whole cluster. */
  start(): void {
    if (this.#phase === 'announcing') return;
    this.#phase = 'announcing';
    this.reconcile();
  }

  #schedule(): void {
    if (this.#phase === 'idle' || this.#scheduled || this.#stopped) return;
    this.#scheduled = true;
    // setImmediate coalesces a burst of watch events (one chunk off the socket) into one reconcile.
    setImmediate(() => {
      this.#scheduled = false;
      this.reconcile();
    });
  }

  // ---- reconcile ----

  reconcile(): void {
    if (this.#stopped || this.#phase === 'idle') return;
    const started = performance.now();
    let full = false;
    if (this.#configDirty || this.#passwordsDirty) {
      // Passwords alone: the same ConfigMap again, so no new config load is counted or logged.
      const passwordsOnly = !this.#configDirty;
      this.#configDirty = false;
      this.#passwordsDirty = false;
      full = this.#loadConfig(passwordsOnly) || full;
    }
    if (this.#nodeDirty) {
      this.#nodeDirty = false;
      const node = this.#o.stores.node();
      this.#nodeAddresses = nodeAddresses(node);
      if (!node) {
        this.#o.log.warn(
          { node: this.#o.nodeName },
          'Node object not found: no BGP sessions and no announcements until it exists (check --node-name)',
        );
      }
      full = true;
    }
    if (!this.#config) return; // nothing to announce with, nothing to peer with
    const touched: PeerPrefix[] = [];
    const fresh = new Set<string>();
    if (full) {
      this.#ctx = buildNodeContext({
        nodeName: this.#o.nodeName,
        node: this.#o.stores.node(),
        config: this.#config.view,
        loadBalancerClass: this.#o.loadBalancerClass,
        match: this.#o.match,
      });
      for (const p of this.#applySessionPlan()) fresh.add(p);
    }
    // Peering: the Service caches are not complete, so no decision yet (it would withdraw what we have not
    // seen). The changes they report are decided in full by the first announcing reconcile.
    if (this.#phase === 'peering') {
      this.#dirtyServices.clear();
      return;
    }
    const firstRun = !this.#baselineDone;
    this.#baselineDone = true;
    if (full || firstRun) {
      full = true;
      for (const svc of this.#o.stores.services()) this.#dirtyServices.add(serviceKey(svc));
      for (const key of [...this.#rib.services()]) this.#dirtyServices.add(key);
    }
    const ctx = this.#ctx!;
    const now = this.#clock.now();
    for (const key of this.#dirtyServices) {
      const svc = this.#o.stores.service(key);
      const decision: ServiceDecision = svc
        ? decideService(svc, this.#slicesOf(key), ctx)
        : { key, routes: [], ours: false, reason: undefined };
      const routes = this.#shape(key, decision, now);
      touched.push(...this.#rib.set(key, routes));
      // A draining route is on its way out: for the Event and /status the Service is no longer announced.
      const live = routes.filter((r) => r.drain === undefined);
      this.#recordDecision(key, svc, decision.ours, live, decision.reason, firstRun, routes);
    }
    this.#dirtyServices.clear();
    this.#pushToSessions(touched, fresh, full);
    this.#armTimer(now);
    this.#o.metrics?.servicesAnnounced.set([...this.#decisions.values()].filter((d) => d.announcing).length);
    this.#o.metrics?.reconcileSeconds.observe((performance.now() - started) / 1000);
  }

  /**
   * From the decision to what the Service contributes now: each weight through its hold-down, then the drains
   * (the routes that go for a planned reason, or whose endpoints are all terminating, stay for a while with
   * GRACEFUL_SHUTDOWN).
   */
  #shape(key: string, decision: ServiceDecision, now: number): RouteContribution[] {
    const groups = new Set<string>();
    const routes = decision.routes.map((r) => {
      if (r.attributes.weight === undefined) return r;
      const group = `${r.advertisement}\u0000${r.family}`;
      groups.add(group);
      const weight = this.#holds.apply(key, group, r.attributes.weight, r.weightHoldDownMs, now);
      return weight === r.attributes.weight ? r : { ...r, attributes: { ...r.attributes, weight } };
    });
    this.#holds.retain(key, groups);
    return this.#drains.apply(key, { ...decision, routes }, this.#rib.contributions(key), now);
  }

  /** One timer, for the next end of a drain or a hold-down; it marks the due Services dirty. */
  #armTimer(now: number): void {
    const next = [this.#drains.nextDeadline(), this.#holds.nextDeadline()]
      .filter((t): t is number => t !== undefined)
      .reduce((a, b) => Math.min(a, b), Infinity);
    if (this.#timer?.at === next) return;
    if (this.#timer) this.#clock.clearTimeout(this.#timer.handle);
    this.#timer = undefined;
    if (next === Infinity || this.#stopped) return;
    const handle = this.#clock.setTimeout(
      () => {
        this.#timer = undefined;
        const at = this.#clock.now();
        for (const key of [...this.#drains.due(at), ...this.#holds.due(at)]) this.#dirtyServices.add(key);
        this.#schedule();
      },
      Math.max(0, next - now),
    );
    (handle as { unref?: () => void })?.unref?.();
    this.#timer = { at: next, handle };
  }

  #slicesOf(key: string): EndpointSliceSnapshot[] {
    const out: EndpointSliceSnapshot[] = [];
    for (const sk of this.#slicesByService.get(key) ?? []) {
      const s = this.#o.stores.slice(sk);
      if (s) out.push(s);
    }
    return out;
  }

  /** Returns true when a new valid config replaced the one in force. */
  #loadConfig(passwordsOnly = false): boolean {
    const result = this.#o.loadConfig(this.#o.stores.configSource());
    if (passwordsOnly) {
      // An invalid or missing ConfigMap was reported when it changed; the last good config stays as it is.
      if (result.kind !== 'valid' || this.#configStatus.stale) return false;
      this.#config = result;
      this.#o.log.debug({}, 'peer passwords re-read');
      return true;
    }
    this.#o.metrics?.configLoads.inc({ result: result.kind });
    if (result.kind === 'valid') {
      this.#config = result;
      this.#configStatus = {
        loaded: true,
        stale: false,
        errors: [],
        loadedAt: new Date().toISOString(),
        digest: result.digest,
      };
      this.#o.metrics?.configStale.set(0);
      this.#o.log.info({ peers: [...result.sessions.keys()] }, 'config loaded');
      this.#o.onConfigLoaded?.(result.view);
      return true;
    }
    const errors = result.kind === 'invalid' ? result.errors : ['ConfigMap not found'];
    // The controller reports an invalid ConfigMap with an Event on it; N speakers repeating it would only
    // add noise, so speakers log it, export herald_speaker_config_stale and show it in /status.
    this.#configStatus = { ...this.#configStatus, stale: this.#config !== undefined, errors };
    this.#o.metrics?.configStale.set(1);
    this.#o.log.error(
      { errors, keeping: this.#config ? 'last good config' : 'no config yet: no sessions, no announcements' },
      result.kind === 'invalid' ? 'config invalid' : 'config missing',
    );
    return false;
  }

  /** Opens/closes/restarts sessions per the plan; returns peers whose session is new (empty Adj-RIB-Out). */
  #applySessionPlan(): string[] {
    const ctx = this.#ctx!;
    const desired = new Map<string, P>();
    for (const [name, settings] of this.#config!.sessions)
      if (ctx.peers.has(name)) desired.set(name, settings);
    const running = new Map([...this.#sessions].map(([n, e]) => [n, e.settings]));
    const plan = planSessions(running, desired, (a, b) => this.#o.driver.sameSettings(a, b));
    if (plan.add.length + plan.remove.length + plan.restart.length > 0) {
      this.#o.log.info({ ...plan }, 'BGP session plan');
    }
    for (const name of [...plan.remove, ...plan.restart]) {
      const entry = this.#sessions.get(name)!;
      this.#sessions.delete(name);
      this.#o.metrics?.retireSession(entry.port.snapshot());
      void entry.port
        .stop(plan.remove.includes(name) ? 'remove' : 'reconfigure')
        .catch((err: unknown) => this.#o.log.warn({ peer: name, err }, 'session stop'));
    }
    this.#o.driver.setPassivePeers(desired, this.#nodeAddresses);
    this.#o.driver.setBfdPeers?.(desired);
    const fresh: string[] = [];
    for (const name of [...plan.add, ...plan.restart]) {
      const settings = desired.get(name)!;
      const port = this.#o.driver.open(name, settings, this.#nodeAddresses);
      this.#sessions.set(name, { settings, port, announced: new Map() });
      fresh.push(name);
    }
    return fresh;
  }

  #pushToSessions(touched: readonly PeerPrefix[], fresh: ReadonlySet<string>, full: boolean): void {
    const byPeer = new Map<string, string[]>();
    for (const t of touched) getOrCreate(byPeer, t.peer, () => []).push(t.prefix);
    for (const [peer, entry] of this.#sessions) {
      const desired = (prefix: string) => this.#rib.route(peer, prefix);
      const desiredPrefixes = () => [...this.#rib.routes(peer)].map((r) => r.prefix);
      // The announced map is passed as is (no copy): a reconcile of one Service must not cost O(all routes).
      const delta =
        full || fresh.has(peer)
          ? diffPeer(desired, desiredPrefixes(), entry.announced)
          : diffPeer(desired, [], entry.announced, byPeer.get(peer) ?? []);
      if (delta.withdraw.length > 0) {
        entry.port.withdraw(delta.withdraw);
        for (const p of delta.withdraw) entry.announced.delete(p);
        this.#o.metrics?.routeUpdates.inc({ peer, action: 'withdraw' }, delta.withdraw.length);
      }
      if (delta.announce.length > 0) {
        entry.port.announce(delta.announce);
        for (const r of delta.announce) entry.announced.set(r.prefix, r);
        this.#o.metrics?.routeUpdates.inc({ peer, action: 'announce' }, delta.announce.length);
      }
      if (delta.withdraw.length + delta.announce.length > 0) {
        this.#o.log.debug(
          { peer, announce: delta.announce.map((r) => r.prefix), withdraw: delta.withdraw },
          'routes changed',
        );
      }
      // Only announcing reconciles get here, and each hands a session everything it should carry (a session
      // opened by this one gets its full table above): End-of-RIB may follow. Idempotent on the port.
      entry.port.initialTableLoaded();
    }
  }

  #recordDecision(
    key: string,
    svc: ServiceSnapshot | undefined,
    ours: boolean,
    routes: ReadonlyArray<{ peer: string; prefix: string }>,
    reason: string | undefined,
    baseline: boolean,
    shaped: readonly RouteContribution[],
  ): void {
    if (!svc || !ours) {
      if (this.#decisions.delete(key)) this.#o.events?.forget(key);
      return;
    }
    const announcing = routes.length > 0;
    const previous = this.#decisions.get(key);
    this.#decisions.set(key, { announcing, reason });
    const prefixes = [...new Set(routes.map((r) => r.prefix))].sort();
    const peers = [...new Set(routes.map((r) => r.peer))].sort();
    const state = {
      announcing,
      detail: announcing
        ? `node ${this.#o.nodeName} announces ${prefixes.join(', ')} to ${peers.join(', ')}`
        : `node ${this.#o.nodeName} stopped announcing: ${reason ?? 'not selected'}${drainNote(shaped)}`,
    };
    if (baseline) this.#o.events?.baseline(key, state);
    else if (previous?.announcing !== announcing) this.#o.events?.observe(key, state);
    if (previous && previous.announcing !== announcing) {
      this.#o.log.info({ service: key, announcing, prefixes, peers, reason }, 'announcement changed');
    }
  }

  // ---- views for /status and metrics ----

  get configStatus(): ConfigStatus {
    return this.#configStatus;
  }

  get ready(): boolean {
    return this.#phase === 'announcing' && this.#config !== undefined;
  }

  sessionSnapshots(): SessionSnapshot[] {
    return [...this.#sessions.values()].map((e) => e.port.snapshot());
  }

  announced(): Map<string, DesiredRoute[]> {
    const out = new Map<string, DesiredRoute[]>();
    for (const [peer, e] of this.#sessions) {
      out.set(
        peer,
        [...e.announced.values()].sort((a, b) => compareText(a.prefix, b.prefix)),
      );
    }
    return out;
  }

  prefixCounts(): Array<{ peer: string; family: string; count: number }> {
    const out: Array<{ peer: string; family: string; count: number }> = [];
    for (const [peer, e] of this.#sessions) {
      let v4 = 0;
      let v6 = 0;
      for (const r of e.announced.values()) {
        if (r.family === 'ipv4') v4++;
        else v6++;
      }
      out.push({ peer, family: 'ipv4', count: v4 }, { peer, family: 'ipv6', count: v6 });
    }
    return out;
  }

  serviceDecisions(): ReadonlyMap<string, { announcing: boolean; reason?: string }> {
    return this.#decisions;
  }

  /** Routes per peer carrying GRACEFUL_SHUTDOWN now (for herald_speaker_routes_draining). */
  drainingCounts(): Array<{ peer: string; count: number }> {
    return [...this.#sessions].map(([peer, e]) => {
      let count = 0;
      for (const r of e.announced.values()) if (r.attributes.gracefulShutdown) count++;
      return { peer, count };
    });
  }

  /** The longest drain a `withdraw` stop would wait for now: what the SIGTERM hard stop must allow for. */
  drainBudgetMs(): number {
    let longest = 0;
    for (const key of this.#rib.services())
      for (const c of this.#rib.contributions(key)) longest = Math.max(longest, c.drainMs);
    return longest;
  }

  async stop(mode: StopMode): Promise<void> {
    this.#stopped = true;
    this.#o.events?.stop();
    if (this.#timer) this.#clock.clearTimeout(this.#timer.handle);
    this.#timer = undefined;
    // Stopping in withdraw mode is the planned withdrawal of everything: drain first (RFC 8326), then Cease.
    if (mode === 'withdraw') await this.#drainAll();
    await Promise.allSettled([...this.#sessions.values()].map((e) => e.port.stop(mode)));
    await this.#o.driver.close();
  }

  /** Re-announces every route of an advertisement with a drainTime with GRACEFUL_SHUTDOWN and waits it out. */
  async #drainAll(): Promise<void> {
    const now = this.#clock.now();
    const touched: PeerPrefix[] = [];
    let until = now;
    for (const key of [...this.#rib.services()]) {
      const routes = this.#drains.apply(
        key,
        { routes: [], unplanned: false },
        this.#rib.contributions(key),
        now,
      );
      for (const r of routes) until = Math.max(until, r.drain?.withdrawAt ?? now);
      touched.push(...this.#rib.set(key, routes));
    }
    if (until <= now) return;
    this.#pushToSessions(touched, new Set(), false);
    this.#o.log.info(
      { drainSeconds: Math.ceil((until - now) / 1000) },
      'stopping: routes carry GRACEFUL_SHUTDOWN until the drain ends, then the sessions close',
    );
    await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, until - now));
  }
}

/** " (draining with GRACEFUL_SHUTDOWN until …)" when some of the Service's routes drain; "" otherwise. */
function drainNote(routes: readonly RouteContribution[]): string {
  let until = 0;
  for (const r of routes) if (r.drain) until = Math.max(until, r.drain.withdrawAt);
  return until > 0 ? ` (draining with GRACEFUL_SHUTDOWN until ${new Date(until).toISOString()})` : '';
}

export function nodeAddresses(node: NodeSnapshot | undefined): NodeAddresses {
  const addrs = node?.status?.addresses ?? [];
  // InternalIP first: on bare metal it is the address routers peer with; ExternalIP as a fallback.
  const ordered = [
    ...addrs.filter((a) => a.type === 'InternalIP'),
    ...addrs.filter((a) => a.type === 'ExternalIP'),
  ];
  return {
    ipv4: ordered.find((a) => a.address && !a.address.includes(':'))?.address,
    ipv6: ordered.find((a) => a.address?.includes(':'))?.address,
  };
}
