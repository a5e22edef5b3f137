/**
 * The clock and timers the BFD engine runs on. The real one is `performance.now()` and `setTimeout` of the
 * thread the engine lives in (a worker_thread in the speaker, so the main thread's garbage collection and
 * reconciles cannot delay it); tests drive a manual one.
 */

export interface TimerHandle {
  cancel(): void;
}

export interface Scheduler {
  /** Monotonic milliseconds. */
  now(): number;
  /** Runs `fn` once at `at` (ms on the `now()` clock); an `at` in the past runs it as soon as possible. */
  at(at: number, fn: () => void): TimerHandle;
}

/** Node's setTimeout takes at most 2^31−1 ms; a longer delay fires early and the caller re-arms. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** `performance.now()` and `setTimeout`, with long delays clamped (the BFD machine re-arms early expiries). */
export const realScheduler: Scheduler = {
  now: () => performance.now(),
  at(at, fn) {
    const delay = Math.min(MAX_TIMER_DELAY_MS, Math.max(0, at - performance.now()));
    const t = setTimeout(fn, delay);
    return { cancel: () => clearTimeout(t) };
  },
};
