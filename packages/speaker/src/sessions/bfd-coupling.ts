// BFD for the speaker's BGP peers (RFC 5882 §4.3): one BFD session per (kind, router address, local address)
// that at least one selected peer enables, kept in step with the config; a session that goes from Up to Down
// closes the BGP sessions it protects at once (Cease / BFD Down, RFC 9384), unless the router took it down
// administratively (RFC 5882 §3.2). BFD never holds BGP back: a router that does not run BFD still peers.
//
// The engine runs in a worker_thread (`BfdService`, @herald/bfd), started on the first peer that enables BFD,
// so a speaker without BFD loads neither the thread nor the native socket layer.
import {
  type BfdEngineSnapshot,
  type BfdService,
  type BfdSessionSnapshot,
  type BfdStateChange,
  diagnosticName,
  type SessionState,
  withTimeout,
} from '@herald/bfd';
import type { Logger } from '@herald/bgp';
import { bfdMicroseconds, isMultihopBfd } from '@herald/inet';
import type { PeerSettings } from '../config-view.ts';

/** Port of the BFD session (RFC 5881 §4 / RFC 5883 §5): what the local address is probed towards. */
const BFD_PORT = { singleHop: 3784, multihop: 4784 } as const;
/** How often a session whose local address could not be found is tried again. */
const RESOLVE_RETRY_MS = 10_000;
/**
 * The longest a stopping speaker waits for routers to acknowledge AdminDown: their Detection Time for us
 * is normally under a second, but timers allow up to 255 × 60 s, and the speaker must exit well within its
 * termination grace period.
 */
const ADMIN_DOWN_WAIT_MS = 5_000;

/** BFD as /status shows it for one peer. Intervals in milliseconds. */
export interface BfdPeerStatus {
  /**
   * AdminDown / Down / Init / Up; `Starting` until the engine reports the session; `Unavailable` when BFD
   * cannot run on this node (lastError says why).
   */
  readonly state: SessionState | 'Starting' | 'Unavailable';
  readonly remoteState: SessionState | null;
  readonly peerAddress: string;
  readonly multihop: boolean;
  readonly localAddress: string | null;
  readonly sourcePort: number | null;
  readonly localDiscriminator: number | null;
  readonly remoteDiscriminator: number | null;
  /** Why the session last left Up (or went AdminDown): the RFC 5880 diagnostic name. */
  readonly diagnostic: string | null;
  readonly remoteDiagnostic: string | null;
  readonly profile: string | null;
  readonly minReceiveMs: number;
  readonly minTransmitMs: number;
  readonly multiplier: number;
  /** Negotiated: how often we send, and how long until we declare the router down (0 until known). */
  readonly transmitIntervalMs: number;
  readonly detectionTimeMs: number;
  /** How long the router waits for our packets before declaring us down. */
  readonly remoteDetectionTimeMs: number;
  readonly upSince: string | null;
  readonly lastChange: string | null;
  readonly counters: BfdPeerCounters;
  readonly lastError: string | null;
}

/** Counters per peer, monotonic across the BFD session being re-created (new key, restart of BFD). */
export interface BfdPeerCounters {
  readonly packetsSent: number;
  readonly packetsReceived: number;
  readonly sendErrors: number;
  readonly latePackets: number;
  readonly detectionExpiries: number;
  readonly transitions: Readonly<Record<SessionState, number>>;
}

export interface BfdCouplingOptions {
  /** Starts the BFD engine (a worker in the speaker); called once, on the first peer with BFD. */
  readonly start: () => BfdService;
  /** Why BFD cannot run on this node (native sockets unavailable), checked before starting. */
  readonly support: () => { ok: true } | { ok: false; reason: string };
  /** The address the kernel would use towards a peer (the BGP next hop is found the same way). */
  readonly sourceAddress: (peer: string, port: number) => Promise<string | undefined>;
  readonly logger: Logger;
  /** BFD went from Up to Down for this BGP peer, not by the router's AdminDown: close BGP now. */
  readonly onDown: (peer: string) => void;
  /** A state change worth telling operators about (Events). */
  readonly onChange?: (peer: string, change: BfdStateChange, session: BfdPeerStatus | undefined) => void;
}

