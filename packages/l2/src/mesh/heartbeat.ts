/**
 * The heartbeat between speakers (UDP, one datagram per peer per interval), authenticated with HMAC-SHA256
 * under a key every speaker reads from the same Secret. Nothing in it is trusted before the MAC checks out.
 *
 *     0  magic "HL2"                       3  version (1)
 *     4  flags: 0x01 ready, 0x02 leaving   5  reserved (0)
 *     6  sender name length (1–253)        7  receiver name length (1–253)
 *     8  sender incarnation (u64)         16  sequence number (u32)
 *    20  echo incarnation (u64)           28  echo sequence number (u32)
 *    32  sender name, receiver name (the Kubernetes Node names, ASCII)
 *     …  HMAC-SHA256 over everything before it (32 bytes)
 *
 * The incarnation identifies one run of a speaker (start time in ms × 2^16 + 16 random bits); the
 * sequence number counts its heartbeats. The echo fields repeat the newest incarnation and sequence number
 * the sender has received from the receiver: they prove to the receiver that the heartbeat was made after
 * that heartbeat of its own, which is what defeats replays (mesh.ts).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const HEARTBEAT_MAGIC = Uint8Array.of(0x48, 0x4c, 0x32); // "HL2"
export const HEARTBEAT_VERSION = 1;
const HEADER_LENGTH = 32;
export const HMAC_LENGTH = 32;
/** A Kubernetes Node name is a DNS subdomain: at most 253 characters. */
export const MAX_NAME_LENGTH = 253;
/** The largest valid heartbeat; a driver's receive buffer needs no more. */
export const MAX_HEARTBEAT_LENGTH = HEADER_LENGTH + 2 * MAX_NAME_LENGTH + HMAC_LENGTH;
/** RFC 2104 wants keys of at least the hash output length for full strength; refuse anything much weaker. */
export const MIN_KEY_LENGTH = 16;

const FLAG_READY = 0x01;
const FLAG_LEAVING = 0x02;

export interface Heartbeat {
  readonly sender: string;
  readonly receiver: string;
  /** The sender is synchronised (caches and mesh) and may be chosen as an announcer. */
  readonly ready: boolean;
  /** The sender is shutting down cleanly and hands its addresses over now. */
  readonly leaving: boolean;
  readonly incarnation: bigint;
  readonly sequence: number;
  /** The receiver's newest incarnation and sequence number the sender has heard; 0n/0 when none. */
  readonly echoIncarnation: bigint;
  readonly echoSequence: number;
}

export type HeartbeatDiscardReason =
  | 'truncated'
  | 'magic'
  | 'version'
  | 'length'
  /** The names are not a member sending to this node: refused before the (costlier) MAC check. */
  | 'not-member'
  | 'authentication';

export type HeartbeatDecodeResult =
  | { readonly ok: true; readonly heartbeat: Heartbeat }
  | { readonly ok: false; readonly reason: HeartbeatDiscardReason; readonly detail: string };

const MAX_U64 = (1n << 64n) - 1n;

function checkName(what: string, name: string): Buffer {
  const bytes = Buffer.from(name, 'latin1');
  if (bytes.length < 1 || bytes.length > MAX_NAME_LENGTH || bytes.toString('latin1') !== name)
    throw new RangeError(`${what} name must be 1–${MAX_NAME_LENGTH} ASCII characters`);
  return bytes;
}

