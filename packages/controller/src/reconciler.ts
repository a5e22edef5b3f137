// Reconcile one Service key: read the cached Service, ask the allocator, write status and Events. Level
// triggered and idempotent — running it twice changes nothing the second time — and it touches only the
// Service it was given. API errors are thrown so the work queue retries with backoff.

import { annotationReports, conditionTypes } from '@herald/config';
import { compareText, toIPFamily } from '@herald/inet';
import type { EventTarget, EventType } from '@herald/kube';
import type { Logger } from '@herald/kube/process';
import type { V1Service } from '@kubernetes/client-node';
import type { Allocator, Assignment, AssignResult, Labels, PoolDefinition } from './allocator/index.ts';
import { type AttributeRefusalReporter, BGP_ATTRIBUTES_REFUSED } from './attribute-report.ts';
import type { ControllerMetrics } from './metrics.ts';
import type { NodeAddressReconciler, PoolRoute } from './node-addresses/index.ts';
import {
  type DesiredCondition,
  failureMessage,
  hasOurAnnotation,
  ingressFor,
  isHandled,
  poolAnnotation,
  type RequestResult,
  requestFor,
  type StatusPatch,
  serviceKey,
  sharingFor,
  statusAddresses,
  statusPatchFor,
} from './service.ts';

export const reasons = {
  ipAllocated: 'IPAllocated',
  allocationFailed: 'AllocationFailed',
  ipReleased: 'IPReleased',
  ipOutsidePools: 'IPOutsidePools',
  ipConflict: 'IPConflict',
  configInvalid: 'ConfigInvalid',
  configLoaded: 'ConfigLoaded',
  invalidAnnotation: 'InvalidAnnotation',
  bgpAttributesRefused: BGP_ATTRIBUTES_REFUSED,
} as const;

/** Reasons of the herald.dev/AddressAllocated condition besides the allocation failure causes (False). */
export const allocatedReasons = {
  allocated: 'Allocated',
  /** PreferDualStack served with fewer families than asked (the message names the cause). */
  partiallyAllocated: 'PartiallyAllocated',
  /** Kept an address that no pool contains any more (see IPOutsidePools). */
  outsidePools: 'IPOutsidePools',
} as const;

export interface ReconcilerDeps {
  readonly allocator: Allocator;
  readonly getService: (key: string) => V1Service | undefined;
  readonly namespaceLabels: (namespace: string) => Labels | undefined;
  readonly writeStatus: (svc: V1Service, patch: StatusPatch) => Promise<void>;
  readonly recordEvent: (target: EventTarget, type: EventType, reason: string, message: string) => void;
  readonly metrics: ControllerMetrics;
  readonly log: Logger;
  readonly loadBalancerClass: string | undefined;
  /** Called when addresses were freed: Services waiting for one deserve another try. */
  readonly onAddressesFreed: (waiting: readonly string[]) => void;
  /** The clock of condition transition times; default the system's. */
  readonly now?: () => Date;
  /** Serves the Services of node-address pools (node-addresses/); absent only in allocator-only tests. */
  readonly nodeAddresses?: NodeAddressReconciler;
  /** Reports per-Service BGP attributes the configuration refuses (attribute-report.ts). */
  readonly attributes?: AttributeRefusalReporter;
}

export type ReconcileOutcome =
  | 'deleted'
  | 'ignored'
  | 'cleared'
  | 'waiting-for-config'
  | 'allocated'
  | 'unchanged'
  | 'failed'
  /** Node-address Service: a changed node list waits for damping (node-addresses/damper.ts). */
  | 'damped'
  /** Node-address Service with externalTrafficPolicy Local: the EndpointSlice cache is not synced yet. */
  | 'waiting-for-endpoints';

export function serviceTarget(svc: V1Service): EventTarget {
  return {
    kind: 'Service',
    namespace: svc.metadata?.namespace ?? '',
    name: svc.metadata?.name ?? '',
    uid: svc.metadata?.uid,
    resourceVersion: svc.metadata?.resourceVersion,
  };
}

function describeAssignment(a: Assignment): string {
  return a.ips
    .map((ip) => `${ip.address}${ip.pool === null ? ' (outside every pool)' : ` from pool "${ip.pool}"`}`)
    .join(', ');
}

