// The node-address path end to end in memory: the main Reconciler routes a Service to NodeAddressReconciler,
// which lists eligible nodes, owns ports and damps writes; Nodes, slices, the clock and the "apiserver" are fakes.
import { annotations } from '@herald/config';
import { FakeClock } from '@herald/kube';
import { createLogger } from '@herald/kube/process';
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import { Allocator, type PoolDefinition } from '../allocator/index.ts';
import { createMetrics } from '../metrics.ts';
import { Reconciler } from '../reconciler.ts';
import type { StatusPatch } from '../service.ts';
import { applyStatusPatch } from '../testing/status-patch.ts';
import { NodeAddressReconciler } from './reconciler.ts';
import { labNodes, node, nodePool, rangePool, slice } from './testing.ts';

interface Svc {
  name: string;
  created?: string;
  local?: boolean;
  pool?: string;
  port?: number;
  dual?: 'RequireDualStack' | 'PreferDualStack';
  ips?: string[];
  allocatedFrom?: string;
}

function service(s: Svc): V1Service {
  return {
    metadata: {
      namespace: 'shop',
      name: s.name,
      uid: `uid-${s.name}`,
      resourceVersion: '1',
      creationTimestamp: new Date(s.created ?? '2026-01-01T00:00:00Z'),
      annotations: {
        ...(s.pool === undefined ? {} : { [annotations.addressPool]: s.pool }),
        ...(s.allocatedFrom === undefined ? {} : { [annotations.ipAllocatedFromPool]: s.allocatedFrom }),
      },
    },
    spec: {
      type: 'LoadBalancer',
      externalTrafficPolicy: s.local ? 'Local' : 'Cluster',
      ipFamilies: s.dual ? ['IPv4', 'IPv6'] : ['IPv4'],
      ipFamilyPolicy: s.dual ?? 'SingleStack',
      ports: [{ port: s.port ?? 80, protocol: 'TCP' }],
    },
    status: { loadBalancer: { ingress: (s.ips ?? []).map((ip) => ({ ip })) } },
  };
}

function setup(pools: PoolDefinition[] = [nodePool('nodes')], nodes: V1Node[] = labNodes(3)) {
  const clock = new FakeClock();
  const cluster = new Map<string, V1Service>();
  const slices = new Map<string, V1EndpointSlice[]>();
  const state = { nodes, slicesSynced: true };
  const writes: string[] = [];
  const events: string[] = [];
  const requeued: Array<[string, number]> = [];
  const woken: string[][] = [];
  const freedAddresses: string[][] = [];
  const metrics = createMetrics();
  const writeStatus = async (svc: V1Service, patch: StatusPatch) => {
    const key = `${svc.metadata?.namespace}/${svc.metadata?.name}`;
    const after = applyStatusPatch(cluster.get(key)!, patch);
    writes.push(`${key} ${(after.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).join(',') || '-'}`);
    cluster.set(key, after);
  };
  const recordEvent = (_t: unknown, type: string, reason: string, message: string) =>
    events.push(`${type} ${reason}: ${message}`);
  const log = createLogger({ level: 'silent' });
  const nodeAddresses = new NodeAddressReconciler({
    nodes: () => state.nodes,
    slicesOf: (key) => (state.slicesSynced ? (slices.get(key) ?? []) : undefined),
    nodeOf: (address) =>
      state.nodes.find((n) => n.status?.addresses?.some((a) => a.address === address))?.metadata?.name,
    writeStatus,
    recordEvent,
    metrics,
    log,
    now: () => clock.now(),
    requeueAfter: (key, ms) => requeued.push([key, ms]),
    onPortsFreed: (waiting) => woken.push([...waiting]),
  });
  const allocator = new Allocator();
  const reconciler = new Reconciler({
    allocator,
    getService: (key) => cluster.get(key),
    namespaceLabels: () => ({}),
    writeStatus,
    recordEvent,
    metrics,
    log,
    loadBalancerClass: undefined,
    onAddressesFreed: (waiting) => freedAddresses.push([...waiting]),
    nodeAddresses,
  });
  reconciler.applyPools(pools);
  const put = (s: Svc) => cluster.set(`shop/${s.name}`, service(s));
  const ingress = (name: string) =>
    (cluster.get(`shop/${name}`)?.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).join(',');
  const run = (name: string) => reconciler.reconcile(`shop/${name}`);
  const setSlices = (name: string, eps: Parameters<typeof slice>[1]) =>
    slices.set(`shop/${name}`, [slice(name, eps)]);
  return {
    clock,
    cluster,
    state,
    writes,
    events,
    requeued,
    woken,
    freedAddresses,
    metrics,
    reconciler,
    nodeAddresses,
    allocator,
    put,
    ingress,
    run,
    setSlices,
  };
}

