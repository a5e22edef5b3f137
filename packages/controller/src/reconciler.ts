// Reconcile one Service key: read the cached Service, ask the allocator, write status and Events. Level
// triggered and idempotent — running it twice changes nothing the second time — and it touches only the
// Service it was given. API errors are thrown so the work queue retries with backoff.

import type { V1Service } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Allocator, Assignment, AssignResult, Labels, PoolDefinition } from './allocator/index.ts';
import type { EventTarget, EventType } from './events.ts';
import type { ControllerMetrics } from './metrics.ts';
import {
  failureMessage,
  hasOurAnnotation,
  isHandled,
  poolAnnotation,
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
}

export type ReconcileOutcome =
  | 'deleted'
  | 'ignored'
  | 'cleared'
  | 'waiting-for-config'
  | 'allocated'
  | 'unchanged'
  | 'failed';

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
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

export class Reconciler {
  private readonly d: ReconcilerDeps;
  /** Keys whose last allocation failed (fully or for one family): retried when addresses are freed. */
  readonly waiting = new Set<string>();
  configLoaded = false;

  constructor(deps: ReconcilerDeps) {
    this.d = deps;
  }

  /** Takes a new valid pool set; Events on every Service left holding an address outside every pool. */
  applyPools(pools: readonly PoolDefinition[]): void {
    const result = this.d.allocator.setPools(pools);
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
    for (const svc of restoreOrder(services)) {
      const addresses = statusAddresses(svc);
      if (addresses.length === 0) continue;
      if (!isHandled(svc, this.d.loadBalancerClass) && !hasOurAnnotation(svc)) continue;
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
      m.addressesTotal.set({ pool: s.pool, family: s.family }, Number(s.total));
      m.addressesInUse.set({ pool: s.pool, family: s.family }, Number(s.inUse));
    }
    m.addressesOutsidePools.set(this.d.allocator.orphanCount());
  }

  private released(key: string, count: number): void {
    if (count === 0) return;
    this.d.metrics.allocations.inc({ result: 'released' }, count);
    const waiting = [...this.waiting].filter((k) => k !== key);
    if (waiting.length > 0) this.d.onAddressesFreed(waiting);
  }

  async reconcile(key: string): Promise<ReconcileOutcome> {
    const { allocator } = this.d;
    const svc = this.d.getService(key);
    if (svc === undefined) {
      this.waiting.delete(key);
      const released = allocator.release(key);
      this.released(key, released.length);
      if (released.length > 0) this.updatePoolMetrics();
      return 'deleted';
    }
    if (!isHandled(svc, this.d.loadBalancerClass)) {
      this.waiting.delete(key);
      const released = allocator.release(key);
      this.released(key, released.length);
      if (released.length > 0) this.updatePoolMetrics();
      const ours = released.length > 0 || hasOurAnnotation(svc);
      if (!ours) return 'ignored';
      const patch = statusPatchFor(svc, [], undefined);
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
    if (!this.configLoaded) return 'waiting-for-config';

    const rq = requestFor(svc, this.d.namespaceLabels(svc.metadata?.namespace ?? ''));
    const before = allocator.assignmentOf(key);
    const result: AssignResult = rq.ok
      ? allocator.assign(key, rq.request)
      : { ok: false, errors: [rq.error], kept: before };
    const assignment = result.ok ? result.assignment : result.kept;
    const target = serviceTarget(svc);
    let outcome: ReconcileOutcome = 'unchanged';

    if (!result.ok) {
      outcome = 'failed';
      this.waiting.add(key);
      this.d.metrics.allocations.inc({ result: 'failed' });
      for (const e of result.errors) this.d.metrics.allocationFailures.inc({ cause: e.cause });
      const keptText =
        assignment === null ? 'the Service stays pending' : `keeping ${describeAssignment(assignment)}`;
      this.d.recordEvent(
        target,
        'Warning',
        reasons.allocationFailed,
        `${failureMessage(result.errors)} (${keptText})`,
      );
      this.d.log.info({ service: key, errors: result.errors }, 'allocation failed');
    } else {
      if (result.partial.length > 0) {
        this.waiting.add(key);
        for (const e of result.partial) this.d.metrics.allocationFailures.inc({ cause: e.cause });
        this.d.recordEvent(
          target,
          'Warning',
          reasons.allocationFailed,
          `${failureMessage(result.partial)} (PreferDualStack: serving ${describeAssignment(result.assignment)} only)`,
        );
      } else this.waiting.delete(key);
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

    const patch = statusPatchFor(
      svc,
      (assignment?.ips ?? []).map((ip) => ip.address),
      poolAnnotation(assignment),
    );
    if (patch !== null) await this.d.writeStatus(svc, patch);
    return outcome;
  }
}