interface Wanted {
  readonly id: string;
  readonly peerAddress: string;
  readonly multihop: boolean;
  readonly sourceAddress: string | undefined;
  readonly settings: NonNullable<PeerSettings['bfd']>;
  readonly members: Set<string>;
}

interface Running extends Omit<Wanted, 'settings'> {
  settings: Wanted['settings'];
  /** undefined while the local address is being found. */
  localAddress: string | undefined;
  added: boolean;
  error: string | undefined;
  retry: NodeJS.Timeout | undefined;
}

const ZERO: BfdPeerCounters = {
  packetsSent: 0,
  packetsReceived: 0,
  sendErrors: 0,
  latePackets: 0,
  detectionExpiries: 0,
  transitions: { AdminDown: 0, Down: 0, Init: 0, Up: 0 },
};

function addCounters(a: BfdPeerCounters, b: BfdPeerCounters): BfdPeerCounters {
  return {
    packetsSent: a.packetsSent + b.packetsSent,
    packetsReceived: a.packetsReceived + b.packetsReceived,
    sendErrors: a.sendErrors + b.sendErrors,
    latePackets: a.latePackets + b.latePackets,
    detectionExpiries: a.detectionExpiries + b.detectionExpiries,
    transitions: {
      AdminDown: a.transitions.AdminDown + b.transitions.AdminDown,
      Down: a.transitions.Down + b.transitions.Down,
      Init: a.transitions.Init + b.transitions.Init,
      Up: a.transitions.Up + b.transitions.Up,
    },
  };
}

const countersOf = (s: BfdSessionSnapshot): BfdPeerCounters => ({
  packetsSent: s.packetsSent,
  packetsReceived: s.packetsReceived,
  sendErrors: s.sendErrors,
  latePackets: s.latePackets,
  detectionExpiries: s.detectionExpiries,
  transitions: s.transitions,
});

/** The BFD session a peer needs: its key as an id, e.g. `single-hop 203.0.113.1`. */
function wantedFor(settings: PeerSettings): Omit<Wanted, 'members'> | undefined {
  if (!settings.bfd) return undefined;
  const multihop = isMultihopBfd(settings.ebgpMultihop);
  const source = settings.sourceAddress;
  return {
    id: `${multihop ? 'multihop' : 'single-hop'} ${settings.peerAddress}${source ? ` from ${source}` : ''}`,
    peerAddress: settings.peerAddress,
    multihop,
    sourceAddress: source,
    settings: settings.bfd,
  };
}

const sameTimers = (a: Wanted['settings'], b: Wanted['settings']) =>
  a.minReceiveMs === b.minReceiveMs && a.minTransmitMs === b.minTransmitMs && a.multiplier === b.multiplier;

export class BfdCoupling {
  readonly #o: BfdCouplingOptions;
  #service: BfdService | undefined;
  #unavailable: string | undefined;
  readonly #sessions = new Map<string, Running>();
  /** Counters of BFD sessions a peer no longer has, so its exported counters never go backwards. */
  readonly #retired = new Map<string, BfdPeerCounters>();
  #closed = false;

  constructor(options: BfdCouplingOptions) {
    this.#o = options;
  }

