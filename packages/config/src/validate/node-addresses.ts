// Node-address pools (addressPools[].nodeAddresses): a pool takes its addresses either from its own ranges or
// from the Nodes, never both and never neither; the fields that only mean something for ranges are refused on
// a node-address pool; and such a pool is never named in a bgpAdvertisement, because node addresses are not
// announced (the node already owns its address; kube-proxy serves nodeIP:port, docs/node-addresses.md).
import { isObject } from '../shape.ts';
import { type Ctx, err, field, list, str } from './context.ts';
import { checkSelectorList } from './selectors.ts';

const present = (o: unknown, k: string): boolean => field(o, k) !== undefined && field(o, k) !== null;

/** A raw (shape-checked) pool entry is a node-address pool. */
export const isNodeAddressPool = (pool: unknown): boolean => isObject(field(pool, 'nodeAddresses'));

export function checkNodeAddressPools(ctx: Ctx, pools: readonly unknown[], advs: readonly unknown[]): void {
  const nodePools = new Set<string>();
  pools.forEach((pool, i) => {
    const p = ['addressPools', i];
    const ranges = present(pool, 'addresses');
    const nodes = present(pool, 'nodeAddresses');
    if (!ranges && !nodes) {
      // Reported here, not by the schema's `required`, so the message can name the alternative.
      err(ctx, [...p, 'addresses'], 'is required (or nodeAddresses, for a pool of node addresses)');
      return;
    }
    if (!nodes) return;
    if (ranges)
      err(
        ctx,
        [...p, 'nodeAddresses'],
        'a pool hands out either its own addresses or node addresses: set addresses or nodeAddresses, not both',
      );
    if (field(pool, 'avoidBuggyIPs') === true)
      err(
        ctx,
        [...p, 'avoidBuggyIPs'],
        'applies to address ranges only; a node-address pool hands out node addresses as the Nodes report them',
      );
    const source = field(pool, 'nodeAddresses');
    checkSelectorList(ctx, field(source, 'nodeSelectors'), [...p, 'nodeAddresses', 'nodeSelectors']);
    const name = str(field(pool, 'name'));
    if (name !== undefined && isObject(source)) nodePools.add(name);
  });
  advs.forEach((adv, i) => {
    list(field(adv, 'addressPools')).forEach((n, k) => {
      if (typeof n === 'string' && nodePools.has(n))
        err(
          ctx,
          ['bgpAdvertisements', i, 'addressPools', k],
          `pool "${n}" hands out node addresses, which are never announced over BGP (each node already owns its address); remove it here`,
        );
    });
  });
}
