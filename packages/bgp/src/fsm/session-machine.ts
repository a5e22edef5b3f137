/**
 * The RFC 4271 §8 finite state machine for one BGP connection, sans-I/O: `handle(event)` returns actions; it
 * never touches a socket, a timer or the wall clock (time comes from the injected clock, jitter from the
 * injected random source). Protocol errors become NOTIFICATIONs and a session reset, never exceptions.
 *
 * Simplifications from §8.2.2, chosen deliberately:
 *  - Failures after the TCP connection is up go to Idle and arm IdleHoldTimer with the damped backoff
 *    (§8.1.1 DampPeerOscillations) instead of going straight to Active, so a misbehaving peer is never
 *    hammered.
 *  - Collision detection (§6.8) needs two connections, so it lives in the driver: the machine reports
 *    `openReceived` and accepts `collisionLost`.
 */
import type { ResolvedPeerConfig } from '../config.ts';
import { BgpError, CeaseSubcode, ErrorCode, FsmSubcode } from '../errors.ts';
import { formatPrefix } from '../prefix.ts';
import type { AdjRibOut } from '../rib/adj-rib-out.ts';
import type { Afi, Clock, Logger, ReceivedAttributes, ReceivedRoute, SessionState } from '../types.ts';
import { MessageFramer } from '../wire/header.ts';
import { encodeKeepalive } from '../wire/keepalive.ts';
import { decodeMessage } from '../wire/message.ts';
import {
  type BgpMessage,
  type CodecContext,
  MAX_MESSAGE_SIZE,
  type UpdateMessage,
} from '../wire/messages.ts';
import {
  describeNotification,
  encodeNotification,
  encodeShutdownCommunication,
} from '../wire/notification.ts';
import { encodeOpen } from '../wire/open.ts';
import { encodeRouteRefresh } from '../wire/route-refresh.ts';
import { ReconnectBackoff } from './backoff.ts';
import type {
  MessageTypeName,
  NegotiatedSession,
  SessionAction,
  SessionEvent,
  TimerName,
  TransportInfo,
} from './events.ts';
import { chooseRouterId, negotiate } from './open-policy.ts';

/** RFC 4271 §8.2.2: "large value" for the HoldTimer while waiting for the peer's OPEN. */
export const OPEN_HOLD_TIME_MS = 240_000;
/** How long a TCP connect attempt may take before it is abandoned and retried with backoff. */
export const CONNECT_TIMEOUT_MS = 30_000;

/** Message statistics, shared by the machines of one session (collisions replace machines). */
export interface SessionStats {
  messagesIn: Record<MessageTypeName, number>;
  messagesOut: Record<MessageTypeName, number>;
  updatesIn: number;
  updatesOut: number;
  prefixesOutAnnounced: number;
  prefixesOutWithdrawn: number;
}

export function emptyStats(): SessionStats {
  const counts = () => ({ open: 0, update: 0, notification: 0, keepalive: 0, 'route-refresh': 0 });
  return {
    messagesIn: counts(),
    messagesOut: counts(),
    updatesIn: 0,
    updatesOut: 0,
    prefixesOutAnnounced: 0,
    prefixesOutWithdrawn: 0,
  };
}

export interface SessionMachineOptions {
  readonly config: ResolvedPeerConfig;
  readonly ribOut: AdjRibOut;
  readonly clock: Clock;
  /** Uniform [0,1) source for jitter; default Math.random. */
  readonly random?: () => number;
  readonly logger?: Logger;
  /** Shared backoff (so a replacement machine after a collision keeps the damping state). */
  readonly backoff?: ReconnectBackoff;
  readonly stats?: SessionStats;
  /** Set the graceful-restart R bit in our OPEN (only right after a restart). Default from config. */
  readonly restarting?: boolean;
}

const MESSAGE_NAMES: Readonly<Record<BgpMessage['type'], MessageTypeName>> = {
  open: 'open',
  update: 'update',
  notification: 'notification',
  keepalive: 'keepalive',
  'route-refresh': 'route-refresh',
};

