/**
 * One BFD session (RFC 5880 §6), asynchronous mode, sans-I/O: `handle(event)` returns actions; it never
 * touches a socket or a timer and never reads a clock (events carry `now`), and jitter comes from the
 * injected random source. Its state is the §6.8.1 state variables plus two deadlines.
 *
 * What it implements: the AdminDown/Down/Init/Up machine and three-way handshake (§6.2, §6.8.6),
 * discriminators, Poll Sequences for interval changes (§6.5, §6.8.3), the slow 1 s transmit rate while not
 * Up (§6.8.3), the Detection Time (§6.8.4), jittered periodic transmission (§6.8.7), the Active and Passive
 * roles (§6.1), diagnostics, and administrative control (§6.8.16).
 *
 * Deliberately not implemented:
 *  - Demand mode (§6.6): we never set the D bit. A peer that sets it is honoured as §6.8.7 requires (our
 *    periodic packets stop while both are Up and no Poll Sequence runs); we keep expecting its packets.
 *  - The Echo function (§6.4): Required Min Echo RX Interval is always 0, so peers send us no Echo packets.
 *  - Authentication (§6.7): packets with the A bit are discarded by the codec.
 *  - The C bit is always clear: Herald's BFD shares fate with its control plane (RFC 5882 §4.3), so a
 *    crashed speaker must look like a failure to the router.
 *
 * Choices where the RFC leaves room, and why:
 *  - A local state change, and the start of an Active session, send a packet at once (as FRR and BIRD do)
 *    instead of waiting up to a full interval; the periodic timer restarts from that packet. A new Poll
 *    Sequence otherwise rides on the next scheduled packet (§6.5).
 *  - While a Poll Sequence is outstanding the machine is conservative in both directions: it transmits at
 *    the faster of the old and new Desired Min TX and computes the Detection Time from the larger of the old
 *    and new Required Min RX. That is exactly §6.8.3 (an increased TX interval and a reduced RX interval
 *    only take effect after the Final) while a decrease of TX or increase of RX is safe at once.
 *  - Changes made while a Poll Sequence is outstanding wait for it, and then for one packet without F
 *    (§6.8.3 choice 3), before the next Poll: a Final is never ambiguous.
 *  - When the peer announces a lower Desired Min TX, the packet that announces it still gets a Detection
 *    Time from the previous value: the peer may keep its old rate until it receives our Final (FRR does), so
 *    detecting at the new rate at once could declare a healthy peer down when one Final is lost.
 *  - After a Detection Time of silence every bfd.Remote* variable returns to its initial value (§6.8.1
 *    requires it of bfd.RemoteDiscr; BIRD does the same for the rest), and an outstanding Poll is dropped.
 *  - In AdminDown the machine keeps sending AdminDown packets at the slow rate (§6.8.16: "SHOULD be
 *    transmitted for at least a Detection Time", "MAY be transmitted indefinitely").
 */
import type { DiscardReason, SessionState } from '../types.ts';
import { Diagnostic } from '../types.ts';
import { type ControlPacket, encodeControlPacket } from '../wire/control-packet.ts';
import type {
  AdminDownDiagnostic,
  SessionAction,
  SessionEvent,
  SessionParameters,
  SessionStatus,
  TimerName,
} from './events.ts';

/** §6.8.3: bfd.DesiredMinTxInterval while not Up is at least one second. */
export const SLOW_TX_INTERVAL = 1_000_000;
/** §6.8.1: bfd.RemoteMinRxInterval "MUST be initialized to 1". */
const INITIAL_REMOTE_MIN_RX_INTERVAL = 1;
const MAX_U32 = 0xffffffff;

/** Problems with a set of parameters; empty when they are usable. */
export function checkSessionParameters(p: SessionParameters): string[] {
  const issues: string[] = [];
  const interval = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1 || v > MAX_U32)
      issues.push(`${name} must be an integer 1..${MAX_U32} µs, got ${v}`);
  };
  // Zero is reserved for Desired Min TX (§4.1); a zero Required Min RX would ask the peer to send nothing,
  // which makes detection impossible.
  interval('desiredMinTxInterval', p.desiredMinTxInterval);
  interval('requiredMinRxInterval', p.requiredMinRxInterval);
  if (!Number.isInteger(p.detectMult) || p.detectMult < 1 || p.detectMult > 255) {
    issues.push(`detectMult must be an integer 1..255, got ${p.detectMult}`);
  }
  return issues;
}

