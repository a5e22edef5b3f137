// The IP allocator: which addresses each Service holds, drawn from address pools. Pure and synchronous —
// no Kubernetes, no clock, no I/O — so the controller can restore, assign and release inside one reconcile and
// tests can drive every rule directly.
//
// Policies (docs/concepts.md "IP allocation"):
// - Automatic allocation takes the LOWEST free address of the first eligible pool. A released address is
//   free again at once. The choice is a pure function of the set of held addresses, so it is the same before
//   and after a controller restart, and a Service that is deleted and re-created gets its address back unless
//   another Service took it in between.
// - A Service keeps what it holds whenever its request still allows it; a request that cannot be satisfied
//   (bad IP, taken IP, exhausted pool, ...) returns errors and leaves the previous assignment untouched. The
//   one exception: an address the Service may no longer share (its sharing key or ports changed so that it
//   now conflicts with the other holders) is dropped, because two Services serving the same IP:port is worse.
// - An address that falls outside every pool after a config change stays assigned ("orphaned"); it is never
//   handed to another Service and becomes allocatable again only if a pool covers it again.

import { annotationProblem, annotations, comparePoolPreference } from '@herald/config';
import {
  families as FAMILIES,
  type Family,
  formatIp,
  type IpAddress,
  parseIp,
  toIPFamily,
} from '@herald/inet';
import { FreeSet } from './interval-tree.ts';
import { PoolSpace } from './pool-space.ts';
import { poolAllows } from './selection.ts';
import type {
  AllocationError,
  AllocationRequest,
  AssignedIP,
  Assignment,
  AssignResult,
  OrphanedIP,
  PoolChange,
  PoolDefinition,
  PoolStats,
  SetPoolsResult,
  Sharing,
} from './types.ts';

interface FamilySpace {
  readonly space: PoolSpace;
  readonly free: FreeSet;
}

interface PoolState {
  readonly def: PoolDefinition;
  readonly spaces: Map<Family, FamilySpace>;
}

/** One held address and everyone holding it (more than one only when sharing). */
interface AddressUse {
  readonly family: Family;
  readonly value: bigint;
  readonly address: string;
  pool: PoolState | null;
  readonly holders: Map<string, Sharing | null>;
  /** The sharing key all holders use, or null for an exclusive holder. */
  sharingKey: string | null;
}

interface Holding {
  uses: AddressUse[];
  sharing: Sharing | null;
}

type Plan =
  | { readonly kind: 'keep'; readonly use: AddressUse }
  | { readonly kind: 'claim'; readonly family: Family; readonly value: bigint; readonly pool: PoolState }
  | { readonly kind: 'taken'; readonly family: Family; readonly ordinal: bigint; readonly pool: PoolState }
  | { readonly kind: 'share'; readonly use: AddressUse };

/**
 * Held addresses by value. Two V8 Map pathologies shape it (both measured by bench:allocator):
 * - BigInt keys hash slowly, so keys are numbers (all of IPv4) or hex strings;
 * - a deleted Map entry stays in its hash chain until the table is rebuilt, and lowest-free allocation deletes
 *   and re-inserts the SAME few keys over and over, so one chain grew by one per operation (80 µs/op after
 *   10^5 operations). Releasing therefore only marks the entry empty; re-holding overwrites it in place, and
 *   the Map is rebuilt when empty entries outnumber live ones (amortised O(1); memory stays O(held)).
 */
class AddressIndex {
  private map = new Map<number | string, AddressUse | null>();
  private empty = 0;

  private static key(value: bigint): number | string {
    return value <= 0x1fffffffffffffn ? Number(value) : value.toString(16);
  }

  get(value: bigint): AddressUse | undefined {
    return this.map.get(AddressIndex.key(value)) ?? undefined;
  }

  set(value: bigint, use: AddressUse): void {
    const key = AddressIndex.key(value);
    if (this.map.get(key) === null) this.empty--;
    this.map.set(key, use);
  }

  delete(value: bigint): void {
    const key = AddressIndex.key(value);
    if (!this.map.get(key)) return;
    this.map.set(key, null);
    this.empty++;
    if (this.empty > 1024 && this.empty > this.map.size - this.empty) {
      const live = new Map<number | string, AddressUse | null>();
      for (const [k, v] of this.map) if (v !== null) live.set(k, v);
      this.map = live;
      this.empty = 0;
    }
  }