  /** The selected peers after a session plan: start, re-time or stop BFD sessions to match. */
  setPeers(peers: ReadonlyMap<string, PeerSettings>): void {
    if (this.#closed) return;
    const wanted = new Map<string, Wanted>();
    for (const [name, settings] of peers) {
      const w = wantedFor(settings);
      if (!w) continue;
      const existing = wanted.get(w.id);
      if (existing) existing.members.add(name);
      else wanted.set(w.id, { ...w, members: new Set([name]) });
    }
    for (const [id, running] of this.#sessions) {
      if (wanted.has(id)) continue;
      this.#forget(running);
      this.#sessions.delete(id);
      if (running.added) this.#service?.remove(id);
      this.#o.logger.info({ bfd: id }, 'BFD session no longer wanted');
    }
    if (wanted.size === 0) return;
    if (!this.#ensureService()) {
      for (const w of wanted.values()) this.#sessions.set(w.id, this.#running(w));
      return;
    }
    for (const w of wanted.values()) {
      const running = this.#sessions.get(w.id);
      if (!running) {
        const fresh = this.#running(w);
        this.#sessions.set(w.id, fresh);
        void this.#resolveAndAdd(fresh);
        continue;
      }
      // Membership is re-read on every plan; the session itself stays.
      const left = [...running.members].filter((m) => !w.members.has(m));
      for (const m of left) this.#retire(m, running);
      running.members.clear();
      for (const m of w.members) running.members.add(m);
      if (!sameTimers(running.settings, w.settings)) {
        running.settings = w.settings;
        if (running.added) this.#service?.update(w.id, parameters(w.settings));
      } else running.settings = w.settings; // the profile name may have changed
    }
  }

  /** The BFD status of a BGP peer, or undefined when it has no BFD. */
  status(peer: string): BfdPeerStatus | undefined {
    for (const running of this.#sessions.values()) {
      if (!running.members.has(peer)) continue;
      const s = this.#service?.snapshot().sessions.find((x) => x.id === running.id && !x.retiring);
      return statusOf(
        running,
        s,
        this.#unavailable,
        addCounters(this.#retired.get(peer) ?? ZERO, s ? countersOf(s) : ZERO),
      );
    }
    return undefined;
  }

  /** Counters of every peer that has or had BFD (for metrics). */
  counters(): Map<string, BfdPeerCounters> {
    const out = new Map(this.#retired);
    const sessions = this.#service?.snapshot().sessions ?? [];
    for (const running of this.#sessions.values()) {
      const s = sessions.find((x) => x.id === running.id && !x.retiring);
      for (const m of running.members)
        out.set(m, addCounters(this.#retired.get(m) ?? ZERO, s ? countersOf(s) : ZERO));
    }
    return out;
  }

  /** The state of each peer's BFD session (SessionState, `Starting` or `Unavailable`). */
  states(): Map<string, string> {
    const out = new Map<string, string>();
    for (const running of this.#sessions.values())
      for (const m of running.members) out.set(m, this.status(m)?.state ?? 'Starting');
    return out;
  }

  /** The engine's latest snapshot (discards, transmit delay, watchdog); undefined while BFD never ran. */
  engineSnapshot(): BfdEngineSnapshot | undefined {
    return this.#service?.snapshot();
  }

  /**
   * Planned stop: every session AdminDown (RFC 5882 §3.2), wait until each router acknowledged or its
   * Detection Time passed, then stop the engine. Called after the BGP sessions are closed (see docs/bfd.md:
   * FRR 8.4 resets BGP on a neighbor's AdminDown, but not while it is already helping a graceful restart).
   */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const r of this.#sessions.values()) if (r.retry) clearTimeout(r.retry);
    const service = this.#service;
    if (!service) return;
    await withTimeout(service.adminDown(), ADMIN_DOWN_WAIT_MS);
    await service.close();
  }

  #ensureService(): boolean {
    if (this.#service) return true;
    if (this.#unavailable) return false;
    const support = this.#o.support();
    if (!support.ok) {
      this.#unavailable = `native socket support is unavailable: ${support.reason}`;
      this.#o.logger.error(
        { err: this.#unavailable },
        'BFD cannot run on this node; BGP sessions run without it',
      );
      return false;
    }
    const service = this.#o.start();
    service.on('stateChange', (c) => this.#changed(c));
    service.on('log', (l) => {
      const fields = { ...l.fields, subsystem: 'bfd' };
      if (l.level === 'error') this.#o.logger.error(fields, l.msg);
      else if (l.level === 'warn') this.#o.logger.warn(fields, l.msg);
      else if (l.level === 'info') this.#o.logger.info(fields, l.msg);
      else this.#o.logger.debug(fields, l.msg);
    });
    this.#service = service;
    return true;
  }

  #running(w: Wanted): Running {
    return { ...w, localAddress: undefined, added: false, error: undefined, retry: undefined };
  }

  async #resolveAndAdd(running: Running): Promise<void> {
    running.retry = undefined;
    const port = running.multihop ? BFD_PORT.multihop : BFD_PORT.singleHop;
    const local = running.sourceAddress ?? (await this.#o.sourceAddress(running.peerAddress, port));
    // Removed (or replaced) while the address was being found: nothing to add.
    if (this.#closed || this.#sessions.get(running.id) !== running) return;
    const current = running;
    if (local === undefined && current.multihop) {
      current.error = `no local address towards ${current.peerAddress} (no route?); multihop BFD needs one, retrying`;
      this.#o.logger.warn({ bfd: current.id }, current.error);
      current.retry = setTimeout(() => void this.#resolveAndAdd(current), RESOLVE_RETRY_MS);
      current.retry.unref();
      return;
    }
    current.localAddress = local;
    current.error = undefined;
    current.added = true;
    this.#service?.add({
      id: current.id,
      peerAddress: current.peerAddress,
      ...(local ? { localAddress: local } : {}),
      multihop: current.multihop,
      parameters: parameters(current.settings),
    });
  }

  #changed(c: BfdStateChange): void {
    const running = this.#sessions.get(c.id);
    if (!running) return;
    const failure = c.from === 'Up' && c.to === 'Down' && !c.peerAdminDown;
    for (const peer of running.members) {
      const fields = {
        peer,
        bfd: c.id,
        from: c.from,
        to: c.to,
        diagnostic: diagnosticName(c.diagnostic),
        peerAdminDown: c.peerAdminDown,
      };
      if (failure) this.#o.logger.warn(fields, 'BFD session Down: closing the BGP session (Cease/BFD Down)');
      else this.#o.logger.info(fields, 'BFD session state');
      this.#o.onChange?.(peer, c, this.status(peer));
      if (failure) this.#o.onDown(peer);
    }
  }

  /** A peer leaves a BFD session: keep its counters so far. */
  #retire(peer: string, running: Running): void {
    const s = this.#service?.snapshot().sessions.find((x) => x.id === running.id);
    if (s) this.#retired.set(peer, addCounters(this.#retired.get(peer) ?? ZERO, countersOf(s)));
  }

  #forget(running: Running): void {
    if (running.retry) clearTimeout(running.retry);
    for (const m of running.members) this.#retire(m, running);
  }
}

function parameters(s: Wanted['settings']) {
  return {
    desiredMinTxInterval: bfdMicroseconds(s.minTransmitMs),
    requiredMinRxInterval: bfdMicroseconds(s.minReceiveMs),
    detectMult: s.multiplier,
  };
}

function statusOf(
  running: Running,
  s: BfdSessionSnapshot | undefined,
  unavailable: string | undefined,
  counters: BfdPeerCounters,
): BfdPeerStatus {
  const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());
  return {
    state: unavailable ? 'Unavailable' : (s?.state ?? 'Starting'),
    remoteState: s?.remoteState ?? null,
    peerAddress: running.peerAddress,
    multihop: running.multihop,
    localAddress: s?.localAddress ?? running.localAddress ?? null,
    sourcePort: s?.sourcePort ?? null,
    localDiscriminator: s?.localDiscriminator ?? null,
    remoteDiscriminator: s ? s.remoteDiscriminator : null,
    diagnostic: s ? diagnosticName(s.localDiagnostic) : null,
    remoteDiagnostic: s ? diagnosticName(s.remoteDiagnostic) : null,
    profile: running.settings.profile ?? null,
    minReceiveMs: running.settings.minReceiveMs,
    minTransmitMs: running.settings.minTransmitMs,
    multiplier: running.settings.multiplier,
    transmitIntervalMs: s ? s.transmitInterval / 1000 : 0,
    detectionTimeMs: s ? s.detectionTime / 1000 : 0,
    remoteDetectionTimeMs: s ? s.remoteDetectionTime / 1000 : 0,
    upSince: iso(s?.upSince),
    lastChange: iso(s?.lastChange?.at),
    counters,
    lastError: unavailable ?? running.error ?? s?.lastError ?? null,
  };
}
