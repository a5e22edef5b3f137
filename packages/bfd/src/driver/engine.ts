/**
 * The BFD I/O engine: the sans-I/O SessionTable and its machines, driven by sockets and timers. It turns
 * datagrams and timer expiries into machine events, carries out the machines' actions (send, arm / cancel
 * timers, state changes), and keeps the counters the speaker exports. It runs on whichever thread creates
 * it; the speaker puts it in a worker_thread (worker.ts) so that the main thread's garbage collection and
 * reconciles cannot delay a packet, and talks to it with the commands and events of protocol.ts.
 *
 * Choices:
 *  - Receive sockets are shared per (family, single hop | multihop) and opened while a session needs one;
 *    each session has its own send socket so its source port stays fixed (RFC 5881 §4).
 *  - A removed session that was Up first goes AdminDown and keeps telling the peer until the peer
 *    acknowledges or its Detection Time has passed (RFC 5880 §6.8.16), so a deconfigured peer is never seen
 *    as a failure.
 *  - Control-plane watchdog: the C bit is clear (our BFD shares fate with the control plane), but in a
 *    worker the packets would keep flowing while the main thread hangs. So when no command has arrived for
 *    `controlPlaneTimeoutMs`, transmission stops until the driver is heard from again; the peer then sees
 *    what a crashed speaker would look like.
 *  - Transmit quality is measured where it matters: how late each periodic packet leaves against its
 *    deadline (a histogram), and how many gaps between packets of an Up session exceeded the transmit
 *    interval (each one brings the peer a step closer to its Detection Time).
 */
import { addressFamily, canonicalAddress, type Family } from '@herald/inet';
import { type SessionKey, SessionTable, sameKey as sameSessionKey } from '../demux/session-table.ts';
import type { SessionAction, SessionParameters, TimerName } from '../fsm/events.ts';
import type { BfdSessionMachine } from '../fsm/session-machine.ts';
import { DISCARD_REASONS, Diagnostic, type DiscardReason, type SessionState } from '../types.ts';
import type {
  BfdCommand,
  BfdEngineSnapshot,
  BfdEvent,
  BfdSessionSnapshot,
  BfdSessionSpec,
  HistogramSnapshot,
  LogLevel,
} from './protocol.ts';
import { realScheduler, type Scheduler, type TimerHandle } from './scheduler.ts';
import type { BfdTransport, Datagram, Receiver, Sender } from './transport.ts';

export interface BfdEngineOptions {
  readonly transport: BfdTransport;
  readonly emit: (event: BfdEvent) => void;
  readonly scheduler?: Scheduler;
  /** Epoch ms for the `at` of events and snapshots; default Date.now. */
  readonly wallClock?: () => number;
  readonly random?: () => number;
  /** Silence transmission after this long without a command (ms); 0 or absent disables the watchdog. */
  readonly controlPlaneTimeoutMs?: number;
  /** Post a snapshot this often (ms); 0 or absent: only on request and after state changes. */
  readonly snapshotIntervalMs?: number;
  /** Retry opening a receive socket that failed this often (ms). Default 5000. */
  readonly receiverRetryMs?: number;
}

/** Upper bounds (ms) of the transmit-delay histogram: from timer noise to a missed Detection Time. */
export const TRANSMIT_DELAY_BOUNDS_MS: readonly number[] = [
  0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000,
];

interface ReceiverEntry {
  receiver: Receiver | undefined;
  users: number;
  error: string | undefined;
  retry: TimerHandle | undefined;
}

interface AdminDownWait {
  readonly resolve: () => void;
  readonly deadline: TimerHandle;
}

interface Entry {
  readonly spec: BfdSessionSpec;
  readonly key: SessionKey;
  readonly family: Family;
  readonly machine: BfdSessionMachine;
  sender: Sender | undefined;
  senderError: string | undefined;
  readonly timers: Map<TimerName, TimerHandle>;
  retiring: boolean;
  closed: boolean;
  readonly waits: AdminDownWait[];
  packetsSent: number;
  packetsReceived: number;
  packetsDiscarded: number;
  sendErrors: number;
  readonly transitions: Record<SessionState, number>;
  detectionExpiries: number;
  latePackets: number;
  upSince: number | null;
  lastChange: BfdSessionSnapshot['lastChange'];
  lastSendAt: number | undefined;
  /** The transmit interval (ms) in force when the last packet left. */
  lastSendInterval: number;
}