  *values(): IterableIterator<AddressUse> {
    for (const v of this.map.values()) if (v !== null) yield v;
  }
}

/** MetalLB's sharing rules: same non-empty key, same backend, no port+protocol in common. */
export function canShare(a: Sharing | null, b: Sharing | null): boolean {
  if (a === null || b === null || a.key === '' || a.key !== b.key) return false;
  if (a.localSelector !== b.localSelector) return false;
  for (const pa of a.ports) {
    for (const pb of b.ports) if (pa.port === pb.port && pa.protocol === pb.protocol) return false;
  }
  return true;
}

function describeSharing(s: Sharing | null): string {
  if (s === null) return 'it has no herald.dev/allow-shared-ip key';
  return `sharing key "${s.key}"`;
}

export class Allocator {
  private pools: PoolState[] = [];
  private poolsByName = new Map<string, PoolState>();
  private readonly uses: Record<Family, AddressIndex> = {
    ipv4: new AddressIndex(),
    ipv6: new AddressIndex(),
  };
  private readonly holdings = new Map<string, Holding>();
  private readonly sharedByKey = new Map<string, Set<AddressUse>>();
  /** Held addresses outside every pool, kept in step so counting them is O(1). */
  private readonly orphanUses = new Set<AddressUse>();

  constructor(pools: readonly PoolDefinition[] = []) {
    this.setPools(pools);
  }

  // ---- pools -------------------------------------------------------------------------------------------

  /**
   * Replaces the pool set. Held addresses are never released here: each is re-homed into the pool that now
   * contains it, or becomes orphaned (outside every pool). O(pools + held addresses × log).
   */
  setPools(defs: readonly PoolDefinition[]): SetPoolsResult {
    const pools: PoolState[] = defs.map((def) => {
      const spaces = new Map<Family, FamilySpace>();
      for (const family of FAMILIES) {
        const space = new PoolSpace(family, def.addresses, def.avoidBuggyIPs);
        if (def.addresses.some((r) => r.family === family))
          spaces.set(family, { space, free: new FreeSet(space.size) });
      }
      return { def, spaces };
    });
    this.pools = pools;
    this.poolsByName = new Map(pools.map((p) => [p.def.name, p]));
    const changed: PoolChange[] = [];
    const orphaned: OrphanedIP[] = [];
    this.orphanUses.clear();
    for (const family of FAMILIES) {
      for (const use of this.uses[family].values()) {
        const before = use.pool?.def.name ?? null;
        const found = this.locate(family, use.value);
        use.pool = found?.pool ?? null;
        if (found !== null) found.fs.free.take(found.ordinal);
        const after = use.pool?.def.name ?? null;
        if (after === null) this.orphanUses.add(use);
        for (const service of use.holders.keys()) {
          if (before !== after) changed.push({ service, address: use.address, from: before, to: after });
          if (after === null) orphaned.push({ service, ip: this.toAssigned(use) });
        }
      }
    }
    return { orphaned, changed };
  }

  private locate(
    family: Family,
    value: bigint,
  ): { pool: PoolState; fs: FamilySpace; ordinal: bigint } | null {
    for (const pool of this.pools) {
      const fs = pool.spaces.get(family);
      if (fs === undefined) continue;
      const ordinal = fs.space.ordinalOf(value);
      if (ordinal !== null) return { pool, fs, ordinal };
    }
    return null;
  }

  // ---- queries -----------------------------------------------------------------------------------------

  assignmentOf(service: string): Assignment | null {
    const h = this.holdings.get(service);
    return h === undefined ? null : this.toAssignment(h);
  }

  /** Services holding an address (text form), in no particular order. */
  holdersOf(address: string): string[] {
    const ip = parseIp(address);
    if (ip === undefined) return [];
    const use = this.uses[ip.family].get(ip.value);
    return use === undefined ? [] : [...use.holders.keys()];
  }

  services(): IterableIterator<string> {
    return this.holdings.keys();
  }

