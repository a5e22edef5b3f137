/**
 * BgpSession: one peer over node:net, a driver around the sans-I/O PeerMachine that does sockets and timers
 * only. It turns socket activity (data, drain, close, accepted and dialled connections) and timer expiries
 * into machine inputs stamped with the clock, carries out the machine's actions (write, connect, close, arm and
 * cancel timers), pulls bulk UPDATEs while the socket is writable, and turns the machine's reports into log
 * lines and events. Protocol errors never throw out of here; they become NOTIFICATIONs inside the machine. A
 * bug-level exception is contained to the connection it happened on.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { formatPrefix, parsePrefix } from '@herald/inet';
import {
  type ConfigIssue,
  PeerConfigError,
  type ResolvedPeerConfig,
  resolvePeerConfig,
  validateRoute,
} from '../config.ts';
import { CEASE_SUBCODE_BY_NAME, type CeaseSubcodeName } from '../errors.ts';
import type { RefusalCode } from '../fsm/collision.ts';
import type { ConnectionId, NegotiatedSession, PeerAction, PeerEventBody, TimerName } from '../fsm/events.ts';
import { PeerMachine } from '../fsm/peer-machine.ts';
import { needsNativeSockets, summarizeTransport, type TransportSummary } from '../transport.ts';
import type {
  Afi,
  Clock,
  Logger,
  PeerConfig,
  Prefix,
  ReceivedRoutes,
  RouteAttributes,
  SessionState,
} from '../types.ts';
import type { NotificationInfo } from '../wire/notification.ts';
import { ConnectError, type ConnectFailureKind, explainConnectFailure, openConnection } from './connect.ts';
import type { LastError, SessionCounters } from './counters.ts';
import { socketTransport, unmapAddress } from './socket-transport.ts';
import { type BgpSockets, NO_SOCKET_LAYER } from './sockets.ts';
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

/** One UPDATE's routes for a family, as received. The session keeps none of it (it only counts prefixes). */
export type RoutesReceivedEvent = ReceivedRoutes;

/** RFC 4486 prefix limit reached: `restart` ends the session (Cease 6/1), `block` refuses prefixes. */
export interface PrefixLimitEvent {
  readonly afi: Afi;
  readonly limit: number;
  readonly action: 'restart' | 'block';
}

/**
 * Why a session refused an incoming connection, as a stable word (a metric label): the collision rules, a SYN
 * below the minimum TTL (GTSM), or socket options the kernel would not apply to the accepted socket.
 */
export type ConnectionRefusalCode = RefusalCode | 'ttl-below-minimum' | 'socket-options';

export interface BgpSessionEvents {
  stateChange: [{ readonly from: SessionState; readonly to: SessionState }];
  established: [NegotiatedSession];
  notificationSent: [NotificationInfo];
  notificationReceived: [NotificationInfo];
  routesReceived: [RoutesReceivedEvent];
  prefixLimitReached: [PrefixLimitEvent];
  endOfRib: [{ readonly afi: Afi }];
  /**
   * An incoming connection was refused: by the collision rules (with a Cease NOTIFICATION), or before BGP saw
   * it, by this session's socket rules (its SYN broke the TTL rule). The BgpSpeaker counts and logs it.
   */
  connectionRefused: [
    { readonly remoteAddress: string; readonly code: ConnectionRefusalCode; readonly reason: string },
  ];
  /** The session left Established/OpenSent/OpenConfirm (or a connection attempt ended). */
  closed: [{ readonly reason: string; readonly wasEstablished: boolean }];
  /** An outgoing connection attempt failed; `reason` says what to check. */
  connectFailed: [{ readonly kind: ConnectFailureKind; readonly reason: string }];
  /** Emitted only when a listener is attached (an unhandled 'error' must never crash the process). */
  error: [Error];
}

