// addressPools: every entry parses (CIDR or range, @herald/inet's syntax), no address is in two entries,
// and serviceAllocation names namespaces and selectors that can exist.
import { type AddressRange, parseAddressRange } from '@herald/inet';
import { isObject } from '../shape.ts';
import { type Ctx, checkDuplicateNames, err, field, list, NAME, str } from './context.ts';
import { checkSelectorList } from './selectors.ts';

/** Each pool's parsed entries, by pool index; what the advertisements' checks and the build read. */
export type ParsedPools = ReadonlyMap<number, readonly AddressRange[]>;

interface ParsedEntry {
  readonly pool: number;
  readonly entry: number;
  readonly poolName: string;
  readonly range: AddressRange;
}

export function checkPools(ctx: Ctx, pools: readonly unknown[]): ParsedPools {
  checkDuplicateNames(ctx, pools, 'addressPools', 'pool');
  const parsed = new Map<number, AddressRange[]>();
  const all: ParsedEntry[] = [];
  pools.forEach((pool, i) => {
    const ranges: AddressRange[] = [];
    const poolName = str(field(pool, 'name')) ?? `#${i}`;
    list(field(pool, 'addresses')).forEach((a, k) => {
      if (typeof a !== 'string') return;
      const r = parseAddressRange(a);
      if (!r.ok) {
        err(ctx, ['addressPools', i, 'addresses', k], r.reason);
        return;
      }
      ranges.push(r.range);
      all.push({ pool: i, entry: k, poolName, range: r.range });
    });
    parsed.set(i, ranges);
    const sa = field(pool, 'serviceAllocation');
    if (isObject(sa)) {
      list(sa.namespaces).forEach((ns, k) => {
        if (typeof ns === 'string' && !NAME.test(ns))
          err(
            ctx,
            ['addressPools', i, 'serviceAllocation', 'namespaces', k],
            `"${ns}" is not a valid namespace name`,
          );
      });
      checkSelectorList(ctx, sa.namespaceSelectors, [
        'addressPools',
        i,
        'serviceAllocation',
        'namespaceSelectors',
      ]);
      checkSelectorList(ctx, sa.serviceSelectors, [
        'addressPools',
        i,
        'serviceAllocation',
        'serviceSelectors',
      ]);
    }
  });
  checkOverlaps(ctx, all);
  return parsed;
}

/**
 * Pools must not overlap (each address belongs to exactly one pool, so "which pool is this IP from" has one
 * answer), and entries within one pool must not overlap either. Sort + sweep: O(n log n) for any size.
 */
function checkOverlaps(ctx: Ctx, all: readonly ParsedEntry[]): void {
  const order = (e: ParsedEntry): number => e.pool * 1e6 + e.entry;
  const sorted = [...all].sort((a, b) =>
    a.range.family !== b.range.family
      ? a.range.family < b.range.family
        ? -1
        : 1
      : a.range.start < b.range.start
        ? -1
        : a.range.start > b.range.start
          ? 1
          : order(a) - order(b),
  );
  let widest: ParsedEntry | undefined;
  for (const cur of sorted) {
    if (
      widest !== undefined &&
      widest.range.family === cur.range.family &&
      cur.range.start <= widest.range.end
    ) {
      // Report on the entry written later, naming the earlier one.
      const [later, earlier] = order(cur) > order(widest) ? [cur, widest] : [widest, cur];
      const where =
        later.pool === earlier.pool
          ? `addressPools[${earlier.pool}].addresses[${earlier.entry}] in the same pool`
          : `addressPools[${earlier.pool}].addresses[${earlier.entry}] of pool "${earlier.poolName}"`;
      err(
        ctx,
        ['addressPools', later.pool, 'addresses', later.entry],
        `"${later.range.text}" overlaps "${earlier.range.text}" (${where})`,
      );
    }
    if (widest === undefined || widest.range.family !== cur.range.family || cur.range.end > widest.range.end)
      widest = cur;
  }
}
