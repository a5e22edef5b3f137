// The allocator's vocabulary. Plain data only: no Kubernetes objects, so every rule is a unit test.

import type { LabelSelector, Labels, NodeAddressSource } from '@herald/config';
import type { Family, IpRange } from '@herald/inet';

// Families and address ranges are @herald/inet's, selectors @herald/config's: the allocator consumes the parsed
// config as is.
export type { LabelSelector, Labels };

export interface ServiceAllocation {
  /** Lower is preferred; pools without a priority come after those with one. */
  readonly priority: number | undefined;
  readonly namespaces: readonly string[];
  readonly namespaceSelectors: readonly LabelSelector[];
  readonly serviceSelectors: readonly LabelSelector[];
}

/** One address pool as the allocator needs it; structurally a subset of @herald/config's AddressPool. */
export interface PoolDefinition {
  readonly name: string;
  readonly addresses: readonly IpRange[];
  readonly autoAssign: boolean;
  readonly avoidBuggyIPs: boolean;
  readonly serviceAllocation: ServiceAllocation | undefined;
  /**
   * Set for a node-address pool (no `addresses`): the allocator never sees it; node-addresses/ serves its
   * Services from the Nodes. Optional so range-only callers need not spell it.
   */
  readonly nodeAddresses?: NodeAddressSource | undefined;
}

export interface ServicePort {
  readonly protocol: string;
  readonly port: number;
}

/**
 * What decides whether two Services may hold the same IP (MetalLB's rules): the same non-empty key, no
 * port+protocol in common, and the same backend — both externalTrafficPolicy Cluster (`localSelector` null) or
 * both Local with the same pod selector (its canonical text).
 */
export interface Sharing {
  readonly key: string;
  readonly ports: readonly ServicePort[];
  readonly localSelector: string | null;
}

export type IPFamilyPolicy = 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';

export interface AllocationRequest {
  readonly namespace: string;
  readonly labels: Labels;
  /** Labels of the Service's namespace; undefined when unknown (then namespaceSelectors do not match). */
  readonly namespaceLabels: Labels | undefined;
  /** spec.ipFamilies in order (the first is the primary family), in @herald/inet's spelling. Empty means [ipv4]. */
  readonly families: readonly Family[];
  readonly policy: IPFamilyPolicy;
  /** Requested addresses as written (spec.loadBalancerIP or herald.dev/loadBalancerIPs); empty = any. */
  readonly ips: readonly string[];
  /** Where `ips` were written (the annotation key or the field path), named in messages about them. */
  readonly ipsFrom?: string;
  /** herald.dev/address-pool, if set. */
  readonly pool: string | undefined;
  /** null when the Service has no herald.dev/allow-shared-ip key: it shares with nobody. */
  readonly sharing: Sharing | null;
}

export const allocationCauses = [
  'MalformedIP',
  'NotInAnyPool',
  'UnknownPool',
  'PoolNotAllowed',
  'FamilyMismatch',
  'ConflictingRequest',
  'IPInUse',
  'PoolExhausted',
  'NoPoolMatches',
  'AutoAssignDisabled',
  // Node-address pools (node-addresses/): a port+protocol another node-address Service holds on a node, and a
  // pool with no node that may serve the Service.
  'PortInUse',
  'NoEligibleNode',
] as const;
export type AllocationCause = (typeof allocationCauses)[number];

export interface AllocationError {
  readonly cause: AllocationCause;
  /** One sentence an operator can act on, naming the IP / pool / Service involved. */
  readonly message: string;
  readonly family?: Family;
}

export interface AssignedIP {
  readonly family: Family;
  /** Canonical text form. */
  readonly address: string;
  readonly value: bigint;
  /** The pool that contains the address under the current config; null when it lies outside every pool. */
  readonly pool: string | null;
}

export interface Assignment {
  /** At most one per family, primary family first. */
  readonly ips: readonly AssignedIP[];
  readonly sharing: Sharing | null;
}

export type AssignResult =
  | {
      readonly ok: true;
      readonly assignment: Assignment;
      /** True when the set of addresses differs from before the call. */
      readonly changed: boolean;
      /** PreferDualStack only: families that could not be served, with why. */
      readonly partial: readonly AllocationError[];
    }
  | {
      readonly ok: false;
      readonly errors: readonly AllocationError[];
      /** What the Service still holds (its previous assignment), or null. */
      readonly kept: Assignment | null;
    };

export interface OrphanedIP {
  readonly service: string;
  readonly ip: AssignedIP;
}

export interface PoolChange {
  readonly service: string;
  readonly address: string;
  readonly from: string | null;
  readonly to: string | null;
}

export interface SetPoolsResult {
  /** Assigned addresses that lie outside every pool of the new config (kept assigned; see docs). */
  readonly orphaned: readonly OrphanedIP[];
  /** Assigned addresses whose containing pool changed (including to/from null). */
  readonly changed: readonly PoolChange[];
}

export interface PoolStats {
  readonly pool: string;
  readonly family: Family;
  /** Assignable addresses (excluding .0/.255 when avoidBuggyIPs). */
  readonly total: bigint;
  /** Distinct addresses held (a shared address counts once). */
  readonly inUse: bigint;
}
