/**
 * NOTIFICATION error codes and subcodes (RFC 4271 §4.5, §6; RFC 4486 and RFC 9384 Cease subcodes; RFC 6608 FSM
 * subcodes; RFC 7313 ROUTE-REFRESH) and `BgpError`, the value every protocol error travels as.
 */

export const ErrorCode = {
  MessageHeader: 1,
  OpenMessage: 2,
  UpdateMessage: 3,
  HoldTimerExpired: 4,
  FiniteStateMachine: 5,
  Cease: 6,
  RouteRefresh: 7,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const HeaderSubcode = {
  ConnectionNotSynchronized: 1,
  BadMessageLength: 2,
  BadMessageType: 3,
} as const;

export const OpenSubcode = {
  UnsupportedVersionNumber: 1,
  BadPeerAs: 2,
  BadBgpIdentifier: 3,
  UnsupportedOptionalParameter: 4,
  // 5 is deprecated (Authentication Failure).
  UnacceptableHoldTime: 6,
  UnsupportedCapability: 7,
  RoleMismatch: 11,
} as const;

export const UpdateSubcode = {
  MalformedAttributeList: 1,
  UnrecognizedWellKnownAttribute: 2,
  MissingWellKnownAttribute: 3,
  AttributeFlagsError: 4,
  AttributeLengthError: 5,
  InvalidOriginAttribute: 6,
  // 7 is deprecated (AS Routing Loop).
  InvalidNextHopAttribute: 8,
  OptionalAttributeError: 9,
  InvalidNetworkField: 10,
  MalformedAsPath: 11,
} as const;

/** RFC 6608. */
export const FsmSubcode = {
  Unspecified: 0,
  UnexpectedMessageInOpenSent: 1,
  UnexpectedMessageInOpenConfirm: 2,
  UnexpectedMessageInEstablished: 3,
} as const;

/** RFC 4486, RFC 9384. */
export const CeaseSubcode = {
  MaximumPrefixesReached: 1,
  AdministrativeShutdown: 2,
  PeerDeconfigured: 3,
  AdministrativeReset: 4,
  ConnectionRejected: 5,
  OtherConfigurationChange: 6,
  ConnectionCollisionResolution: 7,
  OutOfResources: 8,
  HardReset: 9,
  BfdDown: 10,
} as const;

/** Textual Cease subcodes accepted by `session.stop()`. */
export type CeaseSubcodeName =
  | 'maximum-prefixes-reached'
  | 'administrative-shutdown'
  | 'peer-deconfigured'
  | 'administrative-reset'
  | 'connection-rejected'
  | 'other-configuration-change'
  | 'connection-collision-resolution'
  | 'out-of-resources'
  | 'hard-reset'
  | 'bfd-down';

export const CEASE_SUBCODE_BY_NAME: Readonly<Record<CeaseSubcodeName, number>> = {
  'maximum-prefixes-reached': 1,
  'administrative-shutdown': 2,
  'peer-deconfigured': 3,
  'administrative-reset': 4,
  'connection-rejected': 5,
  'other-configuration-change': 6,
  'connection-collision-resolution': 7,
  'out-of-resources': 8,
  'hard-reset': 9,
  'bfd-down': 10,
};

/** RFC 7313 §5. */
export const RouteRefreshSubcode = { InvalidMessageLength: 1 } as const;

const CODE_NAMES: Readonly<Record<number, string>> = {
  1: 'Message Header Error',
  2: 'OPEN Message Error',
  3: 'UPDATE Message Error',
  4: 'Hold Timer Expired',
  5: 'Finite State Machine Error',
  6: 'Cease',
  7: 'ROUTE-REFRESH Message Error',
};

const SUBCODE_NAMES: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  1: { 1: 'Connection Not Synchronized', 2: 'Bad Message Length', 3: 'Bad Message Type' },
  2: {
    1: 'Unsupported Version Number',
    2: 'Bad Peer AS',
    3: 'Bad BGP Identifier',
    4: 'Unsupported Optional Parameter',
    6: 'Unacceptable Hold Time',
    7: 'Unsupported Capability',
    11: 'Role Mismatch',
  },
  3: {
    1: 'Malformed Attribute List',
    2: 'Unrecognized Well-known Attribute',
    3: 'Missing Well-known Attribute',
    4: 'Attribute Flags Error',
    5: 'Attribute Length Error',
    6: 'Invalid ORIGIN Attribute',
    8: 'Invalid NEXT_HOP Attribute',
    9: 'Optional Attribute Error',
    10: 'Invalid Network Field',
    11: 'Malformed AS_PATH',
  },
  5: {
    0: 'Unspecified Error',
    1: 'Receive Unexpected Message in OpenSent State',
    2: 'Receive Unexpected Message in OpenConfirm State',
    3: 'Receive Unexpected Message in Established State',
  },
  6: {
    1: 'Maximum Number of Prefixes Reached',
    2: 'Administrative Shutdown',
    3: 'Peer De-configured',
    4: 'Administrative Reset',
    5: 'Connection Rejected',
    6: 'Other Configuration Change',
    7: 'Connection Collision Resolution',
    8: 'Out of Resources',
    9: 'Hard Reset',
    10: 'BFD Down',
  },
  7: { 1: 'Invalid Message Length' },
};

export function errorCodeName(code: number): string {
  return CODE_NAMES[code] ?? `Unknown Error Code ${code}`;
}

export function errorSubcodeName(code: number, subcode: number): string {
  if (subcode === 0 && code !== 5) return 'Unspecific';
  return SUBCODE_NAMES[code]?.[subcode] ?? `Unknown Subcode ${subcode}`;
}

/**
 * A protocol error as a value: everything needed to build the NOTIFICATION that answers it.
 * Decoders return it (never throw it); the FSM turns it into a NOTIFICATION and a session reset.
 */
export class BgpError extends Error {
  readonly code: number;
  readonly subcode: number;
  /** The NOTIFICATION Data field the RFC prescribes for this error (often the offending bytes). */
  readonly data: Buffer;

  constructor(code: number, subcode: number, data: Buffer = Buffer.alloc(0), detail?: string) {
    super(`${errorCodeName(code)} / ${errorSubcodeName(code, subcode)}${detail ? `: ${detail}` : ''}`);
    this.name = 'BgpError';
    this.code = code;
    this.subcode = subcode;
    this.data = data;
  }
}

/** Result of a decoder: a value or a BgpError, never an exception. */
export type Decoded<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: BgpError };

export function ok<T>(value: T): Decoded<T> {
  return { ok: true, value };
}

export function fail<T>(code: number, subcode: number, data?: Buffer, detail?: string): Decoded<T> {
  return { ok: false, error: new BgpError(code, subcode, data, detail) };
}
