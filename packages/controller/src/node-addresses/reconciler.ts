// Reconciles one node-address Service: its status.loadBalancer.ingress lists the addresses of the eligible
// Nodes (nodes.ts) on which it holds its ports (ports.ts), written damped (damper.ts). Level-triggered like the
// main Reconciler, which hands a Service over here when routeService says a node-address pool serves it, and
// calls forget() when it no longer does. Only the leader runs it; the port table is rebuilt from Service status
// at leader start (restore), oldest Service first.

import { annotations } from '@herald/config';
import { formatIp, parseIp, toIPFamily } from '@herald/inet';
import type { EventTarget, EventType } from '@herald/kube';
import type { Logger } from '@herald/kube/process';
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import {
  type AllocationError,
  type AllocationRequest,
  type PoolDefinition,
  wantedFamilies,
} from '../allocator/index.ts';
import type { ControllerMetrics } from '../metrics.ts';
import {
  allocatedCondition,
  allocatedReasons,
  type ReconcileOutcome,
  reasons,
  serviceTarget,
} from '../reconciler.ts';
import {
  type DesiredCondition,
  failureMessage,
  ingressFor,
  type StatusPatch,
  serviceKey,
  statusAddresses,
  statusPatchFor,
} from '../service.ts';
import { Damper, type DampingParams, nodeAddressDamping } from './damper.ts';
import { eligibleNodes, ingressAddresses, type NodeAddresses, servingNodes } from './nodes.ts';
import { type PortConflict, PortTable, servicePorts } from './ports.ts';
import { type NodeAddressPool, type PoolRoute, routeService } from './route.ts';

export interface NodeAddressDeps {
  /** The cached Nodes (slimmed). */
  readonly nodes: () => Iterable<V1Node>;
  /** The Service's EndpointSlices; undefined while the slice cache is not synced. */
  readonly slicesOf: (service: string) => V1EndpointSlice[] | undefined;
  /** The Node that has this address (canonical text), if any. */
  readonly nodeOf: (address: string) => string | undefined;
  readonly writeStatus: (svc: V1Service, patch: StatusPatch) => Promise<void>;
  readonly recordEvent: (target: EventTarget, type: EventType, reason: string, message: string) => void;
  readonly metrics: ControllerMetrics;
  readonly log: Logger;
  readonly now: () => number;
  /** Reconcile KEY again after MS (a damped write). */
  readonly requeueAfter: (key: string, ms: number) => void;
  /** Ports were released: Services waiting for one deserve another try. */
  readonly onPortsFreed: (waiting: readonly string[]) => void;
  readonly damping?: DampingParams;
}

const MAX_LISTED = 5;

function listSome(items: readonly string[]): string {
  const shown = items.slice(0, MAX_LISTED).join('; ');
  return items.length > MAX_LISTED ? `${shown}; and ${items.length - MAX_LISTED} more` : shown;
}

/** "TCP/80 on node-0, node-1 is held by shop/web" — one clause per holder and port. */
export function describeConflicts(conflicts: readonly PortConflict[]): string {
  const groups = new Map<string, string[]>();
  for (const c of conflicts) {
    const k = `${c.protocol}/${c.port}\u0000${c.holder}`;
    const nodes = groups.get(k) ?? [];
    if (!nodes.includes(c.node)) nodes.push(c.node);
    groups.set(k, nodes);
  }
  return listSome(
    [...groups].map(([k, nodes]) => {
      const [port, holder] = k.split('\u0000') as [string, string];
      return `${port} on ${nodes.join(', ')} is held by node-address Service ${holder}`;
    }),
  );
}

function describeAssigned(listed: readonly NodeAddresses[], pool: string): string {
  const parts = listed.map((n) => `${n.addresses.map((a) => a.address).join(', ')} (${n.node})`);
  return `Assigned node addresses ${parts.join(', ')} from pool "${pool}"`;
}

export class NodeAddressReconciler {
  readonly #d: NodeAddressDeps;
  readonly #ports = new PortTable();
  readonly #damper: Damper;
  #pools: readonly PoolDefinition[] = [];
  /** Services last reconciled as node-address Services: requeued when Nodes or their endpoints change. */
  readonly keys = new Set<string>();
  /** Services kept off a node by a port another Service holds: requeued when ports are released. */
  readonly waiting = new Set<string>();
  /** The last AllocationFailed message per Service, so a persisting problem is reported once. */
  readonly #reported = new Map<string, string>();

