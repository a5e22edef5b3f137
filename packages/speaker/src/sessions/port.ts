// What the speaker runtime needs from a BGP session. The adapter over @herald/bgp implements it; the runtime
// and its tests only see this port, so the announce logic never depends on socket details.
import type { DesiredRoute } from '../announce/model.ts';

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
}

export interface PeerSessionPort {
  readonly peer: string;
  /** Adds or replaces routes in the session's Adj-RIB-Out (sent now or when Established). */
  announce(routes: readonly DesiredRoute[]): void;
  withdraw(prefixes: readonly string[]): void;
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
  /** Called after each session plan so the driver can start/stop the passive listener. */
  setPassivePeers(peers: ReadonlyMap<string, P>): void;
  close(): Promise<void>;
}
