// Desired-RIB bookkeeping: per-Service contributions merged per (peer, prefix), and the diff of the desired
// routes against what the sessions already carry. Incremental so one Service change costs O(its routes),
// not O(all Services) — 10,000 Services must not mean 10,000 recomputations per endpoint flap.

import { getOrCreate } from '../util.ts';
import { mergeAttributes, type RouteContribution } from './decide.ts';
import type { DesiredRoute, RouteAttributes } from './model.ts';

export interface PeerPrefix {
  readonly peer: string;
  readonly prefix: string;
}

export class DesiredRibIndex {
  readonly #byService = new Map<string, readonly RouteContribution[]>();
  readonly #byPeer = new Map<string, Map<string, Map<string, RouteContribution>>>();

  /** Replaces one Service's contributions; returns the (peer, prefix) pairs whose desired route may differ. */
  set(service: string, routes: readonly RouteContribution[]): PeerPrefix[] {
    const touched: PeerPrefix[] = [];
    for (const r of this.#byService.get(service) ?? []) {
      const prefixes = this.#byPeer.get(r.peer);
      const contributors = prefixes?.get(r.prefix);
      if (!contributors?.delete(service)) continue;
      touched.push({ peer: r.peer, prefix: r.prefix });
      if (contributors.size === 0) prefixes!.delete(r.prefix);
      if (prefixes!.size === 0) this.#byPeer.delete(r.peer);
    }
    if (routes.length === 0) this.#byService.delete(service);
    else this.#byService.set(service, routes);
    for (const r of routes) {
      const prefixes = getOrCreate(this.#byPeer, r.peer, () => new Map());
      const contributors = getOrCreate(prefixes, r.prefix, () => new Map<string, RouteContribution>());
      const previous = contributors.get(service);
      // Two advertisements may give one Service the same prefix for one peer: merge rather than overwrite.
      contributors.set(
        service,
        previous ? { ...r, attributes: mergeAttributes([previous.attributes, r.attributes]) } : r,
      );
      touched.push({ peer: r.peer, prefix: r.prefix });
    }
    return touched;
  }

  services(): IterableIterator<string> {
    return this.#byService.keys();
  }

  route(peer: string, prefix: string): DesiredRoute | undefined {
    const contributors = this.#byPeer.get(peer)?.get(prefix);
    if (!contributors || contributors.size === 0) return undefined;
    const list = [...contributors.values()];
    return {
      prefix,
      family: list[0]!.family,
      attributes: mergeAttributes(list.map((c) => c.attributes)),
      services: [...contributors.keys()].sort(),
    };
  }

  *routes(peer: string): IterableIterator<DesiredRoute> {
    for (const prefix of this.#byPeer.get(peer)?.keys() ?? []) yield this.route(peer, prefix)!;
  }

  prefixCount(peer: string): number {
    return this.#byPeer.get(peer)?.size ?? 0;
  }
}

export function attributesEqual(a: RouteAttributes, b: RouteAttributes): boolean {
  return (
    a.localPref === b.localPref &&
    a.communities.length === b.communities.length &&
    a.communities.every((c, i) => c === b.communities[i]) &&
    a.largeCommunities.length === b.largeCommunities.length &&
    a.largeCommunities.every((c, i) => c === b.largeCommunities[i])
  );
}

export interface PeerDelta {
  readonly announce: DesiredRoute[];
  readonly withdraw: string[];
}

/**
 * What to send one peer so its Adj-RIB-Out matches the desired routes, looking only at `prefixes` (the touched
 * ones) or at everything when omitted. Unchanged routes produce nothing, which is what makes relists and
 * resyncs free of withdraw/re-announce churn.
 */
export function diffPeer(
  desired: (prefix: string) => DesiredRoute | undefined,
  desiredPrefixes: Iterable<string>,
  announced: ReadonlyMap<string, { readonly attributes: RouteAttributes } | RouteAttributes>,
  prefixes?: Iterable<string>,
): PeerDelta {
  const announce: DesiredRoute[] = [];
  const withdraw: string[] = [];
  const attrsOf = (v: { readonly attributes: RouteAttributes } | RouteAttributes) =>
    'attributes' in v ? v.attributes : v;
  const check = (prefix: string) => {
    const want = desired(prefix);
    const have = announced.get(prefix);
    if (want && (!have || !attributesEqual(want.attributes, attrsOf(have)))) announce.push(want);
    else if (!want && have) withdraw.push(prefix);
  };
  if (prefixes) {
    for (const p of new Set(prefixes)) check(p);
  } else {
    for (const p of desiredPrefixes) check(p);
    for (const p of announced.keys()) if (!desired(p)) withdraw.push(p);
  }
  return { announce, withdraw };
}
