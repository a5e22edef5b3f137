// A list of pool names in an advertisement (bgpAdvertisements, l2Advertisements): each must name a pool,
// once. An empty list selects every pool.
import type { Path } from '../path.ts';
import { suggestion } from '../shape.ts';
import { type Ctx, err, field, list, str } from './context.ts';

/** Checks `adv.addressPools` at `path` and returns the indexes of the pools it selects. */
export function checkPoolReferences(ctx: Ctx, adv: unknown, path: Path, pools: readonly unknown[]): number[] {
  const poolNames = pools.map((p) => str(field(p, 'name')));
  const known = poolNames.filter((n): n is string => n !== undefined);
  const selected: number[] = [];
  const listed = list(field(adv, 'addressPools'));
  listed.forEach((n, k) => {
    if (typeof n !== 'string') return;
    const idx = poolNames.indexOf(n);
    if (idx < 0) err(ctx, [...path, 'addressPools', k], `unknown pool "${n}"${suggestion(n, known)}`);
    else if (listed.indexOf(n) !== k) err(ctx, [...path, 'addressPools', k], `pool "${n}" is listed twice`);
    else selected.push(idx);
  });
  if (listed.length === 0) selected.push(...pools.keys());
  return selected;
}
