/**
 * One BGP peer (RFC 4271 §8), sans-I/O: `handle(event)` and `accept(transport, now)` return actions; the
 * machine never touches a socket or a timer, never reads a clock (`now` comes with each input) and never logs
 * (what a log line needs travels in an action). It owns everything the peer's behaviour depends on:
 *  - up to two connections, one we initiated and one the peer initiated, and the RFC 4271 §6.8 collision
 *    between them (decisions in collision.ts);
 *  - the Adj-RIB-Out, from which the driver pulls UPDATEs while the socket is writable, and the Adj-RIB-In,
 *    which only counts the peer's prefixes (rib/adj-rib-in.ts) and enforces the RFC 4486 prefix limit;
 *  - the damped reconnect backoff (§8.1.1 DampPeerOscillations).
 * Protocol errors become NOTIFICATIONs and a connection reset, never exceptions.
 *
 * Simplifications from §8.2.2, chosen deliberately:
 *  - Failures after the TCP connection is up go to Idle and arm IdleHoldTimer with the damped backoff instead
 *    of going straight to Active, so a misbehaving peer is never hammered. The failure streak only ends after
 *    a session stayed Established for `stableMs`.
 *  - Idle, Connect and Active are states of the peer while no connection has reached OpenSent; once one has,
 *    the peer's state is that of its most advanced connection.
 */
import { Backoff } from '@herald/inet';
import type { ResolvedPeerConfig } from '../config.ts';
import { BgpError, CeaseSubcode, ErrorCode, FsmSubcode } from '../errors.ts';
import { AdjRibIn } from '../rib/adj-rib-in.ts';
import { AdjRibOut } from '../rib/adj-rib-out.ts';
import type { Afi, Prefix, ReceivedAttributes, RouteAttributes, SessionState } from '../types.ts';
import { MessageFramer } from '../wire/header.ts';
import { encodeKeepalive } from '../wire/keepalive.ts';
import { decodeMessage } from '../wire/message.ts';
import {
  type BgpMessage,
  type CodecContext,
  MAX_MESSAGE_SIZE,
  type MessageTypeName,
  type OpenMessage,
  type UpdateMessage,
} from '../wire/messages.ts';
import { lazyRoutes, type NlriRun } from '../wire/nlri.ts';
import {
  describeNotification,
  encodeNotification,
  encodeShutdownCommunication,
} from '../wire/notification.ts';
import { encodeOpen } from '../wire/open.ts';
import { AFI_CODE, encodeRouteRefresh, SAFI_UNICAST } from '../wire/route-refresh.ts';
import { Writer } from '../wire/writer.ts';
import { admitIncoming, survivingDirection } from './collision.ts';
import type {
  ConnectionId,
  Direction,
  NegotiatedSession,
  PeerAction,
  PeerEvent,
  StopNotification,
  TimerName,
  TransportInfo,
} from './events.ts';
import { chooseRouterId, negotiate } from './open-policy.ts';

/**
 * RFC 4271 §8.2.2: "large value" for the HoldTimer while waiting for the peer's OPEN on a connection we
 * initiated. An incoming connection gets the peer's `incomingOpenHoldTime` instead (config.ts).
 */
export const OPEN_HOLD_TIME_MS = 240_000;
/** Consecutive prefix-limit resets double the restart wait up to this factor (BIRD's error wait time idea). */
const PREFIX_LIMIT_DAMPING_MAX_FACTOR = 16;
/** How long a TCP connect attempt may take before it is abandoned and retried with backoff. */
export const CONNECT_TIMEOUT_MS = 30_000;

/** Message and session statistics of the peer, across all its connections. */
export interface PeerStats {
  readonly messagesIn: Record<MessageTypeName, number>;
  readonly messagesOut: Record<MessageTypeName, number>;
  updatesIn: number;
  updatesOut: number;
  prefixesOutAnnounced: number;
  prefixesOutWithdrawn: number;
  /** Times a connection reached Established. */
  establishedTransitions: number;
  /** Times the session left Established. */
  flaps: number;
  /** Times a prefix limit was reached (a `restart` limit ended the session; a `block` one started refusing). */
  prefixLimitReached: number;
  /** UPDATEs whose routes were dropped because their AS_PATH holds our own AS (a loop, RFC 4271 §9.1.2). */
  asPathLoops: number;
}

