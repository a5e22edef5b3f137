/**
 * Bounds-checked big-endian reader over a Buffer slice. Decoders check `remaining` before reading and turn a
 * shortfall into the RFC's NOTIFICATION; `ReaderUnderflow` is only a safety net that the top-level decoder
 * converts to a BgpError, so malformed input can never surface as an exception.
 */
export class ReaderUnderflow extends Error {
  constructor() {
    super('read past end of message');
    this.name = 'ReaderUnderflow';
  }
}

export class Reader {
  readonly buf: Buffer;
  offset: number;
  readonly end: number;

  constructor(buf: Buffer, offset = 0, end = buf.length) {
    this.buf = buf;
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  #need(n: number): void {
    if (this.offset + n > this.end) throw new ReaderUnderflow();
  }

  u8(): number {
    this.#need(1);
    return this.buf[this.offset++]!;
  }

  u16(): number {
    this.#need(2);
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  u32(): number {
    this.#need(4);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  /** A view (no copy) of the next n bytes. */
  bytes(n: number): Buffer {
    this.#need(n);
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  /** A sub-reader over the next n bytes; advances this reader past them. */
  sub(n: number): Reader {
    this.#need(n);
    const r = new Reader(this.buf, this.offset, this.offset + n);
    this.offset += n;
    return r;
  }
}