  /** Every held address that lies outside every pool, with its holders. */
  orphans(): OrphanedIP[] {
    const out: OrphanedIP[] = [];
    for (const use of this.orphanUses) {
      for (const service of use.holders.keys()) out.push({ service, ip: this.toAssigned(use) });
    }
    return out;
  }

  /** Distinct held addresses outside every pool. O(1). */
  orphanCount(): number {
    return this.orphanUses.size;
  }

  stats(): PoolStats[] {
    const out: PoolStats[] = [];
    for (const pool of this.pools) {
      for (const [family, fs] of pool.spaces) {
        out.push({ pool: pool.def.name, family, total: fs.space.size, inUse: fs.space.size - fs.free.free });
      }
    }
    return out;
  }

  /** Visited tree nodes across all pools' free sets: evidence for O(log n) in tests. */
  treeSteps(): number {
    let steps = 0;
    for (const pool of this.pools) for (const fs of pool.spaces.values()) steps += fs.free.tree.steps;
    return steps;
  }

  // ---- restore / release ---------------------------------------------------------------------------------

  /**
   * Learns what a Service already holds (its status at start-up). Addresses are accepted even outside every
   * pool (they become orphans); an address held by a Service it may not share with is refused with IPInUse, so
   * the caller decides by ORDER who keeps a contested address (oldest Service first).
   */
  restore(
    service: string,
    addresses: readonly string[],
    sharing: Sharing | null,
  ): { assignment: Assignment; errors: AllocationError[] } {
    this.release(service);
    const errors: AllocationError[] = [];
    const holding: Holding = { uses: [], sharing };
    for (const text of addresses) {
      const ip = parseIp(text);
      if (ip === undefined) {
        errors.push({ cause: 'MalformedIP', message: `status address "${text}" is not an IP address` });
        continue;
      }
      if (holding.uses.some((u) => u.family === ip.family)) {
        errors.push({
          cause: 'FamilyMismatch',
          family: ip.family,
          message: `status holds more than one ${toIPFamily(ip.family)} address; ignoring ${formatIp(ip)}`,
        });
        continue;
      }
      const existing = this.uses[ip.family].get(ip.value);
      const conflict = existing === undefined ? null : this.conflictWith(existing, service, sharing);
      if (existing !== undefined && conflict !== null) {
        errors.push({
          cause: 'IPInUse',
          family: ip.family,
          message: `${formatIp(ip)} is already held by ${conflict}, which may not share it (${describeSharing(sharing)})`,
        });
        continue;
      }
      holding.uses.push(this.hold(service, sharing, existing ?? this.newUse(ip)));
    }
    if (holding.uses.length > 0) this.holdings.set(service, holding);
    return { assignment: this.toAssignment(holding), errors };
  }

  /** Frees everything a Service holds; returns what it held. */
  release(service: string): AssignedIP[] {
    const holding = this.holdings.get(service);
    if (holding === undefined) return [];
    this.holdings.delete(service);
    const released = holding.uses.map((u) => this.toAssigned(u));
    for (const use of holding.uses) this.unhold(service, use);
    return released;
  }

  // ---- assign --------------------------------------------------------------------------------------------

