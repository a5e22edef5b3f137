// Desired-RIB bookkeeping: per-Service contributions merged per (peer, prefix), and the diff of the desired
// routes against what the sessions already carry. Incremental so one Service change costs O(its routes),
// not O(all Services) — 10,000 Services must not mean 10,000 recomputations per endpoint flap.

import { getOrCreate } from '../util.ts';
import { mergeAttributes, type RouteContribution } from './decide.ts';
import type { DesiredRoute, DrainState, RouteAttributes } from './model.ts';

export interface PeerPrefix {
  readonly peer: string;
  readonly prefix: string;
}

/**
 * The Services contributing one (peer, prefix). Nearly always exactly one, kept as a plain pair: a Map per
 * (peer, prefix) costs ~440 bytes of hash table, 13 MiB at 10,000 Services and 3 peers (heap snapshot,
 * docs/performance.md). A Map only once a second Service shares the prefix (shared IP, aggregation).
 */
type Contributors =
  | { readonly service: string; readonly contribution: RouteContribution }
  | Map<string, RouteContribution>;

function contributorsGet(c: Contributors, service: string): RouteContribution | undefined {
  return c instanceof Map ? c.get(service) : c.service === service ? c.contribution : undefined;
}

export class DesiredRibIndex {
  readonly #byService = new Map<string, readonly RouteContribution[]>();
  readonly #byPeer = new Map<string, Map<string, Contributors>>();

  /** Replaces one Service's contributions; returns the (peer, prefix) pairs whose desired route may differ. */
  set(service: string, routes: readonly RouteContribution[]): PeerPrefix[] {
    const touched: PeerPrefix[] = [];
    for (const r of this.#byService.get(service) ?? []) {
      const prefixes = this.#byPeer.get(r.peer);
      const contributors = prefixes?.get(r.prefix);
      if (!contributors || !this.#remove(prefixes!, r.prefix, contributors, service)) continue;
      touched.push({ peer: r.peer, prefix: r.prefix });
      if (prefixes!.size === 0) this.#byPeer.delete(r.peer);
    }
    if (routes.length === 0) this.#byService.delete(service);
    else this.#byService.set(service, routes);
    for (const r of routes) {
      const prefixes = getOrCreate(this.#byPeer, r.peer, () => new Map<string, Contributors>());
      const contributors = prefixes.get(r.prefix);
      const previous = contributors && contributorsGet(contributors, service);
      // decideService gives one contribution per (peer, prefix); should two arrive, merge, never overwrite.
      const contribution = previous
        ? { ...r, attributes: mergeAttributes([previous.attributes, r.attributes], 'max') }
        : r;
      if (!contributors || (!(contributors instanceof Map) && contributors.service === service))
        prefixes.set(r.prefix, { service, contribution });
      else if (contributors instanceof Map) contributors.set(service, contribution);
      else
        prefixes.set(
          r.prefix,
          new Map([
            [contributors.service, contributors.contribution],
            [service, contribution],
          ]),
        );
      touched.push({ peer: r.peer, prefix: r.prefix });
    }
    return touched;
  }

  /** Removes SERVICE from one prefix's contributors; false when it was not one of them. */
  #remove(prefixes: Map<string, Contributors>, prefix: string, c: Contributors, service: string): boolean {
    if (!(c instanceof Map)) {
      if (c.service !== service) return false;
      prefixes.delete(prefix);
      return true;
    }
    if (!c.delete(service)) return false;
    if (c.size === 1) {
      const [[other, contribution]] = c;
      prefixes.set(prefix, { service: other!, contribution: contribution! });
    } else if (c.size === 0) prefixes.delete(prefix);
    return true;
  }

  services(): IterableIterator<string> {
    return this.#byService.keys();
  }

  /** What SERVICE contributes now (as last set). */
  contributions(service: string): readonly RouteContribution[] {
    return this.#byService.get(service) ?? [];
  }

  route(peer: string, prefix: string): DesiredRoute | undefined {
    const c = this.#byPeer.get(peer)?.get(prefix);
    if (!c) return undefined;
    const entries: [string, RouteContribution][] = c instanceof Map ? [...c] : [[c.service, c.contribution]];
    if (entries.length === 0) return undefined;
    const list = entries.map(([, x]) => x);
    const drain = drainOf(list.map((x) => x.drain));
    return {
      prefix,
      family: list[0]!.family,
      // A lone contribution's attributes are already in merged form (decideService): shared, not copied.
      attributes: list.length === 1 ? list[0]!.attributes : mergeAttributes(list.map((x) => x.attributes)),
      services: entries.map(([s]) => s).sort(),
      ...(drain ? { drain } : {}),
    };
  }

  *routes(peer: string): IterableIterator<DesiredRoute> {
    for (const prefix of this.#byPeer.get(peer)?.keys() ?? []) yield this.route(peer, prefix)!;
  }

  prefixCount(peer: string): number {
    return this.#byPeer.get(peer)?.size ?? 0;
  }
}

/** A prefix drains while every contribution drains: from the first start to the last withdrawal. */
function drainOf(drains: readonly (DrainState | undefined)[]): DrainState | undefined {
  let since = Infinity;
  let withdrawAt = -Infinity;
  for (const d of drains) {
    if (d === undefined) return undefined;
    since = Math.min(since, d.since);
    withdrawAt = Math.max(withdrawAt, d.withdrawAt);
  }
  return drains.length > 0 ? { since, withdrawAt } : undefined;
}

export function attributesEqual(a: RouteAttributes, b: RouteAttributes): boolean {
  return (
    a.localPref === b.localPref &&
    a.weight === b.weight &&
    (a.gracefulShutdown ?? false) === (b.gracefulShutdown ?? false) &&
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