/** Oldest first, then by key: who keeps a contested address at start-up is deterministic. */
export function restoreOrder(services: readonly V1Service[]): V1Service[] {
  const time = (s: V1Service): number => {
    const t = s.metadata?.creationTimestamp as unknown;
    return t instanceof Date ? t.getTime() : typeof t === 'string' ? Date.parse(t) : 0;
  };
  return [...services].sort((a, b) => {
    const d = time(a) - time(b);
    if (d !== 0) return d;
    const ka = serviceKey(a);
    const kb = serviceKey(b);
    return compareText(ka, kb);
  });
}

/**
 * The keys to reconcile when every Service is queued (a new leader, a configuration change), pending Services
 * first: one waiting for an address should not wait behind thousands that only need re-checking (a new leader
 * of a cluster with 10,000 Services served them all before the one that had none). Then handled Services that
 * show addresses, then other classes' Services that show addresses (cleared if the addresses were ours). Cache
 * order within each group. Safe to reorder: restoreAll has reserved every shown address before any reconcile.
 */
export function enqueueOrder(services: Iterable<V1Service>, loadBalancerClass: string | undefined): string[] {
  const pending: string[] = [];
  const shown: string[] = [];
  const foreign: string[] = [];
  for (const svc of services) {
    const showsAddresses = (svc.status?.loadBalancer?.ingress?.length ?? 0) > 0;
    if (isHandled(svc, loadBalancerClass)) (showsAddresses ? shown : pending).push(serviceKey(svc));
    else if (showsAddresses) foreign.push(serviceKey(svc));
  }
  return [...pending, ...shown, ...foreign];
}

export class Reconciler {
  private readonly d: ReconcilerDeps;
  /** Keys whose last allocation failed (fully or for one family): retried when addresses are freed. */
  readonly waiting = new Set<string>();
  /** Key → the InvalidAnnotation text last reported, so an unchanged problem is not reported at every reconcile. */
  readonly #annotationReports = new Map<string, string>();
  configLoaded = false;

  constructor(deps: ReconcilerDeps) {
    this.d = deps;
  }

  /** Takes a new valid pool set; Events on every Service left holding an address outside every pool. */
  applyPools(pools: readonly PoolDefinition[]): void {
    // Node-address pools have no addresses of their own: the allocator never sees them.
    const result = this.d.allocator.setPools(pools.filter((p) => p.nodeAddresses === undefined));
    this.d.nodeAddresses?.setPools(pools);
    this.configLoaded = true;
    for (const change of result.changed) this.d.log.info(change, 'assigned address changed pool');
    this.reportOrphans(result.orphaned.map((o) => o.service));
    this.updatePoolMetrics();
  }