  /**
   * Makes the Service hold what its request asks for, keeping every address it holds that the request
   * still allows. On failure nothing changes (see the header for the sharing exception) and `kept` says
   * what the Service still holds.
   */
  assign(service: string, request: AllocationRequest): AssignResult {
    const holding = this.holdings.get(service);
    const sharing = request.sharing;
    const fail = (errors: AllocationError[]): AssignResult => ({
      ok: false,
      errors,
      kept: this.keepOnFailure(service, sharing),
    });

    let families = wantedFamilies(request);
    const errors: AllocationError[] = [];

    // Explicit addresses: parse all, then check they fit the Service's families.
    const explicit = new Map<Family, IpAddress>();
    if (request.ips.length > 0) {
      for (const text of request.ips) {
        const ip = parseIp(text.trim());
        if (ip === undefined) {
          errors.push({
            cause: 'MalformedIP',
            message: `${request.ipsFrom === undefined ? '' : `${request.ipsFrom}: `}"${text}" is not an IPv4 or IPv6 address`,
          });
        } else if (explicit.has(ip.family)) {
          errors.push({
            cause: 'FamilyMismatch',
            family: ip.family,
            message: `more than one ${toIPFamily(ip.family)} address requested (${formatIp(explicit.get(ip.family)!)}, ${formatIp(ip)}); at most one per family`,
          });
        } else if (!families.includes(ip.family)) {
          errors.push({
            cause: 'FamilyMismatch',
            family: ip.family,
            message: `requested ${formatIp(ip)} is ${toIPFamily(ip.family)} but the Service's ipFamilies are [${families.map(toIPFamily).join(', ')}] (${request.policy})`,
          });
        } else explicit.set(ip.family, ip);
      }
      if (errors.length === 0 && request.policy === 'RequireDualStack') {
        for (const f of families) {
          if (!explicit.has(f))
            errors.push({
              cause: 'FamilyMismatch',
              family: f,
              message: `RequireDualStack with requested addresses needs one ${toIPFamily(f)} address too`,
            });
        }
      }
      if (errors.length > 0) return fail(errors);
      families = families.filter((f) => explicit.has(f));
    }

    let requestedPool: PoolState | undefined;
    if (request.pool !== undefined) {
      requestedPool = this.poolsByName.get(request.pool);
      if (requestedPool === undefined)
        return fail([
          {
            cause: 'UnknownPool',
            message: annotationProblem(
              annotations.addressPool,
              `address pool "${request.pool}" does not exist`,
              {
                word: request.pool,
                candidates: [...this.poolsByName.keys()],
              },
            ),
          },
        ]);
      if (!poolAllows(requestedPool.def, request))
        return fail([
          {
            cause: 'PoolNotAllowed',
            message: `address pool "${request.pool}" does not serve this Service (its serviceAllocation excludes namespace "${request.namespace}" or the Service's labels)`,
          },
        ]);
    }

    const plans = new Map<Family, Plan>();
    const familyErrors = new Map<Family, AllocationError>();
    for (const family of families) {
      const current = holding?.uses.find((u) => u.family === family);
      const currentOk = current !== undefined && this.conflictWith(current, service, sharing) === null;
      const ip = explicit.get(family);
      let outcome: Plan | AllocationError;
      if (ip !== undefined) {
        outcome =
          currentOk && current.value === ip.value
            ? { kind: 'keep', use: current }
            : this.planExplicit(service, ip, request, requestedPool);
      } else if (
        currentOk &&
        (requestedPool === undefined || current.pool === null || current.pool === requestedPool)
      ) {
        outcome = { kind: 'keep', use: current };
      } else {
        outcome = this.planAutomatic(service, family, request, requestedPool);
      }
      if ('cause' in outcome) familyErrors.set(family, { ...outcome, family });
      else plans.set(family, outcome);
    }

    const rollback = (): void => {
      for (const plan of plans.values()) {
        if (plan.kind === 'taken') plan.pool.spaces.get(plan.family)!.free.give(plan.ordinal);
      }
    };

    if (familyErrors.size > 0) {
      const partialOk = request.policy === 'PreferDualStack' && plans.size > 0;
      if (!partialOk) {
        rollback();
        return fail([...familyErrors.values()]);
      }
      // PreferDualStack: serve the families that worked; a family that failed keeps what it held, if usable.
      for (const family of familyErrors.keys()) {
        const current = holding?.uses.find((u) => u.family === family);
        if (current !== undefined && this.conflictWith(current, service, sharing) === null)
          plans.set(family, { kind: 'keep', use: current });
      }
    }

    // Commit.
    const before = new Set(holding?.uses ?? []);
    const next: AddressUse[] = [];
    for (const family of families) {
      const plan = plans.get(family);
      if (plan === undefined) continue;
      next.push(this.commit(plan));
    }
    const nextSet = new Set(next);
    for (const use of before) if (!nextSet.has(use)) this.unhold(service, use);
    for (const use of next) this.hold(service, sharing, use);
    const changed = before.size !== nextSet.size || next.some((u) => !before.has(u));
    if (next.length > 0) this.holdings.set(service, { uses: next, sharing });
    else this.holdings.delete(service);
    return {
      ok: true,
      assignment: this.toAssignment({ uses: next, sharing }),
      changed,
      partial: [...familyErrors.values()].filter((e) => !plans.has(e.family!)),
    };
  }

