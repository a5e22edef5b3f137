// Builders shared by this module's tests: Nodes, EndpointSlices and pools as the caches hold them.
import type { V1EndpointSlice, V1Node } from '@kubernetes/client-node';

export interface NodeInput {
  readonly name: string;
  readonly v4?: string;
  readonly v6?: string;
  readonly external?: string;
  readonly ready?: boolean;
  readonly unschedulable?: boolean;
  readonly labels?: Record<string, string>;
  readonly deleting?: boolean;
}

export function node(n: NodeInput): V1Node {
  const addresses = [
    ...(n.v4 === undefined ? [] : [{ type: 'InternalIP', address: n.v4 }]),
    ...(n.v6 === undefined ? [] : [{ type: 'InternalIP', address: n.v6 }]),
    ...(n.external === undefined ? [] : [{ type: 'ExternalIP', address: n.external }]),
    { type: 'Hostname', address: n.name },
  ];
  return {
    metadata: {
      name: n.name,
      resourceVersion: '1',
      labels: { 'kubernetes.io/hostname': n.name, ...n.labels },
      ...(n.deleting ? { deletionTimestamp: new Date('2026-01-01T00:00:00Z') } : {}),
    },
    spec: { unschedulable: n.unschedulable },
    status: { conditions: [{ type: 'Ready', status: n.ready === false ? 'False' : 'True' }], addresses },
  };
}

/** node-0 … node-(count-1) at 203.0.113.11… and 2001:db8:1::11…, all Ready. */
export const labNodes = (count: number): V1Node[] =>
  Array.from({ length: count }, (_, i) =>
    node({ name: `node-${i}`, v4: `203.0.113.${11 + i}`, v6: `2001:db8:1::${11 + i}` }),
  );

export function slice(
  service: string,
  endpoints: ReadonlyArray<{ node: string; ready?: boolean; serving?: boolean; terminating?: boolean }>,
  name = `${service}-1`,
): V1EndpointSlice {
  return {
    metadata: { name, namespace: 'shop', labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    endpoints: endpoints.map((e, i) => ({
      addresses: [`198.19.${i}.10`],
      nodeName: e.node,
      conditions: { ready: e.ready ?? true, serving: e.serving, terminating: e.terminating },
    })),
  };
}

export { nodePool, rangePool } from '../testing/pools.ts';
