// For tests: a session snapshot as a port reports it, down and with nothing counted, with overrides.
import type { SessionSnapshot } from '../sessions/port.ts';

export function sessionSnapshot(over: Partial<SessionSnapshot> = {}): SessionSnapshot {
  return {
    peer: 'tor',
    peerAddress: '203.0.113.1',
    state: 'Active',
    established: false,
    uptimeSeconds: null,
    establishedSince: null,
    establishedTransitions: 0,
    updatesSent: 0,
    updatesReceived: 0,
    messagesSent: 0,
    messagesReceived: 0,
    notificationsSent: [],
    notificationsReceived: [],
    lastError: null,
    ...over,
  };
}
