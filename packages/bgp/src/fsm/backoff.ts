/**
 * Damped reconnect (RFC 4271 §8.1.1 DampPeerOscillations): exponential backoff with jitter. The failure count
 * only resets after a session stayed Established for `stableMs`, so a peer that answers every OPEN with a
 * NOTIFICATION is retried ever more slowly instead of in a tight loop (MetalLB's failure mode).
 */
export interface BackoffParams {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly multiplier: number;
  readonly jitter: number;
  readonly stableMs: number;
}

export class ReconnectBackoff {
  readonly #params: BackoffParams;
  readonly #random: () => number;
  #failures = 0;

  constructor(params: BackoffParams, random: () => number) {
    this.#params = params;
    this.#random = random;
  }

  get failures(): number {
    return this.#failures;
  }

  /** Record a failure and return the delay before the next attempt. */
  nextDelay(): number {
    this.#failures++;
    const { initialMs, maxMs, multiplier, jitter } = this.#params;
    const base = Math.min(maxMs, initialMs * multiplier ** (this.#failures - 1));
    // Jitter only shortens the delay (RFC 4271 §10: 75%-100%), so the cap stays a cap.
    return Math.round(base * (1 - jitter * this.#random()));
  }

  /** A session that was Established for `establishedMs` ended; reset if it was stable. */
  sessionEnded(establishedMs: number): void {
    if (establishedMs >= this.#params.stableMs) this.#failures = 0;
  }
}
