// Warnings about a valid but probably unintended config: addresses that are assigned but never announced.
// Node-address pools are never announced (validate/node-addresses.ts), so they need no peer or advertisement.
import { type Ctx, field, list, str, warn } from './context.ts';
import { isNodeAddressPool } from './node-addresses.ts';

/** Whether one of `advs` covers pool `name` (an empty addressPools list covers every pool). */
function covers(advs: readonly unknown[], name: string): boolean {
  return advs.some((a) => {
    const l = list(field(a, 'addressPools'));
    return l.length === 0 || l.includes(name);
  });
}

export function checkCoverage(
  ctx: Ctx,
  pools: readonly unknown[],
  peers: readonly unknown[],
  advs: readonly unknown[],
  l2: readonly unknown[],
): void {
  if (!pools.some((p) => !isNodeAddressPool(p))) return;
  if (peers.length === 0 && l2.length === 0) {
    warn(ctx, ['peers'], 'no peers configured: addresses are assigned but not announced anywhere');
    return;
  }
  pools.forEach((pool, i) => {
    const n = str(field(pool, 'name'));
    if (n === undefined || isNodeAddressPool(pool)) return;
    if (!(peers.length > 0 && covers(advs, n)) && !covers(l2, n))
      warn(
        ctx,
        ['addressPools', i, 'name'],
        `pool "${n}" is not in any bgpAdvertisement${l2.length > 0 ? ' or l2Advertisement' : ''}: its addresses are assigned but not announced`,
      );
  });
}
