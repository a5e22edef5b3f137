// Prometheus metrics of the speaker. Session counters are read from the sessions at scrape time (collect),
// so the BGP hot path never touches prom-client; counters of closed sessions are folded into a base so the
// exported counters never go backwards when a session restarts.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { idleL2Source, type L2MetricsSource, registerL2Metrics } from '../l2/metrics.ts';
import type { NotificationCount, SessionSnapshot } from '../sessions/port.ts';
import { type BfdMetricsSource, registerBfdMetrics } from './bfd-metrics.ts';
import { readKernelTcpDrops } from './kernel-tcp.ts';

export interface SessionSource {
  snapshots(): readonly SessionSnapshot[];
  prefixCounts(): ReadonlyArray<{ peer: string; family: string; count: number }>;
  /** Routes per peer announced with GRACEFUL_SHUTDOWN (draining before a planned withdrawal). */
  drainingCounts?(): ReadonlyArray<{ peer: string; count: number }>;
}

/** Label values after `peer`, and their count, for one session. */
type SessionPick = (s: SessionSnapshot) => Iterable<readonly [readonly (string | number)[], number]>;

export class SpeakerMetrics {
  readonly registry = new Registry();
  readonly configStale: Gauge;
  readonly configLoads: Counter<'result'>;
  readonly reconcileSeconds: Histogram;
  readonly servicesAnnounced: Gauge;
  readonly kubeErrors: Counter<'resource'>;
  readonly kubeConnected: Gauge<'resource'>;
  readonly eventsEmitted: Counter<'reason'>;
  readonly eventErrors: Counter;
  readonly routeUpdates: Counter<'peer' | 'action'>;
  readonly connectionsRejected: Counter<'reason'>;
  readonly prefixLimitReached: Counter<'peer' | 'family' | 'action'>;
  readonly httpRefused: Counter<'path' | 'code'>;
  readonly #retired = new Map<string, number>();
  /** The labelled per-session counters, by name: how each reads a snapshot (also when it retires). */
  readonly #picks = new Map<string, SessionPick>();
  #source?: SessionSource;
  #l2: () => L2MetricsSource = () => idleL2Source;
  #bfd?: BfdMetricsSource;

