/**
 * Inputs and outputs of the sans-I/O peer machine (fsm/peer-machine.ts). The driver turns socket and timer
 * activity into `PeerEvent`s, each stamped with `now`, and carries out the returned `PeerAction`s; the machine
 * never does I/O, never reads a clock and never logs: what a log line needs travels in an action.
 */
import type { BgpError } from '../errors.ts';
import type { Afi, Prefix, ReceivedAttributes, SessionState } from '../types.ts';
import type { MessageTypeName } from '../wire/messages.ts';
import type { NotificationInfo } from '../wire/notification.ts';
import type { RefusalCode } from './collision.ts';

/**
 * RFC 4271 §8 timers plus IdleHoldTimer (§8.1.1, used for damped automatic restart). ConnectRetryTimer and
 * IdleHoldTimer belong to the peer; HoldTimer and KeepaliveTimer to one connection.
 */
export type TimerName = 'ConnectRetryTimer' | 'HoldTimer' | 'KeepaliveTimer' | 'IdleHoldTimer';

/**
 * One TCP connection (or connect attempt) of a peer, numbered by the machine. A peer has at most one
 * connection it initiated and one the peer initiated (RFC 4271 §6.8); ids are never reused.
 */
export type ConnectionId = number;

/** Who opened the connection: us (`outgoing`, "locally initiated") or the peer (`incoming`). */
export type Direction = 'outgoing' | 'incoming';

/** What was agreed in the OPEN exchange. */
export interface NegotiatedSession {
  readonly peerAsn: number;
  readonly peerRouterId: string;
  readonly localRouterId: string;
  readonly holdTime: number;
  readonly keepaliveTime: number;
  readonly fourOctetAsn: boolean;
  readonly families: readonly Afi[];
  readonly routeRefresh: boolean;
  readonly extendedMessages: boolean;
  /** Maximum message size we may send: 65535 with RFC 8654 negotiated both ways, else 4096. */
  readonly maxMessageSize: number;
  readonly ebgp: boolean;
  /** The peer's graceful restart capability, if advertised. */
  readonly peerGracefulRestart?: {
    readonly restarting: boolean;
    readonly restartTime: number;
    readonly families: readonly { readonly afi: Afi; readonly forwardingPreserved: boolean }[];
  };
}

