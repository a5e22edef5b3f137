/**
 * BFD Control packet codec, RFC 5880 §4.1, with the packet-level reception checks of §6.8.6. Pure
 * functions: `decodeControlPacket` never throws and never allocates beyond the result object; every
 * malformed input comes back as a named `Discard` (see types.ts), in the order §6.8.6 lists the checks.
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |Vers |  Diag   |Sta|P|F|C|A|D|M|  Detect Mult  |    Length     |
 *    |                       My Discriminator                        |
 *    |                      Your Discriminator                       |
 *    |                    Desired Min TX Interval                    |
 *    |                   Required Min RX Interval                    |
 *    |                 Required Min Echo RX Interval                 |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    (optional Authentication Section: Auth Type, Auth Len, ...)
 *
 * Authentication (§6.7) is not implemented: Herald never sets the A bit, and a received packet with the A
 * bit is discarded ("If the A bit is set and no authentication is in use"). The Authentication Section is
 * read only far enough to name what was discarded. The session-selection checks of §6.8.6 (Your
 * Discriminator lookup) need the session table and live in demux/session-table.ts.
 */
import {
  type Discard,
  type DiscardReason,
  SESSION_STATES,
  type SessionState,
  SessionStateCode,
} from '../types.ts';

/** Length of the Mandatory Section; with no authentication it is the whole packet. */
export const MANDATORY_SECTION_LENGTH = 24;
/** §6.8.6: "26 if the A bit is set" (the Auth Type and Auth Len octets). */
const MIN_LENGTH_WITH_AUTH = 26;
export const BFD_VERSION = 1;

const FLAG_POLL = 0x20;
const FLAG_FINAL = 0x10;
const FLAG_CONTROL_PLANE_INDEPENDENT = 0x08;
const FLAG_AUTHENTICATION_PRESENT = 0x04;
const FLAG_DEMAND = 0x02;
const FLAG_MULTIPOINT = 0x01;

/** RFC 5880 §4.2–4.4 authentication types, for the discard detail only. */
const AUTH_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'Simple Password',
  2: 'Keyed MD5',
  3: 'Meticulous Keyed MD5',
  4: 'Keyed SHA1',
  5: 'Meticulous Keyed SHA1',
};

/**
 * A BFD Control packet that passed the packet-level checks (or one we are about to send). The A and M bits
 * are absent on purpose: an accepted packet has both clear, and we never set them. Intervals in µs.
 */
export interface ControlPacket {
  /** Diag: the sender's reason for its last state change (types.ts `Diagnostic`; any 5-bit value). */
  readonly diagnostic: number;
  readonly state: SessionState;
  /** P: the sender asks for verification of connectivity or of a parameter change (§6.5). */
  readonly poll: boolean;
  /** F: the sender answers a Poll. */
  readonly final: boolean;
  /** C: the sender's BFD does not share fate with its control plane. Herald's does, so it sends 0. */
  readonly controlPlaneIndependent: boolean;
  /** D: the sender wishes to operate in Demand mode (§6.6). Herald never requests it. */
  readonly demand: boolean;
  /** 1..255. */
  readonly detectMult: number;
  /** Nonzero, unique per session on the sender. */
  readonly myDiscriminator: number;
  /** The receiver's discriminator as the sender knows it, or 0 while unknown. */
  readonly yourDiscriminator: number;
  readonly desiredMinTxInterval: number;
  readonly requiredMinRxInterval: number;
  /** 0 = the sender does not support receiving Echo packets (Herald always sends 0). */
  readonly requiredMinEchoRxInterval: number;
}

export type DecodeResult =
  | { readonly ok: true; readonly packet: ControlPacket }
  | { readonly ok: false; readonly discard: Discard };