export interface BfdSessionMachineOptions {
  /** bfd.LocalDiscr: nonzero and unique on this system (the SessionTable allocates it). */
  readonly localDiscriminator: number;
  readonly parameters: SessionParameters;
  /** §6.1 Passive role: send nothing until the peer has spoken. Default Active. */
  readonly passive?: boolean;
  /** Begin in AdminDown instead of Down. */
  readonly adminDown?: boolean;
  /** Uniform [0, 1) source for transmit jitter; default Math.random. */
  readonly random?: () => number;
}

/** bfd.DesiredMinTxInterval and bfd.RequiredMinRxInterval as a pair (µs). */
interface Intervals {
  readonly desiredMinTx: number;
  readonly requiredMinRx: number;
}

const sameIntervals = (a: Intervals, b: Intervals) =>
  a.desiredMinTx === b.desiredMinTx && a.requiredMinRx === b.requiredMinRx;

export class BfdSessionMachine {
  readonly localDiscriminator: number;
  readonly passive: boolean;
  readonly #random: () => number;
  #parameters: SessionParameters;
  #started = false;
  #out: SessionAction[] = [];

  // §6.8.1 state variables (bfd.DemandMode is always 0, bfd.AuthType always 0).
  #state: SessionState;
  #remoteState: SessionState = 'Down';
  #remoteDiscr = 0;
  #localDiag: number = Diagnostic.NoDiagnostic;
  #remoteMinRxInterval = INITIAL_REMOTE_MIN_RX_INTERVAL;
  #remoteDemandMode = false;
  /** Not a §6.8.1 variable, but §6.8.4 needs "the last received Desired Min TX Interval". */
  #remoteDesiredMinTxInterval = 0;
  #remoteDetectMult = 0;
  #remoteDiag = 0;
  #remoteControlPlaneIndependent = false;

  // Timer negotiation (§6.5, §6.8.3).
  /** What our packets carry: bfd.DesiredMinTxInterval / bfd.RequiredMinRxInterval. */
  #advertised: Intervals;
  /** What the peer has acknowledged with a Final (or what needed no Poll because there was no peer). */
  #confirmed: Intervals;
  #pollActive = false;
  /** A Poll just ended; the next Poll waits for a packet without F (§6.8.3). */
  #awaitingPacketWithoutFinal = false;

  // Timers: deadlines in ms, undefined when not armed.
  #transmitAt: number | undefined;
  #lastTransmitAt: number | undefined;
  /** The transmit interval the pending deadline was drawn from (µs). */
  #scheduledTransmitInterval = 0;
  #detectionAt: number | undefined;
  #lastReceiveAt: number | undefined;
  /** The peer's Desired Min TX used for the current Detection Time (see the class comment). */
  #detectionRemoteTx = 0;

  constructor(options: BfdSessionMachineOptions) {
    const issues = checkSessionParameters(options.parameters);
    if (issues.length > 0) throw new RangeError(`invalid BFD session parameters: ${issues.join('; ')}`);
    if (
      !Number.isInteger(options.localDiscriminator) ||
      options.localDiscriminator < 1 ||
      options.localDiscriminator > MAX_U32
    ) {
      throw new RangeError(`bfd.LocalDiscr must be nonzero 32-bit, got ${options.localDiscriminator}`);
    }
    this.localDiscriminator = options.localDiscriminator;
    this.passive = options.passive ?? false;
    this.#random = options.random ?? Math.random;
    this.#parameters = { ...options.parameters };
    this.#state = options.adminDown ? 'AdminDown' : 'Down';
    this.#advertised = this.#wanted();
    this.#confirmed = this.#advertised;
  }

  get state(): SessionState {
    return this.#state;
  }

  get parameters(): SessionParameters {
    return this.#parameters;
  }