export interface TransportInfo {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/** Administrative stop. `notification: false` closes TCP without NOTIFICATION (graceful-restart shutdown). */
export type StopNotification = false | { readonly subcode: number; readonly communication?: string };

/** An input of the machine, before the driver stamps it with `now`. */
export type PeerEventBody =
  | { readonly type: 'manualStart' }
  | { readonly type: 'manualStop'; readonly notification?: StopNotification }
  /**
   * BFD (RFC 5882 §4.3) declared the forwarding path to the peer down: every connection is closed at once
   * with NOTIFICATION Cease / BFD Down (RFC 9384) and the session restarts with the damped backoff. Not an
   * administrative stop: the peer stays started.
   */
  | { readonly type: 'bfdDown' }
  /** The connect attempt `connection` (from a `connect` action) succeeded. */
  | { readonly type: 'tcpConnected'; readonly connection: ConnectionId; readonly transport: TransportInfo }
  | { readonly type: 'tcpConnectFailed'; readonly connection: ConnectionId; readonly reason: string }
  | { readonly type: 'tcpClosed'; readonly connection: ConnectionId; readonly reason: string }
  | { readonly type: 'bytesReceived'; readonly connection: ConnectionId; readonly data: Buffer }
  /** `connection` is set for the per-connection timers (HoldTimer, KeepaliveTimer). */
  | { readonly type: 'timerExpired'; readonly timer: TimerName; readonly connection?: ConnectionId };

/** An input of the machine; `now` is the driver's clock in ms (only differences matter). */
export type PeerEvent = PeerEventBody & { readonly now: number };

export type PeerAction =
  /** Write these bytes on `connection`. They jump ahead of bulk UPDATEs, which the driver pulls separately. */
  | {
      readonly type: 'send';
      readonly connection: ConnectionId;
      readonly data: Buffer;
      readonly messageType: MessageTypeName;
    }
  /** Open a TCP connection to the peer; report the outcome as tcpConnected / tcpConnectFailed. */
  | { readonly type: 'connect'; readonly connection: ConnectionId }
  /**
   * Close the connection after flushing what was already queued (e.g. a NOTIFICATION), or abandon the connect
   * attempt. The machine forgets the connection: later events for it are ignored.
   */
  | { readonly type: 'closeConnection'; readonly connection: ConnectionId }
  | {
      readonly type: 'armTimer';
      readonly timer: TimerName;
      readonly delayMs: number;
      readonly connection?: ConnectionId;
    }
  | { readonly type: 'cancelTimer'; readonly timer: TimerName; readonly connection?: ConnectionId }
  /** The peer's state (RFC 4271 §8, the most advanced of its connections) changed. */
  | {
      readonly type: 'stateChange';
      readonly from: SessionState;
      readonly to: SessionState;
      /** The connection whose transition caused it, if any. */
      readonly direction?: Direction;
    }
  | {
      readonly type: 'established';
      readonly connection: ConnectionId;
      readonly negotiated: NegotiatedSession;
    }
  | {
      readonly type: 'notificationSent';
      readonly connection: ConnectionId;
      readonly notification: NotificationInfo;
    }
  | {
      readonly type: 'notificationReceived';
      readonly connection: ConnectionId;
      readonly notification: NotificationInfo;
    }
  /**
   * What one UPDATE carried for `afi`: the prefixes announced with their (shared) attributes and those
   * withdrawn. Reported, never stored: the Adj-RIB-In only counts prefixes.
   */
  | {
      readonly type: 'routesReceived';
      readonly afi: Afi;
      readonly announced: readonly Prefix[];
      readonly attributes: ReceivedAttributes;
      readonly withdrawn: readonly Prefix[];
    }
  /** RFC 4486: the peer's prefixes in `afi` reached the configured limit (`restart`: the session ends). */
  | {
      readonly type: 'prefixLimitReached';
      readonly afi: Afi;
      readonly limit: number;
      readonly action: 'restart' | 'block';
    }
  | { readonly type: 'endOfRibReceived'; readonly afi: Afi }
  /** The Adj-RIB-Out has something to send; the driver pulls UPDATEs with `nextUpdate()` while writable. */
  | { readonly type: 'updatesPending' }
  /**
   * An outgoing connect attempt failed (the driver's reason), or got no answer within the connect timeout
   * (`timedOutAfterMs`); the machine backs off in Active.
   */
  | {
      readonly type: 'connectFailed';
      readonly connection: ConnectionId;
      readonly reason: string;
      readonly timedOutAfterMs?: number;
    }
  /** We detected a protocol error on `connection` and answer it with this NOTIFICATION; `reason` is the log line. */
  | {
      readonly type: 'protocolError';
      readonly connection: ConnectionId;
      readonly error: BgpError;
      readonly reason: string;
    }
  /** Something went wrong that is not our NOTIFICATION to send (the peer closed, no common family). */
  | { readonly type: 'error'; readonly error: Error }
  /** RFC 7606 non-fatal handling (treat-as-withdraw, attribute discard) happened. */
  | {
      readonly type: 'updateErrorHandled';
      readonly action: 'treat-as-withdraw' | 'attribute-discard';
      readonly error: BgpError;
    }
  /** An incoming connection was refused with a Cease NOTIFICATION (already sent and closed by the actions). */
  | {
      readonly type: 'connectionRefused';
      readonly connection: ConnectionId;
      readonly remoteAddress: string;
      readonly code: RefusalCode;
      readonly reason: string;
    }
  /** §6.8: two connections knew the peer's BGP Identifier; `kept` survives, the other got Cease 7. */
  | {
      readonly type: 'collisionResolved';
      readonly localRouterId: string;
      readonly peerRouterId: string;
      readonly kept: Direction;
    }
  /** A connection that had reached OpenSent was closed (the peer's state may stay up on the other one). */
  | {
      readonly type: 'closed';
      readonly connection: ConnectionId;
      readonly direction: Direction;
      readonly reason: string;
      readonly wasEstablished: boolean;
    };
