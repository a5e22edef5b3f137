// The session port over @herald/bgp. Owns one BgpSpeaker (so a passive peer's incoming connection finds its
// session), resolves each session's NEXT_HOP, and maps stop modes to NOTIFICATION or silent close.
import { createSocket } from 'node:dgram';
import { type BfdEngineSnapshot, BfdService } from '@herald/bfd';
import {
  type Afi,
  type BgpSession,
  BgpSpeaker,
  type Logger,
  type NotificationInfo,
  type PeerConfig,
  type RejectionReason,
  type RouteAttributes,
  resolvePeerConfig,
  summarizeTransport,
} from '@herald/bgp';
import { addressFamily, linkBandwidthCommunity } from '@herald/inet';
import { bgpSockets, nativeSupport } from '@herald/native';
import { type DesiredRoute, LINK_BANDWIDTH_PER_ENDPOINT } from '../announce/model.ts';
import { type PeerSettings, samePeerSettings } from '../config-view.ts';
import type { PeerPassword } from '../peer-password.ts';
import {
  BfdCoupling,
  type BfdCouplingOptions,
  type BfdPeerCounters,
  type BfdPeerStatus,
} from './bfd-coupling.ts';
import type {
  NodeAddresses,
  NotificationCount,
  PeerSessionPort,
  SessionDriver,
  SessionSnapshot,
  SessionTransport,
  StopMode,
} from './port.ts';

const familyOf = (address: string): Afi => addressFamily(address) ?? 'ipv4';

/**
 * The address the kernel would use as source towards `peer`: a UDP socket's connect() runs the same route
 * lookup as TCP's and sends nothing. Used as NEXT_HOP before (and independent of) the TCP session existing,
 * so routes are in the Adj-RIB-Out when the session comes up and End-of-RIB follows the full table.
 */
export function probeSourceAddress(peer: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const sock = createSocket(familyOf(peer) === 'ipv6' ? 'udp6' : 'udp4');
    const done = (v: string | undefined) => {
      sock.close();
      resolve(v);
    };
    sock.once('error', () => done(undefined));
    sock.connect(port, peer, () => {
      try {
        done(sock.address().address);
      } catch {
        done(undefined);
      }
    });
  });
}

export interface BgpDriverOptions {
  readonly nodeName: string;
  /**
   * Where passive peers may connect. Default: for each passive peer, the node address it peers from (its
   * `sourceAddress`, else the Node's address of the peer's family) — never every address of the host.
   */
  readonly listenAddresses?: readonly string[];
  readonly listenPort: number;
  readonly logger: Logger;
  /**
   * The BgpSpeaker sessions live in. Default: one listening on the listen addresses, port listenPort, while a
   * peer is passive. Tests pass one that dials and accepts fake transports.
   */
  readonly speaker?: BgpSpeaker;
  /** An incoming BGP connection was closed without a session (counted in a metric; the speaker logs it). */
  readonly onConnectionRejected?: (reason: RejectionReason) => void;
  /** A peer's prefix limit was reached (counted in a metric). */
  readonly onPrefixLimit?: (peer: string, afi: Afi, action: 'block' | 'restart') => void;
  /** Retry a listener that could not be bound after this long. Default 10 s. */
  readonly listenRetryMs?: number;
  /** How the NEXT_HOP source address towards a peer is found. Default: probeSourceAddress (the kernel's). */
  readonly sourceAddress?: (peer: string, port: number) => Promise<string | undefined>;
  /**
   * BFD (peers[].bfd). Default: the engine in a worker_thread over native sockets, when they can load.
   * Tests start an inline engine on an in-memory network; `onChange` feeds Events.
   */
  readonly bfd?: Partial<Pick<BfdCouplingOptions, 'start' | 'support' | 'onChange'>>;
  /** A peer's password became unusable, or changed (the speaker writes an Event on its Node). */
  readonly onPasswordEvent?: (event: PasswordEvent) => void;
}

/** What happened to the password a session is opened with, for operators (never the password). */
export interface PasswordEvent {
  readonly peer: string;
  /** `unavailable`: the session stays down; `changed`: the session restarts with the new password. */
  readonly type: 'unavailable' | 'changed';
  readonly message: string;
}