export class SessionMachine {
  readonly #config: ResolvedPeerConfig;
  readonly #ribOut: AdjRibOut;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  readonly backoff: ReconnectBackoff;
  readonly stats: SessionStats;
  restarting: boolean;

  #state: SessionState = 'Idle';
  /** ManualStart seen and no ManualStop since: failures lead to an automatic restart. */
  #adminUp = false;
  #transport: TransportInfo | undefined;
  #framer: MessageFramer | undefined;
  #negotiated: NegotiatedSession | undefined;
  #localRouterId: string | undefined;
  #ctx: CodecContext = { fourOctetAsn: true, maxMessageSize: MAX_MESSAGE_SIZE, ebgp: true };
  #establishedAt: number | undefined;
  readonly #ribIn: Record<Afi, Map<string, ReceivedRoute>> = { ipv4: new Map(), ipv6: new Map() };
  #out: SessionAction[] = [];

  constructor(options: SessionMachineOptions) {
    this.#config = options.config;
    this.#ribOut = options.ribOut;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.backoff =
      options.backoff ?? new ReconnectBackoff(options.config.backoff, options.random ?? Math.random);
    this.stats = options.stats ?? emptyStats();
    this.restarting = options.restarting ?? options.config.gracefulRestart?.restarting ?? false;
  }

  get state(): SessionState {
    return this.#state;
  }

  get negotiated(): NegotiatedSession | undefined {
    return this.#negotiated;
  }

  get transport(): TransportInfo | undefined {
    return this.#transport;
  }

  get establishedAt(): number | undefined {
    return this.#establishedAt;
  }

  get localRouterId(): string | undefined {
    return this.#localRouterId;
  }

  /** Adj-RIB-In lite: what the peer currently advertises. */
  receivedRoutes(afi?: Afi): ReceivedRoute[] {
    if (afi) return [...this.#ribIn[afi].values()];
    return [...this.#ribIn.ipv4.values(), ...this.#ribIn.ipv6.values()];
  }

  receivedCount(afi: Afi): number {
    return this.#ribIn[afi].size;
  }

  handle(event: SessionEvent): SessionAction[] {
    this.#out = [];
    switch (event.type) {
      case 'manualStart':
        this.#manualStart();
        break;
      case 'manualStop':
        this.#manualStop(event.notification);
        break;
      case 'tcpConnected':
        this.#tcpConnected(event.transport);
        break;
      case 'tcpConnectFailed':
        this.#connectFailed(event.reason);
        break;
      case 'tcpClosed':
        this.#tcpClosed(event.reason);
        break;
      case 'bytesReceived':
        this.#bytesReceived(event.data);
        break;
      case 'timerExpired':
        this.#timerExpired(event.timer);
        break;
      case 'collisionLost':
        if (this.#connected()) {
          this.#fail(
            new BgpError(ErrorCode.Cease, CeaseSubcode.ConnectionCollisionResolution),
            'collision lost',
            false,
          );
        }
        break;
    }
    return this.#out;
  }

  /** Next bulk UPDATE from the Adj-RIB-Out, lazily generated; undefined when nothing is pending. */
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
  requestRouteRefresh(afi: Afi): SessionAction[] {
    this.#out = [];
    const n = this.#negotiated;
    if (this.#state === 'Established' && n?.routeRefresh && n.families.includes(afi)) {
      this.#send(encodeRouteRefresh(afi), 'route-refresh');
    }
    return this.#out;
  }

  // ---------------------------------------------------------------- transitions

  #setState(to: SessionState): void {
    if (to === this.#state) return;
    const from = this.#state;
    this.#state = to;
    this.#out.push({ type: 'stateChange', from, to });
  }

  #arm(timer: TimerName, delayMs: number): void {
    this.#out.push({ type: 'armTimer', timer, delayMs });
  }

