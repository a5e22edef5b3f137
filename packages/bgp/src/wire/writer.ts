/**
 * Growable big-endian writer (pg-protocol style): one backing buffer per message, no per-field allocation.
 * `finishMessage(type)` fills in the BGP header so every outgoing message is exactly one Buffer.
 */
import { HEADER_LENGTH } from './messages.ts';

export class Writer {
  #buf: Buffer;
  #offset: number;

  /** Reserves room for the 19-byte header when `withHeader` is set. */
  constructor(initialSize = 256, withHeader = true) {
    this.#buf = Buffer.allocUnsafe(Math.max(initialSize, HEADER_LENGTH));
    this.#offset = withHeader ? HEADER_LENGTH : 0;
  }

  get length(): number {
    return this.#offset;
  }

  #ensure(n: number): void {
    if (this.#offset + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#offset + n));
    this.#buf.copy(next, 0, 0, this.#offset);
    this.#buf = next;
  }

  u8(v: number): this {
    this.#ensure(1);
    this.#buf[this.#offset++] = v;
    return this;
  }

  u16(v: number): this {
    this.#ensure(2);
    this.#buf.writeUInt16BE(v, this.#offset);
    this.#offset += 2;
    return this;
  }

  u32(v: number): this {
    this.#ensure(4);
    this.#buf.writeUInt32BE(v >>> 0, this.#offset);
    this.#offset += 4;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.#ensure(b.length);
    this.#buf.set(b, this.#offset);
    this.#offset += b.length;
    return this;
  }

  /** Reserve `n` bytes to fill later (e.g. a length field); returns their offset. */
  reserve(n: number): number {
    this.#ensure(n);
    const at = this.#offset;
    this.#offset += n;
    return at;
  }

  setU8(at: number, v: number): void {
    this.#buf[at] = v;
  }

  setU16(at: number, v: number): void {
    this.#buf.writeUInt16BE(v, at);
  }

  /** The bytes written so far (a view, not a copy). */
  view(): Buffer {
    return this.#buf.subarray(0, this.#offset);
  }

  /** Fill in marker, length and type; returns the finished message (a view over the backing buffer). */
  finishMessage(type: number): Buffer {
    this.#buf.fill(0xff, 0, 16);
    this.#buf.writeUInt16BE(this.#offset, 16);
    this.#buf[18] = type;
    return this.#buf.subarray(0, this.#offset);
  }
}