/** The Event a password transition deserves, if any (a first read, or no password at all, deserves none). */
export function passwordEvent(
  peer: string,
  before: PeerPassword | undefined,
  after: PeerPassword,
): PasswordEvent | undefined {
  if (after.state === 'blocked') {
    if (after.problem === 'secret-pending') return undefined;
    if (before?.state === 'blocked' && before.problem === after.problem) return undefined;
    return {
      peer,
      type: 'unavailable',
      message: `peer ${peer}: ${after.message}; its BGP session stays down until the password can be used (it never runs without it)`,
    };
  }
  if (after.state !== 'ready') return undefined;
  if (before?.state === 'ready' && !before.key.equals(after.key))
    return {
      peer,
      type: 'changed',
      message: `peer ${peer}: the TCP-MD5 password in Secret ${after.source} changed; only this peer's session restarts, with the new password`,
    };
  if (before?.state === 'blocked' && before.problem !== 'secret-pending')
    return {
      peer,
      type: 'changed',
      message: `peer ${peer}: the TCP-MD5 password in Secret ${after.source} can be used again; the session starts with it`,
    };
  return undefined;
}

export class BgpSessionDriver implements SessionDriver<PeerSettings> {
  readonly #o: BgpDriverOptions;
  readonly #speaker: BgpSpeaker;
  /** The addresses the listener should be on ('' joined), and what is bound. */
  #wanted: readonly string[] = [];
  #bound = '';
  #retry: NodeJS.Timeout | undefined;
  readonly #bfd: BfdCoupling;
  /** The current port of each peer, for BFD Down. */
  readonly #ports = new Map<string, BgpPeerPort>();

