// The session port over @herald/bgp. Owns one BgpSpeaker (so a passive peer's incoming connection finds its
// session), resolves each session's NEXT_HOP, and maps stop modes to NOTIFICATION or silent close.
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import {
  type Afi,
  type BgpSession,
  BgpSpeaker,
  type Logger,
  type NotificationInfo,
  type PeerConfig,
  type RouteAttributes,
} from '@herald/bgp';
import type { DesiredRoute } from '../announce/model.ts';
import { type PeerSettings, samePeerSettings } from '../config-view.ts';
import type {
  NodeAddresses,
  NotificationCount,
  PeerSessionPort,
  SessionDriver,
  SessionSnapshot,
  StopMode,
} from './port.ts';

const familyOf = (address: string): Afi => (isIPv6(address) ? 'ipv6' : 'ipv4');

/**
 * The address the kernel would use as source towards `peer`: a UDP socket's connect() runs the same route
 * lookup as TCP's and sends nothing. Used as NEXT_HOP before (and independent of) the TCP session existing,
 * so routes are in the Adj-RIB-Out when the session comes up and End-of-RIB follows the full table.
 */
export function probeSourceAddress(peer: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const sock = createSocket(isIPv6(peer) ? 'udp6' : 'udp4');
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
  readonly listenAddress?: string;
  readonly listenPort: number;
  readonly logger: Logger;
}

export class BgpSessionDriver implements SessionDriver<PeerSettings> {
  readonly #o: BgpDriverOptions;
  readonly #speaker: BgpSpeaker;
  #listening = false;

  constructor(options: BgpDriverOptions) {
    this.#o = options;
    this.#speaker = new BgpSpeaker({
      listen: { address: options.listenAddress, port: options.listenPort },
      logger: options.logger,
    });
    this.#speaker.on('connectionRejected', (r) =>
      options.logger.warn({ ...r }, 'incoming BGP connection rejected'),
    );
    this.#speaker.on('error', (err) => options.logger.error({ err: err.message }, 'BGP listener error'));
  }

  readonly #closing = new Map<string, Promise<void>>();

  open(peer: string, settings: PeerSettings, node: NodeAddresses): PeerSessionPort {
    const port = new BgpPeerPort(this.#speaker, peer, settings, node, this.#o, this.#closing.get(peer));
    const stop = port.stop.bind(port);
    port.stop = (mode) => {
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

  setPassivePeers(peers: ReadonlyMap<string, PeerSettings>): void {
    // Listen only once a selected peer is passive. The listener then stays up: closing it would gain nothing
    // and would refuse a router that is reconnecting during a config change.
    if (this.#listening || ![...peers.values()].some((p) => p.passive)) return;
    this.#listening = true;
    this.#speaker
      .listen()
      .then((addr) => this.#o.logger.info({ address: addr }, 'listening for passive BGP peers'))
      .catch((err: unknown) => {
        this.#listening = false;
        this.#o.logger.error({ err: String(err) }, 'cannot listen for passive BGP peers');
      });
  }

  async close(): Promise<void> {
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
  #session: BgpSession | undefined;
  readonly #initialized: Promise<void>;
  readonly #notificationsSent = new Map<string, NotificationCount>();
  readonly #notificationsReceived = new Map<string, NotificationCount>();
  /** Routes waiting for the next hop to be known. */
  readonly #pending = new Map<string, DesiredRoute | null>();
  #nextHop: Partial<Record<Afi, string>> = {};
  #localAddress?: string;
  #ready = false;
  #stopped = false;
  #lastError: string | null = null;

  constructor(
    speaker: BgpSpeaker,
    peer: string,
    settings: PeerSettings,
    node: NodeAddresses,
    o: BgpDriverOptions,
    closing: Promise<void> | undefined,
  ) {
    this.peer = peer;
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
      families,
      // restarting: true on every start. A router that kept our routes as stale (we went away without a
      // NOTIFICATION) keeps them until our End-of-RIB; one that did not simply ignores the R bit.
      gracefulRestart: settings.gracefulRestart.enabled
        ? { restartTime: settings.gracefulRestart.restartTimeSeconds, restarting: true }
        : undefined,
    };
    this.#initialized = this.#init(config, own, other, closing);
  }

  async #init(config: PeerConfig, own: Afi, other: Afi, closing: Promise<void> | undefined): Promise<void> {
    const { peer } = this;
    const o = this.#o;
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
    this.#ready = true;
    // Load the whole table before starting, so End-of-RIB (graceful restart) follows the full table.
    this.#flushPending();
    s.start();
  }

  async #resolveNextHops(own: Afi, other: Afi): Promise<void> {
    this.#localAddress =
      this.#settings.sourceAddress ??
      (await probeSourceAddress(this.#settings.peerAddress, this.#settings.peerPort));
    const hop = this.#localAddress ?? this.#node[own];
    if (hop) this.#nextHop[own] = hop;
    if (this.#node[other]) this.#nextHop[other] = this.#node[other];
    if (!hop)
      this.#lastError = `no local ${own} address towards ${this.#settings.peerAddress} to use as next hop`;
  }

  #attributes(route: DesiredRoute): RouteAttributes | undefined {
    const nextHop = this.#nextHop[route.family];
    if (!nextHop) return undefined;
    return {
      nextHop,
      localPref: route.attributes.localPref,
      communities: route.attributes.communities,
      largeCommunities: route.attributes.largeCommunities,
    };
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

  snapshot(): SessionSnapshot {
    const s = this.#session;
    const counters = s ? safeCounters(s) : undefined;
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
      ...(counters ? { prefixesAdvertised: counters.prefixesAdvertised } : {}),
    };
  }
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
