/**
 * BgpSession: one peer over node:net. A thin driver around SessionMachine: sockets, timers, write
 * backpressure, the Adj-RIB-Out pump, §6.8 collision handling and events. Protocol errors never throw out of
 * here; they become NOTIFICATIONs inside the machine. A bug-level exception is contained to this session.
 */
import { EventEmitter } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { PeerConfigError, type ResolvedPeerConfig, resolvePeerConfig, validateRoute } from '../config.ts';
import { CEASE_SUBCODE_BY_NAME, CeaseSubcode, type CeaseSubcodeName } from '../errors.ts';
import { ReconnectBackoff } from '../fsm/backoff.ts';
import type {
  NegotiatedSession,
  NotificationInfo,
  SessionAction,
  SessionEvent,
  TimerName,
} from '../fsm/events.ts';
import { collisionWinner } from '../fsm/open-policy.ts';
import { emptyStats, SessionMachine, type SessionStats } from '../fsm/session-machine.ts';
import { formatPrefix, parsePrefix } from '../prefix.ts';
import { AdjRibOut } from '../rib/adj-rib-out.ts';
import type {
  Afi,
  Clock,
  Logger,
  PeerConfig,
  Prefix,
  ReceivedRoute,
  RouteAttributes,
  SessionState,
} from '../types.ts';
import { encodeNotification } from '../wire/notification.ts';
import type { LastError, SessionCounters } from './counters.ts';
import { socketTransport } from './socket-transport.ts';
import type { BgpTransport } from './transport.ts';

export interface StopOptions {
  /** Cease subcode; default 'administrative-shutdown'. */
  readonly subcode?: CeaseSubcodeName;
  /** RFC 8203/9003 shutdown communication (UTF-8, at most 255 bytes). */
  readonly communication?: string;
  /**
   * false: close TCP without a NOTIFICATION, so a graceful-restart-capable peer keeps our routes as stale
   * (RFC 4724 §4). Default true.
   */
  readonly sendNotification?: boolean;
}

export interface RoutesReceivedEvent {
  readonly afi: Afi;
  readonly announced: readonly ReceivedRoute[];
  readonly withdrawn: readonly Prefix[];
}

export interface BgpSessionEvents {
  stateChange: [{ readonly from: SessionState; readonly to: SessionState }];
  established: [NegotiatedSession];
  notificationSent: [NotificationInfo];
  notificationReceived: [NotificationInfo];
  routesReceived: [RoutesReceivedEvent];
  endOfRib: [{ readonly afi: Afi }];
  /** The session left Established/OpenSent/OpenConfirm (or a connection attempt ended). */
  closed: [{ readonly reason: string; readonly wasEstablished: boolean }];
  /** Emitted only when a listener is attached (an unhandled 'error' must never crash the process). */
  error: [Error];
}

export interface BgpSessionOptions {
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Replace how active connections are made (tests). Default: node:net connect to peerAddress:peerPort. */
  readonly connect?: (config: ResolvedPeerConfig) => Promise<BgpTransport>;
}

/** One TCP connection and the machine driving it (two exist briefly during a §6.8 collision). */
interface Connection {
  readonly machine: SessionMachine;
  readonly direction: 'outgoing' | 'incoming';
  transport: BgpTransport | undefined;
  writable: boolean;
  readonly timers: Map<TimerName, NodeJS.Timeout>;
  /** Bumped to invalidate a connect attempt that is still in flight. */
  attempt: number;
  closedWaiters: (() => void)[];
}