  constructor(options: BgpDriverOptions) {
    this.#o = options;
    this.#bfd = new BfdCoupling({
      start:
        options.bfd?.start ??
        // The worker opens its own sockets with @herald/native, loaded in the thread.
        (() =>
          new BfdService({ isolation: 'worker', udp: { module: import.meta.resolve('@herald/native') } })),
      support: options.bfd?.support ?? nativeSupport,
      sourceAddress: options.sourceAddress ?? probeSourceAddress,
      logger: options.logger,
      onDown: (peer) => this.#ports.get(peer)?.bfdDown(),
      ...(options.bfd?.onChange ? { onChange: options.bfd.onChange } : {}),
    });
    this.#speaker =
      options.speaker ??
      new BgpSpeaker({
        listen: { port: options.listenPort },
        logger: options.logger,
        // TCP-MD5, GTSM, the eBGP TTL and interface binding.
        sockets: bgpSockets,
      });
    // The BgpSpeaker logs rejections itself, at a limited rate; here they are only counted.
    this.#speaker.on('connectionRejected', (r) => options.onConnectionRejected?.(r.reason));
    this.#speaker.on('error', (err) => options.logger.error({ err: err.message }, 'BGP listener error'));
  }

  readonly #closing = new Map<string, Promise<void>>();
  /** The password each open peer was last opened with, to tell operators when it changes. */
  readonly #passwords = new Map<string, PeerPassword>();

  open(peer: string, settings: PeerSettings, node: NodeAddresses): PeerSessionPort {
    const event = passwordEvent(peer, this.#passwords.get(peer), settings.password);
    this.#passwords.set(peer, settings.password);
    if (event) {
      const log = event.type === 'unavailable' ? this.#o.logger.warn : this.#o.logger.info;
      log.call(this.#o.logger, { peer }, event.message);
      this.#o.onPasswordEvent?.(event);
    }
    const port = new BgpPeerPort(
      this.#speaker,
      peer,
      settings,
      node,
      this.#o,
      this.#closing.get(peer),
      (name) => this.#bfd.status(name),
    );
    this.#ports.set(peer, port);
    const stop = port.stop.bind(port);
    port.stop = (mode) => {
      if (this.#ports.get(peer) === port) this.#ports.delete(peer);
      if (mode === 'remove') this.#passwords.delete(peer);
      const done = stop(mode).finally(() => {
        if (this.#closing.get(peer) === done) this.#closing.delete(peer);
      });
      this.#closing.set(peer, done);
      return done;
    };
    return port;
  }

  sameSettings(a: PeerSettings, b: PeerSettings): boolean {
    return samePeerSettings(a, b);
  }

  setPassivePeers(peers: ReadonlyMap<string, PeerSettings>, node: NodeAddresses): void {
    // Listen only while a selected peer is passive, and only where those peers connect to: port 179 stays
    // closed on a node that has no passive peer, and a host BGP daemon keeps the node's other addresses.
    const passive = [...peers.values()].filter((p) => p.passive);
    const addresses = new Set<string>();
    if (passive.length > 0) {
      if (this.#o.listenAddresses) for (const a of this.#o.listenAddresses) addresses.add(a);
      else
        for (const p of passive) {
          const local = p.sourceAddress ?? node[familyOf(p.peerAddress)];
          if (local) addresses.add(local);
          else
            this.#o.logger.error(
              { peer: p.name, family: familyOf(p.peerAddress) },
              'passive peer: the node has no address of its family to listen on',
            );
        }
    }
    this.#wanted = [...addresses].sort();
    this.#applyListen();
  }

  #applyListen(): void {
    clearTimeout(this.#retry);
    this.#retry = undefined;
    const wanted = this.#wanted;
    const key = wanted.join(' ');
    if (key === this.#bound) return;
    const log = this.#o.logger;
    this.#speaker.listenOn(wanted).then(
      () => {
        if (this.#wanted !== wanted) return;
        this.#bound = key;
        if (wanted.length === 0) log.info({}, 'no passive BGP peers: not listening');
        else log.info({ addresses: this.#speaker.addresses() }, 'listening for passive BGP peers');
      },
      (err: unknown) => {
        if (this.#wanted !== wanted) return;
        const retryMs = this.#o.listenRetryMs ?? 10_000;
        log.error(
          { addresses: wanted, port: this.#o.listenPort, err: String(err), retryMs },
          'cannot listen for passive BGP peers (another BGP daemon on the port? see docs/operations.md)',
        );
        this.#retry = setTimeout(() => this.#applyListen(), retryMs);
        this.#retry.unref();
      },
    );
  }

  setBfdPeers(peers: ReadonlyMap<string, PeerSettings>): void {
    this.#bfd.setPeers(peers);
  }

  /** BFD counters per peer and the engine's own figures, for metrics. */
  bfdMetrics(): {
    peers: Map<string, BfdPeerCounters>;
    engine: BfdEngineSnapshot | undefined;
    states: Map<string, string>;
  } {
    return { peers: this.#bfd.counters(), engine: this.#bfd.engineSnapshot(), states: this.#bfd.states() };
  }

  /**
   * After the sessions have stopped: BFD AdminDown (waiting for each router to hear it), then the engine and
   * the BGP listener stop. BGP goes first on purpose, see BfdCoupling.shutdown.
   */
  async close(): Promise<void> {
    clearTimeout(this.#retry);
    this.#wanted = [];
    await this.#bfd.shutdown();
    await this.#speaker.close();
  }
}

function countInto(map: Map<string, NotificationCount>, n: NotificationInfo): void {
  const key = `${n.code}/${n.subcode}`;
  const prev = map.get(key);
  map.set(key, { code: n.code, subcode: n.subcode, count: (prev?.count ?? 0) + 1 });
}

class BgpPeerPort implements PeerSessionPort {
  readonly peer: string;
  readonly #speaker: BgpSpeaker;
  readonly #settings: PeerSettings;
  readonly #node: NodeAddresses;
  readonly #o: BgpDriverOptions;
  readonly #config: PeerConfig;
  #session: BgpSession | undefined;
  readonly #initialized: Promise<void>;
  readonly #notificationsSent = new Map<string, NotificationCount>();
  readonly #notificationsReceived = new Map<string, NotificationCount>();
  /** Routes waiting for the next hop to be known. */
  readonly #pending = new Map<string, DesiredRoute | null>();
  #nextHop: Partial<Record<Afi, string>> = {};
  readonly #bgpAttributes = new WeakMap<DesiredRoute['attributes'], Partial<Record<Afi, RouteAttributes>>>();
  #localAddress?: string;
  #ready = false;
  /** The runtime handed over its whole table (initialTableLoaded): End-of-RIB may go. */
  #tableLoaded = false;
  #stopped = false;
  #lastError: string | null = null;
  readonly #bfdStatus: (peer: string) => BfdPeerStatus | undefined;

  constructor(
    speaker: BgpSpeaker,
    peer: string,
    settings: PeerSettings,
    node: NodeAddresses,
    o: BgpDriverOptions,
    closing: Promise<void> | undefined,
    bfdStatus: (peer: string) => BfdPeerStatus | undefined,
  ) {
    this.peer = peer;
    this.#bfdStatus = bfdStatus;
    this.#speaker = speaker;
    this.#settings = settings;
    this.#node = node;
    this.#o = o;
    const own = familyOf(settings.peerAddress);
    const other: Afi = own === 'ipv4' ? 'ipv6' : 'ipv4';
    // Negotiate the other family too when this node has an address of it to use as NEXT_HOP, so one session
    // per router carries a dual-stack Service's /32 and /128 (routers that do not activate it just decline).
    const families: Afi[] = node[other] ? [own, other] : [own];
    const config: PeerConfig = {
      name: peer,
      localAsn: settings.myASN,
      peerAsn: settings.peerASN,
      peerAddress: settings.peerAddress,
      peerPort: settings.peerPort,
      localAddress: settings.sourceAddress,
      // One BGP Identifier per node for all its sessions: the Node's IPv4 address unless configured. Left to
      // the library, an IPv6 session would derive a different one from its IPv6 local address.
      routerId: settings.routerID ?? node.ipv4,
      holdTime: settings.holdTimeSeconds,
      keepaliveTime: settings.keepaliveTimeSeconds,
      connectRetryTime: settings.connectTimeSeconds,
      passive: settings.passive,
      ebgpMultihop: settings.ebgpMultihop,
      minHoldTime: settings.minHoldTimeSeconds,
      maxPrefixes: {
        limit: settings.maxPrefixes.limit,
        action: settings.maxPrefixes.action,
        restartTime: settings.maxPrefixes.restartTimeSeconds,
      },
      ttlSecurity: settings.ttlSecurity,
      bindInterface: settings.bindInterface,
      // Only a ready password reaches here: a session is never opened without the one it is configured with.
      password: settings.password.state === 'ready' ? settings.password.key : undefined,
      families,
      // restarting: true on every start. A router that kept our routes as stale (we went away without a
      // NOTIFICATION) keeps them until our End-of-RIB; one that did not simply ignores the R bit.
      gracefulRestart: settings.gracefulRestart.enabled
        ? { restartTime: settings.gracefulRestart.restartTimeSeconds, restarting: true }
        : undefined,
      // The session is opened before the runtime's caches have filled (runtime.ts, startPeering).
      deferEndOfRib: true,
    };
    this.#config = config;
    this.#initialized = this.#init(config, own, other, closing);
  }

  async #init(config: PeerConfig, own: Afi, other: Afi, closing: Promise<void> | undefined): Promise<void> {
    const { peer } = this;
    const o = this.#o;
    const password = this.#settings.password;
    if (password.state === 'blocked') {
      // No session at all: the runtime opens this peer again (restart) once the password resolves.
      this.#lastError = password.message;
      return;
    }
    // A restarted peer reuses its name: the old session must be gone from the BgpSpeaker first.
    await closing?.catch(() => undefined);
    await this.#resolveNextHops(own, other);
    if (this.#stopped) return;
    let s: BgpSession;
    try {
      s = this.#speaker.addPeer(config);
    } catch (err) {
      this.#lastError = `invalid peer settings: ${err instanceof Error ? err.message : String(err)}`;
      o.logger.error({ peer, err: this.#lastError }, 'cannot create BGP session');
      return;
    }
    this.#session = s;
    s.on('notificationSent', (n) => {
      countInto(this.#notificationsSent, n);
      this.#lastError = `sent NOTIFICATION ${n.codeName}/${n.subcodeName}${n.communication ? `: ${n.communication}` : ''}`;
    });
    s.on('notificationReceived', (n) => {
      countInto(this.#notificationsReceived, n);
      this.#lastError = `received NOTIFICATION ${n.codeName}/${n.subcodeName}${n.communication ? `: ${n.communication}` : ''}`;
      o.logger.warn(
        { peer, code: n.code, subcode: n.subcode, communication: n.communication },
        'NOTIFICATION received',
      );
    });
    s.on('stateChange', ({ from, to }) => o.logger.info({ peer, from, to }, 'BGP session state'));
    s.on('closed', ({ reason, wasEstablished }) => {
      if (wasEstablished) this.#lastError = `session closed: ${reason}`;
    });
    s.on('error', (err) => {
      this.#lastError = err.message;
    });
    s.on('prefixLimitReached', ({ afi, limit, action }) => {
      this.#lastError =
        action === 'restart'
          ? `prefix limit ${limit} exceeded for ${afi}: session reset (Cease 6/1), restarting later`
          : `prefix limit ${limit} reached for ${afi}: further prefixes ignored`;
      o.onPrefixLimit?.(peer, afi, action);
    });
    this.#ready = true;
    // Load what the runtime has handed over before starting; End-of-RIB waits for the rest of the table.
    this.#flushPending();
    if (this.#tableLoaded) s.initialTableLoaded();
    s.start();
  }

  async #resolveNextHops(own: Afi, other: Afi): Promise<void> {
    const probe = this.#o.sourceAddress ?? probeSourceAddress;
    this.#localAddress =
      this.#settings.sourceAddress ?? (await probe(this.#settings.peerAddress, this.#settings.peerPort));
    const hop = this.#localAddress ?? this.#node[own];
    if (hop) this.#nextHop[own] = hop;
    if (this.#node[other]) this.#nextHop[other] = this.#node[other];
    if (!hop)
      this.#lastError = `no local ${own} address towards ${this.#settings.peerAddress} to use as next hop`;
  }

  #attributes(route: DesiredRoute): RouteAttributes | undefined {
    const nextHop = this.#nextHop[route.family];
    if (!nextHop) return undefined;
    // One BGP attributes object per (desired attributes, next hop): routes of one advertisement share it, so the
    // library validates and groups it once (it caches per object) and 10,000 routes hold one copy, not 10,000.
    let byFamily = this.#bgpAttributes.get(route.attributes);
    if (!byFamily) {
      byFamily = {};
      this.#bgpAttributes.set(route.attributes, byFamily);
    }
    const cached = byFamily[route.family];
    if (cached?.nextHop === nextHop) return cached;
    const a = route.attributes;
    const attrs: RouteAttributes = {
      nextHop,
      localPref: a.localPref,
      // RFC 8326: a draining route carries GRACEFUL_SHUTDOWN on top of whatever it had.
      communities:
        a.gracefulShutdown && !a.communities.includes('graceful-shutdown')
          ? [...a.communities, 'graceful-shutdown']
          : a.communities,
      largeCommunities: a.largeCommunities,
      // Weighted ECMP: the link bandwidth community in our AS (AS_TRANS for a 4-octet one), 1 Mbit/s per endpoint.
      ...(a.weight !== undefined
        ? {
            extendedCommunities: [
              linkBandwidthCommunity(this.#settings.myASN, a.weight * LINK_BANDWIDTH_PER_ENDPOINT),
            ],
          }
        : {}),
    };
    byFamily[route.family] = attrs;
    return attrs;
  }

  #flushPending(): void {
    const routes = [...this.#pending];
    this.#pending.clear();
    for (const [prefix, route] of routes) {
      if (route) this.announce([route]);
      else this.withdraw([prefix]);
    }
  }

  announce(routes: readonly DesiredRoute[]): void {
    if (this.#stopped) return;
    const s = this.#session;
    for (const r of routes) {
      if (!this.#ready || !s) {
        this.#pending.set(r.prefix, r);
        continue;
      }
      const attrs = this.#attributes(r);
      if (!attrs) {
        this.#lastError = `no ${r.family} next hop for ${r.prefix}: node has no ${r.family} address`;
        continue;
      }
      try {
        s.announce(r.prefix, attrs);
      } catch (err) {
        this.#lastError = `cannot announce ${r.prefix}: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
  }

  withdraw(prefixes: readonly string[]): void {
    if (this.#stopped) return;
    const s = this.#session;
    for (const p of prefixes) {
      if (!this.#ready || !s) this.#pending.set(p, null);
      else s.withdraw(p);
    }
  }

  initialTableLoaded(): void {
    if (this.#tableLoaded) return;
    this.#tableLoaded = true;
    if (this.#ready) this.#session?.initialTableLoaded();
  }

  /** BFD saw the path to the router go down: close BGP at once, reconnect with the damped backoff. */
  bfdDown(): void {
    if (this.#stopped) return;
    this.#lastError = 'BFD session Down: closed with Cease/BFD Down';
    this.#session?.bfdDown();
  }

  async stop(mode: StopMode): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#initialized;
    const s = this.#session;
    if (!s) return;
    const negotiated = s.negotiated();
    const graceful =
      mode === 'graceful-restart' &&
      this.#settings.gracefulRestart.enabled &&
      negotiated?.peerGracefulRestart !== undefined;
    const node = this.#o.nodeName;
    const options = graceful
      ? { sendNotification: false }
      : mode === 'remove'
        ? {
            subcode: 'peer-deconfigured' as const,
            communication: `herald-speaker ${node}: peer removed from config`,
          }
        : mode === 'reconfigure'
          ? {
              subcode: 'other-configuration-change' as const,
              communication: `herald-speaker ${node}: session settings changed`,
            }
          : {
              subcode: 'administrative-shutdown' as const,
              communication: `herald-speaker ${node} shutting down`,
            };
    this.#o.logger.info({ peer: this.peer, mode, graceful }, 'stopping BGP session');
    // removePeer stops the session AND forgets it, so a restarted session with the same name can be added.
    await this.#speaker.removePeer(this.peer, options);
  }

  /** The socket rules, from the session once it exists, else as its settings will make them. */
  #transport(): SessionTransport | undefined {
    const password = this.#settings.password;
    const source = password.state === 'none' ? {} : { passwordSecret: password.source };
    const note = password.state === 'ready' ? password.note : undefined;
    let summary = this.#session?.transport();
    if (summary === undefined) {
      const r = resolvePeerConfig(this.#config);
      if (!r.ok) return undefined;
      summary = summarizeTransport(r.config.transport);
    }
    const warning = [summary.warning, note].filter((w) => w !== undefined).join('; ');
    return {
      ...summary,
      ...source,
      // A blocked password is not on the socket yet, but it is what the session is configured with.
      tcpMd5: summary.tcpMd5 || password.state !== 'none',
      ...(warning !== '' ? { warning } : {}),
    };
  }

  snapshot(): SessionSnapshot {
    const s = this.#session;
    const counters = s ? safeCounters(s) : undefined;
    const password = this.#settings.password;
    const negotiated = s?.negotiated();
    const established = s?.state === 'Established';
    return {
      peer: this.peer,
      peerAddress: this.#settings.peerAddress,
      peerASN: this.#settings.peerASN,
      localASN: this.#settings.myASN,
      state: s?.state ?? 'Idle',
      established,
      uptimeSeconds: established && counters ? Math.floor(counters.uptimeMs / 1000) : null,
      establishedSince:
        established && counters?.establishedSince !== undefined
          ? new Date(counters.establishedSince).toISOString()
          : null,
      establishedTransitions: counters?.establishedTransitions ?? 0,
      localAddress: this.#localAddress,
      routerID: negotiated?.localRouterId ?? this.#settings.routerID,
      gracefulRestartNegotiated: negotiated ? negotiated.peerGracefulRestart !== undefined : undefined,
      updatesSent: counters?.updatesOut ?? 0,
      updatesReceived: counters?.updatesIn ?? 0,
      messagesSent: counters ? sum(counters.messagesOut) : 0,
      messagesReceived: counters ? sum(counters.messagesIn) : 0,
      notificationsSent: [...this.#notificationsSent.values()],
      notificationsReceived: [...this.#notificationsReceived.values()],
      lastError: this.#lastError ?? counters?.lastError?.message ?? null,
      ...(counters
        ? {
            prefixesAdvertised: counters.prefixesAdvertised,
            prefixesReceived: counters.prefixesReceived,
            prefixesBlocked: counters.prefixesBlocked,
          }
        : {}),
      prefixLimitReached: counters?.prefixLimitReached ?? 0,
      asPathLoops: counters?.asPathLoops ?? 0,
      ...(password.state === 'blocked' ? { blocked: password.problem } : {}),
      connectFailures: counters?.connectFailures ?? { timeout: 0, refused: 0, unreachable: 0, other: 0 },
      ...withTransport(this.#transport()),
      ...bfdField(this.#bfdStatus(this.peer)),
    };
  }
}

function withTransport(t: SessionTransport | undefined): { transport?: SessionTransport } {
  return t === undefined ? {} : { transport: t };
}

function bfdField(bfd: BfdPeerStatus | undefined): { bfd?: BfdPeerStatus } {
  return bfd ? { bfd } : {};
}

function sum(r: Readonly<Record<string, number>>): number {
  let t = 0;
  for (const v of Object.values(r)) t += v;
  return t;
}

function safeCounters(s: BgpSession) {
  try {
    return s.counters();
  } catch {
    return undefined;
  }
}