  status(): SessionStatus {
    return {
      state: this.#state,
      remoteState: this.#remoteState,
      localDiscriminator: this.localDiscriminator,
      remoteDiscriminator: this.#remoteDiscr,
      localDiagnostic: this.#localDiag,
      remoteDiagnostic: this.#remoteDiag,
      desiredMinTxInterval: this.#advertised.desiredMinTx,
      requiredMinRxInterval: this.#advertised.requiredMinRx,
      detectMult: this.#parameters.detectMult,
      remoteDesiredMinTxInterval: this.#remoteDesiredMinTxInterval,
      remoteMinRxInterval: this.#remoteMinRxInterval,
      remoteDetectMult: this.#remoteDetectMult,
      transmitInterval: this.#mayTransmitPeriodically() ? this.#transmitInterval() : 0,
      detectionTime:
        this.#lastReceiveAt === undefined ? 0 : this.#detectionTime(this.#remoteDesiredMinTxInterval),
      remoteDetectionTime:
        this.#parameters.detectMult *
        Math.max(this.#remoteMinRxInterval, this.#confirmed.desiredMinTx, this.#advertised.desiredMinTx),
      pollActive: this.#pollActive,
      remoteDemandMode: this.#remoteDemandMode,
      remoteControlPlaneIndependent: this.#remoteControlPlaneIndependent,
    };
  }

  handle(event: SessionEvent): SessionAction[] {
    this.#out = [];
    if (!this.#started && event.type !== 'start') return this.#out;
    switch (event.type) {
      case 'start':
        if (this.#started) break;
        this.#started = true;
        this.#settle(event.now, true);
        break;
      case 'packetReceived':
        this.#receive(event.packet, event.now);
        break;
      case 'timerExpired':
        this.#timerExpired(event.timer, event.now);
        break;
      case 'adminDown':
        this.#adminDown(event.now, event.diagnostic ?? 'AdministrativelyDown');
        break;
      case 'adminUp':
        if (this.#state !== 'AdminDown') break;
        this.#setState('Down', this.#localDiag, false);
        this.#reconcileIntervals();
        this.#settle(event.now, true);
        break;
      case 'setParameters':
        this.#setParameters(event.parameters, event.now);
        break;
    }
    return this.#out;
  }

  // ---------------------------------------------------------------- reception (§6.8.6)

  #receive(p: ControlPacket, now: number): void {
    if (p.yourDiscriminator !== 0 && p.yourDiscriminator !== this.localDiscriminator) {
      this.#discard(
        'no-session',
        `Your Discriminator ${p.yourDiscriminator} is not ours (${this.localDiscriminator})`,
      );
      return;
    }
    const previousRemoteTx =
      this.#remoteDiscr === 0 ? p.desiredMinTxInterval : this.#remoteDesiredMinTxInterval;
    this.#remoteDiscr = p.myDiscriminator;
    this.#remoteState = p.state;
    this.#remoteDemandMode = p.demand;
    this.#remoteMinRxInterval = p.requiredMinRxInterval;
    this.#remoteDesiredMinTxInterval = p.desiredMinTxInterval;
    this.#remoteDetectMult = p.detectMult;
    this.#remoteDiag = p.diagnostic;
    this.#remoteControlPlaneIndependent = p.controlPlaneIndependent;
    // "If the Required Min Echo RX Interval field is zero, the transmission of Echo packets, if any, MUST
    // cease": we never transmit Echo packets.
    if (p.final) {
      if (this.#pollActive) {
        // "If a Poll Sequence is being transmitted by the local system and the Final (F) bit in the received
        // packet is set, the Poll Sequence MUST be terminated." The advertised values are now in force.
        this.#pollActive = false;
        this.#confirmed = this.#advertised;
        this.#awaitingPacketWithoutFinal = true;
      }
    } else {
      this.#awaitingPacketWithoutFinal = false;
    }
    // The packet counts as received for the Detection Time (§6.8.4) — also in AdminDown, so the peer's
    // discriminator is kept while it keeps talking.
    this.#lastReceiveAt = now;
    this.#detectionRemoteTx = Math.max(previousRemoteTx, p.desiredMinTxInterval);

    const from = this.#state;
    let finalSent = false;
    if (from !== 'AdminDown') {
      // "If bfd.SessionState is AdminDown: Discard the packet" — so none of this happens in AdminDown.
      if (p.state === 'AdminDown') {
        if (from !== 'Down') this.#setState('Down', Diagnostic.NeighborSignaledSessionDown, true);
      } else if (from === 'Down') {
        if (p.state === 'Down') this.#setState('Init', this.#localDiag, false);
        else if (p.state === 'Init') this.#setState('Up', Diagnostic.NoDiagnostic, false);
      } else if (from === 'Init') {
        if (p.state === 'Init' || p.state === 'Up') this.#setState('Up', Diagnostic.NoDiagnostic, false);
      } else if (p.state === 'Down') {
        this.#setState('Down', Diagnostic.NeighborSignaledSessionDown, false);
      }
    }
    this.#reconcileIntervals();
    if (from !== 'AdminDown' && p.poll) {
      // §6.8.7: answer a Poll at once, regardless of timers and Demand mode, with P clear and F set. The
      // reply also tells the peer our new state, so no separate state-change packet is needed.
      this.#send(true);
      finalSent = true;
    }
    this.#settle(now, this.#state !== from && !finalSent);
  }

  #discard(reason: DiscardReason, detail: string): void {
    this.#out.push({ type: 'discarded', discard: { reason, detail } });
  }

  // ---------------------------------------------------------------- timers

  #timerExpired(timer: TimerName, now: number): void {
    const at = timer === 'TransmitTimer' ? this.#transmitAt : this.#detectionAt;
    if (at === undefined) return; // cancelled since: a stale expiry
    if (now < at) {
      // Fired early (the driver clamps long delays): wait for the real deadline.
      this.#out.push({ type: 'armTimer', timer, at });
      return;
    }
    if (timer === 'TransmitTimer') {
      this.#transmitAt = undefined;
      this.#settle(now, true);
      return;
    }
    this.#detectionExpired(now);
  }