const NOOP_LOGGER: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export class BgpSession extends EventEmitter<BgpSessionEvents> {
  readonly config: ResolvedPeerConfig;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #connectFn: (config: ResolvedPeerConfig) => Promise<BgpTransport>;
  readonly #ribOut = new AdjRibOut();
  readonly #stats: SessionStats = emptyStats();
  readonly #backoff: ReconnectBackoff;
  #primary: Connection;
  #secondary: Connection | undefined;
  #pumpScheduled = false;
  #everEstablished = false;
  #flaps = 0;
  #establishedTransitions = 0;
  #lastError: LastError | undefined;

  constructor(config: PeerConfig, options: BgpSessionOptions = {}) {
    super();
    const resolved = resolvePeerConfig(config);
    if (!resolved.ok) throw new PeerConfigError(resolved.issues);
    this.config = resolved.config;
    this.#logger = options.logger ?? NOOP_LOGGER;
    this.#clock = options.clock ?? { now: () => Date.now() };
    this.#random = options.random ?? Math.random;
    this.#connectFn = options.connect ?? defaultConnect;
    this.#backoff = new ReconnectBackoff(this.config.backoff, this.#random);
    this.#primary = this.#newConnection('outgoing');
  }

  get name(): string {
    return this.config.name;
  }

  get state(): SessionState {
    return this.#primary.machine.state;
  }

  /** ManualStart: connect (or wait for the peer, when passive) and keep reconnecting with damped backoff. */
  start(): void {
    this.#dispatch(this.#primary, { type: 'manualStart' });
  }

  /** ManualStop: Cease NOTIFICATION (or a silent close) and no reconnect until start() again. */
  async stop(options: StopOptions = {}): Promise<void> {
    const notification =
      options.sendNotification === false
        ? (false as const)
        : {
            subcode: CEASE_SUBCODE_BY_NAME[options.subcode ?? 'administrative-shutdown'],
            ...(options.communication !== undefined ? { communication: options.communication } : {}),
          };
    const waits: Promise<void>[] = [];
    for (const conn of [this.#primary, this.#secondary]) {
      if (!conn) continue;
      if (conn.transport) waits.push(new Promise((resolve) => conn.closedWaiters.push(resolve)));
      this.#dispatch(conn, { type: 'manualStop', notification });
      this.#clearTimers(conn);
    }
    this.#secondary = undefined;
    await Promise.all(waits);
  }

  /** Add or replace the route for a prefix (accepts text like '198.51.100.7/32'). Throws on invalid input. */
  announce(prefix: Prefix | string, attributes: RouteAttributes): void {
    const p = typeof prefix === 'string' ? parsePrefix(prefix) : prefix;
    const issues = validateRoute(p, attributes);
    if (issues.length > 0)
      throw new PeerConfigError(issues.map((i) => ({ ...i, path: `${formatPrefix(p)}.${i.path}` })));
    this.#ribOut.announce(p, attributes);
    this.#schedulePump();
  }

  /** Withdraw a prefix; returns false if it was not announced. */
  withdraw(prefix: Prefix | string): boolean {
    const p = typeof prefix === 'string' ? parsePrefix(prefix) : prefix;
    const removed = this.#ribOut.withdraw(p);
    if (removed) this.#schedulePump();
    return removed;
  }

  /** The routes in the Adj-RIB-Out. */
  announced(): { prefix: Prefix; attributes: RouteAttributes }[] {
    return this.#ribOut.routes();
  }

  /** Adj-RIB-In lite: the routes the peer currently advertises to us. */
  receivedRoutes(afi?: Afi): ReceivedRoute[] {
    return this.#primary.machine.receivedRoutes(afi);
  }

  negotiated(): NegotiatedSession | undefined {
    return this.#primary.machine.state === 'Established' ? this.#primary.machine.negotiated : undefined;
  }

  /** Ask the peer to re-send its routes for a family (RFC 2918), if it supports route refresh. */
  requestRouteRefresh(afi: Afi): boolean {
    const actions = this.#primary.machine.requestRouteRefresh(afi);
    this.#execute(this.#primary, actions);
    return actions.length > 0;
  }

  counters(): SessionCounters {
    const m = this.#primary.machine;
    const since = m.state === 'Established' ? m.establishedAt : undefined;
    const now = this.#clock.now();
    return {
      state: m.state,
      messagesIn: { ...this.#stats.messagesIn },
      messagesOut: { ...this.#stats.messagesOut },
      updatesIn: this.#stats.updatesIn,
      updatesOut: this.#stats.updatesOut,
      prefixesAdvertised: {
        ipv4: this.#ribOut.advertisedCount('ipv4'),
        ipv6: this.#ribOut.advertisedCount('ipv6'),
      },
      prefixesReceived: { ipv4: m.receivedCount('ipv4'), ipv6: m.receivedCount('ipv6') },
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
      ...(since !== undefined ? { establishedSince: since } : {}),
      uptimeMs: since !== undefined ? now - since : 0,
      flaps: this.#flaps,
      establishedTransitions: this.#establishedTransitions,
    };
  }

  /** Hand an accepted socket to this session (used by BgpSpeaker). Returns false if it was refused. */
  acceptConnection(socket: Socket): boolean {
    return this.acceptTransport(socketTransport(socket));
  }

  /** Transport-level variant of acceptConnection (tests, custom listeners). */
  acceptTransport(transport: BgpTransport): boolean {
    const primary = this.#primary;
    const state = primary.machine.state;
    const refuse = (subcode: number, why: string) => {
      this.#logger.info(
        { peer: this.name, remote: transport.info.remoteAddress, state },
        `incoming connection refused: ${why}`,
      );
      transport.write(encodeNotification(6, subcode));
      transport.end();
      return false;
    };
    if (state === 'Established')
      return refuse(CeaseSubcode.ConnectionCollisionResolution, 'session already Established');
    if (this.#secondary)
      return refuse(CeaseSubcode.ConnectionRejected, 'a collision is already being resolved');
    if (state === 'Connect' || state === 'Active' || (state === 'Idle' && this.#isAdminUp())) {
      // No connection has reached OpenSent yet: abandon any outgoing attempt and use the incoming one.
      if (primary.transport) primary.transport.destroy();
      primary.attempt++;
      this.#adopt(primary, transport);
      return true;
    }
    if (state === 'OpenSent' || state === 'OpenConfirm') {
      // §6.8: keep both until the peer's BGP Identifier decides which one survives.
      const conn = this.#newConnection('incoming');
      this.#secondary = conn;
      this.#dispatch(conn, { type: 'manualStart' });
      this.#adopt(conn, transport);
      return true;
    }
    return refuse(CeaseSubcode.ConnectionRejected, 'session not started');
  }

  #isAdminUp(): boolean {
    // IdleHoldTimer armed means we are Idle only because of damping, not because of an admin stop.
    return this.#primary.timers.has('IdleHoldTimer');
  }

  #newConnection(direction: 'outgoing' | 'incoming'): Connection {
    const machine = new SessionMachine({
      config: direction === 'incoming' ? { ...this.config, passive: true } : this.config,
      ribOut: this.#ribOut,
      clock: this.#clock,
      random: this.#random,
      logger: this.#logger,
      backoff: this.#backoff,
      stats: this.#stats,
      restarting: (this.config.gracefulRestart?.restarting ?? false) && !this.#everEstablished,
    });
    return {
      machine,
      direction,
      transport: undefined,
      writable: true,
      timers: new Map(),
      attempt: 0,
      closedWaiters: [],
    };
  }

  #adopt(conn: Connection, transport: BgpTransport): void {
    conn.transport = transport;
    conn.writable = true;
    transport.attach({
      data: (chunk) => {
        if (conn.transport === transport) this.#dispatch(conn, { type: 'bytesReceived', data: chunk });
      },
      drain: () => {
        if (conn.transport !== transport) return;
        conn.writable = true;
        this.#pump();
      },
      closed: (reason) => {
        const waiters = conn.closedWaiters.splice(0);
        if (conn.transport === transport) {
          conn.transport = undefined;
          this.#dispatch(conn, { type: 'tcpClosed', reason });
        }
        for (const w of waiters) w();
      },
    });
    this.#dispatch(conn, { type: 'tcpConnected', transport: transport.info });
  }

  #dispatch(conn: Connection, event: SessionEvent): void {
    let actions: SessionAction[];
    try {
      actions = conn.machine.handle(event);
    } catch (err) {
      // A bug, not a protocol error: contain it to this connection.
      this.#logger.error(
        { peer: this.name, err: (err as Error).message, event: event.type },
        'BGP session machine failed',
      );
      this.#recordError({ direction: 'local', message: `internal error: ${(err as Error).message}` });
      conn.transport?.destroy();
      return;
    }
    this.#execute(conn, actions);
  }

  #execute(conn: Connection, actions: readonly SessionAction[]): void {
    for (const action of actions) {
      try {
        this.#perform(conn, action);
      } catch (err) {
        this.#logger.error(
          { peer: this.name, err: (err as Error).message, action: action.type },
          'BGP action failed',
        );
      }
    }
  }

  #perform(conn: Connection, action: SessionAction): void {
    const isPrimary = conn === this.#primary;
    switch (action.type) {
      case 'send':
        // Control messages bypass the backpressure gate: they are small and must not wait behind bulk UPDATEs
        // (which are only generated while the socket is writable, so the socket buffer stays short).
        if (conn.transport && !conn.transport.write(action.data)) conn.writable = false;
        return;
      case 'connect':
        this.#connect(conn);
        return;
      case 'closeConnection':
        conn.attempt++;
        if (conn.transport) {
          const t = conn.transport;
          conn.transport = undefined;
          t.end();
          // The machine already knows; resolve stop() waiters when the socket is really gone.
          const waiters = conn.closedWaiters.splice(0);
          t.attach({
            data() {},
            drain() {},
            closed: () => {
              for (const w of waiters) w();
            },
          });
          if (waiters.length > 0)
            setTimeout(() => {
              for (const w of waiters) w();
            }, 2500).unref();
        }
        return;
      case 'armTimer': {
        clearTimeout(conn.timers.get(action.timer));
        const t = setTimeout(() => {
          conn.timers.delete(action.timer);
          this.#dispatch(conn, { type: 'timerExpired', timer: action.timer });
        }, action.delayMs);
        conn.timers.set(action.timer, t);
        return;
      }
      case 'cancelTimer':
        clearTimeout(conn.timers.get(action.timer));
        conn.timers.delete(action.timer);
        return;
      case 'stateChange':
        this.#logger.info(
          { peer: this.name, from: action.from, to: action.to, connection: conn.direction },
          'BGP state change',
        );
        if (isPrimary) this.emit('stateChange', { from: action.from, to: action.to });
        return;
      case 'openReceived':
        this.#resolveCollision(conn, action.peerRouterId);
        return;
      case 'established':
        this.#everEstablished = true;
        this.#establishedTransitions++;
        this.#logger.info({ peer: this.name, ...summarize(action.negotiated) }, 'BGP session established');
        if (isPrimary) this.emit('established', action.negotiated);
        return;
      case 'notificationSent':
        this.#recordError({
          direction: 'sent',
          code: action.notification.code,
          subcode: action.notification.subcode,
          message: `${action.notification.codeName} / ${action.notification.subcodeName}`,
        });
        this.#logger.warn(
          { peer: this.name, ...notificationLog(action.notification) },
          'BGP NOTIFICATION sent',
        );
        this.emit('notificationSent', action.notification);
        return;
      case 'notificationReceived':
        this.#recordError({
          direction: 'received',
          code: action.notification.code,
          subcode: action.notification.subcode,
          message: `${action.notification.codeName} / ${action.notification.subcodeName}`,
        });
        this.#logger.warn(
          { peer: this.name, ...notificationLog(action.notification) },
          'BGP NOTIFICATION received',
        );
        this.emit('notificationReceived', action.notification);
        return;
      case 'routesReceived':
        this.emit('routesReceived', {
          afi: action.afi,
          announced: action.announced,
          withdrawn: action.withdrawn,
        });
        return;
      case 'endOfRibReceived':
        this.emit('endOfRib', { afi: action.afi });
        return;
      case 'updatesPending':
        this.#schedulePump();
        return;
      case 'updateErrorHandled':
        this.#recordError({
          direction: 'received',
          code: action.error.code,
          subcode: action.error.subcode,
          message: `RFC 7606 ${action.action}: ${action.error.message}`,
        });
        this.#logger.warn(
          { peer: this.name, action: action.action, err: action.error.message },
          'malformed UPDATE handled without session reset',
        );
        return;
      case 'error':
        if (this.listenerCount('error') > 0) this.emit('error', action.error);
        return;
      case 'closed':
        if (action.wasEstablished) this.#flaps++;
        this.#logger.info(
          { peer: this.name, reason: action.reason, connection: conn.direction },
          'BGP session closed',
        );
        this.emit('closed', { reason: action.reason, wasEstablished: action.wasEstablished });
        if (conn === this.#secondary) {
          this.#clearTimers(conn);
          this.#secondary = undefined;
        }
        return;
    }
  }

  #resolveCollision(conn: Connection, peerRouterId: string): void {
    const other = conn === this.#primary ? this.#secondary : this.#primary;
    if (!other || (other.machine.state !== 'OpenSent' && other.machine.state !== 'OpenConfirm')) return;
    const localId = conn.machine.localRouterId ?? other.machine.localRouterId!;
    const winnerDirection =
      collisionWinner(localId, peerRouterId) === 'locally-initiated' ? 'outgoing' : 'incoming';
    const loser = conn.direction === winnerDirection ? other : conn;
    const winner = loser === conn ? other : conn;
    this.#logger.info(
      { peer: this.name, localId, peerRouterId, kept: winner.direction },
      'BGP connection collision resolved',
    );
    if (loser === this.#primary) {
      // The incoming connection wins: it becomes the session's connection.
      this.#primary = winner;
      this.#secondary = loser;
    }
    this.#dispatch(loser, { type: 'collisionLost' });
    this.#clearTimers(loser);
    if (this.#secondary === loser) this.#secondary = undefined;
  }

  #connect(conn: Connection): void {
    const attempt = ++conn.attempt;
    this.#connectFn(this.config).then(
      (transport) => {
        if (conn.attempt !== attempt || conn.machine.state !== 'Connect') {
          transport.destroy();
          return;
        }
        this.#adopt(conn, transport);
      },
      (err: Error) => {
        if (conn.attempt !== attempt) return;
        this.#dispatch(conn, { type: 'tcpConnectFailed', reason: err.message });
      },
    );
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    const run = () => {
      this.#pumpScheduled = false;
      this.#pump();
    };
    // Batch a burst of announce()/withdraw() calls: nothing is encoded until the pump runs.
    if (this.config.updateBatchMs > 0) setTimeout(run, this.config.updateBatchMs);
    else setImmediate(run);
  }

  /** Write UPDATEs while the socket accepts them; resume on 'drain'. */
  #pump(): void {
    const conn = this.#primary;
    const t = conn.transport;
    if (!t) return;
    while (conn.writable && conn.transport === t) {
      let message: Buffer | undefined;
      try {
        message = conn.machine.nextUpdate();
      } catch (err) {
        this.#logger.error({ peer: this.name, err: (err as Error).message }, 'UPDATE generation failed');
        return;
      }
      if (!message) return;
      if (!t.write(message)) conn.writable = false;
    }
  }

  #clearTimers(conn: Connection): void {
    for (const t of conn.timers.values()) clearTimeout(t);
    conn.timers.clear();
  }

  #recordError(e: Omit<LastError, 'at'>): void {
    this.#lastError = { at: this.#clock.now(), ...e };
  }
}

function summarize(n: NegotiatedSession): Record<string, unknown> {
  return {
    peerAsn: n.peerAsn,
    peerRouterId: n.peerRouterId,
    holdTime: n.holdTime,
    families: n.families,
    fourOctetAsn: n.fourOctetAsn,
    extendedMessages: n.extendedMessages,
  };
}

function notificationLog(n: NotificationInfo): Record<string, unknown> {
  return {
    code: n.code,
    subcode: n.subcode,
    error: `${n.codeName} / ${n.subcodeName}`,
    data: n.data.toString('hex'),
    ...(n.communication !== undefined ? { communication: n.communication } : {}),
  };
}

function defaultConnect(config: ResolvedPeerConfig): Promise<BgpTransport> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({
      host: config.peerAddress,
      port: config.peerPort,
      ...(config.localAddress ? { localAddress: config.localAddress } : {}),
    });
    const onError = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socketTransport(socket));
    });
  });
}
