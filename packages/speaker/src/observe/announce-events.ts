// Decides WHEN to tell the user (with a Service Event) that this node started or stopped announcing a Service.
// Flapping endpoints must not flood etcd with Events: per Service at most one Event per cooldown, and a state
// that flipped and flipped back inside the cooldown produces no Event at all. Clock and timers are injected so
// the rules are unit-tested without real time.

import { type Clock, realClock } from '@herald/kube';

export interface AnnouncementState {
  readonly announcing: boolean;
  /** Human-readable detail: prefixes and peers when announcing, the reason when not. */
  readonly detail: string;
}

interface KeyState {
  emitted?: boolean;
  emittedAt: number;
  current: AnnouncementState;
  /** Timer handle of the flush scheduled for the end of the cooldown. */
  pending?: unknown;
}

export class AnnouncementEventThrottle {
  readonly #keys = new Map<string, KeyState>();
  readonly #emit: (key: string, state: AnnouncementState) => void;
  readonly #clock: Clock;
  readonly #cooldownMs: number;

  constructor(
    emit: (key: string, state: AnnouncementState) => void,
    cooldownMs = 30_000,
    clock: Clock = realClock,
  ) {
    this.#emit = emit;
    this.#cooldownMs = cooldownMs;
    this.#clock = clock;
  }

  /** Records the state without an Event: used for the first decision after start, which is not a change. */
  baseline(key: string, state: AnnouncementState): void {
    this.#keys.set(key, { emitted: state.announcing, emittedAt: -Infinity, current: state });
  }

  observe(key: string, state: AnnouncementState): void {
    let k = this.#keys.get(key);
    if (!k) {
      k = { emitted: false, emittedAt: -Infinity, current: state };
      this.#keys.set(key, k);
    }
    k.current = state;
    if (k.pending !== undefined) return; // the pending flush will look at the latest state
    if (k.emitted === state.announcing) return;
    const entry = k;
    const wait = entry.emittedAt + this.#cooldownMs - this.#clock.now();
    if (wait <= 0) this.#flush(key, entry);
    else entry.pending = this.#clock.setTimeout(() => this.#flush(key, entry), wait);
  }

  /** The Service is gone: forget it (no Event: the object it would be attached to no longer exists). */
  forget(key: string): void {
    const k = this.#keys.get(key);
    if (k?.pending !== undefined) this.#clock.clearTimeout(k.pending);
    this.#keys.delete(key);
  }

  #flush(key: string, k: KeyState): void {
    k.pending = undefined;
    if (this.#keys.get(key) !== k || k.emitted === k.current.announcing) return;
    k.emitted = k.current.announcing;
    k.emittedAt = this.#clock.now();
    this.#emit(key, k.current);
  }

  stop(): void {
    for (const k of this.#keys.values()) if (k.pending !== undefined) this.#clock.clearTimeout(k.pending);
  }
}
