/**
 * Time as the platform layer sees it: wall-clock milliseconds and one-shot timers. Injected everywhere
 * (reflector, Event recorder, work queue) so their retry, rate-limit and backoff rules are unit-tested on a
 * fake clock instead of real sleeps.
 */
export interface Clock {
  /** Milliseconds since the epoch (Date.now()). */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
};