function emptyStats(): PeerStats {
  const counts = () => ({ open: 0, update: 0, notification: 0, keepalive: 0, 'route-refresh': 0 });
  return {
    messagesIn: counts(),
    messagesOut: counts(),
    updatesIn: 0,
    updatesOut: 0,
    prefixesOutAnnounced: 0,
    prefixesOutWithdrawn: 0,
    establishedTransitions: 0,
    flaps: 0,
    prefixLimitReached: 0,
    asPathLoops: 0,
  };
}

export interface PeerMachineOptions {
  readonly config: ResolvedPeerConfig;
  /** Uniform [0,1) source for the backoff jitter; default Math.random. */
  readonly random?: () => number;
}

/** A connection that reached OpenSent (TCP up, our OPEN sent). */
interface Connection {
  readonly id: ConnectionId;
  readonly direction: Direction;
  state: 'OpenSent' | 'OpenConfirm' | 'Established';
  readonly framer: MessageFramer;
  readonly localRouterId: string;
  negotiated?: NegotiatedSession;
  ctx: CodecContext;
  establishedAt?: number;
}

const MESSAGE_NAMES: Readonly<Record<BgpMessage['type'], MessageTypeName>> = {
  open: 'open',
  update: 'update',
  notification: 'notification',
  keepalive: 'keepalive',
  'route-refresh': 'route-refresh',
};

const STATE_RANK: Readonly<Record<Connection['state'], number>> = {
  OpenSent: 1,
  OpenConfirm: 2,
  Established: 3,
};

export class PeerMachine {
  readonly #config: ResolvedPeerConfig;
  readonly #backoff: Backoff;
  readonly #ribOut = new AdjRibOut();
  readonly #ribIn: AdjRibIn;
  /** Sessions in a row ended by a `restart` prefix limit; ends like the backoff's streak (stableMs). */
  #prefixLimitStreak = 0;
  readonly stats: PeerStats = emptyStats();
  /** Set the graceful-restart R bit in our OPENs until the first Established (RFC 4724 §4.1). */
  #restarting: boolean;
  /** ManualStart seen and no ManualStop since: failures lead to an automatic restart. */
  #adminUp = false;
  /** The peer's state while no connection has reached OpenSent. */
  #phase: 'Idle' | 'Connect' | 'Active' = 'Idle';
  /** The outgoing connect attempt in flight (phase Connect). */
  #dialing: ConnectionId | undefined;
  #outgoing: Connection | undefined;
  #incoming: Connection | undefined;
  #nextId: ConnectionId = 1;
  #state: SessionState = 'Idle';
  #now = 0;
  #out: PeerAction[] = [];

  constructor(options: PeerMachineOptions) {
    this.#config = options.config;
    this.#backoff = new Backoff(options.config.backoff, options.random ?? Math.random);
    this.#restarting = options.config.gracefulRestart?.restarting ?? false;
    this.#ribIn = new AdjRibIn(options.config.maxPrefixes);
    if (options.config.deferEndOfRib) this.#ribOut.deferEndOfRib();
  }

  get state(): SessionState {
    return this.#state;
  }

  /** What the most advanced connection negotiated (from OpenConfirm on). */
  get negotiated(): NegotiatedSession | undefined {
    return this.#lead()?.negotiated;
  }

  get localRouterId(): string | undefined {
    return this.#lead()?.localRouterId;
  }

  /** The connection in Established, which the driver writes bulk UPDATEs to. */
  get establishedConnection(): ConnectionId | undefined {
    const lead = this.#lead();
    return lead?.state === 'Established' ? lead.id : undefined;
  }

  /** `now` of the input that brought the session to Established, while it is. */
  get establishedAt(): number | undefined {
    const lead = this.#lead();
    return lead?.state === 'Established' ? lead.establishedAt : undefined;
  }

  /** Prefixes the peer currently advertises in `afi` (the Adj-RIB-In keeps no attributes, only these). */
  receivedCount(afi: Afi): number {
    return this.#ribIn.count(afi);
  }

  /** Prefixes a `block` prefix limit refused in `afi` during the current session. */
  blockedCount(afi: Afi): number {
    return this.#ribIn.blocked(afi);
  }

  // ---------------------------------------------------------------- Adj-RIB-Out

  /** Add or replace the route for a prefix (validated by the caller); sent once Established. */
  announce(prefix: Prefix, attributes: RouteAttributes): void {
    this.#ribOut.announce(prefix, attributes);
  }

