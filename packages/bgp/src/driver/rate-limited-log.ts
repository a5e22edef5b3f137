/**
 * One log line per key and interval, however often something happens: the first occurrence is logged at once,
 * later ones within the interval are only counted and reported (`suppressed`) with the next line that gets
 * through. For events a remote party can trigger at will (connections to the BGP port), so that a flood costs
 * a counter increment each, never a log line each — log history is evidence and must not be rotated away.
 */
import type { Clock, Logger } from '../types.ts';

export class RateLimitedLog {
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #last = new Map<string, { at: number; suppressed: number }>();

  constructor(logger: Logger, clock: Clock, intervalMs: number) {
    this.#logger = logger;
    this.#clock = clock;
    this.#intervalMs = intervalMs;
  }

  warn(key: string, fields: Record<string, unknown>, message: string): void {
    const now = this.#clock.now();
    const last = this.#last.get(key);
    if (last !== undefined && now - last.at < this.#intervalMs) {
      last.suppressed++;
      return;
    }
    const suppressed = last?.suppressed ?? 0;
    this.#last.set(key, { at: now, suppressed: 0 });
    this.#logger.warn(suppressed > 0 ? { ...fields, suppressed } : fields, message);
  }
}
