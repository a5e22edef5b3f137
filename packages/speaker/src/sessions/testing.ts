// Test support for the session adapters: a router made of @herald/bgp's own sans-I/O PeerMachine behind
// in-memory transports (what Herald sends is decoded by a real BGP implementation), and a helper that
// turns the event loop until something happens.
import {
  type BgpTransport,
  type NotificationInfo,
  type PeerAction,
  PeerMachine,
  ReceivedRouteTable,
  resolvePeerConfig,
  type TransportHandlers,
  type TransportInfo,
} from '@herald/bgp';
import { parsePrefix } from '@herald/inet';

/** Herald's end of an in-memory TCP connection; bytes reach the router on a later turn, as over a socket. */
export class HeraldSide implements BgpTransport {
  readonly info: TransportInfo;
  handlers: TransportHandlers | undefined;
  ended = false;
  id = 0;
  readonly #router: Router;
  constructor(router: Router, info: TransportInfo) {
    this.#router = router;
    this.info = info;
  }
  write(data: Buffer): boolean {
    if (this.ended) return true;
    const copy = Buffer.from(data);
    setImmediate(() => this.#router.receive(this.id, copy));
    return true;
  }
  end(): void {
    if (this.ended) return;
    this.ended = true;
    setImmediate(() => {
      this.handlers?.closed('closed');
      this.#router.closedByHerald(this.id);
    });
  }
  destroy(): void {
    this.end();
  }
  attach(h: TransportHandlers): void {
    this.handlers = h;
  }
  deliver(data: Buffer): void {
    setImmediate(() => {
      if (!this.ended) this.handlers?.data(data);
    });
  }
  /** The router closes after what it sent before (a NOTIFICATION) has arrived. */
  closeFromRouter(): void {
    setImmediate(() => {
      if (this.ended) return;
      this.ended = true;
      this.handlers?.closed('peer closed the connection');
    });
  }
}

export const DIALLED: TransportInfo = {
  localAddress: '203.0.113.2',
  localPort: 40000,
  remoteAddress: '203.0.113.1',
  remotePort: 179,
};

/** The router: a PeerMachine (timers not run) wired to HeraldSide transports. */
export class Router {
  readonly machine: PeerMachine;
  readonly notifications: NotificationInfo[] = [];
  /** What arrived, in order: `routes N` per UPDATE with N prefixes, `End-of-RIB afi`. */
  readonly received: string[] = [];
  readonly #sides = new Map<number, HeraldSide>();
  readonly #table = new ReceivedRouteTable();
  dialsMade = 0;
  /** The connection id of the router's own connect attempt (when it is not passive). */
  lastDial: number | undefined;

  constructor(options: { gracefulRestart?: boolean; passive?: boolean; heraldAsn?: number } = {}) {
    const r = resolvePeerConfig({
      localAsn: 64512,
      peerAsn: options.heraldAsn ?? 64600,
      peerAddress: '203.0.113.2',
      routerId: '203.0.113.1',
      families: ['ipv4', 'ipv6'],
      passive: options.passive ?? true,
      ...(options.gracefulRestart ? { gracefulRestart: { restartTime: 120 } } : {}),
    });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    this.machine = new PeerMachine({ config: r.config });
    this.#run(this.machine.handle({ type: 'manualStart', now: Date.now() }));
  }

  /** BgpSpeaker's `connect`: Herald dials, the router accepts. */
  readonly connect = async (): Promise<BgpTransport> => {
    this.dialsMade++;
    const side = new HeraldSide(this, DIALLED);
    const routerView = { ...DIALLED, localAddress: '203.0.113.1', remoteAddress: '203.0.113.2' };
    const { connection, actions } = this.machine.accept(routerView, Date.now());
    side.id = connection;
    this.#sides.set(connection, side);
    this.#run(actions);
    return side;
  };

  /** The router dials Herald (a passive Herald peer): returns Herald's side, for BgpSession.acceptTransport. */
  dialHerald(connection: number): HeraldSide {
    const side = new HeraldSide(this, { ...DIALLED, localPort: 179, remotePort: 50000 });
    side.id = connection;
    this.#sides.set(connection, side);
    const transport = { ...DIALLED, localAddress: '203.0.113.1', remoteAddress: '203.0.113.2' };
    this.#run(this.machine.handle({ type: 'tcpConnected', connection, transport, now: Date.now() }));
    return side;
  }

  receive(id: number, data: Buffer): void {
    this.#run(this.machine.handle({ type: 'bytesReceived', connection: id, data, now: Date.now() }));
  }

  closedByHerald(id: number): void {
    this.#run(this.machine.handle({ type: 'tcpClosed', connection: id, reason: 'closed', now: Date.now() }));
  }

  /** The router shuts the session down with Cease / Administrative Shutdown. */
  shutdown(communication: string): void {
    this.#run(
      this.machine.handle({
        type: 'manualStop',
        notification: { subcode: 2, communication },
        now: Date.now(),
      }),
    );
  }

  #run(actions: readonly PeerAction[]): void {
    for (const a of actions) {
      if (a.type === 'send') this.#sides.get(a.connection)?.deliver(a.data);
      else if (a.type === 'closeConnection') this.#sides.get(a.connection)?.closeFromRouter();
      else if (a.type === 'notificationReceived') this.notifications.push(a.notification);
      else if (a.type === 'connect') this.lastDial = a.connection;
      // What a router holds from us: the machine only counts, the router's table is kept here.
      else if (a.type === 'routesReceived') {
        this.#table.apply(a);
        this.received.push(`routes ${a.announced.length}`);
      } else if (a.type === 'endOfRibReceived') this.received.push(`End-of-RIB ${a.afi}`);
      else if (a.type === 'closed' && a.wasEstablished) this.#table.clear();
    }
  }

  /** The router sends Herald these routes (what a router leaking its table does). */
  advertise(prefixes: readonly string[]): void {
    for (const p of prefixes) this.machine.announce(parsePrefix(p), { nextHop: '203.0.113.1' });
    const side = this.#sides.get(this.machine.establishedConnection!)!;
    for (let m = this.machine.nextUpdate(); m; m = this.machine.nextUpdate()) side.deliver(m);
  }

  routes(afi: 'ipv4' | 'ipv6') {
    return this.#table.routes(afi).map((r) => ({
      prefix: `${r.prefix.address}/${r.prefix.length}`,
      nextHop: r.attributes.nextHop,
      communities: r.attributes.communities,
      largeCommunities: r.attributes.largeCommunities,
      ...(r.attributes.extendedCommunities ? { extendedCommunities: r.attributes.extendedCommunities } : {}),
      localPref: r.attributes.localPref,
      asPath: r.attributes.asPath.flatMap((s) => s.asns),
    }));
  }
}

/** Turns of the event loop until `cond` holds: the in-memory wire needs a few, never wall-clock time. */
export async function until(cond: () => boolean, what: string, timeoutMs?: number): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setImmediate(r));
  // Real timers in play (the damped reconnect): poll, with the timeout only bounding a hang.
  const deadline = timeoutMs === undefined ? 0 : performance.now() + timeoutMs;
  while (!cond() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error(`never happened: ${what}`);
}