  /**
   * Learns every assignment from Service status, oldest Service first, before anything is allocated. Services
   * we no longer handle but whose status we wrote are restored too, so their addresses are not handed out
   * before their status is cleared.
   */
  restoreAll(services: readonly V1Service[]): number {
    let restored = 0;
    const ordered = restoreOrder(services);
    const nodeAddresses = this.d.nodeAddresses;
    nodeAddresses?.restore(
      ordered
        .filter((svc) => isHandled(svc, this.d.loadBalancerClass))
        .map((svc) => ({ svc, route: this.#route(this.#request(svc)) })),
    );
    for (const svc of ordered) {
      const addresses = statusAddresses(svc);
      if (addresses.length === 0) continue;
      if (!isHandled(svc, this.d.loadBalancerClass) && !hasOurAnnotation(svc)) continue;
      // Node addresses are the Nodes', never a pool's: nothing for the allocator to hold.
      if (nodeAddresses?.listsNodeAddresses(svc)) continue;
      const key = serviceKey(svc);
      const { assignment, errors } = this.d.allocator.restore(key, addresses, sharingFor(svc));
      if (assignment.ips.length > 0) restored++;
      if (errors.length > 0) {
        this.d.log.warn({ service: key, errors }, 'status address not restored');
        this.d.recordEvent(
          serviceTarget(svc),
          'Warning',
          reasons.ipConflict,
          `status address not kept: ${failureMessage(errors)}; a new address will be assigned`,
        );
      }
    }
    this.reportOrphans(this.d.allocator.orphans().map((o) => o.service));
    this.updatePoolMetrics();
    return restored;
  }

  private reportOrphans(keys: readonly string[]): void {
    for (const key of new Set(keys)) {
      const svc = this.d.getService(key);
      const assignment = this.d.allocator.assignmentOf(key);
      if (svc === undefined || assignment === null) continue;
      const outside = assignment.ips.filter((ip) => ip.pool === null).map((ip) => ip.address);
      if (outside.length === 0) continue;
      this.d.log.warn({ service: key, addresses: outside }, 'assigned address is outside every pool; kept');
      this.d.recordEvent(
        serviceTarget(svc),
        'Warning',
        reasons.ipOutsidePools,
        `${outside.join(', ')} is no longer in any address pool; kept assigned so traffic keeps flowing, and never given to another Service. Add it back to a pool, or request a new address (herald.dev/loadBalancerIPs) or re-create the Service to move it`,
      );
    }
  }

  updatePoolMetrics(): void {
    const m = this.d.metrics;
    m.addressesTotal.reset();
    m.addressesInUse.reset();
    for (const s of this.d.allocator.stats()) {
      // The label keeps the spelling these metrics have always had (Kubernetes', 'IPv4').
      const family = toIPFamily(s.family);
      m.addressesTotal.set({ pool: s.pool, family }, Number(s.total));
      m.addressesInUse.set({ pool: s.pool, family }, Number(s.inUse));
    }
    m.addressesOutsidePools.set(this.d.allocator.orphanCount());
  }

  private released(key: string, count: number): void {
    if (count === 0) return;
    this.d.metrics.allocations.inc({ result: 'released' }, count);
    const waiting = [...this.waiting].filter((k) => k !== key);
    if (waiting.length > 0) this.d.onAddressesFreed(waiting);
  }

  /** Frees everything the Service holds in the allocator; returns how many addresses that was. */
  private releaseAll(key: string): number {
    this.waiting.delete(key);
    const released = this.d.allocator.release(key);
    this.released(key, released.length);
    if (released.length > 0) this.updatePoolMetrics();
    return released.length;
  }

  /** Which kind of pool serves the Service under the config in force (node addresses or the allocator). */
  #route(rq: RequestResult): PoolRoute {
    return rq.ok && this.d.nodeAddresses !== undefined
      ? this.d.nodeAddresses.route(rq.request)
      : { kind: 'allocator' };
  }

  #request(svc: V1Service): RequestResult {
    return requestFor(svc, this.d.namespaceLabels(svc.metadata?.namespace ?? ''));
  }

  async reconcile(key: string): Promise<ReconcileOutcome> {
    const { allocator } = this.d;
    const svc = this.d.getService(key);
    if (svc === undefined) {
      this.releaseAll(key);
      this.d.nodeAddresses?.forget(key);
      this.#annotationReports.delete(key);
      this.d.attributes?.forget(key);
      return 'deleted';
    }
    if (!isHandled(svc, this.d.loadBalancerClass)) {
      const released = this.releaseAll(key);
      this.d.nodeAddresses?.forget(key);
      this.#annotationReports.delete(key);
      const ours = released > 0 || hasOurAnnotation(svc);
      if (!ours) return 'ignored';
      const patch = statusPatchFor(svc, { ingress: [], pool: undefined, conditions: [] }, this.#now());
      if (patch !== null) {
        await this.d.writeStatus(svc, patch);
        this.d.recordEvent(
          serviceTarget(svc),
          'Normal',
          reasons.ipReleased,
          `released ${statusAddresses(svc).join(', ') || 'its address'}: the Service is no longer a LoadBalancer this controller handles`,
        );
      }
      return 'cleared';
    }
    this.#reportAnnotations(svc);
    if (!this.configLoaded) return 'waiting-for-config';

    const rq = this.#request(svc);
    const route = this.#route(rq);
    if (rq.ok && route.kind === 'node-addresses' && this.d.nodeAddresses !== undefined) {
      this.releaseAll(key); // it may come from a range pool: those addresses are free for others now
      return this.d.nodeAddresses.reconcile(svc, route.pool, rq.request);
    }
    this.d.nodeAddresses?.forget(key);
    const before = allocator.assignmentOf(key);
    const result: AssignResult = !rq.ok
      ? { ok: false, errors: [rq.error], kept: before }
      : route.kind === 'error'
        ? { ok: false, errors: [route.error], kept: before }
        : allocator.assign(key, rq.request);
    const assignment = result.ok ? result.assignment : result.kept;
    const target = serviceTarget(svc);
    let outcome: ReconcileOutcome = 'unchanged';
    let allocated: DesiredCondition;

    if (!result.ok) {
      outcome = 'failed';
      this.waiting.add(key);
      this.d.metrics.allocations.inc({ result: 'failed' });
      for (const e of result.errors) this.d.metrics.allocationFailures.inc({ cause: e.cause });
      const keptText =
        assignment === null ? 'the Service stays pending' : `keeping ${describeAssignment(assignment)}`;
      const message = `${failureMessage(result.errors)} (${keptText})`;
      this.d.recordEvent(target, 'Warning', reasons.allocationFailed, message);
      allocated = allocatedCondition('False', result.errors[0]?.cause ?? 'Unknown', message);
      this.d.log.info({ service: key, errors: result.errors }, 'allocation failed');
    } else {
      if (result.partial.length > 0) {
        this.waiting.add(key);
        for (const e of result.partial) this.d.metrics.allocationFailures.inc({ cause: e.cause });
        const message = `${failureMessage(result.partial)} (PreferDualStack: serving ${describeAssignment(result.assignment)} only)`;
        this.d.recordEvent(target, 'Warning', reasons.allocationFailed, message);
        allocated = allocatedCondition('True', allocatedReasons.partiallyAllocated, message);
      } else {
        this.waiting.delete(key);
        const outside = result.assignment.ips.some((ip) => ip.pool === null);
        allocated = allocatedCondition(
          'True',
          outside ? allocatedReasons.outsidePools : allocatedReasons.allocated,
          `Assigned ${describeAssignment(result.assignment)}`,
        );
      }
      if (result.changed) {
        outcome = 'allocated';
        this.d.metrics.allocations.inc({ result: 'allocated' });
        this.d.recordEvent(
          target,
          'Normal',
          reasons.ipAllocated,
          `Assigned ${describeAssignment(result.assignment)}`,
        );
        this.d.log.info({ service: key, addresses: result.assignment.ips.map((i) => i.address) }, 'assigned');
      }
    }
    const after = allocator.assignmentOf(key);
    const freed = (before?.ips ?? []).filter(
      (ip) => !(after?.ips ?? []).some((a) => a.address === ip.address),
    );
    this.released(key, freed.length);
    if (outcome === 'allocated' || freed.length > 0) this.updatePoolMetrics();

    // One patch: the addresses, the pool annotation and the condition that explains them land together.
    const patch = statusPatchFor(
      svc,
      {
        ingress: ingressFor(
          svc,
          (assignment?.ips ?? []).map((ip) => ip.address),
        ),
        pool: poolAnnotation(assignment),
        conditions: [allocated],
      },
      this.#now(),
    );
    if (patch !== null) await this.d.writeStatus(svc, patch);
    const pools = (assignment?.ips ?? []).map((ip) => ip.pool).filter((p): p is string => p !== null);
    this.d.attributes?.report(key, svc, pools, target);
    return outcome;
  }

  #now(): Date {
    return this.d.now?.() ?? new Date();
  }

  /** InvalidAnnotation Events for unknown herald.dev/ keys and invalid values, once per distinct problem set. */
  #reportAnnotations(svc: V1Service): void {
    const key = serviceKey(svc);
    const problems = annotationReports(svc.metadata?.annotations).map((r) => r.message);
    const text = problems.join('; ');
    if (text === (this.#annotationReports.get(key) ?? '')) return;
    if (problems.length === 0) {
      this.#annotationReports.delete(key);
      return;
    }
    this.#annotationReports.set(key, text);
    this.d.recordEvent(serviceTarget(svc), 'Warning', reasons.invalidAnnotation, text);
  }
}

/** The herald.dev/AddressAllocated condition (both reconcilers write it in the status patch with the address). */
export function allocatedCondition(
  status: 'True' | 'False',
  reason: string,
  message: string,
): DesiredCondition {
  return { type: conditionTypes.addressAllocated, status, reason, message };
}