  constructor(deps: NodeAddressDeps) {
    this.#d = deps;
    this.#damper = new Damper(deps.damping ?? nodeAddressDamping, deps.now);
  }

  /** The pools in force, all of them, in config order (preference needs the range pools too). */
  setPools(pools: readonly PoolDefinition[]): void {
    this.#pools = pools;
  }

  get hasPools(): boolean {
    return this.#pools.some((p) => p.nodeAddresses !== undefined);
  }

  route(request: AllocationRequest): PoolRoute {
    return routeService(this.#pools, request);
  }

  /** Every address in the Service's status is a Node's: a node-address assignment (never the allocator's). */
  listsNodeAddresses(svc: V1Service): boolean {
    const addresses = statusAddresses(svc);
    return addresses.length > 0 && addresses.every((a) => this.#nodeOfText(a) !== undefined);
  }

  /** Leader start: the ports each node-address Service holds, from the nodes its status lists; oldest first. */
  restore(ordered: readonly { svc: V1Service; route: PoolRoute }[]): void {
    for (const { svc, route } of ordered) {
      if (route.kind !== 'node-addresses') continue;
      const key = serviceKey(svc);
      this.keys.add(key);
      this.#ports.hold(key, this.#listedNodes(svc), servicePorts(svc.spec?.ports));
    }
  }

  /** The Service is gone or no longer a node-address Service: release its ports and forget it. */
  forget(key: string): void {
    if (!this.keys.has(key) && !this.waiting.has(key)) return;
    this.keys.delete(key);
    this.waiting.delete(key);
    this.#reported.delete(key);
    this.#damper.forget(key);
    this.#release(key, () => this.#ports.release(key));
  }

  async reconcile(
    svc: V1Service,
    pool: NodeAddressPool,
    request: AllocationRequest,
  ): Promise<ReconcileOutcome> {
    const key = serviceKey(svc);
    this.keys.add(key);
    const families = wantedFamilies(request);
    let serving: ReadonlySet<string> | undefined;
    if (svc.spec?.externalTrafficPolicy === 'Local') {
      const slices = this.#d.slicesOf(key);
      if (slices === undefined) return 'waiting-for-endpoints';
      serving = servingNodes(slices, svc.spec.publishNotReadyAddresses === true);
    }
    const { listed, skipped } = eligibleNodes(this.#d.nodes(), pool.nodeAddresses, families, serving);
    const ports = servicePorts(svc.spec?.ports);
    const conflicts = this.#ports.conflicts(
      key,
      listed.map((n) => n.node),
      ports,
    );
    const blocked = new Set(conflicts.map((c) => c.node));
    let granted = listed.filter((n) => !blocked.has(n.node));
    const failures: AllocationError[] = [];
    if (conflicts.length > 0) failures.push({ cause: 'PortInUse', message: describeConflicts(conflicts) });
    if (request.policy === 'RequireDualStack') {
      const missing = families.filter((f) => !granted.some((n) => n.addresses.some((a) => a.family === f)));
      if (missing.length > 0) {
        granted = [];
        failures.push({
          cause: 'FamilyMismatch',
          message: `RequireDualStack, but no node it may be listed on has an ${missing.map(toIPFamily).join(' or ')} ${pool.nodeAddresses.type}`,
        });
      }
    }
    if (granted.length === 0 && failures.length === 0)
      failures.push({
        cause: 'NoEligibleNode',
        message: `node-address pool "${pool.name}" has no node for this Service${skipped.length === 0 ? ' (there are no Nodes)' : ` (${listSome(skipped.map((s) => `${s.node}: ${s.why}`))})`}`,
      });
    const failure = this.#report(svc, failures, granted.length > 0);

    const addresses = ingressAddresses(granted, families);
    const nodes = granted.map((n) => n.node);
    // The condition lands in the same (damped) patch as the addresses it explains.
    const condition: DesiredCondition =
      failure === undefined
        ? allocatedCondition('True', allocatedReasons.allocated, describeAssigned(granted, pool.name))
        : granted.length > 0
          ? allocatedCondition('True', allocatedReasons.partiallyAllocated, failure)
          : allocatedCondition('False', failures[0]?.cause ?? 'Unknown', failure);
    const patch = statusPatchFor(
      svc,
      {
        ingress: ingressFor(svc, addresses),
        pool: addresses.length > 0 ? pool.name : undefined,
        conditions: [condition],
      },
      new Date(this.#d.now()),
    );
    const pending = addresses.length === 0 ? 'failed' : 'unchanged';
    if (patch === null) {
      this.#damper.forget(key);
      this.#hold(key, nodes, ports);
      return pending;
    }
    // The same addresses: only the condition or ipMode changes. Nothing to damp and nothing allocated.
    if (statusAddresses(svc).join(',') === addresses.join(',')) {
      this.#damper.forget(key);
      await this.#d.writeStatus(svc, patch);
      this.#hold(key, nodes, ports);
      return pending;
    }
    // Until the write lands, the Service keeps the ports of the nodes its status still lists.
    const listedNow = this.#listedNodes(svc);
    const stillListed = [...new Set([...nodes, ...listedNow])];
    // Written at once: a Service with nothing yet (new, or from another pool: nothing to protect), and one
    // whose status lists a node where another Service holds the port (kube-proxy would serve both).
    const now =
      statusAddresses(svc).length === 0 ||
      svc.metadata?.annotations?.[annotations.ipAllocatedFromPool] !== pool.name ||
      listedNow.some((n) => blocked.has(n));
    const wait = now ? 0 : this.#damper.decide(key, addresses.join(','));
    if (wait > 0) {
      this.#hold(key, stillListed, ports);
      this.#d.requeueAfter(key, wait);
      return 'damped';
    }
    this.#damper.forget(key);
    this.#hold(key, stillListed, ports);
    await this.#d.writeStatus(svc, patch);
    this.#hold(key, nodes, ports);
    if (addresses.length === 0) return 'failed';
    this.#d.metrics.allocations.inc({ result: 'allocated' });
    this.#d.recordEvent(
      serviceTarget(svc),
      'Normal',
      reasons.ipAllocated,
      describeAssigned(granted, pool.name),
    );
    this.#d.log.info({ service: key, pool: pool.name, nodes, addresses }, 'node addresses assigned');
    return 'allocated';
  }

  /**
   * An Event (and the failure metrics) when the Service's problem changes; nothing while it persists. Returns
   * the problem's text (undefined when there is none), which the condition repeats.
   */
  #report(
    svc: V1Service,
    failures: readonly AllocationError[],
    listedSomewhere: boolean,
  ): string | undefined {
    const key = serviceKey(svc);
    if (failures.some((f) => f.cause === 'PortInUse')) this.waiting.add(key);
    else this.waiting.delete(key);
    const message =
      failures.length === 0
        ? undefined
        : `${failureMessage(failures)} (${listedSomewhere ? 'listed on its other nodes' : 'the Service stays pending'})`;
    if (message === this.#reported.get(key)) return message;
    if (message === undefined) {
      this.#reported.delete(key);
      return undefined;
    }
    this.#reported.set(key, message);
    this.#d.metrics.allocations.inc({ result: 'failed' });
    for (const f of failures) this.#d.metrics.allocationFailures.inc({ cause: f.cause });
    this.#d.recordEvent(serviceTarget(svc), 'Warning', reasons.allocationFailed, message);
    this.#d.log.info({ service: key, errors: failures }, 'node addresses not assigned');
    return message;
  }

  #hold(key: string, nodes: readonly string[], ports: ReturnType<typeof servicePorts>): void {
    this.#release(key, () => this.#ports.hold(key, nodes, ports));
  }

  #release(key: string, change: () => boolean): void {
    if (!change()) return;
    const waiting = [...this.waiting].filter((k) => k !== key);
    if (waiting.length > 0) this.#d.onPortsFreed(waiting);
  }

  #nodeOfText(text: string): string | undefined {
    const ip = parseIp(text);
    return ip === undefined ? undefined : this.#d.nodeOf(formatIp(ip));
  }

  /** The nodes whose addresses the Service's status lists now. */
  #listedNodes(svc: V1Service): string[] {
    const out = new Set<string>();
    for (const a of statusAddresses(svc)) {
      const node = this.#nodeOfText(a);
      if (node !== undefined) out.add(node);
    }
    return [...out];
  }
}