  #cancel(timer: TimerName): void {
    this.#out.push({ type: 'cancelTimer', timer });
  }

  #send(data: Buffer, messageType: MessageTypeName): void {
    this.stats.messagesOut[messageType]++;
    this.#out.push({ type: 'send', data, messageType, priority: 'control' });
  }

  #connected(): boolean {
    return this.#state === 'OpenSent' || this.#state === 'OpenConfirm' || this.#state === 'Established';
  }

  #manualStart(): void {
    if (this.#state !== 'Idle') return;
    this.#adminUp = true;
    this.#cancel('IdleHoldTimer');
    this.#automaticStart();
  }

  #automaticStart(): void {
    if (this.#config.passive) {
      // Passive: wait in Active for the peer to connect; no ConnectRetryTimer (§8.2.1.1 PassiveTcpEstablishment).
      this.#setState('Active');
      return;
    }
    this.#setState('Connect');
    this.#arm('ConnectRetryTimer', Math.min(CONNECT_TIMEOUT_MS, this.#config.connectRetryTime * 1000));
    this.#out.push({ type: 'connect' });
  }

  #manualStop(notification: false | { subcode: number; communication?: string } | undefined): void {
    this.#adminUp = false;
    for (const t of ['ConnectRetryTimer', 'IdleHoldTimer'] as const) this.#cancel(t);
    if (this.#connected()) {
      const n = notification ?? { subcode: CeaseSubcode.AdministrativeShutdown };
      if (n !== false) {
        const data =
          n.communication !== undefined ? encodeShutdownCommunication(n.communication) : Buffer.alloc(0);
        this.#sendNotification(new BgpError(ErrorCode.Cease, n.subcode, data));
      }
      this.#down('administrative stop', { restart: false });
      return;
    }
    if (this.#state === 'Connect') this.#out.push({ type: 'closeConnection' });
    this.#setState('Idle');
  }

  #tcpConnected(transport: TransportInfo): void {
    // Idle while damped (IdleHoldTimer running): an incoming connection costs us nothing, so take it.
    const dampedIdle = this.#state === 'Idle' && this.#adminUp;
    if (dampedIdle) this.#cancel('IdleHoldTimer');
    if (this.#state !== 'Connect' && this.#state !== 'Active' && !dampedIdle) {
      // Only reachable if the driver hands us a second connection; refuse it rather than corrupt state.
      this.#out.push({ type: 'error', error: new Error(`tcpConnected in ${this.#state}`) });
      return;
    }
    this.#cancel('ConnectRetryTimer');
    this.#transport = transport;
    this.#framer = new MessageFramer(MAX_MESSAGE_SIZE);
    this.#localRouterId = chooseRouterId(this.#config.routerId, transport.localAddress);
    const families = this.#config.families;
    this.#send(
      encodeOpen({
        asn: this.#config.localAsn,
        holdTime: this.#config.holdTime,
        bgpIdentifier: this.#localRouterId,
        capabilities: {
          families,
          asn: this.#config.localAsn,
          extendedMessages: this.#config.extendedMessages,
          ...(this.#config.gracefulRestart
            ? {
                gracefulRestart: {
                  restarting: this.restarting,
                  restartTime: this.#config.gracefulRestart.restartTime,
                  families,
                },
              }
            : {}),
        },
      }),
      'open',
    );
    this.#arm('HoldTimer', OPEN_HOLD_TIME_MS);
    this.#setState('OpenSent');
  }

  #connectFailed(reason: string): void {
    if (this.#state !== 'Connect') return;
    this.#cancel('ConnectRetryTimer');
    this.#logger?.debug({ peer: this.#config.name, reason }, 'BGP connect failed');
    this.#setState('Active');
    this.#arm('ConnectRetryTimer', this.backoff.nextDelay());
  }

  #tcpClosed(reason: string): void {
    if (this.#state === 'Connect') {
      this.#connectFailed(reason);
      return;
    }
    if (!this.#connected()) return;
    this.#out.push({ type: 'error', error: new Error(`connection closed by peer or network: ${reason}`) });
    this.#down(`connection closed: ${reason}`, { restart: true, alreadyClosed: true });
  }

  #timerExpired(timer: TimerName): void {
    switch (timer) {
      case 'ConnectRetryTimer':
        if (this.#state === 'Connect') {
          // The connect attempt took too long: abandon it and back off.
          this.#out.push({ type: 'closeConnection' });
          this.#setState('Active');
          this.#arm('ConnectRetryTimer', this.backoff.nextDelay());
        } else if (this.#state === 'Active' && !this.#config.passive) {
          this.#automaticStart();
        }
        return;
      case 'IdleHoldTimer':
        if (this.#state === 'Idle' && this.#adminUp) this.#automaticStart();
        return;
      case 'HoldTimer':
        if (this.#connected()) {
          this.#fail(new BgpError(ErrorCode.HoldTimerExpired, 0), 'hold timer expired', true);
        }
        return;
      case 'KeepaliveTimer':
        if ((this.#state === 'OpenConfirm' || this.#state === 'Established') && this.#negotiated) {
          this.#send(encodeKeepalive(), 'keepalive');
          if (this.#negotiated.keepaliveTime > 0)
            this.#arm('KeepaliveTimer', this.#negotiated.keepaliveTime * 1000);
        }
        return;
    }
  }

  #bytesReceived(data: Buffer): void {
    const framer = this.#framer;
    if (!framer || !this.#connected()) return;
    framer.push(data);
    // Stop as soon as the session went down: later bytes on a dead connection mean nothing.
    while (this.#connected()) {
      const next = framer.next();
      if (next === undefined) return;
      if (!next.ok) {
        this.#fail(next.error, 'bad message header', true);
        return;
      }
      const decoded = decodeMessage(next.value.message, next.value.header.type, this.#ctx);
      if (!decoded.ok) {
        this.#fail(decoded.error, 'malformed message', true);
        return;
      }
      const message = decoded.value;
      this.stats.messagesIn[MESSAGE_NAMES[message.type]]++;
      this.#onMessage(message);
    }
  }

  #onMessage(message: BgpMessage): void {
    if (message.type === 'notification') {
      const info = describeNotification(message.code, message.subcode, message.data);
      this.#out.push({ type: 'notificationReceived', notification: info });
      this.#down(`NOTIFICATION received: ${info.codeName} / ${info.subcodeName}`, { restart: true });
      return;
    }
    const fsmError = (subcode: number) =>
      this.#fail(
        new BgpError(ErrorCode.FiniteStateMachine, subcode),
        `unexpected ${message.type} in ${this.#state}`,
        true,
      );
    switch (this.#state) {
      case 'OpenSent':
        if (message.type !== 'open') {
          fsmError(FsmSubcode.UnexpectedMessageInOpenSent);
          return;
        }
        {
          this.#onOpen(message);
          return;
        }
      case 'OpenConfirm':
        if (message.type !== 'keepalive') {
          fsmError(FsmSubcode.UnexpectedMessageInOpenConfirm);
          return;
        }
        this.#restartHoldTimer();
        {
          this.#established();
          return;
        }
      case 'Established':
        this.#restartHoldTimer();
        if (message.type === 'open') {
          fsmError(FsmSubcode.UnexpectedMessageInEstablished);
          return;
        }
        if (message.type === 'update') {
          this.#onUpdate(message);
          return;
        }
        if (message.type === 'route-refresh') {
          // Unknown AFI/SAFI in ROUTE-REFRESH is ignored (RFC 2918 §4).
          if (message.afi && this.#negotiated?.families.includes(message.afi) && message.subtype === 0) {
            this.#ribOut.refresh(message.afi);
            this.#out.push({ type: 'updatesPending' });
          }
        }
        return;
      default:
        return;
    }
  }

  #onOpen(open: Extract<BgpMessage, { type: 'open' }>): void {
    const result = negotiate(open, { config: this.#config, localRouterId: this.#localRouterId! });
    if (result instanceof BgpError) {
      this.#fail(result, 'OPEN rejected', true);
      return;
    }
    this.#negotiated = result;
    this.#ctx = {
      fourOctetAsn: result.fourOctetAsn,
      maxMessageSize: result.maxMessageSize,
      ebgp: result.ebgp,
    };
    this.#framer!.maxMessageSize = result.maxMessageSize;
    this.#send(encodeKeepalive(), 'keepalive');
    if (result.holdTime > 0) {
      this.#arm('HoldTimer', result.holdTime * 1000);
      this.#arm('KeepaliveTimer', result.keepaliveTime * 1000);
    } else {
      this.#cancel('HoldTimer');
    }
    if (result.families.length === 0) {
      this.#out.push({
        type: 'error',
        error: new Error(
          `no address family in common with the peer (ours: ${this.#config.families.join(',')})`,
        ),
      });
    }
    this.#setState('OpenConfirm');
    this.#out.push({ type: 'openReceived', peerRouterId: result.peerRouterId });
  }

  #restartHoldTimer(): void {
    const hold = this.#negotiated?.holdTime ?? 0;
    if (hold > 0) this.#arm('HoldTimer', hold * 1000);
  }

  #established(): void {
    const n = this.#negotiated!;
    this.#establishedAt = this.#clock.now();
    this.#setState('Established');
    this.#out.push({ type: 'established', negotiated: n });
    this.#ribOut.sessionUp({
      localAsn: this.#config.localAsn,
      ebgp: n.ebgp,
      fourOctetAsn: n.fourOctetAsn,
      maxMessageSize: n.maxMessageSize,
      families: n.families,
    });
    // The R bit only describes the restart we just completed; later reconnects are ordinary.
    this.restarting = false;
    this.#out.push({ type: 'updatesPending' });
  }

  #onUpdate(update: UpdateMessage): void {
    this.stats.updatesIn++;
    const families = this.#negotiated?.families ?? [];
    let announced = update.announced;
    let withdrawn = update.withdrawn;
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
    for (const afi of families) {
      const wd = withdrawn.filter((p) => p.afi === afi);
      const ann = announced.filter((p) => p.afi === afi);
      if (wd.length === 0 && ann.length === 0) continue;
      const rib = this.#ribIn[afi];
      for (const p of wd) rib.delete(formatPrefix(p));
      const attrs = this.#attributesFor(afi, update);
      const routes: ReceivedRoute[] = ann.map((prefix) => ({ prefix, attributes: attrs }));
      for (const r of routes) rib.set(formatPrefix(r.prefix), r);
      this.#out.push({ type: 'routesReceived', afi, announced: routes, withdrawn: wd });
    }
    if (update.endOfRib) this.#out.push({ type: 'endOfRibReceived', afi: update.endOfRib });
  }

  #attributesFor(afi: Afi, update: UpdateMessage): ReceivedAttributes {
    const mp = update.mpReach;
    if (mp && mp.afi === afi) {
      return { ...update.attributes, nextHop: mp.nextHop, nextHopLinkLocal: mp.nextHopLinkLocal };
    }
    return update.attributes;
  }

  #sendNotification(error: BgpError): void {
    this.#send(encodeNotification(error.code, error.subcode, error.data), 'notification');
    this.#out.push({
      type: 'notificationSent',
      notification: describeNotification(error.code, error.subcode, error.data),
    });
  }

  /** A protocol error on our side of the wire: NOTIFICATION, close, damped restart. */
  #fail(error: BgpError, reason: string, restart: boolean): void {
    this.#logger?.warn(
      { peer: this.#config.name, code: error.code, subcode: error.subcode, err: error.message },
      reason,
    );
    this.#out.push({ type: 'error', error });
    this.#sendNotification(error);
    this.#down(`${reason}: ${error.message}`, { restart });
  }

  #down(reason: string, opts: { restart: boolean; alreadyClosed?: boolean }): void {
    const wasEstablished = this.#state === 'Established';
    for (const t of ['HoldTimer', 'KeepaliveTimer', 'ConnectRetryTimer'] as const) this.#cancel(t);
    if (!opts.alreadyClosed) this.#out.push({ type: 'closeConnection' });
    if (wasEstablished) {
      this.#ribOut.sessionDown();
      this.#ribIn.ipv4.clear();
      this.#ribIn.ipv6.clear();
      this.backoff.sessionEnded(this.#clock.now() - (this.#establishedAt ?? this.#clock.now()));
    }
    this.#establishedAt = undefined;
    this.#framer = undefined;
    this.#transport = undefined;
    this.#negotiated = undefined;
    this.#setState('Idle');
    this.#out.push({ type: 'closed', reason, wasEstablished });
    if (opts.restart && this.#adminUp) this.#arm('IdleHoldTimer', this.backoff.nextDelay());
  }
}
