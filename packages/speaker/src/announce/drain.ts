// Graceful drain (RFC 8326): a route that goes away for a planned reason is first re-announced with
// GRACEFUL_SHUTDOWN (65535:0) for its advertisement's drainTime, so routers with the matching policy (LOCAL_PREF
// 0) move new flows to the other nodes while this one still forwards; then it is withdrawn. Unplanned losses
// are never delayed. Pure: the caller passes `now`, asks for the next deadline and reconciles the due Services
// then.
import type { RouteContribution, ServiceDecision } from './decide.ts';
import type { DrainState } from './model.ts';

interface Draining extends DrainState {
  /** The drain ran out while the route is still desired (terminating endpoints): it stays withdrawn. */
  done?: boolean;
}

const routeKey = (r: { peer: string; prefix: string }) => `${r.peer}\u0000${r.prefix}`;

function draining(r: RouteContribution, d: DrainState): RouteContribution {
  return {
    ...r,
    attributes: { ...r.attributes, gracefulShutdown: true },
    drain: { since: d.since, withdrawAt: d.withdrawAt },
  };
}

export class DrainTracker {
  /** Service → route key → its drain. Only Services with a drain in progress (or run out) have an entry. */
  readonly #byService = new Map<string, Map<string, Draining>>();

  /**
   * What SERVICE contributes now, given its DECISION and what it contributed until now (PREVIOUS):
   * - routes the decision keeps are announced as they are, ending any drain they were in;
   * - while the decision says `draining` (only terminating endpoints left), its routes drain: announced with
   *   GRACEFUL_SHUTDOWN until the drain time has passed, then left out;
   * - routes the decision dropped for a planned reason drain the same way; for an unplanned one they go now.
   * Routes of advertisements without a drainTime never drain.
   */
  apply(
    service: string,
    decision: Pick<ServiceDecision, 'routes' | 'draining' | 'unplanned'>,
    previous: readonly RouteContribution[],
    now: number,
  ): RouteContribution[] {
    const states = this.#byService.get(service) ?? new Map<string, Draining>();
    const out: RouteContribution[] = [];
    const kept = new Set<string>();
    const drain = (r: RouteContribution, k: string) => {
      let st = states.get(k);
      if (st === undefined) {
        st = { since: now, withdrawAt: now + r.drainMs };
        states.set(k, st);
      }
      kept.add(k);
      if (now < st.withdrawAt) out.push(draining(r, st));
      else st.done = true;
    };
    const desired = new Set<string>();
    for (const r of decision.routes) {
      const k = routeKey(r);
      desired.add(k);
      if (decision.draining && r.drainMs > 0) drain(r, k);
      else out.push(r);
    }
    if (!decision.unplanned) {
      for (const p of previous) {
        const k = routeKey(p);
        if (desired.has(k) || p.drainMs <= 0) continue;
        drain(p, k);
        // Nothing asks for it any more: once run out, nothing needs to remember it.
        if (states.get(k)?.done) states.delete(k);
      }
    }
    for (const k of [...states.keys()]) if (!kept.has(k)) states.delete(k);
    if (states.size > 0) this.#byService.set(service, states);
    else this.#byService.delete(service);
    return out;
  }

  /**
   * The earliest withdrawal not acted on yet, if any — also one already past (its timer may have fired a few ms
   * early and the reconcile after it found nothing due; it still needs one, at once).
   */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const states of this.#byService.values())
      for (const st of states.values())
        if (!st.done && (next === undefined || st.withdrawAt < next)) next = st.withdrawAt;
    return next;
  }

  /** Services with a drain that has run out by NOW and was not acted on yet: reconcile them. */
  due(now: number): string[] {
    const out: string[] = [];
    for (const [service, states] of this.#byService)
      for (const st of states.values())
        if (!st.done && st.withdrawAt <= now) {
          out.push(service);
          break;
        }
    return out;
  }
}