export interface BgpSessionOptions {
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly random?: () => number;
  /**
   * Replace how active connections are made (tests). Default: @herald/native or node:net (see connect.ts).
   * The signal aborts when the machine abandons the attempt; reject with a ConnectError to say why it failed.
   */
  readonly connect?: (config: ResolvedPeerConfig, signal: AbortSignal) => Promise<BgpTransport>;
  /** The socket layer (@herald/native's `bgpSockets`); default none: node:net only. */
  readonly sockets?: BgpSockets;
}

/** An open TCP connection of this session, by the machine's connection id. */
interface Link {
  readonly transport: BgpTransport;
  writable: boolean;
  /** Resolved when the socket is really gone (stop() waits for them). */
  readonly closedWaiters: (() => void)[];
}

/** After closing, how long stop() waits for the socket to be gone before it resolves anyway. */
const CLOSE_WAIT_MS = 2500;

const NOOP_LOGGER: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export class BgpSession extends EventEmitter<BgpSessionEvents> {
  readonly config: ResolvedPeerConfig;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #connectFn: (config: ResolvedPeerConfig, signal: AbortSignal) => Promise<BgpTransport>;
  readonly #sockets: BgpSockets;
  readonly #machine: PeerMachine;
  readonly #links = new Map<ConnectionId, Link>();
  /** Connect attempts in flight: aborting one destroys its socket. */
  readonly #dials = new Map<ConnectionId, AbortController>();
  /** Why the driver's attempt failed, until the machine reports (or ignores) it. */
  readonly #dialFailures = new Map<ConnectionId, ConnectError>();
  readonly #connectFailures: Record<ConnectFailureKind, number> = {
    timeout: 0,
    refused: 0,
    unreachable: 0,
    other: 0,
  };
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** Set when the session runs with the system's TTL instead of its default one (native sockets missing). */
  readonly #transportWarning: string | undefined;
  #pumpScheduled = false;
  #lastError: LastError | undefined;

  constructor(config: PeerConfig, options: BgpSessionOptions = {}) {
    super();
    const resolved = resolvePeerConfig(config);
    if (!resolved.ok) throw new PeerConfigError(resolved.issues);
    this.config = resolved.config;
    this.#logger = options.logger ?? NOOP_LOGGER;
    this.#clock = options.clock ?? { now: () => Date.now() };
    this.#sockets = options.sockets ?? NO_SOCKET_LAYER;
    const sockets = this.#sockets;
    const native = sockets.support();
    const transport = this.config.transport;
    if (!native.ok && transport.explicit.length > 0) {
      // Nothing may run weaker than configured: without the native layer these settings cannot be applied.
      throw new PeerConfigError(
        transport.explicit.map((path) => ({
          path,
          reason: `needs native socket support (TCP-MD5, TTL and device options), which cannot load here: ${native.reason}`,
        })),
      );
    }
    if (!native.ok && needsNativeSockets(transport))
      this.#transportWarning = `the single-hop eBGP TTL ${transport.ttl} cannot be set (native socket support is unavailable: ${native.reason}); segments carry the system's default TTL`;
    this.#connectFn = options.connect ?? ((config, signal) => openConnection(config, signal, sockets));
    this.#machine = new PeerMachine({
      config: this.config,
      ...(options.random ? { random: options.random } : {}),
    });
  }

  get name(): string {
    return this.config.name;
  }

  get state(): SessionState {
    return this.#machine.state;
  }

  /** ManualStart: connect (or wait for the peer, when passive) and keep reconnecting with damped backoff. */
  start(): void {
    if (this.#transportWarning !== undefined)
      this.#logger.warn(
        { peer: this.name, warning: this.#transportWarning },
        'BGP session runs without its default TTL',
      );
    this.#dispatch({ type: 'manualStart' });
  }

  /** The session's socket rules (TTL, minimum TTL, whether it signs with TCP-MD5, device), never the key. */
  transport(): TransportSummary {
    const summary = summarizeTransport(this.config.transport, this.#transportWarning);
    // Without the socket layer the policy's TTL is not what goes out: the system's is.
    return this.#transportWarning === undefined ? summary : { ...summary, ttl: null };
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
    const waits = [...this.#links.values()].map(
      (link) => new Promise<void>((resolve) => link.closedWaiters.push(resolve)),
    );
    this.#dispatch({ type: 'manualStop', notification });
    await Promise.all(waits);
  }

  /**
   * BFD declared the path to the peer down (RFC 5882 §4.3): close at once with NOTIFICATION Cease / BFD Down
   * (RFC 9384) and reconnect with the damped backoff. The session stays started (unlike stop()).
   */
  bfdDown(): void {
    this.#dispatch({ type: 'bfdDown' });
  }

  /** Add or replace the route for a prefix (accepts text like '198.51.100.7/32'). Throws on invalid input. */
  announce(prefix: Prefix | string, attributes: RouteAttributes): void {
    const p = typeof prefix === 'string' ? parsePrefix(prefix) : prefix;
    const issues = routeIssues(p, attributes);
    if (issues.length > 0)
      throw new PeerConfigError(issues.map((i) => ({ ...i, path: `${formatPrefix(p)}.${i.path}` })));
    this.#machine.announce(p, attributes);
    this.#schedulePump();
  }

  /**
   * With `deferEndOfRib`: every route of the initial table has been announced, so End-of-RIB may follow them
   * (at once when the session is Established, else after the table when it comes up). Idempotent.
   */
  initialTableLoaded(): void {
    this.#machine.initialTableLoaded();
    this.#schedulePump();
  }

  /** Withdraw a prefix; returns false if it was not announced. */
  withdraw(prefix: Prefix | string): boolean {
    const p = typeof prefix === 'string' ? parsePrefix(prefix) : prefix;
    const removed = this.#machine.withdraw(p);
    if (removed) this.#schedulePump();
    return removed;
  }

  /** The routes in the Adj-RIB-Out. */
  announced(): { prefix: Prefix; attributes: RouteAttributes }[] {
    return this.#machine.routes();
  }

  negotiated(): NegotiatedSession | undefined {
    return this.#machine.state === 'Established' ? this.#machine.negotiated : undefined;
  }

  /** Ask the peer to re-send its routes for a family (RFC 2918), if it supports route refresh. */
  requestRouteRefresh(afi: Afi): boolean {
    const actions = this.#machine.requestRouteRefresh(afi);
    this.#execute(actions);
    return actions.length > 0;
  }

  counters(): SessionCounters {
    const m = this.#machine;
    const stats = m.stats;
    const since = m.establishedAt;
    return {
      state: m.state,
      messagesIn: { ...stats.messagesIn },
      messagesOut: { ...stats.messagesOut },
      updatesIn: stats.updatesIn,
      updatesOut: stats.updatesOut,
      prefixesAdvertised: { ipv4: m.advertisedCount('ipv4'), ipv6: m.advertisedCount('ipv6') },
      prefixesReceived: { ipv4: m.receivedCount('ipv4'), ipv6: m.receivedCount('ipv6') },
      prefixesBlocked: { ipv4: m.blockedCount('ipv4'), ipv6: m.blockedCount('ipv6') },
      prefixLimitReached: stats.prefixLimitReached,
      asPathLoops: stats.asPathLoops,
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
      ...(since !== undefined ? { establishedSince: since } : {}),
      uptimeMs: since !== undefined ? this.#clock.now() - since : 0,
      flaps: stats.flaps,
      establishedTransitions: stats.establishedTransitions,
      connectFailures: { ...this.#connectFailures },
    };
  }

  /**
   * Hand an accepted socket to this session (used by BgpSpeaker). Applies the session's socket rules first:
   * a SYN that arrived below the minimum TTL refuses the connection before BGP sees a byte; then the TTL,
   * minimum TTL and device of this session replace the listener's. Returns false if it was refused.
   */
  acceptConnection(socket: Socket): boolean {
    const refusal = this.#admit(socket);
    if (refusal !== undefined) {
      // Not logged here: anyone on the peer's path can send such SYNs; the BgpSpeaker logs rate-limited.
      const remoteAddress = unmapAddress(socket.remoteAddress);
      this.#recordError({ direction: 'local', message: `incoming connection refused: ${refusal.reason}` });
      this.emit('connectionRefused', { remoteAddress, ...refusal });
      socket.destroy();
      return false;
    }
    return this.acceptTransport(socketTransport(socket, this.config.tcpKeepaliveTime));
  }

  /** Why an accepted socket must be refused, or undefined after its per-session options were set. */
  #admit(socket: Socket): { code: ConnectionRefusalCode; reason: string } | undefined {
    const t = this.config.transport;
    if (!needsNativeSockets(t) || !this.#sockets.support().ok) return undefined;
    try {
      if (t.minTtl !== undefined) {
        const ttl = this.#sockets.receivedSynTtl(socket);
        if (ttl !== undefined && ttl < t.minTtl)
          return {
            code: 'ttl-below-minimum',
            reason: `its SYN arrived with TTL ${ttl}, below the ${t.minTtl} that ttlSecurity (GTSM) requires: the router is not directly connected, or does not send TTL 255`,
          };
      }
      this.#sockets.configureAccepted(socket, {
        ...(t.ttl !== undefined ? { ttl: t.ttl } : {}),
        ...(t.minTtl !== undefined ? { minTtl: t.minTtl } : {}),
        ...(t.device !== undefined ? { device: t.device } : {}),
      });
    } catch (err) {
      return {
        code: 'socket-options',
        reason: `cannot apply this session's socket options: ${(err as Error).message}`,
      };
    }
    return undefined;
  }

  /** Transport-level variant of acceptConnection (tests, custom listeners). */
  acceptTransport(transport: BgpTransport): boolean {
    let accepted: { connection: ConnectionId; actions: PeerAction[] };
    try {
      accepted = this.#machine.accept(transport.info, this.#clock.now());
    } catch (err) {
      this.#machineFailed(err, 'accept');
      transport.destroy();
      return false;
    }
    this.#link(accepted.connection, transport);
    this.#execute(accepted.actions);
    return !accepted.actions.some((a) => a.type === 'connectionRefused');
  }

  #link(id: ConnectionId, transport: BgpTransport): void {
    const link: Link = { transport, writable: true, closedWaiters: [] };
    this.#links.set(id, link);
    const open = () => this.#links.get(id) === link;
    transport.attach({
      data: (chunk) => {
        if (open()) this.#dispatch({ type: 'bytesReceived', connection: id, data: chunk });
      },
      drain: () => {
        if (!open()) return;
        link.writable = true;
        this.#pump();
      },
      closed: (reason) => {
        const wasOpen = open();
        if (wasOpen) this.#links.delete(id);
        for (const resolve of link.closedWaiters.splice(0)) resolve();
        if (wasOpen) this.#dispatch({ type: 'tcpClosed', connection: id, reason });
      },
    });
  }

  #dispatch(event: PeerEventBody): void {
    let actions: PeerAction[];
    try {
      actions = this.#machine.handle({ ...event, now: this.#clock.now() });
    } catch (err) {
      // A bug, not a protocol error: contain it to the connection it happened on.
      this.#machineFailed(err, event.type);
      const id = 'connection' in event ? event.connection : undefined;
      if (id !== undefined) this.#links.get(id)?.transport.destroy();
      return;
    }
    this.#execute(actions);
  }

  #machineFailed(err: unknown, input: string): void {
    const message = err instanceof Error ? err.message : String(err);
    this.#logger.error({ peer: this.name, err: message, event: input }, 'BGP session machine failed');
    this.#recordError({ direction: 'local', message: `internal error: ${message}` });
  }

  #execute(actions: readonly PeerAction[]): void {
    for (const action of actions) {
      try {
        this.#perform(action);
      } catch (err) {
        this.#logger.error(
          { peer: this.name, err: (err as Error).message, action: action.type },
          'BGP action failed',
        );
      }
    }
  }

  #perform(action: PeerAction): void {
    switch (action.type) {
      case 'send': {
        // Control messages bypass the backpressure gate: they are small and must not wait behind bulk UPDATEs
        // (which are only generated while the socket is writable, so the socket buffer stays short).
        const link = this.#links.get(action.connection);
        if (link && !link.transport.write(action.data)) link.writable = false;
        return;
      }
      case 'connect':
        this.#connect(action.connection);
        return;
      case 'closeConnection':
        this.#close(action.connection);
        return;
      case 'armTimer': {
        const key = timerKey(action.timer, action.connection);
        clearTimeout(this.#timers.get(key));
        const t = setTimeout(() => {
          this.#timers.delete(key);
          this.#dispatch({
            type: 'timerExpired',
            timer: action.timer,
            ...(action.connection !== undefined ? { connection: action.connection } : {}),
          });
        }, action.delayMs);
        this.#timers.set(key, t);
        return;
      }
      case 'cancelTimer': {
        const key = timerKey(action.timer, action.connection);
        clearTimeout(this.#timers.get(key));
        this.#timers.delete(key);
        return;
      }
      case 'stateChange':
        this.#logger.info(
          { peer: this.name, from: action.from, to: action.to, connection: action.direction },
          'BGP state change',
        );
        this.emit('stateChange', { from: action.from, to: action.to });
        return;
      case 'established':
        this.#logger.info({ peer: this.name, ...summarize(action.negotiated) }, 'BGP session established');
        this.emit('established', action.negotiated);
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
        // The report builds its prefix objects when read: only when someone listens (a flood stays bytes).
        if (this.listenerCount('routesReceived') > 0) this.emit('routesReceived', action);
        return;
      case 'prefixLimitReached':
        this.#recordError({
          direction: 'local',
          message: `prefix limit ${action.limit} reached for ${action.afi} (action ${action.action})`,
        });
        this.#logger.warn(
          { peer: this.name, afi: action.afi, limit: action.limit, action: action.action },
          action.action === 'restart'
            ? 'prefix limit exceeded: session reset with Cease / Maximum Number of Prefixes Reached'
            : 'prefix limit reached: further prefixes are ignored (the session stays up)',
        );
        this.emit('prefixLimitReached', { afi: action.afi, limit: action.limit, action: action.action });
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
      case 'connectFailed': {
        const failure =
          action.timedOutAfterMs !== undefined
            ? new ConnectError('timeout', `no answer within ${Math.round(action.timedOutAfterMs / 1000)} s`)
            : (this.#dialFailures.get(action.connection) ?? new ConnectError('other', action.reason));
        this.#dialFailures.delete(action.connection);
        const reason = explainConnectFailure(failure.kind, failure.message, this.config);
        this.#connectFailures[failure.kind]++;
        this.#recordError({ direction: 'local', message: reason });
        this.#logger.info({ peer: this.name, kind: failure.kind, reason }, 'BGP connect failed');
        this.emit('connectFailed', { kind: failure.kind, reason });
        return;
      }
      case 'protocolError':
        this.#logger.warn(
          {
            peer: this.name,
            code: action.error.code,
            subcode: action.error.subcode,
            err: action.error.message,
          },
          action.reason,
        );
        if (this.listenerCount('error') > 0) this.emit('error', action.error);
        return;
      case 'error':
        if (this.listenerCount('error') > 0) this.emit('error', action.error);
        return;
      case 'connectionRefused':
        // Not logged here: a refusal is something a remote party triggers at will; the BgpSpeaker that
        // accepted the connection counts it and logs at a limited rate.
        this.emit('connectionRefused', {
          remoteAddress: action.remoteAddress,
          code: action.code,
          reason: action.reason,
        });
        return;
      case 'collisionResolved':
        this.#logger.info(
          {
            peer: this.name,
            localId: action.localRouterId,
            peerRouterId: action.peerRouterId,
            kept: action.kept,
          },
          'BGP connection collision resolved',
        );
        return;
      case 'closed':
        this.#logger.info(
          { peer: this.name, reason: action.reason, connection: action.direction },
          'BGP session closed',
        );
        this.emit('closed', { reason: action.reason, wasEstablished: action.wasEstablished });
        return;
    }
  }

  #connect(id: ConnectionId): void {
    const dial = new AbortController();
    this.#dials.set(id, dial);
    this.#connectFn(this.config, dial.signal).then(
      (transport) => {
        this.#dials.delete(id);
        if (dial.signal.aborted) {
          transport.destroy();
          return;
        }
        // The machine decides whether the attempt still matters; it answers a stale one with closeConnection.
        this.#link(id, transport);
        this.#dispatch({ type: 'tcpConnected', connection: id, transport: transport.info });
      },
      (err: Error) => {
        this.#dials.delete(id);
        if (dial.signal.aborted) return;
        const failure = err instanceof ConnectError ? err : new ConnectError('other', err.message);
        this.#dialFailures.set(id, failure);
        this.#dispatch({ type: 'tcpConnectFailed', connection: id, reason: failure.message });
        this.#dialFailures.delete(id); // ignored by the machine: the attempt no longer mattered
      },
    );
  }

  /** Flush what was queued (a NOTIFICATION) and close; the machine has already forgotten the connection. */
  #close(id: ConnectionId): void {
    this.#dials.get(id)?.abort(); // an attempt still in flight: its socket is destroyed
    this.#dials.delete(id);
    for (const timer of ['HoldTimer', 'KeepaliveTimer'] as const) {
      const key = timerKey(timer, id);
      clearTimeout(this.#timers.get(key));
      this.#timers.delete(key);
    }
    const link = this.#links.get(id);
    if (!link) return;
    this.#links.delete(id);
    link.transport.end();
    if (link.closedWaiters.length > 0)
      setTimeout(() => {
        for (const resolve of link.closedWaiters.splice(0)) resolve();
      }, CLOSE_WAIT_MS).unref();
  }

  #schedulePump(): void {
    if (this.#pumpScheduled || !this.#machine.hasPendingUpdates()) return;
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
    const id = this.#machine.establishedConnection;
    const link = id === undefined ? undefined : this.#links.get(id);
    if (!link) return;
    while (link.writable && this.#links.get(id!) === link) {
      let message: Buffer | undefined;
      try {
        message = this.#machine.nextUpdate();
      } catch (err) {
        this.#logger.error({ peer: this.name, err: (err as Error).message }, 'UPDATE generation failed');
        return;
      }
      if (!message) return;
      if (!link.transport.write(message)) link.writable = false;
    }
  }

  #recordError(e: Omit<LastError, 'at'>): void {
    this.#lastError = { at: this.#clock.now(), ...e };
  }
}

/**
 * validateRoute, once per attributes object and family: a speaker hands the same attributes object for every
 * route of an advertisement, and validation parses the next hop and every community (10,000 routes × 3
 * sessions would repeat that 30,000 times at start-up). Attributes are immutable values (readonly fields).
 */
const validated = new WeakMap<RouteAttributes, { ipv4?: ConfigIssue[]; ipv6?: ConfigIssue[] }>();

function routeIssues(prefix: Prefix, attributes: RouteAttributes): ConfigIssue[] {
  let byFamily = validated.get(attributes);
  if (!byFamily) {
    byFamily = {};
    validated.set(attributes, byFamily);
  }
  byFamily[prefix.afi] ??= validateRoute(prefix, attributes);
  return byFamily[prefix.afi]!;
}

function timerKey(timer: TimerName, connection: ConnectionId | undefined): string {
  return connection === undefined ? timer : `${timer}#${connection}`;
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