  /** Withdraw a prefix; false if it was not announced. */
  withdraw(prefix: Prefix): boolean {
    return this.#ribOut.withdraw(prefix);
  }

  routes(): { prefix: Prefix; attributes: RouteAttributes }[] {
    return this.#ribOut.routes();
  }

  /** Prefixes on the wire to the current session. */
  advertisedCount(afi: Afi): number {
    return this.#ribOut.advertisedCount(afi);
  }

  /** With deferEndOfRib: the initial table is loaded, End-of-RIB may be sent after it. */
  initialTableLoaded(): void {
    this.#ribOut.initialTableLoaded();
  }

  /** Next bulk UPDATE for the Established connection, generated lazily; undefined when nothing is pending. */
  nextUpdate(): Buffer | undefined {
    if (this.#state !== 'Established') return undefined;
    const update = this.#ribOut.nextUpdate();
    if (!update) return undefined;
    this.stats.messagesOut.update++;
    this.stats.updatesOut++;
    this.stats.prefixesOutAnnounced += update.announced;
    this.stats.prefixesOutWithdrawn += update.withdrawn;
    return update.message;
  }

  hasPendingUpdates(): boolean {
    return this.#state === 'Established' && this.#ribOut.hasPending();
  }

  /** Ask the peer to re-send its Adj-RIB-Out for a family (RFC 2918). */
  requestRouteRefresh(afi: Afi): PeerAction[] {
    this.#out = [];
    const lead = this.#lead();
    const n = lead?.negotiated;
    if (lead?.state === 'Established' && n?.routeRefresh && n.families.includes(afi)) {
      this.#send(lead, encodeRouteRefresh(afi), 'route-refresh');
    }
    return this.#out;
  }

  // ---------------------------------------------------------------- inputs

  handle(event: PeerEvent): PeerAction[] {
    this.#out = [];
    this.#now = event.now;
    switch (event.type) {
      case 'manualStart':
        this.#manualStart();
        break;
      case 'manualStop':
        this.#manualStop(event.notification);
        break;
      case 'bfdDown':
        this.#bfdDown();
        break;
      case 'tcpConnected':
        this.#tcpConnected(event.connection, event.transport);
        break;
      case 'tcpConnectFailed':
        this.#connectFailed(event.connection, event.reason);
        break;
      case 'tcpClosed':
        this.#tcpClosed(event.connection, event.reason);
        break;
      case 'bytesReceived':
        this.#bytesReceived(event.connection, event.data);
        break;
      case 'timerExpired':
        this.#timerExpired(event.timer, event.connection);
        break;
    }
    return this.#out;
  }

  /**
   * The peer opened a TCP connection to us. The machine numbers it; the actions either start the session on
   * it (OPEN) or refuse it (Cease NOTIFICATION, close, `connectionRefused`).
   */
  accept(transport: TransportInfo, now: number): { connection: ConnectionId; actions: PeerAction[] } {
    this.#out = [];
    this.#now = now;
    const id = this.#nextId++;
    const admission = admitIncoming({
      started: this.#adminUp,
      outgoing: this.#outgoing?.state,
      incoming: this.#incoming?.state,
    });
    switch (admission.kind) {
      case 'refuse':
        // Not a session of ours yet: the NOTIFICATION is the whole conversation, outside the statistics.
        this.#out.push(
          {
            type: 'send',
            connection: id,
            data: encodeNotification(ErrorCode.Cease, admission.subcode),
            messageType: 'notification',
          },
          { type: 'closeConnection', connection: id },
          {
            type: 'connectionRefused',
            connection: id,
            remoteAddress: transport.remoteAddress,
            code: admission.code,
            reason: admission.reason,
          },
        );
        return { connection: id, actions: this.#out };
      case 'replace-incoming': {
        // Open the new one first, so the peer's state never passes through Idle in between.
        const old = this.#incoming!;
        this.#incoming = undefined;
        this.#open(id, 'incoming', transport);
        this.#fail(
          old,
          new BgpError(ErrorCode.Cease, CeaseSubcode.ConnectionCollisionResolution),
          'replaced by a newer connection from the peer',
          false,
        );
        return { connection: id, actions: this.#out };
      }
      case 'adopt':
        this.#leavePhase();
        break;
      case 'adopt-alongside':
        break;
    }
    this.#open(id, 'incoming', transport);
    return { connection: id, actions: this.#out };
  }

  // ---------------------------------------------------------------- transitions

  #manualStart(): void {
    if (this.#state !== 'Idle') return;
    this.#adminUp = true;
    this.#cancel('IdleHoldTimer');
    this.#automaticStart();
  }

  #automaticStart(): void {
    if (this.#config.passive) {
      // Passive: wait in Active for the peer to connect; no ConnectRetryTimer (§8.2.1.1 PassiveTcpEstablishment).
      this.#enterPhase('Active');
      return;
    }
    const id = this.#nextId++;
    this.#dialing = id;
    this.#enterPhase('Connect');
    this.#arm('ConnectRetryTimer', this.#connectTimeoutMs());
    this.#out.push({ type: 'connect', connection: id });
  }

  #connectTimeoutMs(): number {
    return Math.min(CONNECT_TIMEOUT_MS, this.#config.connectRetryTime * 1000);
  }

  #manualStop(notification: StopNotification | undefined): void {
    this.#adminUp = false;
    for (const t of ['ConnectRetryTimer', 'IdleHoldTimer'] as const) this.#cancel(t);
    this.#abandonDial();
    for (const conn of this.#connections()) {
      const n = notification ?? { subcode: CeaseSubcode.AdministrativeShutdown };
      if (n !== false) {
        const data =
          n.communication !== undefined ? encodeShutdownCommunication(n.communication) : Buffer.alloc(0);
        this.#sendNotification(conn, new BgpError(ErrorCode.Cease, n.subcode, data));
      }
      this.#down(conn, 'administrative stop', { restart: false });
    }
    this.#enterPhase('Idle');
  }

