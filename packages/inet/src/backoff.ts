/**
 * The one retry backoff of every Herald program: exponential growth with a cap and jitter that only
 * shortens a delay (RFC 4271 §10 asks for jitter on BGP's timers; the same rule keeps N speakers or
 * controller replicas from retrying against a recovering apiserver in lock step). Pure: randomness is
 * injected, no clock is read, so callers decide when a failure streak ends.
 */

export interface BackoffParams {
  /** Delay after the first failure, ms. */
  readonly initialMs: number;
  /** Cap on the delay, ms (jitter only shortens, so the cap stays a cap). */
  readonly maxMs: number;
  /** Growth per consecutive failure; 2 doubles. */
  readonly multiplier: number;
  /** Fraction in [0, 1): the delay is drawn uniformly from [d × (1 − jitter), d]. */
  readonly jitter: number;
}

/** The delay before retry number `attempt` (1 = after the first failure), for a uniform draw in [0, 1). */
export function backoffDelay(params: BackoffParams, attempt: number, draw: number): number {
  const { initialMs, maxMs, multiplier, jitter } = params;
  const base = Math.min(maxMs, initialMs * multiplier ** Math.max(0, attempt - 1));
  return Math.round(base * (1 - jitter * draw));
}

/** A failure streak: `next()` records a failure and returns the delay before the next attempt. */
export class Backoff {
  readonly params: BackoffParams;
  readonly #random: () => number;
  #failures = 0;

  constructor(params: BackoffParams, random: () => number = Math.random) {
    this.params = params;
    this.#random = random;
  }

  /** Consecutive failures since the last reset. */
  get failures(): number {
    return this.#failures;
  }

  next(): number {
    this.#failures++;
    return backoffDelay(this.params, this.#failures, this.#random());
  }

  /** The streak is over (a success, or a session that stayed up long enough): start again at initialMs. */
  reset(): void {
    this.#failures = 0;
  }
}
