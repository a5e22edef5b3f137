// What the speaker runtime needs from a BGP session. The adapter over @herald/bgp implements it; the runtime
// and its tests only see this port, so the announce logic never depends on socket details.
import type { ConnectFailureKind, TransportSummary } from '@herald/bgp';
import type { DesiredRoute } from '../announce/model.ts';
import type { PasswordProblem } from '../peer-password.ts';
import type { BfdPeerStatus } from './bfd-coupling.ts';

/**
 * SIGTERM behaviour (see docs/concepts.md, "Shutdown and graceful restart"):
 * - `withdraw`: NOTIFICATION Cease / Administrative Shutdown (RFC 8203 message), the router drops our routes
 *   at once and traffic moves to the other nodes.
 * - `graceful-restart`: close TCP without a NOTIFICATION on sessions that negotiated graceful restart
 *   (RFC 4724), so the router keeps forwarding on the stale routes for restartTime while we restart; sessions
 *   without it are closed as in `withdraw`.
 */
export const shutdownModes = ['withdraw', 'graceful-restart'] as const;
export type ShutdownMode = (typeof shutdownModes)[number];

export type StopMode = ShutdownMode | 'remove' | 'reconfigure';

export interface NotificationCount {
  readonly code: number;
  readonly subcode: number;
  readonly count: number;
}

/** The session's socket rules as /status shows them: TTL, minimum TTL, TCP-MD5, device; never the key. */
export type SessionTransport = TransportSummary & {
  /** `namespace/name key k` of the Secret the TCP-MD5 password comes from. */
  readonly passwordSecret?: string;
};

export interface SessionSnapshot {
  readonly peer: string;
  readonly peerAddress: string;
  readonly peerASN?: number | string;
  readonly localASN?: number;
  readonly state: string;
  readonly established: boolean;
  /** Seconds since the session became Established; null when it is not. */
  readonly uptimeSeconds: number | null;
  /** ISO time the current Established period began: equal across two reads = the session was not reset. */
  readonly establishedSince: string | null;
  /** Times the session reached Established since this speaker opened it. */
  readonly establishedTransitions: number;
  readonly localAddress?: string;
  readonly routerID?: string;
  readonly gracefulRestartNegotiated?: boolean;
  readonly updatesSent: number;
  readonly updatesReceived: number;
  readonly messagesSent: number;
  readonly messagesReceived: number;
  readonly notificationsSent: readonly NotificationCount[];
  readonly notificationsReceived: readonly NotificationCount[];
  readonly lastError: string | null;
  /** Prefixes on the wire per family (the Adj-RIB-Out's count): only families the session negotiated. */
  readonly prefixesAdvertised?: { readonly ipv4: number; readonly ipv6: number };
  /** Prefixes the router currently advertises to us, per family (counted, never used). */
  readonly prefixesReceived?: { readonly ipv4: number; readonly ipv6: number };
  /** Prefixes the `block` prefix limit ignored in the current session, per family. */
  readonly prefixesBlocked?: { readonly ipv4: number; readonly ipv6: number };
  /** Times the prefix limit was reached since the session was opened. */
  readonly prefixLimitReached?: number;
  /**
   * UPDATEs from the router whose routes were dropped as loops (this node's AS in the AS_PATH: the router
   * echoing our own routes back), since the session was opened. Never counted as received.
   */
  readonly asPathLoops?: number;
  /** BFD with this peer (peers[].bfd); absent when BFD is off. */
  readonly bfd?: BfdPeerStatus;
  /** Set while the session cannot be opened: its password cannot be used (lastError says why). */
  readonly blocked?: PasswordProblem;
  /** Outgoing connection attempts that failed, by why (`timeout`: the SYN was never answered). */
  readonly connectFailures?: Readonly<Record<ConnectFailureKind, number>>;
  readonly transport?: SessionTransport;
}

export interface PeerSessionPort {
  readonly peer: string;
  /** Adds or replaces routes in the session's Adj-RIB-Out (sent now or when Established). */
  announce(routes: readonly DesiredRoute[]): void;
  withdraw(prefixes: readonly string[]): void;
  /**
   * Every route the runtime wants on this session has been handed over once: End-of-RIB may follow them.
   * Sessions open (and may reach Established) while the speaker's caches still fill, so until this call
   * End-of-RIB is held and a router keeping our routes as stale (graceful restart) does not flush them.
   */
  initialTableLoaded(): void;
  /**
   * `remove` (peer left the config or stopped selecting this node) and `reconfigure` (session settings
   * changed) always send Cease; otherwise the SIGTERM mode decides.
   */
  stop(mode: StopMode): Promise<void>;
  snapshot(): SessionSnapshot;
}

export interface NodeAddresses {
  readonly ipv4?: string;
  readonly ipv6?: string;
}

/** Opens sessions for peer settings of type P (the config package's peer type). */
export interface SessionDriver<P> {
  open(peer: string, settings: P, node: NodeAddresses): PeerSessionPort;
  /** Whether two settings need the same session (false → restart). */
  sameSettings(a: P, b: P): boolean;
  /** Called after each session plan so the driver can start/stop the passive listener on the node's addresses. */
  setPassivePeers(peers: ReadonlyMap<string, P>, node: NodeAddresses): void;
  /** Called after each session plan with the same peers: start, re-time or stop their BFD sessions. */
  setBfdPeers?(peers: ReadonlyMap<string, P>): void;
  close(): Promise<void>;
}
