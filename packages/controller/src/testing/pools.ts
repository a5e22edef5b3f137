// Pool definitions for the controller's tests: a pool of address ranges from their text, and a node-address pool.
import { parseAddressRange } from '@herald/inet';
import type { PoolDefinition } from '../allocator/index.ts';

export function rangePool(
  name: string,
  addresses: string[],
  extra: Partial<PoolDefinition> = {},
): PoolDefinition {
  return {
    name,
    addresses: addresses.map((text) => {
      const r = parseAddressRange(text);
      if (!r.ok) throw new Error(r.reason);
      return r.range;
    }),
    autoAssign: true,
    avoidBuggyIPs: false,
    serviceAllocation: undefined,
    ...extra,
  };
}

export function nodePool(name: string, extra: Partial<PoolDefinition> = {}): PoolDefinition {
  return { ...rangePool(name, []), nodeAddresses: { type: 'InternalIP', nodeSelectors: [] }, ...extra };
}