const zeroTransitions = (): Record<SessionState, number> => ({ AdminDown: 0, Down: 0, Init: 0, Up: 0 });

export class BfdEngine {
  readonly #o: BfdEngineOptions;
  readonly #scheduler: Scheduler;
  readonly #wall: () => number;
  readonly #table: SessionTable;
  readonly #sessions = new Map<string, Entry>();
  /** Sessions being removed, still AdminDown on the wire, by id. */
  readonly #retiring = new Map<string, Entry>();
  readonly #byMachine = new Map<BfdSessionMachine, Entry>();
  readonly #receivers = new Map<string, ReceiverEntry>();
  readonly #discards = Object.fromEntries(DISCARD_REASONS.map((r) => [r, 0])) as Record<
    DiscardReason,
    number
  >;
  readonly #delayCounts = TRANSMIT_DELAY_BOUNDS_MS.map(() => 0);
  #delayCount = 0;
  #delaySum = 0;
  #retiredLatePackets = 0;
  #lastHeard: number;
  #silenced = false;
  #stalls = 0;
  #watchdog: TimerHandle | undefined;
  #ticker: TimerHandle | undefined;
  #closed = false;
  readonly #canonical = new Map<string, string>();

  constructor(options: BfdEngineOptions) {
    this.#o = options;
    this.#scheduler = options.scheduler ?? realScheduler;
    this.#wall = options.wallClock ?? Date.now;
    this.#table = new SessionTable(options.random ? { random: options.random } : {});
    this.#lastHeard = this.#scheduler.now();
    this.#armWatchdog();
    this.#armTicker();
  }

  /** Carries out one command. Never throws: problems become log events and snapshot fields. */
  command(c: BfdCommand): void {
    if (this.#closed) {
      if (c.type === 'close' || c.type === 'adminDown')
        this.#o.emit({ type: 'done', requestId: c.requestId });
      return;
    }
    this.#heard();
    try {
      switch (c.type) {
        case 'add':
          this.#add(c.spec);
          return;
        case 'update':
          this.#update(c.id, c.parameters);
          return;
        case 'remove':
          this.#remove(c.id);
          return;
        case 'adminDown':
          this.#adminDown(c.requestId, c.ids);
          return;
        case 'heartbeat':
          return;
        case 'snapshot':
          this.#o.emit({ type: 'snapshot', snapshot: this.snapshot() });
          return;
        case 'close':
          this.close();
          this.#o.emit({ type: 'done', requestId: c.requestId });
          return;
      }
    } catch (err) {
      this.#log('error', 'BFD command failed', { command: c.type, err: String(err) });
    }
  }

  // ---------------------------------------------------------------- sessions