  /**
   * RFC 9384: the BFD session protecting the peer went down, so its forwarding path is gone. Each connection
   * is told why (Cease / BFD Down) and closed; the last one arms the damped automatic restart, as any other
   * failure does. A connect attempt in flight is left alone: it fails or succeeds on its own, and a session
   * that comes up again is what the operator wants once the path is back.
   */
  #bfdDown(): void {
    for (const conn of this.#connections()) {
      this.#sendNotification(conn, new BgpError(ErrorCode.Cease, CeaseSubcode.BfdDown));
      this.#down(conn, 'BFD Down', { restart: true });
    }
  }

  /** A connection is about to be used: leave Idle-damped, Connect or Active. */
  #leavePhase(): void {
    if (this.#phase === 'Idle') this.#cancel('IdleHoldTimer');
    else this.#cancel('ConnectRetryTimer');
    // §8.2.2 Connect state: the peer's connection wins over our attempt still in flight.
    this.#abandonDial();
  }

  #abandonDial(): void {
    if (this.#dialing === undefined) return;
    this.#out.push({ type: 'closeConnection', connection: this.#dialing });
    this.#dialing = undefined;
  }

  #tcpConnected(id: ConnectionId, transport: TransportInfo): void {
    if (id !== this.#dialing) {
      // An attempt we abandoned (timeout, the peer's connection won, stop) completed after all.
      this.#out.push({ type: 'closeConnection', connection: id });
      return;
    }
    this.#dialing = undefined;
    this.#cancel('ConnectRetryTimer');
    this.#open(id, 'outgoing', transport);
  }

  /** TCP is up: send our OPEN and wait for the peer's (OpenSent). */
  #open(id: ConnectionId, direction: Direction, transport: TransportInfo): void {
    const conn: Connection = {
      id,
      direction,
      state: 'OpenSent',
      framer: new MessageFramer(MAX_MESSAGE_SIZE),
      localRouterId: chooseRouterId(this.#config.routerId, transport.localAddress),
      ctx: { fourOctetAsn: true, maxMessageSize: MAX_MESSAGE_SIZE, ebgp: true },
    };
    if (direction === 'outgoing') this.#outgoing = conn;
    else this.#incoming = conn;
    const config = this.#config;
    const families = config.families;
    this.#send(
      conn,
      encodeOpen({
        asn: config.localAsn,
        holdTime: config.holdTime,
        bgpIdentifier: conn.localRouterId,
        capabilities: {
          families,
          asn: config.localAsn,
          extendedMessages: config.extendedMessages,
          ...(config.gracefulRestart
            ? {
                gracefulRestart: {
                  restarting: this.#restarting,
                  restartTime: config.gracefulRestart.restartTime,
                  families,
                },
              }
            : {}),
        },
      }),
      'open',
    );
    // A peer that connects to us sends its OPEN at once; a silent incoming connection only holds a slot.
    const openHold = direction === 'incoming' ? this.#config.incomingOpenHoldTime * 1000 : OPEN_HOLD_TIME_MS;
    this.#arm('HoldTimer', openHold, conn);
    this.#syncState(direction);
  }

  #connectFailed(id: ConnectionId, reason: string): void {
    if (id !== this.#dialing) return;
    this.#dialing = undefined;
    this.#cancel('ConnectRetryTimer');
    this.#out.push({ type: 'connectFailed', connection: id, reason });
    this.#enterPhase('Active');
    this.#arm('ConnectRetryTimer', this.#backoff.next());
  }

  #tcpClosed(id: ConnectionId, reason: string): void {
    const conn = this.#find(id);
    if (!conn) return;
    this.#out.push({ type: 'error', error: new Error(`connection closed by peer or network: ${reason}`) });
    this.#down(conn, `connection closed: ${reason}`, { restart: true, alreadyClosed: true });
  }

  #timerExpired(timer: TimerName, id: ConnectionId | undefined): void {
    switch (timer) {
      case 'ConnectRetryTimer':
        if (this.#hasConnections()) return;
        if (this.#phase === 'Connect') {
          // The connect attempt took too long (no answer to the SYN): report it, abandon it and back off.
          if (this.#dialing !== undefined)
            this.#out.push({
              type: 'connectFailed',
              connection: this.#dialing,
              reason: 'connect timed out',
              timedOutAfterMs: this.#connectTimeoutMs(),
            });
          this.#abandonDial();
          this.#enterPhase('Active');
          this.#arm('ConnectRetryTimer', this.#backoff.next());
        } else if (this.#phase === 'Active' && !this.#config.passive) {
          this.#automaticStart();
        }
        return;
      case 'IdleHoldTimer':
        if (this.#phase === 'Idle' && this.#adminUp && !this.#hasConnections()) this.#automaticStart();
        return;
      case 'HoldTimer': {
        const conn = id === undefined ? undefined : this.#find(id);
        if (conn) this.#fail(conn, new BgpError(ErrorCode.HoldTimerExpired, 0), 'hold timer expired', true);
        return;
      }
      case 'KeepaliveTimer': {
        const conn = id === undefined ? undefined : this.#find(id);
        if (conn && conn.state !== 'OpenSent' && conn.negotiated) {
          this.#send(conn, encodeKeepalive(), 'keepalive');
          if (conn.negotiated.keepaliveTime > 0)
            this.#arm('KeepaliveTimer', conn.negotiated.keepaliveTime * 1000, conn);
        }
        return;
      }
    }
  }

  #bytesReceived(id: ConnectionId, data: Buffer): void {
    const conn = this.#find(id);
    if (!conn) return;
    conn.framer.push(data);
    // Stop as soon as the connection went down: later bytes on a dead connection mean nothing.
    while (this.#find(id) === conn) {
      const next = conn.framer.next();
      if (next === undefined) return;
      if (!next.ok) {
        this.#fail(conn, next.error, 'bad message header', true);
        return;
      }
      const decoded = decodeMessage(next.value.message, next.value.header.type, conn.ctx);
      if (!decoded.ok) {
        this.#fail(conn, decoded.error, 'malformed message', true);
        return;
      }
      const message = decoded.value;
      this.stats.messagesIn[MESSAGE_NAMES[message.type]]++;
      this.#onMessage(conn, message);
    }
  }

  #onMessage(conn: Connection, message: BgpMessage): void {
    if (message.type === 'notification') {
      const info = describeNotification(message.code, message.subcode, message.data);
      this.#out.push({ type: 'notificationReceived', connection: conn.id, notification: info });
      this.#down(conn, `NOTIFICATION received: ${info.codeName} / ${info.subcodeName}`, { restart: true });
      return;
    }
    const fsmError = (subcode: number) =>
      this.#fail(
        conn,
        new BgpError(ErrorCode.FiniteStateMachine, subcode),
        `unexpected ${message.type} in ${conn.state}`,
        true,
      );
    switch (conn.state) {
      case 'OpenSent':
        if (message.type !== 'open') fsmError(FsmSubcode.UnexpectedMessageInOpenSent);
        else this.#onOpen(conn, message);
        return;
      case 'OpenConfirm':
        if (message.type !== 'keepalive') {
          fsmError(FsmSubcode.UnexpectedMessageInOpenConfirm);
          return;
        }
        this.#restartHoldTimer(conn);
        this.#established(conn);
        return;
      case 'Established':
        this.#restartHoldTimer(conn);
        if (message.type === 'open') fsmError(FsmSubcode.UnexpectedMessageInEstablished);
        else if (message.type === 'update') this.#onUpdate(conn, message);
        else if (message.type === 'route-refresh') {
          // Unknown AFI/SAFI in ROUTE-REFRESH is ignored (RFC 2918 §4).
          if (message.afi && conn.negotiated?.families.includes(message.afi) && message.subtype === 0) {
            this.#ribOut.refresh(message.afi);
            this.#out.push({ type: 'updatesPending' });
          }
        }
        return;
    }
  }

  #onOpen(conn: Connection, open: OpenMessage): void {
    const result = negotiate(open, { config: this.#config, localRouterId: conn.localRouterId });
    if (result instanceof BgpError) {
      this.#fail(conn, result, 'OPEN rejected', true);
      return;
    }
    // §6.8: now that the peer's BGP Identifier is known, at most one of two connections may go on. An
    // Established one always stays; otherwise the one initiated by the higher identifier does.
    const other = this.#other(conn);
    let loser: Connection | undefined;
    if (other) {
      const kept =
        other.state === 'Established'
          ? other.direction
          : survivingDirection(
              { routerId: conn.localRouterId, asn: this.#config.localAsn },
              { routerId: result.peerRouterId, asn: result.peerAsn },
            );
      this.#out.push({
        type: 'collisionResolved',
        localRouterId: conn.localRouterId,
        peerRouterId: result.peerRouterId,
        kept,
      });
      loser = kept === conn.direction ? other : conn;
      if (loser === conn) {
        this.#collisionLost(conn);
        return;
      }
    }
    this.#openConfirm(conn, result);
    // The other connection goes only now, so the peer's state does not step back while it is replaced.
    if (loser) this.#collisionLost(loser);
  }

  #collisionLost(conn: Connection): void {
    const cease = new BgpError(ErrorCode.Cease, CeaseSubcode.ConnectionCollisionResolution);
    this.#fail(conn, cease, 'collision lost', false);
  }

  #openConfirm(conn: Connection, result: NegotiatedSession): void {
    conn.negotiated = result;
    conn.ctx = {
      fourOctetAsn: result.fourOctetAsn,
      maxMessageSize: result.maxMessageSize,
      ebgp: result.ebgp,
    };
    conn.framer.maxMessageSize = result.maxMessageSize;
    this.#send(conn, encodeKeepalive(), 'keepalive');
    if (result.holdTime > 0) {
      this.#arm('HoldTimer', result.holdTime * 1000, conn);
      this.#arm('KeepaliveTimer', result.keepaliveTime * 1000, conn);
    } else {
      this.#cancel('HoldTimer', conn);
    }
    if (result.families.length === 0) {
      this.#out.push({
        type: 'error',
        error: new Error(
          `no address family in common with the peer (ours: ${this.#config.families.join(',')})`,
        ),
      });
    }
    conn.state = 'OpenConfirm';
    this.#syncState(conn.direction);
  }

  #restartHoldTimer(conn: Connection): void {
    const hold = conn.negotiated?.holdTime ?? 0;
    if (hold > 0) this.#arm('HoldTimer', hold * 1000, conn);
  }

  #established(conn: Connection): void {
    const n = conn.negotiated!;
    conn.establishedAt = this.#now;
    conn.state = 'Established';
    this.stats.establishedTransitions++;
    this.#syncState(conn.direction);
    this.#out.push({ type: 'established', connection: conn.id, negotiated: n });
    this.#ribOut.sessionUp({
      localAsn: this.#config.localAsn,
      ebgp: n.ebgp,
      fourOctetAsn: n.fourOctetAsn,
      maxMessageSize: n.maxMessageSize,
      families: n.families,
    });
    // The R bit only describes the restart we just completed; later reconnects are ordinary.
    this.#restarting = false;
    this.#out.push({ type: 'updatesPending' });
  }

  #onUpdate(conn: Connection, update: UpdateMessage): void {
    this.stats.updatesIn++;
    const families = conn.negotiated?.families ?? [];
    // The prefixes stay in wire form (nlri.ts): counted one by one, objects only if a report is read.
    let announced = update.announcedNlri;
    let withdrawn = update.withdrawnNlri;
    for (const d of update.discardedAttributes) {
      this.#out.push({ type: 'updateErrorHandled', action: 'attribute-discard', error: d.error });
    }
    if (update.treatAsWithdraw) {
      // RFC 7606 §2: the routes in this UPDATE are withdrawn, the session stays up.
      this.#out.push({
        type: 'updateErrorHandled',
        action: 'treat-as-withdraw',
        error: update.treatAsWithdraw,
      });
      withdrawn = [...withdrawn, ...announced];
      announced = [];
    }
    if (announced.length > 0 && hasAsLoop(update.attributes.asPath, this.#config.localAsn)) {
      // RFC 4271 §9.1.2: a route whose AS_PATH holds our own AS looped back to us and is unusable; FRR and
      // BIRD drop it at import and do not count it against a prefix limit. Routers do echo a speaker's own
      // routes back (FRR advertises them to the peer it learned them from, with our AS in the path), so
      // counting them made 1,000 Services trip the default limit of 1,000. Dropped like a withdrawal: an
      // earlier loop-free version of the prefix is gone too, as the new one replaced it.
      this.stats.asPathLoops++;
      withdrawn = [...withdrawn, ...announced];
      announced = [];
    }
    for (const afi of families) {
      const wd = withdrawn.filter((r) => r.afi === afi);
      const ann = announced.filter((r) => r.afi === afi);
      if (wd.length === 0 && ann.length === 0) continue;
      const change = this.#ribIn.apply(afi, ann, wd);
      this.#out.push(routesReceived(afi, ann, wd, attributesFor(afi, update)));
      if (change.limitReached && this.#prefixLimitReached(conn, afi)) return;
    }
    if (update.endOfRib) this.#out.push({ type: 'endOfRibReceived', afi: update.endOfRib });
  }

  /** RFC 4486: the limit was reached in `afi`. True when the session was ended for it (`restart`). */
  #prefixLimitReached(conn: Connection, afi: Afi): boolean {
    const limit = this.#config.maxPrefixes!;
    this.stats.prefixLimitReached++;
    this.#out.push({ type: 'prefixLimitReached', afi, limit: limit.limit, action: limit.action });
    if (limit.action !== 'restart') return false;
    // RFC 4486 §4: the data field carries AFI, SAFI and the upper bound.
    const data = new Writer(7, false).u16(AFI_CODE[afi]).u8(SAFI_UNICAST).u32(limit.limit).view();
    const error = new BgpError(
      ErrorCode.Cease,
      CeaseSubcode.MaximumPrefixesReached,
      Buffer.from(data),
      `more than ${limit.limit} ${afi} prefixes received`,
    );
    // A damped restart, as routers do (FRR `maximum-prefix … restart`, BIRD `receive limit … action restart`):
    // restartTime, doubled for each consecutive trip, never sooner than the ordinary backoff.
    const factor = Math.min(2 ** this.#prefixLimitStreak, PREFIX_LIMIT_DAMPING_MAX_FACTOR);
    this.#prefixLimitStreak++;
    const delayMs = Math.max(limit.restartTime * 1000 * factor, this.#backoff.next());
    this.#out.push({ type: 'protocolError', connection: conn.id, error, reason: 'prefix limit exceeded' });
    this.#sendNotification(conn, error);
    this.#down(conn, `prefix limit exceeded: ${error.message}`, { restart: true, idleHoldMs: delayMs });
    return true;
  }

  /** A protocol error on our side of the wire: NOTIFICATION, close, damped restart when it was the last. */
  #fail(conn: Connection, error: BgpError, reason: string, restart: boolean): void {
    this.#out.push({ type: 'protocolError', connection: conn.id, error, reason });
    this.#sendNotification(conn, error);
    this.#down(conn, `${reason}: ${error.message}`, { restart });
  }

  #down(
    conn: Connection,
    reason: string,
    opts: { restart: boolean; alreadyClosed?: boolean; idleHoldMs?: number },
  ): void {
    const wasEstablished = conn.state === 'Established';
    for (const t of ['HoldTimer', 'KeepaliveTimer'] as const) this.#cancel(t, conn);
    if (!opts.alreadyClosed) this.#out.push({ type: 'closeConnection', connection: conn.id });
    if (conn === this.#outgoing) this.#outgoing = undefined;
    if (conn === this.#incoming) this.#incoming = undefined;
    if (wasEstablished) {
      this.#ribOut.sessionDown();
      this.#ribIn.clear();
      this.stats.flaps++;
      // DampPeerOscillations: only a session that stayed up for stableMs ends the failure streak.
      if (this.#now - conn.establishedAt! >= this.#config.backoff.stableMs) {
        this.#backoff.reset();
        if (opts.idleHoldMs === undefined) this.#prefixLimitStreak = 0;
      }
    }
    const last = !this.#hasConnections();
    if (last) this.#phase = 'Idle';
    this.#syncState(conn.direction);
    this.#out.push({
      type: 'closed',
      connection: conn.id,
      direction: conn.direction,
      reason,
      wasEstablished,
    });
    if (last && opts.restart && this.#adminUp)
      this.#arm('IdleHoldTimer', opts.idleHoldMs ?? this.#backoff.next());
  }

  // ---------------------------------------------------------------- helpers

  #enterPhase(phase: 'Idle' | 'Connect' | 'Active'): void {
    this.#phase = phase;
    this.#syncState();
  }

  /** Report the peer's state (its most advanced connection, else its phase) when it changed. */
  #syncState(direction?: Direction): void {
    const lead = this.#lead();
    const to: SessionState = lead ? lead.state : this.#phase;
    if (to === this.#state) return;
    const from = this.#state;
    this.#state = to;
    this.#out.push({ type: 'stateChange', from, to, ...(direction ? { direction } : {}) });
  }

  #connections(): Connection[] {
    const out: Connection[] = [];
    if (this.#outgoing) out.push(this.#outgoing);
    if (this.#incoming) out.push(this.#incoming);
    return out;
  }

  #hasConnections(): boolean {
    return this.#outgoing !== undefined || this.#incoming !== undefined;
  }

  /** The most advanced connection (ties: the outgoing one). */
  #lead(): Connection | undefined {
    const a = this.#outgoing;
    const b = this.#incoming;
    if (!a || !b) return a ?? b;
    return STATE_RANK[b.state] > STATE_RANK[a.state] ? b : a;
  }

  #find(id: ConnectionId): Connection | undefined {
    if (this.#outgoing?.id === id) return this.#outgoing;
    if (this.#incoming?.id === id) return this.#incoming;
    return undefined;
  }

  #other(conn: Connection): Connection | undefined {
    return conn === this.#outgoing ? this.#incoming : this.#outgoing;
  }

  #arm(timer: TimerName, delayMs: number, conn?: Connection): void {
    this.#out.push({ type: 'armTimer', timer, delayMs, ...(conn ? { connection: conn.id } : {}) });
  }

  #cancel(timer: TimerName, conn?: Connection): void {
    this.#out.push({ type: 'cancelTimer', timer, ...(conn ? { connection: conn.id } : {}) });
  }

  #send(conn: Connection, data: Buffer, messageType: MessageTypeName): void {
    this.stats.messagesOut[messageType]++;
    this.#out.push({ type: 'send', connection: conn.id, data, messageType });
  }

  #sendNotification(conn: Connection, error: BgpError): void {
    this.#send(conn, encodeNotification(error.code, error.subcode, error.data), 'notification');
    this.#out.push({
      type: 'notificationSent',
      connection: conn.id,
      notification: describeNotification(error.code, error.subcode, error.data),
    });
  }
}

/** The report of one family's prefixes of an UPDATE; the prefix objects are built only when read. */
function routesReceived(
  afi: Afi,
  announcedNlri: readonly NlriRun[],
  withdrawnNlri: readonly NlriRun[],
  attributes: ReceivedAttributes,
): PeerAction {
  return Object.assign(lazyRoutes(announcedNlri, withdrawnNlri), {
    type: 'routesReceived' as const,
    afi,
    attributes,
  });
}

/** Whether our own AS is anywhere in the AS_PATH (AS_SET members included). */
function hasAsLoop(path: ReceivedAttributes['asPath'], localAsn: number): boolean {
  for (const segment of path) if (segment.asns.includes(localAsn)) return true;
  return false;
}

/** IPv4 NLRI use NEXT_HOP; MP_REACH prefixes use the MP_REACH next hop(s). */
function attributesFor(afi: Afi, update: UpdateMessage): ReceivedAttributes {
  const mp = update.mpReach;
  if (mp && mp.afi === afi) {
    return { ...update.attributes, nextHop: mp.nextHop, nextHopLinkLocal: mp.nextHopLinkLocal };
  }
  return update.attributes;
}
