/**
 * Inputs and outputs of the sans-I/O BFD session machine. The driver turns socket and timer activity into
 * `SessionEvent`s and carries out the returned `SessionAction`s; the machine never does I/O and never reads
 * a clock: every event carries `now` (ms, the driver's monotonic clock).
 */
import type { Discard, SessionState } from '../types.ts';
import type { ControlPacket } from '../wire/control-packet.ts';

/**
 * RFC 5880 has two timers per session: the periodic transmission (§6.8.7) and the Detection Time
 * (§6.8.4, asynchronous mode).
 */
export type TimerName = 'TransmitTimer' | 'DetectionTimer';

/**
 * The locally configured values (µs). `desiredMinTxInterval` is what bfd.DesiredMinTxInterval becomes once
 * the session is Up; while not Up the machine uses at least 1 s (§6.8.3).
 */
export interface SessionParameters {
  readonly desiredMinTxInterval: number;
  readonly requiredMinRxInterval: number;
  readonly detectMult: number;
}

/** The diagnostics RFC 5880 §6.8.16 suggests for taking a session down administratively. */
export type AdminDownDiagnostic = 'AdministrativelyDown' | 'PathDown';

export type SessionEvent =
  /** Begin operating: an Active session sends its first packet now. Events before `start` are ignored. */
  | { readonly type: 'start'; readonly now: number }
  /** A packet that passed decodeControlPacket's checks and was demultiplexed to this session. */
  | { readonly type: 'packetReceived'; readonly packet: ControlPacket; readonly now: number }
  /** A timer armed by `armTimer` fired. Early or stale expiries are harmless: the machine re-checks `now`. */
  | { readonly type: 'timerExpired'; readonly timer: TimerName; readonly now: number }
  /** §6.8.16: hold the session AdminDown (diag 7 by default; PathDown when the path is known to be gone). */
  | { readonly type: 'adminDown'; readonly now: number; readonly diagnostic?: AdminDownDiagnostic }
  /** §6.8.16: leave AdminDown for Down. */
  | { readonly type: 'adminUp'; readonly now: number }
  /** Change local timer parameters; interval changes are negotiated with a Poll Sequence (§6.8.3). */
  | { readonly type: 'setParameters'; readonly parameters: Partial<SessionParameters>; readonly now: number };

export type SessionAction =
  /** Send this packet to the peer now (`data` is the encoded packet, one fresh Buffer). */
  | { readonly type: 'send'; readonly packet: ControlPacket; readonly data: Buffer }
  /**
   * (Re)arm a timer to fire at `at` (ms on the same clock as `now`; may already be past: fire at once).
   * The driver must clamp the delay to Node's setTimeout maximum (2^31−1 ms); an early expiry is re-armed.
   */
  | { readonly type: 'armTimer'; readonly timer: TimerName; readonly at: number }
  | { readonly type: 'cancelTimer'; readonly timer: TimerName }
  /**
   * bfd.SessionState changed. `diagnostic` is bfd.LocalDiag after the change. `peerAdminDown` is true when
   * the change was caused by the peer signalling AdminDown: RFC 5882 §3.2 says clients SHOULD NOT treat that
   * as a forwarding failure (the peer is, e.g., restarting gracefully), so BGP must not be torn down for it.
   */
  | {
      readonly type: 'stateChange';
      readonly from: SessionState;
      readonly to: SessionState;
      readonly diagnostic: number;
      readonly peerAdminDown: boolean;
    }
  /** A received packet was discarded without effect (for counters and debug logs). */
  | { readonly type: 'discarded'; readonly discard: Discard }
  /** `setParameters` carried invalid values; nothing changed. */
  | { readonly type: 'parametersRejected'; readonly issues: readonly string[] };

/** A read-only view of one session for status output and metrics. Intervals in µs. */
export interface SessionStatus {
  readonly state: SessionState;
  readonly remoteState: SessionState;
  readonly localDiscriminator: number;
  /** 0 until a packet was received, and again after a Detection Time of silence (§6.8.1). */
  readonly remoteDiscriminator: number;
  readonly localDiagnostic: number;
  readonly remoteDiagnostic: number;
  /** bfd.DesiredMinTxInterval and bfd.RequiredMinRxInterval as carried in our packets. */
  readonly desiredMinTxInterval: number;
  readonly requiredMinRxInterval: number;
  readonly detectMult: number;
  readonly remoteDesiredMinTxInterval: number;
  readonly remoteMinRxInterval: number;
  readonly remoteDetectMult: number;
  /** The periodic transmission interval before jitter; 0 while periodic transmission is suppressed. */
  readonly transmitInterval: number;
  /** The Detection Time; 0 until a packet has been received. */
  readonly detectionTime: number;
  /** How long the peer waits for our packets before declaring us down (its Detection Time for us). */
  readonly remoteDetectionTime: number;
  readonly pollActive: boolean;
  readonly remoteDemandMode: boolean;
  readonly remoteControlPlaneIndependent: boolean;
}
