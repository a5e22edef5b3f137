/** Per-session counters, the source of the speaker's metrics. Plain data, assembled by the driver from the machine. */

import type { Afi, SessionState } from '../types.ts';
import type { MessageTypeName } from '../wire/messages.ts';
import type { ConnectFailureKind } from './connect.ts';

export interface LastError {
  readonly at: number;
  readonly direction: 'sent' | 'received' | 'local';
  readonly code?: number;
  readonly subcode?: number;
  readonly message: string;
}

export interface SessionCounters {
  readonly state: SessionState;
  readonly messagesIn: Readonly<Record<MessageTypeName, number>>;
  readonly messagesOut: Readonly<Record<MessageTypeName, number>>;
  readonly updatesIn: number;
  readonly updatesOut: number;
  /** Prefixes currently advertised to the peer (on the wire, per family). */
  readonly prefixesAdvertised: Readonly<Record<Afi, number>>;
  /** Prefixes currently received from the peer (Adj-RIB-In, per family). */
  readonly prefixesReceived: Readonly<Record<Afi, number>>;
  /** Prefixes a `block` prefix limit refused during the current session, per family. */
  readonly prefixesBlocked: Readonly<Record<Afi, number>>;
  /** Times a prefix limit was reached (every session). */
  readonly prefixLimitReached: number;
  /** UPDATEs whose routes were dropped as AS_PATH loops (our own AS in the path; every session). */
  readonly asPathLoops: number;
  readonly lastError?: LastError;
  /** Epoch ms when the current Established period began. */
  readonly establishedSince?: number;
  readonly uptimeMs: number;
  /** Times the session left Established. */
  readonly flaps: number;
  readonly establishedTransitions: number;
  /** Outgoing connection attempts that failed, by why (a timeout is a SYN never answered). */
  readonly connectFailures: Readonly<Record<ConnectFailureKind, number>>;
}
