/**
 * The vocabulary between the BFD engine and whoever drives it: commands in, events out, both plain
 * structured-clonable data so they cross a worker_thread boundary unchanged (client.ts, worker.ts).
 * Intervals are microseconds as in @herald/bfd; wall-clock instants (`at`) are epoch milliseconds.
 */
import type { SessionParameters, SessionStatus } from '../fsm/events.ts';
import type { DiscardReason, SessionState } from '../types.ts';

/** One BFD session to run: its key (RFC 5881 / 5883) and timers. */
export interface BfdSessionSpec {
  /** The caller's name for the session; unique. */
  readonly id: string;
  /** Canonical text (RFC 5952 for IPv6). */
  readonly peerAddress: string;
  /** Our address on the session: required for multihop; single hop binds to it when given. */
  readonly localAddress?: string;
  readonly multihop: boolean;
  /** Multihop only: discard packets that arrive with a lower TTL. */
  readonly minimumTtl?: number;
  readonly parameters: SessionParameters;
  /** RFC 5880 §6.1 Passive role: wait for the peer's first packet. Default Active. */
  readonly passive?: boolean;
}

export type BfdCommand =
  | { readonly type: 'add'; readonly spec: BfdSessionSpec }
  /** New timers for a running session, negotiated with a Poll Sequence. */
  | { readonly type: 'update'; readonly id: string; readonly parameters: SessionParameters }
  /** Take the session AdminDown, keep telling the peer for its Detection Time, then forget it. */
  | { readonly type: 'remove'; readonly id: string }
  /**
   * Take sessions (all when `ids` is absent) AdminDown (RFC 5882 §3.2) and answer `done` once every one that
   * was Up has been acknowledged by its peer (a packet with state Down or AdminDown) or the peer's Detection
   * Time has passed, whichever comes first.
   */
  | { readonly type: 'adminDown'; readonly requestId: number; readonly ids?: readonly string[] }
  /** The driving thread is alive (control-plane watchdog). Every command counts as one. */
  | { readonly type: 'heartbeat' }
  /** Post a snapshot now. */
  | { readonly type: 'snapshot' }
  /** Close every socket and timer; answer `done`. Sends nothing more: AdminDown first if the peers should know. */
  | { readonly type: 'close'; readonly requestId: number };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type BfdEvent =
  | {
      readonly type: 'stateChange';
      readonly id: string;
      readonly from: SessionState;
      readonly to: SessionState;
      /** bfd.LocalDiag after the change (RFC 5880 §4.1 code). */
      readonly diagnostic: number;
      /** The peer signalled AdminDown (RFC 5882 §3.2): not a forwarding failure. */
      readonly peerAdminDown: boolean;
      readonly at: number;
    }
  | { readonly type: 'snapshot'; readonly snapshot: BfdEngineSnapshot }
  | {
      readonly type: 'log';
      readonly level: LogLevel;
      readonly msg: string;
      readonly fields: Readonly<Record<string, string | number | boolean | null>>;
    }
  | { readonly type: 'done'; readonly requestId: number };

/** A cumulative histogram (Prometheus style): counts[i] observations ≤ bounds[i]; the rest are +Inf. */
export interface HistogramSnapshot {
  readonly bounds: readonly number[];
  readonly counts: readonly number[];
  readonly count: number;
  readonly sum: number;
}

export interface BfdSessionSnapshot extends SessionStatus {
  readonly id: string;
  readonly peerAddress: string;
  readonly localAddress: string | null;
  readonly multihop: boolean;
  /** The UDP source port of our packets (49152–65535); null while the send socket cannot be opened. */
  readonly sourcePort: number | null;
  readonly packetsSent: number;
  readonly packetsReceived: number;
  /** Received packets that reached the session but were discarded (mismatched key, TTL below minimum). */
  readonly packetsDiscarded: number;
  readonly sendErrors: number;
  /** Times the session entered each state. */
  readonly transitions: Readonly<Record<SessionState, number>>;
  /** Up/Init → Down because the Detection Time passed without a packet (diag 1). */
  readonly detectionExpiries: number;
  /** Periodic packets sent more than one transmit interval after the previous one while Up. */
  readonly latePackets: number;
  /** Epoch ms the session last came Up; null when it is not Up. */
  readonly upSince: number | null;
  readonly lastChange: {
    readonly at: number;
    readonly from: SessionState;
    readonly to: SessionState;
    readonly diagnostic: number;
    readonly peerAdminDown: boolean;
  } | null;
  readonly lastError: string | null;
  /** Being removed: AdminDown, still telling the peer. */
  readonly retiring: boolean;
}

export interface BfdEngineSnapshot {
  readonly at: number;
  readonly sessions: readonly BfdSessionSnapshot[];
  /** Received packets discarded by the §6.8.6 / RFC 5881 checks, by reason (also those for no session). */
  readonly discards: Readonly<Record<DiscardReason, number>>;
  /** How late each periodic packet left against its scheduled time (ms). */
  readonly transmitDelay: HistogramSnapshot;
  /** Sum of the sessions' latePackets, including removed sessions. */
  readonly latePackets: number;
  /**
   * True while the control-plane watchdog holds transmission: the driving thread has not been heard from for
   * longer than the watchdog allows, so BFD stops vouching for a control plane that may be gone.
   */
  readonly silenced: boolean;
  readonly controlPlaneStalls: number;
  /** Receive sockets that could not be opened or failed: '<family> <single-hop|multihop>: reason'. */
  readonly socketErrors: readonly string[];
}
