// The controller's /status document: which configuration this replica runs and, on the leader, how full each
// pool is and how many Services wait for an address. Read by `heraldctl doctor`; like the speaker's, the shape
// is a public contract: add fields, never rename them.

import { toIPFamily } from '@herald/inet';
import type { ConfigStatus } from '@herald/kube';
import type { PoolStats } from './allocator/index.ts';

export interface ControllerStatusDocument {
  readonly kind: 'HeraldControllerStatus';
  /** This replica: the Pod name, as in the Lease and in Events. */
  readonly identity: string;
  readonly version: string;
  readonly leader: boolean;
  readonly ready: boolean;
  readonly config: ConfigStatus;
  /** The leader's allocator, per pool and family (empty on a standby, which allocates nothing). */
  readonly pools: ReadonlyArray<{
    readonly pool: string;
    readonly family: 'IPv4' | 'IPv6';
    /** Assignable addresses; a float above 2^53 (a /64 has 2^64). */
    readonly total: number;
    readonly inUse: number;
  }>;
  /** Services whose last allocation failed (fully, or one family of PreferDualStack); leader only. */
  readonly waiting: number;
}

export function buildControllerStatus(args: {
  identity: string;
  version: string;
  leader: boolean;
  ready: boolean;
  config: ConfigStatus;
  pools: readonly PoolStats[];
  waiting: number;
}): ControllerStatusDocument {
  return {
    kind: 'HeraldControllerStatus',
    identity: args.identity,
    version: args.version,
    leader: args.leader,
    ready: args.ready,
    config: args.config,
    pools: args.leader
      ? args.pools.map((p) => ({
          pool: p.pool,
          family: toIPFamily(p.family),
          total: Number(p.total),
          inUse: Number(p.inUse),
        }))
      : [],
    waiting: args.leader ? args.waiting : 0,
  };
}
