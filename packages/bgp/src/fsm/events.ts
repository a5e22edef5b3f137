/**
 * Inputs and outputs of the sans-I/O session machine. The driver turns socket and timer activity into
 * `SessionEvent`s and carries out the returned `SessionAction`s; the machine itself never does I/O.
 */
import type { BgpError } from '../errors.ts';
import type { Afi, Prefix, ReceivedRoute, SessionState } from '../types.ts';

/** RFC 4271 §8 timers plus IdleHoldTimer (§8.1.1, used for damped automatic restart). */
export type TimerName = 'ConnectRetryTimer' | 'HoldTimer' | 'KeepaliveTimer' | 'IdleHoldTimer';

export type MessageTypeName = 'open' | 'update' | 'notification' | 'keepalive' | 'route-refresh';

/** A NOTIFICATION as seen in events (sent or received). */
export interface NotificationInfo {
  readonly code: number;
  readonly subcode: number;
  readonly codeName: string;
  readonly subcodeName: string;
  readonly data: Buffer;
  /** RFC 8203/9003 shutdown communication, when the NOTIFICATION is Cease 2 or 4 and carries one. */
  readonly communication?: string;
}

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

export type SessionEvent =
  | { readonly type: 'manualStart' }
  /** Administrative stop. `notification: false` closes TCP without NOTIFICATION (graceful-restart shutdown). */
  | {
      readonly type: 'manualStop';
      readonly notification?: false | { readonly subcode: number; readonly communication?: string };
    }
  | { readonly type: 'tcpConnected'; readonly transport: TransportInfo }
  | { readonly type: 'tcpConnectFailed'; readonly reason: string }
  | { readonly type: 'tcpClosed'; readonly reason: string }
  | { readonly type: 'bytesReceived'; readonly data: Buffer }
  | { readonly type: 'timerExpired'; readonly timer: TimerName }
  /** The driver lost a §6.8 collision decision for this connection: send Cease 7 and close. */
  | { readonly type: 'collisionLost' };

export type SessionAction =
  /** Write these bytes. `control` messages (KEEPALIVE, NOTIFICATION, OPEN) jump ahead of queued bulk UPDATEs. */
  | {
      readonly type: 'send';
      readonly data: Buffer;
      readonly messageType: MessageTypeName;
      readonly priority: 'control' | 'bulk';
    }
  /** Open a TCP connection to the peer (active side). */
  | { readonly type: 'connect' }
  /** Close the TCP connection after flushing what was already queued (e.g. a NOTIFICATION). */
  | { readonly type: 'closeConnection' }
  | { readonly type: 'armTimer'; readonly timer: TimerName; readonly delayMs: number }
  | { readonly type: 'cancelTimer'; readonly timer: TimerName }
  | { readonly type: 'stateChange'; readonly from: SessionState; readonly to: SessionState }
  /** An OPEN was received and accepted; the driver runs §6.8 collision detection on it. */
  | { readonly type: 'openReceived'; readonly peerRouterId: string }
  | { readonly type: 'established'; readonly negotiated: NegotiatedSession }
  | { readonly type: 'notificationSent'; readonly notification: NotificationInfo }
  | { readonly type: 'notificationReceived'; readonly notification: NotificationInfo }
  | {
      readonly type: 'routesReceived';
      readonly afi: Afi;
      readonly announced: readonly ReceivedRoute[];
      readonly withdrawn: readonly Prefix[];
    }
  | { readonly type: 'endOfRibReceived'; readonly afi: Afi }
  /** The Adj-RIB-Out has something to send; the driver should pull UPDATEs with `nextUpdate()`. */
  | { readonly type: 'updatesPending' }
  /** A protocol error (ours or the peer's); always accompanied by the NOTIFICATION handling. */
  | { readonly type: 'error'; readonly error: BgpError | Error }
  /** RFC 7606 non-fatal handling (treat-as-withdraw, attribute discard) happened. */
  | {
      readonly type: 'updateErrorHandled';
      readonly action: 'treat-as-withdraw' | 'attribute-discard';
      readonly error: BgpError;
    }
  /** The session went down (left OpenSent/OpenConfirm/Established for Idle). */
  | { readonly type: 'closed'; readonly reason: string; readonly wasEstablished: boolean };
