/**
 * Shared vocabulary of @herald/bfd: the RFC 5880 names that the codec, the session machine and the
 * demultiplexer all speak. Plain data, no behaviour beyond name lookups.
 *
 * Units: every interval that appears in a packet or in a `bfd.*` state variable is in MICROseconds, as on
 * the wire (RFC 5880 §4.1). Clock readings (`now`) and timer deadlines (`at`) are in MILLIseconds of the
 * driver's monotonic clock (`performance.now()`), because that is what Node's timers take.
 */

/** Session states, RFC 5880 §4.1 / §6.2, with their wire values. */
export const SessionStateCode = { AdminDown: 0, Down: 1, Init: 2, Up: 3 } as const;
export type SessionState = keyof typeof SessionStateCode;
export const SESSION_STATES: readonly SessionState[] = ['AdminDown', 'Down', 'Init', 'Up'];

/** Diagnostic codes, RFC 5880 §4.1 (IANA "BFD Diagnostic Codes"; 9 is RFC 6428). */
export const Diagnostic = {
  NoDiagnostic: 0,
  ControlDetectionTimeExpired: 1,
  EchoFunctionFailed: 2,
  NeighborSignaledSessionDown: 3,
  ForwardingPlaneReset: 4,
  PathDown: 5,
  ConcatenatedPathDown: 6,
  AdministrativelyDown: 7,
  ReverseConcatenatedPathDown: 8,
  MisConnectivityDefect: 9,
} as const;
export type Diagnostic = (typeof Diagnostic)[keyof typeof Diagnostic];

const DIAGNOSTIC_NAMES: readonly string[] = [
  'No Diagnostic',
  'Control Detection Time Expired',
  'Echo Function Failed',
  'Neighbor Signaled Session Down',
  'Forwarding Plane Reset',
  'Path Down',
  'Concatenated Path Down',
  'Administratively Down',
  'Reverse Concatenated Path Down',
  'Mis-Connectivity Defect',
];

/** The IANA name of a diagnostic code; a peer may send any 5-bit value, so unknown codes get a name too. */
export function diagnosticName(code: number): string {
  return DIAGNOSTIC_NAMES[code] ?? `Unassigned Diagnostic ${code}`;
}

/**
 * Why a received packet was discarded. One name per reception check; the codec ones follow RFC 5880
 * §6.8.6 in order, the demultiplexer ones RFC 5881 §5 / RFC 5883 and §6.8.6's session selection.
 * A discarded packet has no effect on any session (tests prove it for each reason).
 */
export type DiscardReason =
  /** RFC 5881 §5: single-hop packets must arrive with TTL / Hop Limit 255; multihop below the configured minimum. */
  | 'ttl'
  /** The UDP payload is shorter than the 24-byte mandatory section: nothing to check. */
  | 'truncated'
  /** §6.8.6: "If the version number is not correct (1)". */
  | 'version'
  /** §6.8.6: Length below 24 (26 with the A bit), or above the UDP payload. */
  | 'length'
  /** §6.8.6: "If the Detect Mult field is zero". */
  | 'detect-mult-zero'
  /** §6.8.6: "If the Multipoint (M) bit is nonzero". */
  | 'multipoint'
  /** §6.8.6: "If the My Discriminator field is zero". */
  | 'my-discriminator-zero'
  /** §6.8.6: "If the Your Discriminator field is zero and the State field is not Down or AdminDown". */
  | 'your-discriminator-zero'
  /** §6.8.6: "If the A bit is set and no authentication is in use" — Herald implements no authentication. */
  | 'authentication'
  /** §6.5: "A BFD Control packet MUST NOT have both the Poll (P) and Final (F) bits set" (BIRD drops these too). */
  | 'poll-and-final'
  /** §6.8.6: "If no session is found, the packet MUST be discarded" (by Your Discriminator, or by address). */
  | 'no-session'
  /** Your Discriminator names a session, but the packet came from another peer, port or interface. */
  | 'session-mismatch';

export const DISCARD_REASONS: readonly DiscardReason[] = [
  'ttl',
  'truncated',
  'version',
  'length',
  'detect-mult-zero',
  'multipoint',
  'my-discriminator-zero',
  'your-discriminator-zero',
  'authentication',
  'poll-and-final',
  'no-session',
  'session-mismatch',
];

/** A discarded packet: the check that failed and a human-readable detail for logs. */
export interface Discard {
  readonly reason: DiscardReason;
  readonly detail: string;
}
