// Port ownership for node-address Services: on one node, one port+protocol belongs to at most one of them.
// kube-proxy installs its DNAT rule for every status.loadBalancer.ingress address and Service port, so two
// Services listing the same node address with the same port+protocol would fight over the same packets; the
// second must wait (ServiceLB gets the same guarantee from hostPort scheduling). Held ports are what the
// Service's status lists (plus what it is about to list), so whoever is listed on a node keeps the port there:
// first come, first served, also across controller restarts (restored from status, oldest Service first).

import type { ServicePort } from '../allocator/index.ts';

/** A port on a node someone else holds. */
export interface PortConflict {
  readonly node: string;
  readonly protocol: string;
  readonly port: number;
  /** The Service holding it (namespace/name). */
  readonly holder: string;
}

const portKey = (node: string, p: ServicePort): string => `${node}\u0000${p.protocol}\u0000${p.port}`;

export class PortTable {
  readonly #holder = new Map<string, string>();
  readonly #held = new Map<string, Set<string>>();

  /** Every port of PORTS on NODES that a Service other than SERVICE holds. */
  conflicts(service: string, nodes: readonly string[], ports: readonly ServicePort[]): PortConflict[] {
    const out: PortConflict[] = [];
    for (const node of nodes)
      for (const p of ports) {
        const holder = this.#holder.get(portKey(node, p));
        if (holder !== undefined && holder !== service)
          out.push({ node, protocol: p.protocol, port: p.port, holder });
      }
    return out;
  }

  /**
   * Makes SERVICE hold exactly PORTS on NODES — those no other Service holds; the rest stays with its holder —
   * and drops whatever else it held. Returns true when a port was released (others may be waiting for it).
   */
  hold(service: string, nodes: readonly string[], ports: readonly ServicePort[]): boolean {
    const next = new Set<string>();
    for (const node of nodes)
      for (const p of ports) {
        const key = portKey(node, p);
        const holder = this.#holder.get(key);
        if (holder !== undefined && holder !== service) continue;
        this.#holder.set(key, service);
        next.add(key);
      }
    let released = false;
    for (const key of this.#held.get(service) ?? [])
      if (!next.has(key)) {
        this.#holder.delete(key);
        released = true;
      }
    if (next.size > 0) this.#held.set(service, next);
    else this.#held.delete(service);
    return released;
  }

  /** Drops everything SERVICE holds; true when it held anything. */
  release(service: string): boolean {
    return this.hold(service, [], []);
  }

  /** Node names on which SERVICE holds at least one port. */
  nodesOf(service: string): Set<string> {
    const out = new Set<string>();
    for (const key of this.#held.get(service) ?? []) out.add(key.slice(0, key.indexOf('\u0000')));
    return out;
  }

  /** Held node ports in total (for tests and metrics). */
  get size(): number {
    return this.#holder.size;
  }
}

/** A Service's ports as node-address ownership sees them (protocol defaults to TCP, like the API). */
export function servicePorts(
  ports: ReadonlyArray<{ port: number; protocol?: string }> | undefined,
): ServicePort[] {
  const out: ServicePort[] = [];
  for (const p of ports ?? []) {
    const protocol = p.protocol ?? 'TCP';
    if (!out.some((x) => x.port === p.port && x.protocol === protocol)) out.push({ protocol, port: p.port });
  }
  return out;
}
