/**
 * Message header (RFC 4271 §4.1) checks and stream framing. Header errors are fatal to the connection,
 * so they are reported once and the framer stops.
 */
import {
  BgpError,
  type Decoded,
  ErrorCode,
  fail,
  HeaderSubcode,
  ok,
  RouteRefreshSubcode,
} from '../errors.ts';
import { HEADER_LENGTH, MessageType } from './messages.ts';

export interface MessageHeader {
  readonly length: number;
  readonly type: number;
}

/** Minimum (and for KEEPALIVE/ROUTE-REFRESH exact) lengths per type, RFC 4271 §6.1 and RFC 2918. */
const MIN_LENGTH: Readonly<Record<number, number>> = {
  [MessageType.Open]: 29,
  [MessageType.Update]: 23,
  [MessageType.Notification]: 21,
  [MessageType.Keepalive]: 19,
  // ROUTE-REFRESH length errors get RFC 7313 code 7, checked after framing.
  [MessageType.RouteRefresh]: 19,
};

/**
 * Check the 19-byte header at `buf[0..19)`. `maxMessageSize` is 4096 until RFC 8654 extended messages are
 * negotiated. The NOTIFICATION data for a bad length is the erroneous Length field, for a bad type the Type.
 */
export function decodeHeader(buf: Buffer, maxMessageSize: number): Decoded<MessageHeader> {
  for (let i = 0; i < 16; i++) {
    if (buf[i] !== 0xff) return fail(ErrorCode.MessageHeader, HeaderSubcode.ConnectionNotSynchronized);
  }
  const length = buf.readUInt16BE(16);
  const type = buf[18]!;
  const lengthField = buf.subarray(16, 18);
  if (length < HEADER_LENGTH || length > maxMessageSize) {
    return fail(
      ErrorCode.MessageHeader,
      HeaderSubcode.BadMessageLength,
      Buffer.from(lengthField),
      `length ${length}`,
    );
  }
  const min = MIN_LENGTH[type];
  if (min === undefined)
    return fail(ErrorCode.MessageHeader, HeaderSubcode.BadMessageType, Buffer.from([type]), `type ${type}`);
  const exact = type === MessageType.Keepalive;
  if (length < min || (exact && length !== min)) {
    return fail(
      ErrorCode.MessageHeader,
      HeaderSubcode.BadMessageLength,
      Buffer.from(lengthField),
      `length ${length}`,
    );
  }
  return ok({ length, type });
}

/** RFC 7313 §5: a ROUTE-REFRESH whose length is not 23 gets code 7 with the whole message as data. */
export function checkRouteRefreshLength(message: Buffer): BgpError | undefined {
  if (message.length === 23) return undefined;
  return new BgpError(ErrorCode.RouteRefresh, RouteRefreshSubcode.InvalidMessageLength, Buffer.from(message));
}

/**
 * Splits a TCP byte stream into whole BGP messages. Chunks are kept as a list and only concatenated when a
 * message spans them, so a large burst of small messages is not copied repeatedly.
 */
export class MessageFramer {
  #chunks: Buffer[] = [];
  #buffered = 0;
  #failed = false;
  maxMessageSize: number;

  constructor(maxMessageSize: number) {
    this.maxMessageSize = maxMessageSize;
  }

  push(chunk: Buffer): void {
    if (this.#failed || chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  get buffered(): number {
    return this.#buffered;
  }

  /** The next whole message (header included), an error (framing is then dead), or undefined if incomplete. */
  next(): Decoded<{ header: MessageHeader; message: Buffer }> | undefined {
    if (this.#failed || this.#buffered < HEADER_LENGTH) return undefined;
    const head = this.#peek(HEADER_LENGTH);
    const header = decodeHeader(head, this.maxMessageSize);
    if (!header.ok) {
      this.#failed = true;
      return header;
    }
    if (this.#buffered < header.value.length) return undefined;
    return ok({ header: header.value, message: this.#take(header.value.length) });
  }

  #peek(n: number): Buffer {
    const first = this.#chunks[0]!;
    if (first.length >= n) return first;
    this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0]!;
  }

  #take(n: number): Buffer {
    const first = this.#peek(n);
    const out = first.subarray(0, n);
    if (first.length === n) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(n);
    this.#buffered -= n;
    return out;
  }
}