  constructor(nodeName: string) {
    this.registry.setDefaultLabels({ node: nodeName });
    collectDefaultMetrics({ register: this.registry, prefix: 'herald_speaker_' });
    const r = [this.registry];
    const metrics = this;
    new Gauge({
      name: 'herald_speaker_session_up',
      help: '1 when the BGP session to the peer is Established',
      labelNames: ['peer'],
      registers: r,
      collect() {
        this.reset();
        for (const s of metrics.#source?.snapshots() ?? []) this.set({ peer: s.peer }, s.established ? 1 : 0);
      },
    });
    new Gauge({
      name: 'herald_speaker_session_uptime_seconds',
      help: 'Seconds since the BGP session became Established (0 when it is not)',
      labelNames: ['peer'],
      registers: r,
      collect() {
        this.reset();
        for (const s of metrics.#source?.snapshots() ?? []) this.set({ peer: s.peer }, s.uptimeSeconds ?? 0);
      },
    });
    new Gauge({
      name: 'herald_speaker_session_blocked',
      help: 'Sessions that cannot be opened because their TCP-MD5 password cannot be used, by reason',
      labelNames: ['peer', 'reason'],
      registers: r,
      collect() {
        this.reset();
        for (const s of metrics.#source?.snapshots() ?? [])
          if (s.blocked !== undefined) this.set({ peer: s.peer, reason: s.blocked }, 1);
      },
    });
    new Counter({
      name: 'herald_speaker_kernel_tcp_drops_total',
      help: "TCP segments this node's kernel dropped: wrong or missing TCP-MD5 signature, or below a GTSM minimum TTL (all TCP of the node, not only BGP)",
      labelNames: ['reason'],
      registers: r,
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(readKernelTcpDrops())) this.inc({ reason }, n);
      },
    });
    new Gauge({
      name: 'herald_speaker_prefixes_announced',
      help: 'Prefixes in the Adj-RIB-Out towards the peer',
      labelNames: ['peer', 'family'],
      registers: r,
      collect() {
        this.reset();
        for (const p of metrics.#source?.prefixCounts() ?? [])
          this.set({ peer: p.peer, family: p.family }, p.count);
      },
    });
    const perFamily = (
      name: string,
      help: string,
      pick: (s: SessionSnapshot) => { readonly ipv4: number; readonly ipv6: number } | undefined,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ['peer', 'family'],
        registers: r,
        collect() {
          this.reset();
          for (const s of metrics.#source?.snapshots() ?? []) {
            const counts = pick(s);
            if (!counts) continue;
            this.set({ peer: s.peer, family: 'ipv4' }, counts.ipv4);
            this.set({ peer: s.peer, family: 'ipv6' }, counts.ipv6);
          }
        },
      });
    perFamily(
      'herald_speaker_prefixes_received',
      'Prefixes the peer currently advertises to this speaker (counted only; Herald never uses them)',
      (s) => s.prefixesReceived,
    );
    perFamily(
      'herald_speaker_prefixes_blocked',
      'Prefixes the peer sent beyond its maxPrefixes limit (action block) in the current session, ignored',
      (s) => s.prefixesBlocked,
    );
    new Gauge({
      name: 'herald_speaker_routes_draining',
      help: 'Routes announced to the peer with GRACEFUL_SHUTDOWN, draining before a planned withdrawal (RFC 8326)',
      labelNames: ['peer'],
      registers: r,
      collect() {
        this.reset();
        for (const d of metrics.#source?.drainingCounts?.() ?? []) this.set({ peer: d.peer }, d.count);
      },
    });
    const sessionCounter = (name: string, help: string, pick: (s: SessionSnapshot) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['peer'],
        registers: r,
        collect() {
          this.reset();
          const totals = new Map<string, number>();
          for (const [k, v] of metrics.#retired) {
            const [metric, peer] = k.split('\u0000') as [string, string];
            if (metric === name) totals.set(peer, (totals.get(peer) ?? 0) + v);
          }
          for (const s of metrics.#source?.snapshots() ?? [])
            totals.set(s.peer, (totals.get(s.peer) ?? 0) + pick(s));
          for (const [peer, v] of totals) this.inc({ peer }, v);
        },
      });
    sessionCounter('herald_speaker_updates_sent_total', 'BGP UPDATE messages sent', (s) => s.updatesSent);
    sessionCounter(
      'herald_speaker_updates_received_total',
      'BGP UPDATE messages received',
      (s) => s.updatesReceived,
    );
    /** A per-peer counter with more labels; `pick` gives their values and the count of one session. */
    const labeledCounter = (name: string, help: string, labels: readonly string[], pick: SessionPick) => {
      this.#picks.set(name, pick);
      return new Counter({
        name,
        help,
        labelNames: ['peer', ...labels],
        registers: r,
        collect() {
          this.reset();
          const totals = new Map<string, number>();
          const add = (key: string, v: number) => totals.set(key, (totals.get(key) ?? 0) + v);
          for (const [k, v] of metrics.#retired) {
            const [metric, ...rest] = k.split('\u0000');
            if (metric === name) add(rest.join('\u0000'), v);
          }
          for (const s of metrics.#source?.snapshots() ?? [])
            for (const [values, n] of pick(s)) add([s.peer, ...values].join('\u0000'), n);
          for (const [k, v] of totals) {
            const [peer, ...values] = k.split('\u0000');
            this.inc(Object.fromEntries([['peer', peer], ...labels.map((l, i) => [l, values[i]])]), v);
          }
        },
      });
    };
    const notificationCounter = (
      name: string,
      help: string,
      pick: (s: SessionSnapshot) => readonly NotificationCount[],
    ) =>
      labeledCounter(name, help, ['code', 'subcode'], (s) =>
        pick(s).map((n) => [[n.code, n.subcode], n.count] as const),
      );
    notificationCounter(
      'herald_speaker_notifications_sent_total',
      'BGP NOTIFICATION messages sent, by error code/subcode (RFC 4271 §4.5)',
      (s) => s.notificationsSent,
    );
    notificationCounter(
      'herald_speaker_notifications_received_total',
      'BGP NOTIFICATION messages received, by error code/subcode (RFC 4271 §4.5)',
      (s) => s.notificationsReceived,
    );
    labeledCounter(
      'herald_speaker_connect_failures_total',
      'Outgoing BGP connection attempts that failed, by reason (timeout: the SYN was never answered, as with a wrong TCP-MD5 password)',
      ['reason'],
      (s) =>
        Object.entries(s.connectFailures ?? {})
          .filter(([, n]) => n > 0)
          .map(([reason, n]) => [[reason], n] as const),
    );
    this.configStale = new Gauge({
      name: 'herald_speaker_config_stale',
      help: '1 when the ConfigMap is invalid or missing and the last good config is in force',
      registers: r,
    });
    this.configLoads = new Counter({
      name: 'herald_speaker_config_loads_total',
      help: 'ConfigMap loads by result (valid, invalid, missing)',
      labelNames: ['result'],
      registers: r,
    });
    this.reconcileSeconds = new Histogram({
      name: 'herald_speaker_reconcile_duration_seconds',
      help: 'Time to recompute the desired routes and hand the changes to the sessions',
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: r,
    });
    this.servicesAnnounced = new Gauge({
      name: 'herald_speaker_services_announced',
      help: 'LoadBalancer Services this node announces to at least one peer',
      registers: r,
    });
    this.kubeErrors = new Counter({
      name: 'herald_speaker_kube_watch_errors_total',
      help: 'Failed list/watch calls to the apiserver, by resource',
      labelNames: ['resource'],
      registers: r,
    });
    this.kubeConnected = new Gauge({
      name: 'herald_speaker_kube_connected',
      help: '1 when the watch on the resource is connected to the apiserver',
      labelNames: ['resource'],
      registers: r,
    });
    this.eventsEmitted = new Counter({
      name: 'herald_speaker_events_total',
      help: 'Kubernetes Events emitted, by reason',
      labelNames: ['reason'],
      registers: r,
    });
    this.eventErrors = new Counter({
      name: 'herald_speaker_event_errors_total',
      help: 'Kubernetes Events that could not be written',
      registers: r,
    });
    this.connectionsRejected = new Counter({
      name: 'herald_speaker_bgp_connections_rejected_total',
      help: 'Incoming BGP connections closed without a session, by reason (unknown-peer, session-established, collision-in-progress, session-not-started, ttl-below-minimum, socket-options, internal-error)',
      labelNames: ['reason'],
      registers: r,
    });
    this.prefixLimitReached = new Counter({
      name: 'herald_speaker_prefix_limit_reached_total',
      help: "Times a peer's maxPrefixes limit was reached, by family and action (block: excess ignored; restart: session reset with Cease 6/1)",
      labelNames: ['peer', 'family', 'action'],
      registers: r,
    });
    this.httpRefused = new Counter({
      name: 'herald_speaker_http_requests_refused_total',
      help: 'Requests to /metrics or /status refused: 401 no or bad token, 403 not authorized, 503 authorization unavailable',
      labelNames: ['path', 'code'],
      registers: r,
    });
    registerL2Metrics(this.registry, () => this.#l2());
    registerBfdMetrics(
      this.registry,
      () => this.#bfd?.() ?? { peers: new Map(), engine: undefined, states: new Map() },
    );
    this.routeUpdates = new Counter({
      name: 'herald_speaker_route_changes_total',
      help: 'Routes handed to the sessions, by peer and action (announce, withdraw)',
      labelNames: ['peer', 'action'],
      registers: r,
    });
  }

  setSessionSource(source: SessionSource): void {
    this.#source = source;
  }

  /** Layer-2 mode's state, read at scrape time (l2/announcer.ts). */
  setL2Source(source: () => L2MetricsSource): void {
    this.#l2 = source;
  }

  /** Where herald_bfd_* come from: the session driver's BFD coupling. */
  setBfdSource(source: BfdMetricsSource): void {
    this.#bfd = source;
  }

  /** Folds a closing session's counters into the base so the exported counters stay monotonic. */
  retireSession(s: SessionSnapshot): void {
    const add = (key: string, v: number) => this.#retired.set(key, (this.#retired.get(key) ?? 0) + v);
    add(['herald_speaker_updates_sent_total', s.peer].join('\u0000'), s.updatesSent);
    add(['herald_speaker_updates_received_total', s.peer].join('\u0000'), s.updatesReceived);
    for (const [name, pick] of this.#picks)
      for (const [values, n] of pick(s)) add([name, s.peer, ...values].join('\u0000'), n);
  }
}