  private planExplicit(
    service: string,
    ip: IpAddress,
    request: AllocationRequest,
    requestedPool: PoolState | undefined,
  ): Plan | AllocationError {
    const text = formatIp(ip);
    const use = this.uses[ip.family].get(ip.value);
    const located = this.locate(ip.family, ip.value);
    if (located === null) {
      return { cause: 'NotInAnyPool', message: `requested ${text} is not in any address pool` };
    }
    const pool = located.pool;
    if (requestedPool !== undefined && pool !== requestedPool)
      return {
        cause: 'ConflictingRequest',
        message: `requested ${text} is in pool "${pool.def.name}", not in the requested pool "${requestedPool.def.name}"`,
      };
    if (!poolAllows(pool.def, request))
      return {
        cause: 'PoolNotAllowed',
        message: `requested ${text} is in pool "${pool.def.name}", whose serviceAllocation does not serve this Service`,
      };
    if (use !== undefined) {
      const conflict = this.conflictWith(use, service, request.sharing);
      if (conflict !== null)
        return {
          cause: 'IPInUse',
          message: `requested ${text} is held by ${conflict}, which may not share it (${describeSharing(request.sharing)}; sharing needs the same key, no common port, the same externalTrafficPolicy and for Local the same selector)`,
        };
      return { kind: 'share', use };
    }
    return { kind: 'claim', family: ip.family, value: ip.value, pool };
  }

  private planAutomatic(
    service: string,
    family: Family,
    request: AllocationRequest,
    requestedPool: PoolState | undefined,
  ): Plan | AllocationError {
    let candidates: PoolState[];
    if (requestedPool !== undefined) {
      if (!requestedPool.spaces.has(family))
        return {
          cause: 'FamilyMismatch',
          message: `address pool "${requestedPool.def.name}" has no ${toIPFamily(family)} addresses`,
        };
      candidates = [requestedPool];
    } else {
      const withFamily = this.pools.filter((p) => p.spaces.has(family));
      if (withFamily.length === 0)
        return { cause: 'NoPoolMatches', message: `no address pool has ${toIPFamily(family)} addresses` };
      const allowed = withFamily.filter((p) => poolAllows(p.def, request));
      if (allowed.length === 0)
        return {
          cause: 'NoPoolMatches',
          message: `no ${toIPFamily(family)} address pool serves namespace "${request.namespace}" with these labels (serviceAllocation)`,
        };
      candidates = allowed
        .filter((p) => p.def.autoAssign)
        // `allowed` is in config order and sort is stable: ties keep config order.
        .sort((a, b) => comparePoolPreference(a.def, b.def));
      if (candidates.length === 0)
        return {
          cause: 'AutoAssignDisabled',
          message: `the ${toIPFamily(family)} pools that serve this Service (${allowed.map((p) => `"${p.def.name}"`).join(', ')}) have autoAssign: false; request one with herald.dev/address-pool or an address`,
        };
    }
    for (const pool of candidates) {
      // A Service with a sharing key joins the lowest compatible address already shared under that key.
      if (request.sharing !== null) {
        let best: AddressUse | null = null;
        for (const use of this.sharedByKey.get(request.sharing.key) ?? []) {
          if (use.family !== family || use.pool !== pool || use.holders.has(service)) continue;
          if (this.conflictWith(use, service, request.sharing) !== null) continue;
          if (best === null || use.value < best.value) best = use;
        }
        if (best !== null) return { kind: 'share', use: best };
      }
      const fs = pool.spaces.get(family)!;
      const ordinal = fs.free.takeLowest();
      if (ordinal !== null) return { kind: 'taken', family, ordinal, pool };
    }
    return {
      cause: 'PoolExhausted',
      message: `no free ${toIPFamily(family)} address left in ${candidates.map((p) => `"${p.def.name}"`).join(', ')}`,
    };
  }

