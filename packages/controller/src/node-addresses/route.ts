// Which kind of pool serves a Service: a node-address pool (this module) or a pool of address ranges (the
// allocator). A Service gets a node-address pool exactly like any other pool — by the herald.dev/address-pool
// annotation, or automatically through autoAssign, serviceAllocation and the pools' preference order — so the
// decision is made here once, before the allocator is asked.

import { comparePoolPreference } from '@herald/config';
import {
  type AllocationError,
  type AllocationRequest,
  type PoolDefinition,
  poolAllows,
  wantedFamilies,
} from '../allocator/index.ts';

/** A pool whose addresses are node addresses. */
export type NodeAddressPool = PoolDefinition & {
  readonly nodeAddresses: NonNullable<PoolDefinition['nodeAddresses']>;
};

export type PoolRoute =
  | { readonly kind: 'allocator' }
  | { readonly kind: 'node-addresses'; readonly pool: NodeAddressPool }
  | { readonly kind: 'error'; readonly error: AllocationError };

export const isNodeAddressPool = (p: PoolDefinition): p is NodeAddressPool => p.nodeAddresses !== undefined;

/**
 * - A requested pool decides: a node-address pool serves the Service if its serviceAllocation allows it, and
 *   cannot be combined with requested addresses (a node address is not the Service's to choose).
 * - Requested addresses without a pool go to the allocator (it reports addresses outside every range pool).
 * - Otherwise the most preferred pool that may serve the Service automatically (autoAssign, serviceAllocation,
 *   then comparePoolPreference, ties in config order) and can serve its primary family decides. A node-address
 *   pool counts as able to serve any family: the Nodes' addresses are only known later, and a pool that cannot
 *   serve the family says so in its own AllocationFailed Event instead of silently passing the Service on.
 */
export function routeService(pools: readonly PoolDefinition[], request: AllocationRequest): PoolRoute {
  if (request.pool !== undefined) {
    const pool = pools.find((p) => p.name === request.pool);
    if (pool === undefined || !isNodeAddressPool(pool)) return { kind: 'allocator' };
    if (request.ips.length > 0)
      return {
        kind: 'error',
        error: {
          cause: 'ConflictingRequest',
          message: `address pool "${pool.name}" hands out node addresses, which cannot be requested (${request.ips.join(', ')}); remove the requested addresses or ask for another pool`,
        },
      };
    if (!poolAllows(pool, request))
      return {
        kind: 'error',
        error: {
          cause: 'PoolNotAllowed',
          message: `address pool "${pool.name}" does not serve this Service (its serviceAllocation excludes namespace "${request.namespace}" or the Service's labels)`,
        },
      };
    return { kind: 'node-addresses', pool };
  }
  if (request.ips.length > 0) return { kind: 'allocator' };
  const primary = wantedFamilies(request)[0]!;
  const first = pools
    .filter((p) => p.autoAssign && poolAllows(p, request))
    .filter((p) => isNodeAddressPool(p) || p.addresses.some((r) => r.family === primary))
    .sort(comparePoolPreference)[0];
  return first !== undefined && isNodeAddressPool(first)
    ? { kind: 'node-addresses', pool: first }
    : { kind: 'allocator' };
}
