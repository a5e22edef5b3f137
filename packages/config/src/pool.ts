// Questions consumers ask about a parsed pool: does it contain this IP, may this Service use it, and in
// which order pools are tried.
import { type IpAddress, parseIp, rangeContains } from '@herald/inet';
import { type Labels, matchesAnySelector } from './selector.ts';
import type { AddressPool } from './types.ts';

/** True when one of the pool's entries holds the address (string or parsed). avoidBuggyIPs is NOT applied. */
export function poolContains(pool: AddressPool, ip: IpAddress | string): boolean {
  const addr = typeof ip === 'string' ? parseIp(ip) : ip;
  if (addr === undefined) return false;
  return pool.addresses.some((r) => rangeContains(r, addr));
}

/** The pool holding the address, if any (pools never overlap, so there is at most one). */
export function poolOf(pools: readonly AddressPool[], ip: IpAddress | string): AddressPool | undefined {
  const addr = typeof ip === 'string' ? parseIp(ip) : ip;
  if (addr === undefined) return undefined;
  return pools.find((p) => poolContains(p, addr));
}

/** What `serviceAllocation` looks at. */
export interface ServiceIdentity {
  readonly namespace: string;
  /**
   * The namespace's labels; undefined when they are not known (the Namespace is not in the cache yet). Then
   * no namespaceSelector matches: a restricted pool is not used on a guess, the Service waits until the
   * labels are known (only `namespaces` by name can admit it meanwhile).
   */
  readonly namespaceLabels?: Labels;
  readonly serviceLabels?: Labels;
}

/**
 * Whether `serviceAllocation` lets this Service use the pool. A pool without serviceAllocation accepts every
 * Service. Otherwise: (namespaces and namespaceSelectors both empty, OR the namespace is listed, OR its labels
 * match one namespaceSelector) AND (serviceSelectors empty OR the Service's labels match one of them).
 * autoAssign is not considered here: that depends on whether the Service asked for the pool.
 */
export function poolAcceptsService(
  pool: Pick<AddressPool, 'serviceAllocation'>,
  svc: ServiceIdentity,
): boolean {
  const sa = pool.serviceAllocation;
  if (sa === undefined) return true;
  const nsRestricted = sa.namespaces.length > 0 || sa.namespaceSelectors.length > 0;
  if (nsRestricted) {
    const listed = sa.namespaces.includes(svc.namespace);
    const selected =
      sa.namespaceSelectors.length > 0 &&
      svc.namespaceLabels !== undefined &&
      matchesAnySelector(sa.namespaceSelectors, svc.namespaceLabels);
    if (!listed && !selected) return false;
  }
  return matchesAnySelector(sa.serviceSelectors, svc.serviceLabels);
}

/**
 * Order in which pools are tried for automatic assignment, specific before general: pools with
 * serviceAllocation and a priority (lower is preferred), then pools with serviceAllocation and no priority,
 * then pools without serviceAllocation. Ties return 0, so a stable sort (Array.prototype.sort is stable) keeps
 * config order: the first pool listed wins, which is what operators expect when they reorder pools. Depends
 * only on the config, so every controller replica makes the same choice.
 */
export function comparePoolPreference(
  a: Pick<AddressPool, 'serviceAllocation'>,
  b: Pick<AddressPool, 'serviceAllocation'>,
): number {
  const [ta, pa] = preferenceTier(a);
  const [tb, pb] = preferenceTier(b);
  return ta - tb || pa - pb;
}

/** [tier, priority]: tier 0 = serviceAllocation with priority, 1 = without priority, 2 = no serviceAllocation. */
function preferenceTier(pool: Pick<AddressPool, 'serviceAllocation'>): readonly [number, number] {
  const sa = pool.serviceAllocation;
  if (sa === undefined) return [2, 0];
  if (sa.priority === undefined) return [1, 0];
  return [0, sa.priority];
}