function discard(reason: DiscardReason, detail: string): DecodeResult {
  return { ok: false, discard: { reason, detail } };
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/**
 * Decode a UDP payload and apply the packet-level checks of RFC 5880 §6.8.6, in the RFC's order. Bytes
 * after Length are ignored (§6.8.6 only discards a Length *greater* than the payload).
 */
export function decodeControlPacket(payload: Uint8Array): DecodeResult {
  if (payload.length < MANDATORY_SECTION_LENGTH) {
    return discard('truncated', `${payload.length}-byte payload, the mandatory section is 24 bytes`);
  }
  const version = payload[0]! >> 5;
  if (version !== BFD_VERSION) return discard('version', `version ${version}, expected ${BFD_VERSION}`);
  const flags = payload[1]!;
  const authenticationPresent = (flags & FLAG_AUTHENTICATION_PRESENT) !== 0;
  const length = payload[3]!;
  const minLength = authenticationPresent ? MIN_LENGTH_WITH_AUTH : MANDATORY_SECTION_LENGTH;
  if (length < minLength) {
    return discard(
      'length',
      `Length ${length} below the minimum ${minLength}${authenticationPresent ? ' (A bit set)' : ''}`,
    );
  }
  if (length > payload.length) {
    return discard('length', `Length ${length} exceeds the ${payload.length}-byte UDP payload`);
  }
  const detectMult = payload[2]!;
  if (detectMult === 0) return discard('detect-mult-zero', 'Detect Mult is zero');
  if ((flags & FLAG_MULTIPOINT) !== 0) return discard('multipoint', 'Multipoint (M) bit is set');
  const myDiscriminator = u32(payload, 4);
  if (myDiscriminator === 0) return discard('my-discriminator-zero', 'My Discriminator is zero');
  const yourDiscriminator = u32(payload, 8);
  const state = SESSION_STATES[flags >> 6]!;
  if (yourDiscriminator === 0 && state !== 'Down' && state !== 'AdminDown') {
    return discard('your-discriminator-zero', `Your Discriminator is zero in state ${state}`);
  }
  if (authenticationPresent) {
    // Length >= 26 here, so Auth Type and Auth Len are inside the payload.
    const authType = payload[24]!;
    const authLen = payload[25]!;
    const name = AUTH_TYPE_NAMES[authType] ?? `unknown type ${authType}`;
    const fits = authLen >= 2 && MANDATORY_SECTION_LENGTH + authLen <= length;
    return discard(
      'authentication',
      `Authentication Section present (${name}, Auth Len ${authLen}${fits ? '' : ', malformed'}) but no authentication is configured`,
    );
  }
  const poll = (flags & FLAG_POLL) !== 0;
  const final = (flags & FLAG_FINAL) !== 0;
  if (poll && final) return discard('poll-and-final', 'both Poll (P) and Final (F) bits are set');
  return {
    ok: true,
    packet: {
      diagnostic: payload[0]! & 0x1f,
      state,
      poll,
      final,
      controlPlaneIndependent: (flags & FLAG_CONTROL_PLANE_INDEPENDENT) !== 0,
      demand: (flags & FLAG_DEMAND) !== 0,
      detectMult,
      myDiscriminator,
      yourDiscriminator,
      desiredMinTxInterval: u32(payload, 12),
      requiredMinRxInterval: u32(payload, 16),
      requiredMinEchoRxInterval: u32(payload, 20),
    },
  };
}

function checkRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`BFD ${name} ${value} outside ${min}..${max}`);
  }
}

/**
 * Encode a Control packet without an Authentication Section: 24 bytes, one fresh Buffer per call so the
 * driver may hold on to it. Out-of-range fields are a bug in the caller (the session machine only builds
 * valid packets), so they throw a RangeError rather than being silently truncated on the wire.
 */
export function encodeControlPacket(p: ControlPacket): Buffer {
  checkRange('Diag', p.diagnostic, 0, 31);
  checkRange('Detect Mult', p.detectMult, 1, 255);
  checkRange('My Discriminator', p.myDiscriminator, 1, 0xffffffff);
  checkRange('Your Discriminator', p.yourDiscriminator, 0, 0xffffffff);
  checkRange('Desired Min TX Interval', p.desiredMinTxInterval, 0, 0xffffffff);
  checkRange('Required Min RX Interval', p.requiredMinRxInterval, 0, 0xffffffff);
  checkRange('Required Min Echo RX Interval', p.requiredMinEchoRxInterval, 0, 0xffffffff);
  if (p.poll && p.final) throw new RangeError('BFD packet with both Poll and Final set (RFC 5880 §6.5)');
  const b = Buffer.alloc(MANDATORY_SECTION_LENGTH);
  b[0] = (BFD_VERSION << 5) | p.diagnostic;
  b[1] =
    (SessionStateCode[p.state] << 6) |
    (p.poll ? FLAG_POLL : 0) |
    (p.final ? FLAG_FINAL : 0) |
    (p.controlPlaneIndependent ? FLAG_CONTROL_PLANE_INDEPENDENT : 0) |
    (p.demand ? FLAG_DEMAND : 0);
  b[2] = p.detectMult;
  b[3] = MANDATORY_SECTION_LENGTH;
  b.writeUInt32BE(p.myDiscriminator, 4);
  b.writeUInt32BE(p.yourDiscriminator, 8);
  b.writeUInt32BE(p.desiredMinTxInterval, 12);
  b.writeUInt32BE(p.requiredMinRxInterval, 16);
  b.writeUInt32BE(p.requiredMinEchoRxInterval, 20);
  return b;
}