  /** §6.8.4: a Detection Time passed without a packet from the peer. */
  #detectionExpired(now: number): void {
    this.#detectionAt = undefined;
    this.#lastReceiveAt = undefined;
    const from = this.#state;
    if (from === 'Init' || from === 'Up')
      this.#setState('Down', Diagnostic.ControlDetectionTimeExpired, false);
    // §6.8.1: bfd.RemoteDiscr MUST be zeroed; the rest of what we learnt from the peer goes with it.
    this.#remoteDiscr = 0;
    this.#remoteState = 'Down';
    this.#remoteMinRxInterval = INITIAL_REMOTE_MIN_RX_INTERVAL;
    this.#remoteDemandMode = false;
    this.#remoteDesiredMinTxInterval = 0;
    this.#remoteDetectMult = 0;
    this.#remoteControlPlaneIndependent = false;
    // Nobody is left to answer a Poll.
    this.#pollActive = false;
    this.#awaitingPacketWithoutFinal = false;
    this.#confirmed = this.#advertised;
    this.#reconcileIntervals();
    this.#settle(now, this.#state !== from);
  }

  // ---------------------------------------------------------------- administrative control (§6.8.16)

  #adminDown(now: number, diagnostic: AdminDownDiagnostic): void {
    if (this.#state === 'AdminDown') return;
    this.#setState('AdminDown', Diagnostic[diagnostic], false);
    this.#reconcileIntervals();
    // Sent at once so the peer learns of it before its Detection Time runs out; the periodic AdminDown
    // packets that follow cover a lost one.
    this.#settle(now, true);
  }

  #setParameters(change: Partial<SessionParameters>, now: number): void {
    const next = { ...this.#parameters, ...change };
    const issues = checkSessionParameters(next);
    if (issues.length > 0) {
      this.#out.push({ type: 'parametersRejected', issues });
      return;
    }
    this.#parameters = next;
    this.#reconcileIntervals();
    this.#settle(now, false);
  }

  // ---------------------------------------------------------------- negotiation (§6.5, §6.8.2, §6.8.3)

  /** What bfd.DesiredMinTxInterval / bfd.RequiredMinRxInterval should be now. */
  #wanted(): Intervals {
    const configured = this.#parameters.desiredMinTxInterval;
    return {
      desiredMinTx: this.#state === 'Up' ? configured : Math.max(SLOW_TX_INTERVAL, configured),
      requiredMinRx: this.#parameters.requiredMinRxInterval,
    };
  }

  /** Bring the advertised intervals to the wanted ones, through a Poll Sequence when a peer is there. */
  #reconcileIntervals(): void {
    const wanted = this.#wanted();
    if (sameIntervals(wanted, this.#advertised)) return;
    if (this.#remoteDiscr === 0) {
      // No peer to poll: it will learn the values from our next packet.
      this.#advertised = wanted;
      this.#confirmed = wanted;
      return;
    }
    if (this.#pollActive || this.#awaitingPacketWithoutFinal) return; // one Poll at a time (§6.8.3)
    this.#advertised = wanted;
    this.#pollActive = true;
  }

  #effectiveDesiredMinTx(): number {
    const a = this.#advertised.desiredMinTx;
    return this.#pollActive ? Math.min(a, this.#confirmed.desiredMinTx) : a;
  }

  #effectiveRequiredMinRx(): number {
    const a = this.#advertised.requiredMinRx;
    return this.#pollActive ? Math.max(a, this.#confirmed.requiredMinRx) : a;
  }

  /** §6.8.7: "the greater of bfd.DesiredMinTxInterval and bfd.RemoteMinRxInterval" (µs). */
  #transmitInterval(): number {
    return Math.max(this.#effectiveDesiredMinTx(), this.#remoteMinRxInterval);
  }

  /** §6.8.4, asynchronous mode: the peer's Detect Mult × the agreed interval of the peer (µs). */
  #detectionTime(remoteDesiredMinTx: number): number {
    return this.#remoteDetectMult * Math.max(this.#effectiveRequiredMinRx(), remoteDesiredMinTx);
  }

  /** §6.8.7: may periodic packets be sent now? */
  #mayTransmitPeriodically(): boolean {
    if (!this.#started) return false;
    // "MUST NOT transmit ... if bfd.RemoteDiscr is zero and the system is taking the Passive role."
    if (this.passive && this.#remoteDiscr === 0) return false;
    // "MUST NOT periodically transmit ... if bfd.RemoteMinRxInterval is zero."
    if (this.#remoteMinRxInterval === 0) return false;
    // "... if Demand mode is active on the remote system ... and a Poll Sequence is not being transmitted."
    const remoteDemandActive = this.#remoteDemandMode && this.#state === 'Up' && this.#remoteState === 'Up';
    return !remoteDemandActive || this.#pollActive;
  }

  /** §6.8.7: jitter each interval down to 75–100 %, or 75–90 % when bfd.DetectMult is 1 (ms). */
  #jittered(intervalUs: number): number {
    const span = this.#parameters.detectMult === 1 ? 0.15 : 0.25;
    return (intervalUs * (0.75 + span * this.#random())) / 1000;
  }

  // ---------------------------------------------------------------- output

  /**
   * After every event: re-arm the Detection Time from the last packet and keep periodic transmission
   * consistent with §6.8.7. `sendNow` sends a packet at once (start, state change, TransmitTimer).
   */
  #settle(now: number, sendNow: boolean): void {
    if (this.#lastReceiveAt !== undefined) {
      const at = this.#lastReceiveAt + this.#detectionTime(this.#detectionRemoteTx) / 1000;
      if (at !== this.#detectionAt) {
        this.#detectionAt = at;
        this.#out.push({ type: 'armTimer', timer: 'DetectionTimer', at });
      }
    } else if (this.#detectionAt !== undefined) {
      this.#detectionAt = undefined;
      this.#out.push({ type: 'cancelTimer', timer: 'DetectionTimer' });
    }

    if (!this.#mayTransmitPeriodically()) {
      if (this.#transmitAt !== undefined) {
        this.#transmitAt = undefined;
        this.#out.push({ type: 'cancelTimer', timer: 'TransmitTimer' });
      }
      return;
    }
    const interval = this.#transmitInterval();
    if (sendNow || this.#transmitAt === undefined || this.#lastTransmitAt === undefined) {
      this.#send(false);
      this.#lastTransmitAt = now;
      this.#scheduleTransmit(now, now, interval);
    } else if (interval !== this.#scheduledTransmitInterval) {
      // §6.8.7: the interval is recalculated whenever either input changes; a reduced bfd.RemoteMinRxInterval
      // is honoured at once (§6.8.3). Redraw the next deadline from the last transmission.
      this.#scheduleTransmit(now, this.#lastTransmitAt, interval);
    }
  }

  /** Arm the TransmitTimer one jittered interval after `from`, and not in the past. */
  #scheduleTransmit(now: number, from: number, interval: number): void {
    this.#scheduledTransmitInterval = interval;
    this.#transmitAt = Math.max(now, from + this.#jittered(interval));
    this.#out.push({ type: 'armTimer', timer: 'TransmitTimer', at: this.#transmitAt });
  }

  /** Build and emit one packet with the §6.8.7 contents. */
  #send(final: boolean): void {
    const packet: ControlPacket = {
      diagnostic: this.#localDiag,
      state: this.#state,
      poll: this.#pollActive && !final,
      final,
      controlPlaneIndependent: false,
      demand: false,
      detectMult: this.#parameters.detectMult,
      myDiscriminator: this.localDiscriminator,
      yourDiscriminator: this.#remoteDiscr,
      desiredMinTxInterval: this.#advertised.desiredMinTx,
      requiredMinRxInterval: this.#advertised.requiredMinRx,
      requiredMinEchoRxInterval: 0,
    };
    this.#out.push({ type: 'send', packet, data: encodeControlPacket(packet) });
  }

  #setState(to: SessionState, diagnostic: number, peerAdminDown: boolean): void {
    const from = this.#state;
    this.#localDiag = diagnostic;
    if (to === from) return;
    this.#state = to;
    this.#out.push({ type: 'stateChange', from, to, diagnostic, peerAdminDown });
  }
}
