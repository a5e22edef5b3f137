// Layer-2 mode's Prometheus metrics, on the speaker's registry. Everything is read at scrape time from the
// announcer's view (collect), so the worker's hot path never touches prom-client. Counters come from the
// worker and are folded into a base when a worker ends, so they never go backwards.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { MeshPeer, WorkerCounters } from './protocol.ts';

export interface L2MetricsSource {
  /** Undefined when this node does not run L2 mode (not configured, or not selected). */
  readonly ready: boolean | undefined;
  readonly detectionSeconds: number;
  readonly announcing: { readonly ipv4: number; readonly ipv6: number };
  readonly peers: readonly MeshPeer[];
  readonly counters: WorkerCounters;
  readonly announcerChanges: { readonly gained: number; readonly lost: number };
}

type Labels = Record<string, string>;

/** Splits 'a/b' counter keys into labels. */
function each(
  record: Readonly<Record<string, number>>,
  names: readonly string[],
  fn: (labels: Labels, v: number) => void,
) {
  for (const [key, v] of Object.entries(record)) {
    const parts = key.split('/');
    fn(Object.fromEntries(names.map((n, i) => [n, parts[i] ?? ''])), v);
  }
}

export function registerL2Metrics(registry: Registry, source: () => L2MetricsSource): void {
  const r = [registry];
  new Gauge({
    name: 'herald_speaker_l2_ready',
    help: '1 when this node may answer ARP/NDP (synchronised, mesh settled, interfaces up); absent when it runs no L2 mode',
    registers: r,
    collect() {
      this.reset();
      const s = source();
      if (s.ready !== undefined) this.set(s.ready ? 1 : 0);
    },
  });
  new Gauge({
    name: 'herald_speaker_l2_detection_time_seconds',
    help: 'Heartbeat interval × multiplier: how long a silent peer stays alive in this node’s view',
    registers: r,
    collect() {
      this.reset();
      const s = source();
      if (s.ready !== undefined) this.set(s.detectionSeconds);
    },
  });
  new Gauge({
    name: 'herald_speaker_l2_addresses_announced',
    help: 'LoadBalancer addresses this node answers ARP (ipv4) or NDP (ipv6) for',
    labelNames: ['family'],
    registers: r,
    collect() {
      this.reset();
      const s = source();
      if (s.ready === undefined) return;
      this.set({ family: 'ipv4' }, s.announcing.ipv4);
      this.set({ family: 'ipv6' }, s.announcing.ipv6);
    },
  });
  new Gauge({
    name: 'herald_speaker_l2_peer_up',
    help: '1 when the peer speaker is alive and ready in this node’s liveness mesh',
    labelNames: ['peer'],
    registers: r,
    collect() {
      this.reset();
      for (const p of source().peers) this.set({ peer: p.node }, p.state === 'alive' && p.ready ? 1 : 0);
    },
  });
  new Counter({
    name: 'herald_speaker_l2_announcer_changes_total',
    help: 'Addresses this node took over (gained) or gave up (lost) as announcer',
    labelNames: ['change'],
    registers: r,
    collect() {
      this.reset();
      const c = source().announcerChanges;
      this.inc({ change: 'gained' }, c.gained);
      this.inc({ change: 'lost' }, c.lost);
    },
  });
  new Counter({
    name: 'herald_speaker_l2_heartbeats_sent_total',
    help: 'Heartbeats sent to peer speakers',
    registers: r,
    collect() {
      this.reset();
      this.inc(source().counters.heartbeatsSent);
    },
  });
  /** A counter whose series are one of the worker's 'a/b' keyed records. */
  const keyed = (
    name: string,
    help: string,
    labelNames: string[],
    pick: (c: WorkerCounters) => Readonly<Record<string, number>>,
  ) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: r,
      collect() {
        this.reset();
        each(pick(source().counters), labelNames, (l, v) => this.inc(l, v));
      },
    });
  keyed(
    'herald_speaker_l2_heartbeats_received_total',
    'Heartbeats received, by result: accepted, unconfirmed (stale echo), replay, not-member, authentication (bad HMAC), malformed (truncated, magic, version, length)',
    ['result'],
    (c) => c.heartbeatsReceived,
  );
  keyed(
    'herald_speaker_l2_frames_sent_total',
    'ARP and NDP frames sent, by protocol and kind (reply, probe: a reply to a conflict probe, announcement: gratuitous ARP / unsolicited NA)',
    ['protocol', 'kind'],
    (c) => c.framesSent,
  );
  keyed(
    'herald_speaker_l2_frames_discarded_total',
    'Received ARP and NDP frames discarded as malformed or invalid, by protocol and reason',
    ['protocol', 'reason'],
    (c) => c.framesDiscarded,
  );
  keyed(
    'herald_speaker_l2_conflicts_total',
    'Frames in which another MAC claimed an address this node answers for (a second announcer or an address conflict)',
    ['protocol'],
    (c) => c.conflicts,
  );
  new Counter({
    name: 'herald_speaker_l2_send_errors_total',
    help: 'Heartbeats and frames that could not be sent, by what',
    labelNames: ['what'],
    registers: r,
    collect() {
      this.reset();
      const c = source().counters;
      this.inc({ what: 'heartbeat' }, c.heartbeatSendErrors);
      this.inc({ what: 'frame' }, c.frameSendErrors);
    },
  });
}

/** Before layer-2 mode runs: no series at all (counters report 0). */
export const idleL2Source: L2MetricsSource = {
  ready: undefined,
  detectionSeconds: 0,
  announcing: { ipv4: 0, ipv6: 0 },
  peers: [],
  counters: emptyCounters(),
  announcerChanges: { gained: 0, lost: 0 },
};

export function emptyCounters(): WorkerCounters {
  return {
    heartbeatsSent: 0,
    heartbeatSendErrors: 0,
    heartbeatsReceived: {},
    framesSent: {},
    frameSendErrors: 0,
    framesDiscarded: {},
    conflicts: {},
  };
}

/** a + b, key by key: a finished worker's counters folded into the base. */
export function addCounters(a: WorkerCounters, b: WorkerCounters): WorkerCounters {
  const sum = (x: Readonly<Record<string, number>>, y: Readonly<Record<string, number>>) => {
    const out: Record<string, number> = { ...x };
    for (const [k, v] of Object.entries(y)) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return {
    heartbeatsSent: a.heartbeatsSent + b.heartbeatsSent,
    heartbeatSendErrors: a.heartbeatSendErrors + b.heartbeatSendErrors,
    heartbeatsReceived: sum(a.heartbeatsReceived, b.heartbeatsReceived),
    framesSent: sum(a.framesSent, b.framesSent),
    frameSendErrors: a.frameSendErrors + b.frameSendErrors,
    framesDiscarded: sum(a.framesDiscarded, b.framesDiscarded),
    conflicts: sum(a.conflicts, b.conflicts),
  };
}
