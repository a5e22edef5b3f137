// Prometheus metrics of the speaker. Session counters are read from the sessions at scrape time (collect),
// so the BGP hot path never touches prom-client; counters of closed sessions are folded into a base so the
// exported counters never go backwards when a session restarts.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { NotificationCount, SessionSnapshot } from '../sessions/port.ts';

export interface SessionSource {
  snapshots(): readonly SessionSnapshot[];
  prefixCounts(): ReadonlyArray<{ peer: string; family: string; count: number }>;
}

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
  readonly #retired = new Map<string, number>();
  #source?: SessionSource;

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
    const notificationCounter = (
      name: string,
      help: string,
      pick: (s: SessionSnapshot) => readonly NotificationCount[],
    ) =>
      new Counter({
        name,
        help,
        labelNames: ['peer', 'code', 'subcode'],
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
            for (const n of pick(s)) add([s.peer, n.code, n.subcode].join('\u0000'), n.count);
          for (const [k, v] of totals) {
            const [peer, code, subcode] = k.split('\u0000') as [string, string, string];
            this.inc({ peer, code, subcode }, v);
          }
        },
      });
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

  /** Folds a closing session's counters into the base so the exported counters stay monotonic. */
  retireSession(s: SessionSnapshot): void {
    const add = (key: string, v: number) => this.#retired.set(key, (this.#retired.get(key) ?? 0) + v);
    add(['herald_speaker_updates_sent_total', s.peer].join('\u0000'), s.updatesSent);
    add(['herald_speaker_updates_received_total', s.peer].join('\u0000'), s.updatesReceived);
    for (const n of s.notificationsSent)
      add(['herald_speaker_notifications_sent_total', s.peer, n.code, n.subcode].join('\u0000'), n.count);
    for (const n of s.notificationsReceived)
      add(['herald_speaker_notifications_received_total', s.peer, n.code, n.subcode].join('\u0000'), n.count);
  }
}