  private commit(plan: Plan): AddressUse {
    switch (plan.kind) {
      case 'keep':
      case 'share':
        return plan.use;
      case 'taken': {
        const value = plan.pool.spaces.get(plan.family)!.space.addressOf(plan.ordinal);
        return this.newUse({ family: plan.family, value }, plan.pool, true);
      }
      case 'claim':
        return this.newUse({ family: plan.family, value: plan.value }, plan.pool);
    }
  }

  /**
   * On a failed assign the Service keeps its addresses, minus any it may no longer share under its new
   * sharing info (the documented exception), and its sharing info is brought up to date.
   */
  private keepOnFailure(service: string, sharing: Sharing | null): Assignment | null {
    const holding = this.holdings.get(service);
    if (holding === undefined) return null;
    const keep: AddressUse[] = [];
    for (const use of holding.uses) {
      if (this.conflictWith(use, service, sharing) !== null) this.unhold(service, use);
      else keep.push(use);
    }
    for (const use of keep) this.hold(service, sharing, use);
    if (keep.length === 0) {
      this.holdings.delete(service);
      return null;
    }
    const next: Holding = { uses: keep, sharing };
    this.holdings.set(service, next);
    return this.toAssignment(next);
  }

  // ---- bookkeeping ---------------------------------------------------------------------------------------

  /** The first other holder that `service` (with `sharing`) may not share `use` with, or null. */
  private conflictWith(use: AddressUse, service: string, sharing: Sharing | null): string | null {
    for (const [other, otherSharing] of use.holders) {
      if (other === service) continue;
      if (!canShare(sharing, otherSharing)) return other;
    }
    return null;
  }

  /** A new, not yet held address record; marks it used in its pool unless the caller already did. */
  private newUse(ip: IpAddress, pool?: PoolState, alreadyTaken = false): AddressUse {
    let home: PoolState | null = pool ?? null;
    if (pool === undefined) home = this.locate(ip.family, ip.value)?.pool ?? null;
    if (home !== null && !alreadyTaken) {
      const fs = home.spaces.get(ip.family)!;
      fs.free.take(fs.space.ordinalOf(ip.value)!);
    }
    const use: AddressUse = {
      family: ip.family,
      value: ip.value,
      address: formatIp(ip),
      pool: home,
      holders: new Map(),
      sharingKey: null,
    };
    this.uses[ip.family].set(ip.value, use);
    if (home === null) this.orphanUses.add(use);
    return use;
  }

  private hold(service: string, sharing: Sharing | null, use: AddressUse): AddressUse {
    use.holders.set(service, sharing);
    const key = sharing?.key ?? null;
    if (use.sharingKey !== key) {
      if (use.sharingKey !== null) this.sharedByKey.get(use.sharingKey)?.delete(use);
      use.sharingKey = key;
      if (key !== null) {
        let set = this.sharedByKey.get(key);
        if (set === undefined) {
          set = new Set();
          this.sharedByKey.set(key, set);
        }
        set.add(use);
      }
    }
    return use;
  }

  private unhold(service: string, use: AddressUse): void {
    use.holders.delete(service);
    if (use.holders.size > 0) return;
    if (use.sharingKey !== null) {
      const set = this.sharedByKey.get(use.sharingKey);
      set?.delete(use);
      if (set?.size === 0) this.sharedByKey.delete(use.sharingKey);
    }
    this.uses[use.family].delete(use.value);
    this.orphanUses.delete(use);
    if (use.pool !== null) {
      const fs = use.pool.spaces.get(use.family)!;
      fs.free.give(fs.space.ordinalOf(use.value)!);
    }
  }

  private toAssigned(use: AddressUse): AssignedIP {
    return { family: use.family, address: use.address, value: use.value, pool: use.pool?.def.name ?? null };
  }

  private toAssignment(holding: Holding): Assignment {
    return { ips: holding.uses.map((u) => this.toAssigned(u)), sharing: holding.sharing };
  }
}

/** The families a Service needs: SingleStack → the primary one; dual-stack policies → each listed family. */
export function wantedFamilies(request: AllocationRequest): Family[] {
  const listed: Family[] = request.families.length === 0 ? ['ipv4'] : [...new Set(request.families)];
  return request.policy === 'SingleStack' ? [listed[0]!] : listed;
}
