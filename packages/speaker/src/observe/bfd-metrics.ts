// Prometheus metrics of the speaker's BFD sessions (herald_bfd_*), read at scrape time from the latest
// snapshot the BFD engine published (at most a second old, fresh after every state change): the BFD thread
// never touches prom-client. Per-peer counters stay monotonic when a BFD session is re-created.
import type { BfdEngineSnapshot } from '@herald/bfd';
import { DISCARD_REASONS, SESSION_STATES } from '@herald/bfd';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { BfdPeerCounters } from '../sessions/bfd-coupling.ts';

export type BfdMetricsSource = () => {
  readonly peers: ReadonlyMap<string, BfdPeerCounters>;
  readonly engine: BfdEngineSnapshot | undefined;
  /** The current state of each peer's BFD session. */
  readonly states: ReadonlyMap<string, string>;
};

export function registerBfdMetrics(registry: Registry, source: BfdMetricsSource): void {
  const registers = [registry];
  new Gauge({
    name: 'herald_bfd_session_state',
    help: 'BFD session state per peer: 1 for the current state (AdminDown, Down, Init, Up), 0 for the others',
    labelNames: ['peer', 'state'],
    registers,
    collect() {
      this.reset();
      for (const [peer, state] of source().states)
        for (const s of SESSION_STATES) this.set({ peer, state: s }, s === state ? 1 : 0);
    },
  });
  const peerCounter = (name: string, help: string, pick: (c: BfdPeerCounters) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['peer'],
      registers,
      collect() {
        this.reset();
        for (const [peer, c] of source().peers) this.inc({ peer }, pick(c));
      },
    });
  new Counter({
    name: 'herald_bfd_session_transitions_total',
    help: 'BFD session state changes per peer, by the state entered',
    labelNames: ['peer', 'to'],
    registers,
    collect() {
      this.reset();
      for (const [peer, c] of source().peers)
        for (const s of SESSION_STATES) this.inc({ peer, to: s }, c.transitions[s]);
    },
  });
  peerCounter(
    'herald_bfd_detection_expiries_total',
    'BFD sessions declared Down because no packet arrived within the Detection Time (diagnostic 1)',
    (c) => c.detectionExpiries,
  );
  peerCounter('herald_bfd_packets_sent_total', 'BFD Control packets sent', (c) => c.packetsSent);
  peerCounter(
    'herald_bfd_packets_received_total',
    'BFD Control packets received and accepted by the session',
    (c) => c.packetsReceived,
  );
  peerCounter(
    'herald_bfd_send_errors_total',
    'BFD Control packets that could not be sent (socket errors)',
    (c) => c.sendErrors,
  );
  peerCounter(
    'herald_bfd_late_packets_total',
    'BFD packets of an Up session sent more than one transmit interval after the previous one',
    (c) => c.latePackets,
  );
  new Counter({
    name: 'herald_bfd_discarded_packets_total',
    help: 'Received BFD packets discarded by the RFC 5880 §6.8.6 / RFC 5881 checks, by reason',
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      const discards = source().engine?.discards;
      for (const reason of DISCARD_REASONS) this.inc({ reason }, discards?.[reason] ?? 0);
    },
  });
  new Counter({
    name: 'herald_bfd_control_plane_stalls_total',
    help: 'Times the BFD thread stopped transmitting because the speaker main thread stopped answering',
    registers,
    collect() {
      this.reset();
      this.inc(source().engine?.controlPlaneStalls ?? 0);
    },
  });
  // How late periodic packets left against their schedule: the BFD thread keeps the histogram (its timers
  // are what is measured), so it is exported as it comes rather than re-observed here.
  const name = 'herald_bfd_transmit_delay_seconds';
  const help = 'How late each periodic BFD packet left against its scheduled time';
  const histogram = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    reset: () => undefined,
    async get() {
      const h = source().engine?.transmitDelay;
      const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = (
        h?.bounds ?? []
      ).map((b, i) => ({ metricName: `${name}_bucket`, labels: { le: b / 1000 }, value: h?.counts[i] ?? 0 }));
      values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: h?.count ?? 0 });
      values.push({ metricName: `${name}_sum`, labels: {}, value: (h?.sum ?? 0) / 1000 });
      values.push({ metricName: `${name}_count`, labels: {}, value: h?.count ?? 0 });
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
  };
  // prom-client's Registry only reads name, get() and reset() of a registered metric; its type names the
  // library's classes, which a precomputed histogram cannot be.
  registry.registerMetric(histogram as unknown as Parameters<Registry['registerMetric']>[0]);
}