export function encodeHeartbeat(h: Heartbeat, key: Uint8Array): Buffer {
  const sender = checkName('sender', h.sender);
  const receiver = checkName('receiver', h.receiver);
  for (const [what, v] of [
    ['incarnation', h.incarnation],
    ['echo incarnation', h.echoIncarnation],
  ] as const)
    if (v < 0n || v > MAX_U64) throw new RangeError(`${what} is not a u64`);
  const bodyLength = HEADER_LENGTH + sender.length + receiver.length;
  const out = Buffer.alloc(bodyLength + HMAC_LENGTH);
  out.set(HEARTBEAT_MAGIC, 0);
  out[3] = HEARTBEAT_VERSION;
  out[4] = (h.ready ? FLAG_READY : 0) | (h.leaving ? FLAG_LEAVING : 0);
  out[6] = sender.length;
  out[7] = receiver.length;
  out.writeBigUInt64BE(h.incarnation, 8);
  out.writeUInt32BE(h.sequence >>> 0, 16);
  out.writeBigUInt64BE(h.echoIncarnation, 20);
  out.writeUInt32BE(h.echoSequence >>> 0, 28);
  sender.copy(out, HEADER_LENGTH);
  receiver.copy(out, HEADER_LENGTH + sender.length);
  createHmac('sha256', key).update(out.subarray(0, bodyLength)).digest().copy(out, bodyLength);
  return out;
}

/**
 * Checks the frame, then (when given) whether `admit` accepts the sender and receiver names — so a flood
 * from strangers costs no HMAC — then the MAC under each of `keys` (several during a key rotation), and only
 * then reads the other fields. Never throws.
 */
export function decodeHeartbeat(
  bytes: Uint8Array,
  keys: readonly Uint8Array[],
  admit?: (sender: string, receiver: string) => boolean,
): HeartbeatDecodeResult {
  if (bytes.length < HEADER_LENGTH + HMAC_LENGTH)
    return { ok: false, reason: 'truncated', detail: `${bytes.length} bytes, a heartbeat has at least 64` };
  if (bytes[0] !== HEARTBEAT_MAGIC[0] || bytes[1] !== HEARTBEAT_MAGIC[1] || bytes[2] !== HEARTBEAT_MAGIC[2])
    return { ok: false, reason: 'magic', detail: 'not a Herald heartbeat' };
  if (bytes[3] !== HEARTBEAT_VERSION)
    return { ok: false, reason: 'version', detail: `version ${bytes[3]}, expected ${HEARTBEAT_VERSION}` };
  const senderLength = bytes[6]!;
  const receiverLength = bytes[7]!;
  const bodyLength = HEADER_LENGTH + senderLength + receiverLength;
  if (senderLength === 0 || receiverLength === 0 || bodyLength + HMAC_LENGTH !== bytes.length)
    return {
      ok: false,
      reason: 'length',
      detail: `names of ${senderLength} and ${receiverLength} bytes do not fit a ${bytes.length}-byte datagram`,
    };
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const sender = view.toString('latin1', HEADER_LENGTH, HEADER_LENGTH + senderLength);
  const receiver = view.toString('latin1', HEADER_LENGTH + senderLength, bodyLength);
  if (admit && !admit(sender, receiver))
    return {
      ok: false,
      reason: 'not-member',
      detail: `from ${sender} to ${receiver}: not a member sending to us`,
    };
  const body = bytes.subarray(0, bodyLength);
  const mac = bytes.subarray(bodyLength);
  const authentic = keys.some((key) => timingSafeEqual(createHmac('sha256', key).update(body).digest(), mac));
  if (!authentic) return { ok: false, reason: 'authentication', detail: 'HMAC does not match any key' };
  return {
    ok: true,
    heartbeat: {
      sender,
      receiver,
      ready: (bytes[4]! & FLAG_READY) !== 0,
      leaving: (bytes[4]! & FLAG_LEAVING) !== 0,
      incarnation: view.readBigUInt64BE(8),
      sequence: view.readUInt32BE(16),
      echoIncarnation: view.readBigUInt64BE(20),
      echoSequence: view.readUInt32BE(28),
    },
  };
}

/** A new incarnation: start time in ms (so a restart usually orders after the run before) and 16 random bits. */
export function newIncarnation(nowEpochMs: number, random16: number): bigint {
  return (BigInt(Math.floor(nowEpochMs)) << 16n) | BigInt(random16 & 0xffff);
}
