/**
 * BgpSession: one peer over node:net. A thin driver around SessionMachine: sockets, timers, write
 * backpressure, the Adj-RIB-Out pump and events. Never throws protocol errors out; they become NOTIFICATIONs.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { PeerConfigError, type ResolvedPeerConfig, resolvePeerConfig } from '../config.ts';
import type { CeaseSubcodeName } from '../errors.ts';
import type { NegotiatedSession, NotificationInfo } from '../fsm/events.ts';
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
import type { SessionCounters } from './counters.ts';
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

export class BgpSession extends EventEmitter<BgpSessionEvents> {
  readonly config: ResolvedPeerConfig;

  constructor(config: PeerConfig, _options: BgpSessionOptions = {}) {
    super();
    const resolved = resolvePeerConfig(config);
    if (!resolved.ok) throw new PeerConfigError(resolved.issues);
    this.config = resolved.config;
  }

  get name(): string {
    return this.config.name;
  }

  get state(): SessionState {
    return 'Idle';
  }

  /** ManualStart: connect (or wait for the peer, when passive) and keep reconnecting with damped backoff. */
  start(): void {}

  /** ManualStop: Cease NOTIFICATION (or a silent close) and no reconnect until start() again. */
  async stop(_options: StopOptions = {}): Promise<void> {}

  /** Add or replace the route for a prefix (accepts text like '198.51.100.7/32'). Throws on invalid input. */
  announce(_prefix: Prefix | string, _attributes: RouteAttributes): void {}

  /** Withdraw a prefix; returns false if it was not announced. */
  withdraw(_prefix: Prefix | string): boolean {
    return false;
  }

  /** The routes in the Adj-RIB-Out. */
  announced(): { prefix: Prefix; attributes: RouteAttributes }[] {
    return [];
  }

  /** Adj-RIB-In lite: the routes the peer currently advertises to us. */
  receivedRoutes(_afi?: Afi): ReceivedRoute[] {
    return [];
  }

  negotiated(): NegotiatedSession | undefined {
    return undefined;
  }

  /** Ask the peer to re-send its routes for a family (RFC 2918), if it supports route refresh. */
  requestRouteRefresh(_afi: Afi): boolean {
    return false;
  }

  counters(): SessionCounters {
    throw new Error('not implemented yet');
  }

  /** Hand an accepted connection to this session (used by BgpSpeaker). Returns false if it was refused. */
  acceptConnection(_socket: Socket): boolean {
    return false;
  }
}