describe('node-address Services', () => {
  test('Cluster: every eligible node’s InternalIP, the pool annotation and IPAllocated; a rerun writes nothing', async () => {
    const t = setup();
    t.put({ name: 'web' });
    expect(await t.run('web')).toBe('allocated');
    expect(t.ingress('web')).toBe('203.0.113.11,203.0.113.12,203.0.113.13');
    expect(t.cluster.get('shop/web')?.metadata?.annotations?.[annotations.ipAllocatedFromPool]).toBe('nodes');
    expect(t.events).toEqual([
      'Normal IPAllocated: Assigned node addresses 203.0.113.11 (node-0), 203.0.113.12 (node-1), 203.0.113.13 (node-2) from pool "nodes"',
    ]);
    // The condition and ipMode came in the same write as the addresses.
    const status = t.cluster.get('shop/web')?.status;
    expect(status?.loadBalancer?.ingress?.map((i) => i.ipMode)).toEqual(['VIP', 'VIP', 'VIP']);
    expect(status?.conditions).toEqual([
      expect.objectContaining({
        type: 'herald.dev/AddressAllocated',
        status: 'True',
        reason: 'Allocated',
        message:
          'Assigned node addresses 203.0.113.11 (node-0), 203.0.113.12 (node-1), 203.0.113.13 (node-2) from pool "nodes"',
      }),
    ]);
    expect(await t.run('web')).toBe('unchanged');
    expect(t.writes).toHaveLength(1);
    expect(t.allocator.assignmentOf('shop/web')).toBeNull();
  });

  test('dual-stack lists both families, primary first; RequireDualStack without IPv6 nodes stays pending', async () => {
    const t = setup();
    t.put({ name: 'dual', dual: 'RequireDualStack' });
    await t.run('dual');
    expect(t.ingress('dual')).toBe(
      '203.0.113.11,203.0.113.12,203.0.113.13,2001:db8:1::11,2001:db8:1::12,2001:db8:1::13',
    );
    const v4 = setup([nodePool('nodes')], [node({ name: 'n', v4: '203.0.113.11' })]);
    v4.put({ name: 'dual', dual: 'RequireDualStack' });
    expect(await v4.run('dual')).toBe('failed');
    expect(v4.ingress('dual')).toBe('');
    expect(v4.cluster.get('shop/dual')?.status?.conditions?.[0]).toMatchObject({
      status: 'False',
      reason: 'FamilyMismatch',
    });
    expect(v4.events).toEqual([
      'Warning AllocationFailed: FamilyMismatch: RequireDualStack, but no node it may be listed on has an IPv6 InternalIP (the Service stays pending)',
    ]);
    v4.put({ name: 'prefer', dual: 'PreferDualStack', port: 81 });
    await v4.run('prefer');
    expect(v4.ingress('prefer')).toBe('203.0.113.11');
  });

  test('Local: only nodes with a serving endpoint; moving the pod moves the address, damped', async () => {
    const t = setup();
    t.put({ name: 'web', local: true });
    t.setSlices('web', [{ node: 'node-1' }]);
    await t.run('web');
    expect(t.ingress('web')).toBe('203.0.113.12');
    t.setSlices('web', [{ node: 'node-2' }]);
    expect(await t.run('web')).toBe('damped');
    expect(t.requeued).toEqual([['shop/web', 2000]]);
    expect(t.ingress('web')).toBe('203.0.113.12');
    t.clock.advance(2000);
    expect(await t.run('web')).toBe('allocated');
    expect(t.ingress('web')).toBe('203.0.113.13');
  });

  test('a flapping endpoint is not written; a Local Service waits for the EndpointSlice cache', async () => {
    const t = setup();
    t.put({ name: 'web', local: true });
    t.state.slicesSynced = false;
    expect(await t.run('web')).toBe('waiting-for-endpoints');
    expect(t.writes).toEqual([]);
    t.state.slicesSynced = true;
    t.setSlices('web', [{ node: 'node-0' }, { node: 'node-1' }]);
    await t.run('web');
    for (let i = 0; i < 5; i++) {
      t.setSlices('web', [{ node: 'node-0' }, { node: 'node-1', ready: false }]);
      expect(await t.run('web')).toBe('damped');
      t.clock.advance(500);
      t.setSlices('web', [{ node: 'node-0' }, { node: 'node-1' }]);
      expect(await t.run('web')).toBe('unchanged');
      t.clock.advance(500);
    }
    expect(t.writes).toEqual(['shop/web 203.0.113.11,203.0.113.12']);
  });

  test('no eligible node: AllocationFailed naming why, once; it gets addresses when a node becomes Ready', async () => {
    const t = setup(
      [nodePool('nodes')],
      [
        node({ name: 'n0', v4: '203.0.113.11', ready: false }),
        node({ name: 'n1', v4: '203.0.113.12', unschedulable: true }),
      ],
    );
    t.put({ name: 'web' });
    expect(await t.run('web')).toBe('failed');
    expect(await t.run('web')).toBe('failed');
    expect(t.events).toEqual([
      'Warning AllocationFailed: NoEligibleNode: node-address pool "nodes" has no node for this Service (n0: not Ready; n1: cordoned (spec.unschedulable)) (the Service stays pending)',
    ]);
    expect(await t.metrics.registry.getSingleMetricAsString('herald_allocation_failures_total')).toContain(
      'cause="NoEligibleNode"} 1',
    );
    t.state.nodes = [node({ name: 'n0', v4: '203.0.113.11' })];
    expect(await t.run('web')).toBe('allocated');
    expect(t.ingress('web')).toBe('203.0.113.11');
  });

  test('port ownership: the later Service stays pending with PortInUse; deleting the first lets it in', async () => {
    const t = setup();
    t.put({ name: 'first' });
    t.put({ name: 'second' });
    t.put({ name: 'other-port', port: 8080 });
    await t.run('first');
    expect(await t.run('second')).toBe('failed');
    expect(await t.run('other-port')).toBe('allocated');
    expect(t.ingress('second')).toBe('');
    expect(t.events).toContain(
      'Warning AllocationFailed: PortInUse: TCP/80 on node-0, node-1, node-2 is held by node-address Service shop/first (the Service stays pending)',
    );
    t.cluster.delete('shop/first');
    expect(await t.run('first')).toBe('deleted');
    expect(t.woken).toEqual([['shop/second']]);
    expect(await t.run('second')).toBe('allocated');
    expect(t.ingress('second')).toBe('203.0.113.11,203.0.113.12,203.0.113.13');
  });

  test('Local Services conflict only on the nodes both are listed on', async () => {
    const t = setup();
    t.put({ name: 'a', local: true });
    t.put({ name: 'b', local: true });
    t.setSlices('a', [{ node: 'node-0' }]);
    t.setSlices('b', [{ node: 'node-0' }, { node: 'node-1' }]);
    await t.run('a');
    expect(await t.run('b')).toBe('allocated');
    expect(t.ingress('b')).toBe('203.0.113.12');
    expect(t.events).toContain(
      'Warning AllocationFailed: PortInUse: TCP/80 on node-0 is held by node-address Service shop/a (listed on its other nodes)',
    );
    // a's pod leaves node-0: once a's status no longer lists node-0 (damped), b may take it.
    t.setSlices('a', [{ node: 'node-2' }]);
    expect(await t.run('a')).toBe('damped');
    expect(await t.run('b')).toBe('unchanged');
    t.clock.advance(2000);
    expect(await t.run('a')).toBe('allocated');
    expect(t.woken).toEqual([['shop/b']]);
    expect(await t.run('b')).toBe('damped');
    t.clock.advance(2000);
    await t.run('b');
    expect(t.ingress('b')).toBe('203.0.113.11,203.0.113.12');
  });

  test('switching between a range pool and a node-address pool releases what the other side held', async () => {
    const t = setup([rangePool('bgp', ['198.51.100.0/30']), nodePool('nodes', { autoAssign: false })]);
    t.put({ name: 'web' });
    await t.run('web');
    expect(t.ingress('web')).toBe('198.51.100.0');
    t.put({ name: 'web', pool: 'nodes', ips: ['198.51.100.0'], allocatedFrom: 'bgp' });
    expect(await t.run('web')).toBe('allocated'); // another pool: written at once, not damped
    expect(t.ingress('web')).toBe('203.0.113.11,203.0.113.12,203.0.113.13');
    expect(t.allocator.assignmentOf('shop/web')).toBeNull();
    t.put({ name: 'web', ips: ['203.0.113.11', '203.0.113.12', '203.0.113.13'], allocatedFrom: 'nodes' });
    await t.run('web');
    expect(t.ingress('web')).toBe('198.51.100.0');
    expect(t.nodeAddresses.keys.size).toBe(0);
  });

  test('a node-address pool cannot be combined with requested addresses', async () => {
    const t = setup();
    t.cluster.set('shop/web', {
      ...service({ name: 'web', pool: 'nodes' }),
      spec: { ...service({ name: 'web' }).spec, loadBalancerIP: '203.0.113.11' },
    });
    expect(await t.run('web')).toBe('failed');
    expect(t.events[0]).toMatch(
      /^Warning AllocationFailed: ConflictingRequest: address pool "nodes" hands out node addresses/,
    );
  });

  test('leader start: node addresses are not restored into the allocator, their ports are; oldest keeps a contested port', async () => {
    const t = setup([rangePool('bgp', ['198.51.100.0/30']), nodePool('nodes', { autoAssign: false })]);
    const all = ['203.0.113.11', '203.0.113.12', '203.0.113.13'];
    const older = {
      name: 'older',
      pool: 'nodes',
      ips: all,
      allocatedFrom: 'nodes',
      created: '2026-01-01T00:00:00Z',
    };
    const newer = {
      name: 'newer',
      pool: 'nodes',
      ips: all,
      allocatedFrom: 'nodes',
      created: '2026-02-01T00:00:00Z',
    };
    t.put(newer);
    t.put(older);
    t.reconciler.restoreAll([...t.cluster.values()]);
    expect(t.allocator.orphanCount()).toBe(0);
    expect(t.events).toEqual([]);
    expect(await t.run('older')).toBe('unchanged');
    expect(await t.run('newer')).toBe('failed');
    expect(t.ingress('newer')).toBe('');
    expect(t.ingress('older')).toBe(all.join(','));
  });
});
