/** Per-session counters, the source of the speaker's metrics. Plain data; the driver owns the instance. */
import type { MessageTypeName } from '../fsm/events.ts';
import type { Afi, SessionState } from '../types.ts';

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
  readonly lastError?: LastError;
  /** Epoch ms when the current Established period began. */
  readonly establishedSince?: number;
  readonly uptimeMs: number;
  /** Times the session left Established. */
  readonly flaps: number;
  readonly establishedTransitions: number;
}

export function emptyMessageCounts(): Record<MessageTypeName, number> {
  return { open: 0, update: 0, notification: 0, keepalive: 0, 'route-refresh': 0 };
}
