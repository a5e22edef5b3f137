/**
 * The full table of what a peer advertises, with attributes, for callers that want it (tests playing a
 * router, tools): fed from the `routesReceived` reports of a session or peer machine. Sessions never build
 * one themselves — their Adj-RIB-In only counts prefixes (adj-rib-in.ts) — so the memory it takes is the
 * caller's choice.
 */
import { formatPrefix } from '@herald/inet';
import type { Afi, ReceivedRoute, ReceivedRoutes } from '../types.ts';

export class ReceivedRouteTable {
  readonly #routes: Record<Afi, Map<string, ReceivedRoute>> = { ipv4: new Map(), ipv6: new Map() };

  /** Apply one report: withdrawals, then announcements (which replace an earlier route for the prefix). */
  apply(r: ReceivedRoutes): void {
    const table = this.#routes[r.afi];
    for (const p of r.withdrawn) table.delete(formatPrefix(p));
    for (const prefix of r.announced) table.set(formatPrefix(prefix), { prefix, attributes: r.attributes });
  }

  routes(afi?: Afi): ReceivedRoute[] {
    if (afi) return [...this.#routes[afi].values()];
    return [...this.#routes.ipv4.values(), ...this.#routes.ipv6.values()];
  }

  /** The session went down: its routes are gone. */
  clear(): void {
    this.#routes.ipv4.clear();
    this.#routes.ipv6.clear();
  }
}