  #add(spec: BfdSessionSpec): void {
    const current = this.#sessions.get(spec.id);
    if (current) {
      if (sameSpecKey(current.spec, spec) && current.spec.passive === spec.passive) {
        this.#update(spec.id, spec.parameters);
        return;
      }
      this.#remove(spec.id);
    }
    const family = addressFamily(spec.peerAddress);
    if (!family) {
      this.#log('error', 'BFD session refused: peer address is not an IP address', { id: spec.id });
      return;
    }
    const peerAddress = canonicalAddress(spec.peerAddress) ?? spec.peerAddress;
    const localAddress = spec.localAddress === undefined ? undefined : canonicalAddress(spec.localAddress);
    const key: SessionKey = spec.multihop
      ? { peerAddress, multihop: true, localAddress }
      : { peerAddress, multihop: false };
    // A session of the same key still retiring is finished now: the new one takes over the peer.
    for (const old of this.#retiring.values()) if (sameSessionKey(old.key, key)) this.#finish(old);
    const now = this.#scheduler.now();
    const added = this.#table.add(
      key,
      {
        parameters: spec.parameters,
        ...(spec.passive ? { passive: true } : {}),
        ...(spec.multihop && spec.minimumTtl !== undefined ? { minimumTtl: spec.minimumTtl } : {}),
      },
      now,
    );
    if (!added.ok) {
      this.#log('error', 'BFD session refused', { id: spec.id, err: added.error });
      return;
    }
    const entry: Entry = {
      spec: { ...spec, peerAddress, ...(localAddress ? { localAddress } : {}) },
      key,
      family,
      machine: added.session,
      sender: undefined,
      senderError: undefined,
      timers: new Map(),
      retiring: false,
      closed: false,
      waits: [],
      packetsSent: 0,
      packetsReceived: 0,
      packetsDiscarded: 0,
      sendErrors: 0,
      transitions: zeroTransitions(),
      detectionExpiries: 0,
      latePackets: 0,
      upSince: null,
      lastChange: null,
      lastSendAt: undefined,
      lastSendInterval: 0,
    };
    this.#sessions.set(spec.id, entry);
    this.#byMachine.set(entry.machine, entry);
    this.#acquireReceiver(family, spec.multihop);
    this.#openSender(entry);
    this.#log('info', 'BFD session added', {
      id: spec.id,
      peer: peerAddress,
      local: localAddress ?? null,
      multihop: spec.multihop,
      localDiscriminator: entry.machine.localDiscriminator,
      sourcePort: entry.sender?.localPort ?? null,
    });
    this.#run(entry, entry.machine.handle({ type: 'start', now }));
  }

  #update(id: string, parameters: SessionParameters): void {
    const entry = this.#sessions.get(id);
    if (!entry) return;
    const p = entry.machine.parameters;
    if (
      p.desiredMinTxInterval === parameters.desiredMinTxInterval &&
      p.requiredMinRxInterval === parameters.requiredMinRxInterval &&
      p.detectMult === parameters.detectMult
    )
      return;
    this.#run(entry, entry.machine.handle({ type: 'setParameters', parameters, now: this.#scheduler.now() }));
  }

  #remove(id: string): void {
    const entry = this.#sessions.get(id);
    if (!entry) return;
    this.#sessions.delete(id);
    const state = entry.machine.state;
    if (state !== 'Up' && state !== 'Init') {
      this.#finish(entry);
      return;
    }
    // Tell the peer first (§6.8.16): it must see AdminDown, not a failure.
    entry.retiring = true;
    this.#retiring.set(id, entry);
    this.#takeAdminDown(entry, () => this.#finish(entry));
  }

  /** Forget a session: timers, send socket, its share of the receive socket, its discriminator. */
  #finish(entry: Entry): void {
    if (entry.closed) return;
    entry.closed = true;
    for (const t of entry.timers.values()) t.cancel();
    entry.timers.clear();
    for (const w of entry.waits.splice(0)) {
      w.deadline.cancel();
      w.resolve();
    }
    entry.sender?.close();
    entry.sender = undefined;
    this.#table.remove(entry.key, this.#scheduler.now());
    this.#byMachine.delete(entry.machine);
    if (this.#retiring.get(entry.spec.id) === entry) this.#retiring.delete(entry.spec.id);
    if (this.#sessions.get(entry.spec.id) === entry) this.#sessions.delete(entry.spec.id);
    this.#retiredLatePackets += entry.latePackets;
    this.#releaseReceiver(entry.family, entry.spec.multihop);
    this.#log('info', 'BFD session removed', { id: entry.spec.id, peer: entry.spec.peerAddress });
  }

  #adminDown(requestId: number, ids: readonly string[] | undefined): void {
    const targets = ids ? ids.flatMap((id) => this.#sessions.get(id) ?? []) : [...this.#sessions.values()];
    let pending = targets.length;
    const done = () => {
      pending--;
      if (pending === 0) this.#o.emit({ type: 'done', requestId });
    };
    if (pending === 0) {
      this.#o.emit({ type: 'done', requestId });
      return;
    }
    for (const entry of targets) this.#takeAdminDown(entry, done);
  }

  /**
   * AdminDown now; `then` runs once the peer has acknowledged (a packet with state Down or AdminDown) or its
   * Detection Time for us has passed — at once when the session was not Up or Init (nobody to tell).
   */
  #takeAdminDown(entry: Entry, then: () => void): void {
    const state = entry.machine.state;
    const waitMs = entry.machine.status().remoteDetectionTime / 1000;
    if (state !== 'Up' && state !== 'Init') {
      this.#run(entry, entry.machine.handle({ type: 'adminDown', now: this.#scheduler.now() }));
      then();
      return;
    }
    // The wait exists before the AdminDown packet leaves, so no acknowledgement can be missed.
    let resolved = false;
    const wait: AdminDownWait = {
      resolve: () => {
        if (resolved) return;
        resolved = true;
        then();
      },
      deadline: this.#scheduler.at(this.#scheduler.now() + waitMs, () => {
        const i = entry.waits.indexOf(wait);
        if (i >= 0) entry.waits.splice(i, 1);
        wait.resolve();
      }),
    };
    entry.waits.push(wait);
    this.#run(entry, entry.machine.handle({ type: 'adminDown', now: this.#scheduler.now() }));
  }

  // ---------------------------------------------------------------- sockets

  #acquireReceiver(family: Family, multihop: boolean): void {
    const k = receiverKey(family, multihop);
    const r = this.#receivers.get(k);
    if (r) {
      r.users++;
      return;
    }
    const entry: ReceiverEntry = { receiver: undefined, users: 1, error: undefined, retry: undefined };
    this.#receivers.set(k, entry);
    this.#openReceiver(family, multihop, entry);
  }

  #openReceiver(family: Family, multihop: boolean, r: ReceiverEntry): void {
    r.retry = undefined;
    if (r.users === 0 || this.#closed) return;
    try {
      r.receiver = this.#o.transport.openReceiver(
        family,
        multihop,
        (d) => this.#datagram(multihop, d),
        (err) => {
          r.error = `receive failed: ${err.message}`;
          this.#log('error', 'BFD receive socket failed', { family, multihop, err: err.message });
        },
      );
      if (r.error) this.#log('info', 'BFD receive socket open', { family, multihop });
      r.error = undefined;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (r.error !== message)
        this.#log('error', 'BFD receive socket cannot be opened; retrying', {
          family,
          multihop,
          err: message,
        });
      r.error = message;
      r.retry = this.#scheduler.at(this.#scheduler.now() + (this.#o.receiverRetryMs ?? 5000), () =>
        this.#openReceiver(family, multihop, r),
      );
    }
  }

  #releaseReceiver(family: Family, multihop: boolean): void {
    const k = receiverKey(family, multihop);
    const r = this.#receivers.get(k);
    if (!r) return;
    r.users--;
    if (r.users > 0) return;
    r.retry?.cancel();
    r.receiver?.close();
    this.#receivers.delete(k);
  }

  #openSender(entry: Entry): void {
    try {
      entry.sender = this.#o.transport.openSender({
        family: entry.family,
        peerAddress: entry.spec.peerAddress,
        multihop: entry.spec.multihop,
        localAddress: entry.spec.localAddress,
      });
      entry.senderError = undefined;
    } catch (err) {
      entry.senderError = err instanceof Error ? err.message : String(err);
      this.#log('error', 'BFD send socket cannot be opened', {
        id: entry.spec.id,
        err: entry.senderError,
      });
    }
  }

  #datagram(multihop: boolean, d: Datagram): void {
    const now = this.#scheduler.now();
    const result = this.#table.receive(
      d.data,
      {
        peerAddress: this.#canonicalize(d.address),
        localAddress: d.localAddress === undefined ? '' : this.#canonicalize(d.localAddress),
        multihop,
        ...(d.ttl !== undefined ? { ttl: d.ttl } : {}),
      },
      now,
    );
    const entry = result.session ? this.#byMachine.get(result.session) : undefined;
    if (!entry) {
      for (const a of result.actions) if (a.type === 'discarded') this.#discards[a.discard.reason]++;
      return;
    }
    if (!result.actions.some((a) => a.type === 'discarded')) entry.packetsReceived++;
    this.#run(entry, result.actions);
    if (entry.waits.length > 0) {
      const remote = entry.machine.status().remoteState;
      if (remote === 'Down' || remote === 'AdminDown') {
        for (const w of entry.waits.splice(0)) {
          w.deadline.cancel();
          w.resolve();
        }
      }
    }
  }

  /** Received addresses in the same canonical form as the configured ones (a small cache: few peers). */
  #canonicalize(address: string): string {
    let c = this.#canonical.get(address);
    if (c === undefined) {
      c = canonicalAddress(address) ?? address;
      if (this.#canonical.size >= 1024) this.#canonical.clear();
      this.#canonical.set(address, c);
    }
    return c;
  }

  // ---------------------------------------------------------------- actions and timers

  #run(entry: Entry, actions: readonly SessionAction[]): void {
    for (const a of actions) {
      switch (a.type) {
        case 'send':
          this.#send(entry, a.data);
          break;
        case 'armTimer': {
          entry.timers.get(a.timer)?.cancel();
          const at = a.at;
          const timer = a.timer;
          entry.timers.set(
            timer,
            this.#scheduler.at(at, () => this.#fire(entry, timer, at)),
          );
          break;
        }
        case 'cancelTimer':
          entry.timers.get(a.timer)?.cancel();
          entry.timers.delete(a.timer);
          break;
        case 'stateChange':
          this.#stateChanged(entry, a);
          break;
        case 'discarded':
          entry.packetsDiscarded++;
          this.#discards[a.discard.reason]++;
          break;
        case 'parametersRejected':
          this.#log('error', 'BFD parameters rejected', { id: entry.spec.id, issues: a.issues.join('; ') });
          break;
      }
    }
  }

  #fire(entry: Entry, timer: TimerName, at: number): void {
    entry.timers.delete(timer);
    if (entry.closed) return;
    const now = this.#scheduler.now();
    const actions = entry.machine.handle({ type: 'timerExpired', timer, now });
    if (timer === 'TransmitTimer' && now >= at && actions.some((a) => a.type === 'send')) {
      this.#observeDelay(now - at);
    }
    this.#run(entry, actions);
  }

  #observeDelay(ms: number): void {
    this.#delayCount++;
    this.#delaySum += ms;
    for (let i = 0; i < TRANSMIT_DELAY_BOUNDS_MS.length; i++)
      if (ms <= TRANSMIT_DELAY_BOUNDS_MS[i]!) this.#delayCounts[i]!++;
  }

  #send(entry: Entry, data: Buffer): void {
    if (this.#silenced) return;
    if (!entry.sender) {
      // The socket could not be opened (e.g. the source address is gone): try again on the next packet.
      this.#openSender(entry);
      if (!entry.sender) {
        entry.sendErrors++;
        return;
      }
    }
    const now = this.#scheduler.now();
    const status = entry.machine.status();
    const interval = status.transmitInterval / 1000;
    if (
      entry.machine.state === 'Up' &&
      entry.lastSendAt !== undefined &&
      interval > 0 &&
      now - entry.lastSendAt > Math.max(interval, entry.lastSendInterval)
    ) {
      entry.latePackets++;
    }
    entry.lastSendAt = now;
    entry.lastSendInterval = interval;
    try {
      entry.sender.send(data);
      entry.packetsSent++;
    } catch (err) {
      entry.sendErrors++;
      if (entry.sendErrors === 1 || entry.sendErrors % 100 === 0)
        this.#log('warn', 'BFD send failed', {
          id: entry.spec.id,
          err: err instanceof Error ? err.message : String(err),
          sendErrors: entry.sendErrors,
        });
    }
  }

  #stateChanged(entry: Entry, a: Extract<SessionAction, { type: 'stateChange' }>): void {
    const at = this.#wall();
    entry.transitions[a.to]++;
    if (a.to === 'Down' && a.diagnostic === Diagnostic.ControlDetectionTimeExpired) entry.detectionExpiries++;
    entry.upSince = a.to === 'Up' ? at : null;
    entry.lastChange = {
      at,
      from: a.from,
      to: a.to,
      diagnostic: a.diagnostic,
      peerAdminDown: a.peerAdminDown,
    };
    this.#o.emit({
      type: 'stateChange',
      id: entry.spec.id,
      from: a.from,
      to: a.to,
      diagnostic: a.diagnostic,
      peerAdminDown: a.peerAdminDown,
      at,
    });
    // A state change is what a status reader most wants to see promptly.
    this.#o.emit({ type: 'snapshot', snapshot: this.snapshot() });
  }

  // ---------------------------------------------------------------- watchdog and snapshots

  #heard(): void {
    this.#lastHeard = this.#scheduler.now();
    if (this.#silenced) {
      this.#silenced = false;
      this.#log('warn', 'BFD transmission resumed: the control plane answers again', {});
    }
  }

  #armWatchdog(): void {
    const timeout = this.#o.controlPlaneTimeoutMs ?? 0;
    if (timeout <= 0 || this.#closed) return;
    const check = () => {
      if (this.#closed) return;
      const now = this.#scheduler.now();
      if (!this.#silenced && now - this.#lastHeard > timeout) {
        this.#silenced = true;
        this.#stalls++;
        this.#log('error', 'BFD transmission stopped: the control plane has not answered', {
          silentMs: Math.round(now - this.#lastHeard),
          timeoutMs: timeout,
        });
      }
      this.#watchdog = this.#scheduler.at(now + timeout / 4, check);
    };
    this.#watchdog = this.#scheduler.at(this.#scheduler.now() + timeout / 4, check);
  }

  #armTicker(): void {
    const every = this.#o.snapshotIntervalMs ?? 0;
    if (every <= 0) return;
    const tick = () => {
      if (this.#closed) return;
      this.#o.emit({ type: 'snapshot', snapshot: this.snapshot() });
      this.#ticker = this.#scheduler.at(this.#scheduler.now() + every, tick);
    };
    this.#ticker = this.#scheduler.at(this.#scheduler.now() + every, tick);
  }

  snapshot(): BfdEngineSnapshot {
    const sessions: BfdSessionSnapshot[] = [];
    let late = this.#retiredLatePackets;
    for (const e of [...this.#sessions.values(), ...this.#retiring.values()]) {
      late += e.latePackets;
      const receiveError = this.#receivers.get(receiverKey(e.family, e.spec.multihop))?.error;
      sessions.push({
        ...e.machine.status(),
        id: e.spec.id,
        peerAddress: e.spec.peerAddress,
        localAddress: e.spec.localAddress ?? null,
        multihop: e.spec.multihop,
        sourcePort: e.sender?.localPort ?? null,
        packetsSent: e.packetsSent,
        packetsReceived: e.packetsReceived,
        packetsDiscarded: e.packetsDiscarded,
        sendErrors: e.sendErrors,
        transitions: { ...e.transitions },
        detectionExpiries: e.detectionExpiries,
        latePackets: e.latePackets,
        upSince: e.upSince,
        lastChange: e.lastChange,
        lastError: receiveError ?? e.senderError ?? null,
        retiring: e.retiring,
      });
    }
    const transmitDelay: HistogramSnapshot = {
      bounds: TRANSMIT_DELAY_BOUNDS_MS,
      counts: [...this.#delayCounts],
      count: this.#delayCount,
      sum: this.#delaySum,
    };
    const socketErrors: string[] = [];
    for (const [k, r] of this.#receivers) if (r.error) socketErrors.push(`${k}: ${r.error}`);
    return {
      at: this.#wall(),
      sessions,
      discards: { ...this.#discards },
      transmitDelay,
      latePackets: late,
      silenced: this.#silenced,
      controlPlaneStalls: this.#stalls,
      socketErrors,
    };
  }

  /** Stops everything at once; sends nothing more. Idempotent. */
  close(): void {
    if (this.#closed) return;
    for (const e of [...this.#sessions.values(), ...this.#retiring.values()]) this.#finish(e);
    this.#closed = true;
    this.#watchdog?.cancel();
    this.#ticker?.cancel();
    for (const r of this.#receivers.values()) {
      r.retry?.cancel();
      r.receiver?.close();
    }
    this.#receivers.clear();
  }

  #log(level: LogLevel, msg: string, fields: Record<string, string | number | boolean | null>): void {
    this.#o.emit({ type: 'log', level, msg, fields });
  }
}

function receiverKey(family: Family, multihop: boolean): string {
  return `${family} ${multihop ? 'multihop' : 'single-hop'}`;
}

/** Two specs name the same session (addresses compared canonically). */
function sameSpecKey(a: BfdSessionSpec, b: BfdSessionSpec): boolean {
  return (
    a.multihop === b.multihop &&
    canonicalAddress(a.peerAddress) === canonicalAddress(b.peerAddress) &&
    (a.localAddress === undefined ? undefined : canonicalAddress(a.localAddress)) ===
      (b.localAddress === undefined ? undefined : canonicalAddress(b.localAddress)) &&
    a.minimumTtl === b.minimumTtl
  );
}
