/**
 * The byte pipe a BgpSession drives. A thin adapter over net.Socket in production; a fake in tests (which is
 * how backpressure is tested deterministically).
 */
import type { TransportInfo } from '../fsm/events.ts';

export interface TransportHandlers {
  data(chunk: Buffer): void;
  /** The transport can take more data after `write()` returned false. */
  drain(): void;
  closed(reason: string): void;
}

export interface BgpTransport {
  readonly info: TransportInfo;
  /** Queue bytes; returns false when the caller should wait for `drain` before writing more bulk data. */
  write(data: Buffer): boolean;
  /** Flush what was written, then close (used after a NOTIFICATION). */
  end(): void;
  /** Close immediately, dropping unsent data. */
  destroy(): void;
  attach(handlers: TransportHandlers): void;
}
