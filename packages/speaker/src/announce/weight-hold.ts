// The hold-down that keeps endpoint churn from becoming route churn under `weighting: endpoints`. A route is
// announced with its weight at once; after that a change of the desired weight opens a window of
// `weightHoldDown`, and only at its end is the weight of that moment sent — nothing, if it is back to the one
// on the wire. So a route's weight changes on the wire at most once per window, whatever the Pods do, and
// always settles on the current count. Pure: the caller passes `now` and reconciles the due Services then.

import { getOrCreate } from '../util.ts';

interface Held {
  readonly service: string;
  /** The weight on the wire. */
  applied: number;
  /** End of the open window; undefined when none is open. */
  until?: number;
}

export class WeightHoldDown {
  /** Service → route group (advertisement and family) → state: one weight per route group of a Service. */
  readonly #byService = new Map<string, Map<string, Held>>();
  /** The states with an open window: what the deadline questions look at, however many Services there are. */
  readonly #open = new Set<Held>();

  /** The weight to announce now for the routes of SERVICE in GROUP, whose current weight is DESIRED. */
  apply(service: string, group: string, desired: number, holdMs: number, now: number): number {
    const groups = getOrCreate(this.#byService, service, () => new Map<string, Held>());
    const h = groups.get(group);
    if (h === undefined) {
      groups.set(group, { service, applied: desired });
      return desired;
    }
    if (desired === h.applied) {
      this.#close(h); // churned back: the window closes with nothing to send
      return h.applied;
    }
    if (h.until === undefined) {
      h.until = now + holdMs;
      this.#open.add(h);
    }
    if (now >= h.until) {
      h.applied = desired;
      this.#close(h);
    }
    return h.applied;
  }

  #close(h: Held): void {
    h.until = undefined;
    this.#open.delete(h);
  }

  /** Forgets SERVICE's groups not in KEEP: a group that reappears is announced with its weight at once. */
  retain(service: string, keep: ReadonlySet<string>): void {
    const groups = this.#byService.get(service);
    if (groups === undefined) return;
    for (const [group, h] of groups)
      if (!keep.has(group)) {
        this.#close(h);
        groups.delete(group);
      }
    if (groups.size === 0) this.#byService.delete(service);
  }

  /**
   * The earliest end of an open window, if any — also one already past: a window stays open until its Service
   * is reconciled after its end, and the timer that should have done that may have fired a few ms early (Node
   * runs timers on the loop's cached clock), so a past end still needs a timer (at once).
   */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const h of this.#open) if (next === undefined || h.until! < next) next = h.until;
    return next;
  }

  /** Services with a window that has ended by NOW: reconcile them so the held weight goes out. */
  due(now: number): string[] {
    const out = new Set<string>();
    for (const h of this.#open) if (h.until! <= now) out.add(h.service);
    return [...out];
  }
}
