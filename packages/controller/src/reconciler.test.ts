import { annotations } from '@herald/config';
import { createLogger } from '@herald/kube/process';
import type { V1Service } from '@kubernetes/client-node';
import { Allocator } from './allocator/index.ts';
import { createMetrics } from './metrics.ts';
import { Reconciler } from './reconciler.ts';
import type { StatusPatch } from './service.ts';
import { rangePool } from './testing/pools.ts';
import { applyStatusPatch } from './testing/status-patch.ts';

const pool = rangePool;

interface Svc {
  name: string;
  created?: string;
  type?: string;
  cls?: string;
  ips?: string[];
  request?: string;
  legacyIP?: string;
  pool?: string;
  anns?: Record<string, string>;
  families?: string[];
  policy?: string;
}

function service(s: Svc): V1Service {
  return {
    metadata: {
      namespace: 'shop',
      name: s.name,
      uid: `uid-${s.name}`,
      resourceVersion: '1',
      generation: 3,
      creationTimestamp: new Date(s.created ?? '2026-01-01T00:00:00Z'),
      annotations: {
        ...(s.request === undefined ? {} : { [annotations.loadBalancerIPs]: s.request }),
        ...(s.pool === undefined ? {} : { [annotations.ipAllocatedFromPool]: s.pool }),
        ...s.anns,
      },
    },
    spec: {
      type: s.type ?? 'LoadBalancer',
      loadBalancerClass: s.cls,
      loadBalancerIP: s.legacyIP,
      ipFamilies: s.families ?? ['IPv4'],
      ipFamilyPolicy: s.policy,
      ports: [{ port: 80, protocol: 'TCP' }],
    },
    status: { loadBalancer: { ingress: (s.ips ?? []).map((ip) => ({ ip })) } },
  };
}

/**
 * The Reconciler with its reads and writes faked: an in-memory "apiserver" of Services whose status patches
 * apply like the real merge patch (and bump resourceVersion), Events and freed-address callbacks recorded.
 */
function setup() {
  const cluster = new Map<string, V1Service>();
  const writes: { key: string; patch: StatusPatch }[] = [];
  const events: string[] = [];
  const freed: string[][] = [];
  let failWrites: Error | undefined;
  let clock = new Date('2026-12-01T10:00:00.250Z');
  const metrics = createMetrics();
  const allocator = new Allocator();
  const reconciler = new Reconciler({
    allocator,
    getService: (key) => cluster.get(key),
    namespaceLabels: () => ({}),
    writeStatus: async (svc, patch) => {
      const key = `${svc.metadata?.namespace}/${svc.metadata?.name}`;
      if (failWrites) throw failWrites;
      writes.push({ key, patch });
      cluster.set(key, applyStatusPatch(cluster.get(key)!, patch));
    },
    recordEvent: (target, type, reason, message) =>
      events.push(`${target.kind} ${target.namespace}/${target.name} ${type} ${reason}: ${message}`),
    metrics,
    log: createLogger({ level: 'silent' }),
    loadBalancerClass: undefined,
    onAddressesFreed: (waiting) => freed.push([...waiting]),
    now: () => clock,
  });
  const put = (s: Svc) => cluster.set(`shop/${s.name}`, service(s));
  const ingress = (name: string) =>
    (cluster.get(`shop/${name}`)?.status?.loadBalancer?.ingress ?? []).map((i) => i.ip);
  const metric = async (name: string, labels = '') => {
    const text = await metrics.registry.metrics();
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
    return line === undefined ? undefined : Number(line.split(' ')[1]);
  };
  return {
    cluster,
    writes,
    events,
    freed,
    reconciler,
    allocator,
    put,
    ingress,
    metric,
    failWritesWith: (e: Error | undefined) => {
      failWrites = e;
    },
    advance: (seconds: number) => {
      clock = new Date(clock.getTime() + seconds * 1000);
    },
    condition: (name: string) =>
      cluster.get(`shop/${name}`)?.status?.conditions?.find((c) => c.type === 'herald.dev/AddressAllocated'),
  };
}

describe('Reconciler', () => {
  it('waits for a configuration before allocating anything', async () => {
    const t = setup();
    t.put({ name: 'web' });
    expect(await t.reconciler.reconcile('shop/web')).toBe('waiting-for-config');
    expect(t.writes).toEqual([]);
    expect(t.events).toEqual([]);
  });

  it('allocates, writes status and the pool annotation, records IPAllocated; a second run changes nothing', async () => {
    const t = setup();
    t.reconciler.applyPools([pool('main', ['198.51.100.0/30'])]);
    t.put({ name: 'web' });
    expect(await t.reconciler.reconcile('shop/web')).toBe('allocated');
    expect(t.writes).toEqual([
      {
        key: 'shop/web',
        patch: {
          metadata: { resourceVersion: '1', annotations: { [annotations.ipAllocatedFromPool]: 'main' } },
          status: {
            loadBalancer: { ingress: [{ ip: '198.51.100.0', ipMode: 'VIP' }] },
            conditions: [
              {
                type: 'herald.dev/AddressAllocated',
                status: 'True',
                reason: 'Allocated',
                message: 'Assigned 198.51.100.0 from pool "main"',
                observedGeneration: 3,
                lastTransitionTime: '2026-12-01T10:00:00Z',
              },
            ],
          },
        },
      },
    ]);
    expect(t.events).toEqual(['Service shop/web Normal IPAllocated: Assigned 198.51.100.0 from pool "main"']);
    expect(await t.metric('herald_allocations_total', '{result="allocated"}')).toBe(1);
    expect(await t.metric('herald_addresses_in_use', '{pool="main",family="IPv4"}')).toBe(1);

    // Level-triggered and idempotent: the Service now shows its address, so nothing is written again.
    expect(await t.reconciler.reconcile('shop/web')).toBe('unchanged');
    expect(t.writes).toHaveLength(1);
    expect(t.events).toHaveLength(1);
  });

  it('throws when the status write fails (the queue retries), and the retry writes the same address', async () => {
    const t = setup();
    t.reconciler.applyPools([pool('main', ['198.51.100.0/30'])]);
    t.put({ name: 'web' });
    t.failWritesWith(new Error('409 Conflict'));
    await expect(t.reconciler.reconcile('shop/web')).rejects.toThrow('409 Conflict');
    expect(t.ingress('web')).toEqual([]);
    t.failWritesWith(undefined);
    expect(await t.reconciler.reconcile('shop/web')).toBe('unchanged');
    expect(t.ingress('web')).toEqual(['198.51.100.0']);
    // One allocation, one Event: the retry converged instead of allocating again.
    expect(t.events).toEqual(['Service shop/web Normal IPAllocated: Assigned 198.51.100.0 from pool "main"']);
  });

  it('reports a failure with its cause and keeps waiting; freed addresses wake the waiting Services', async () => {
    const t = setup();
    t.reconciler.applyPools([pool('tiny', ['198.51.100.7/32'])]);
    t.put({ name: 'first' });
    t.put({ name: 'second' });
    expect(await t.reconciler.reconcile('shop/first')).toBe('allocated');
    expect(await t.reconciler.reconcile('shop/second')).toBe('failed');
    expect(t.events[1]).toMatch(
      /^Service shop\/second Warning AllocationFailed: PoolExhausted: .* \(the Service stays pending\)$/,
    );
    expect(t.reconciler.waiting).toEqual(new Set(['shop/second']));
    expect(await t.metric('herald_allocation_failures_total', '{cause="PoolExhausted"}')).toBe(1);

    t.cluster.delete('shop/first');
    expect(await t.reconciler.reconcile('shop/first')).toBe('deleted');
    expect(t.freed).toEqual([['shop/second']]);
    expect(await t.reconciler.reconcile('shop/second')).toBe('allocated');
    expect(t.ingress('second')).toEqual(['198.51.100.7']);
    expect(t.reconciler.waiting.size).toBe(0);
  });

  it('a contradictory request is a ConflictingRequest failure, not a guess', async () => {
    const t = setup();
    t.reconciler.applyPools([pool('main', ['198.51.100.0/24'])]);
    t.put({ name: 'web', request: '198.51.100.5', legacyIP: '198.51.100.6' });
    expect(await t.reconciler.reconcile('shop/web')).toBe('failed');
    expect(t.events).toEqual([
      `Service shop/web Warning AllocationFailed: ConflictingRequest: spec.loadBalancerIP "198.51.100.6" and annotation ${annotations.loadBalancerIPs} "198.51.100.5" disagree; set only one (the Service stays pending)`,
    ]);
    // Only the condition is written: no address, no pool annotation.
    expect(t.writes.map((w) => [Object.keys(w.patch.metadata), Object.keys(w.patch.status)])).toEqual([
      [['resourceVersion'], ['conditions']],
    ]);
    expect(t.condition('web')).toMatchObject({ status: 'False', reason: 'ConflictingRequest' });
  });

  it('releases and clears status when a Service stops being ours; ignores Services it never served', async () => {
    const t = setup();
    t.reconciler.applyPools([pool('main', ['198.51.100.0/30'])]);
    t.put({ name: 'web' });
    await t.reconciler.reconcile('shop/web');
    t.put({ name: 'other-class', cls: 'example.com/lb' });
    expect(await t.reconciler.reconcile('shop/other-class')).toBe('ignored');

    const served = t.cluster.get('shop/web')!;
    t.cluster.set('shop/web', { ...served, spec: { ...served.spec, type: 'ClusterIP' } });
    expect(await t.reconciler.reconcile('shop/web')).toBe('cleared');
    expect(t.ingress('web')).toEqual([]);
    expect(
      t.cluster.get('shop/web')?.metadata?.annotations?.[annotations.ipAllocatedFromPool],
    ).toBeUndefined();
    expect(t.events.at(-1)).toBe(
      'Service shop/web Normal IPReleased: released 198.51.100.0: the Service is no longer a LoadBalancer this controller handles',
    );
    expect(t.allocator.assignmentOf('shop/web')).toBeNull();
    expect(t.writes.map((w) => w.key)).toEqual(['shop/web', 'shop/web']);
  });

  it('restores assignments from status oldest first: the younger claimant of an address gets IPConflict', async () => {
    const t = setup();
    t.reconciler.applyPools([pool('main', ['198.51.100.0/30'])]);
    t.put({ name: 'young', created: '2026-03-01T00:00:00Z', ips: ['198.51.100.1'], pool: 'main' });
    t.put({ name: 'old', created: '2026-02-01T00:00:00Z', ips: ['198.51.100.1'], pool: 'main' });
    t.put({ name: 'foreign', cls: 'example.com/lb', ips: ['198.51.100.2'] });
    expect(t.reconciler.restoreAll([...t.cluster.values()])).toBe(1);
    expect(t.allocator.assignmentOf('shop/old')?.ips.map((i) => i.address)).toEqual(['198.51.100.1']);
    expect(t.allocator.assignmentOf('shop/foreign')).toBeNull();
    expect(t.events).toHaveLength(1);
    expect(t.events[0]).toMatch(/^Service shop\/young Warning IPConflict: status address not kept: /);
    // The young Service then gets a new address; the old one keeps its own.
    expect(await t.reconciler.reconcile('shop/young')).toBe('allocated');
    expect(t.ingress('young')).not.toContain('198.51.100.1');
    expect(await t.reconciler.reconcile('shop/old')).toBe('unchanged');
  });

  it('a new pool set that drops an assigned address keeps it and records IPOutsidePools', async () => {
    const t = setup();
    t.reconciler.applyPools([pool('main', ['198.51.100.0/30'])]);
    t.put({ name: 'web' });
    await t.reconciler.reconcile('shop/web');
    t.reconciler.applyPools([pool('other', ['198.51.100.128/30'])]);
    expect(t.events.at(-1)).toMatch(
      /^Service shop\/web Warning IPOutsidePools: 198\.51\.100\.0 is no longer in any address pool; kept assigned/,
    );
    expect(await t.metric('herald_addresses_outside_pools')).toBe(1);
    expect(await t.reconciler.reconcile('shop/web')).toBe('unchanged');
    expect(t.ingress('web')).toEqual(['198.51.100.0']);
  });

  it('AddressAllocated: False with the failure cause, True once allocated; the transition time moves only with status', async () => {
    const t = setup();
    t.reconciler.applyPools([pool('tiny', ['198.51.100.7/32'])]);
    t.put({ name: 'first' });
    t.put({ name: 'second' });
    await t.reconciler.reconcile('shop/first');
    await t.reconciler.reconcile('shop/second');
    expect(t.condition('second')).toEqual({
      type: 'herald.dev/AddressAllocated',
      status: 'False',
      reason: 'PoolExhausted',
      message: expect.stringMatching(/^PoolExhausted: .* \(the Service stays pending\)$/),
      observedGeneration: 3,
      lastTransitionTime: '2026-12-01T10:00:00Z',
    });
    // Same status, new generation: observedGeneration follows, the transition time stays.
    t.advance(60);
    const second = t.cluster.get('shop/second')!;
    t.cluster.set('shop/second', { ...second, metadata: { ...second.metadata, generation: 4 } });
    await t.reconciler.reconcile('shop/second');
    expect(t.condition('second')).toMatchObject({
      status: 'False',
      observedGeneration: 4,
      lastTransitionTime: '2026-12-01T10:00:00Z',
    });
    // Nothing new: nothing written.
    const writes = t.writes.length;
    await t.reconciler.reconcile('shop/second');
    expect(t.writes).toHaveLength(writes);
    // Status changes: a new transition time, written in the same patch as the address.
    t.advance(60);
    t.cluster.delete('shop/first');
    await t.reconciler.reconcile('shop/first');
    await t.reconciler.reconcile('shop/second');
    expect(t.writes.at(-1)?.patch.status).toEqual({
      loadBalancer: { ingress: [{ ip: '198.51.100.7', ipMode: 'VIP' }] },
      conditions: [
        {
          type: 'herald.dev/AddressAllocated',
          status: 'True',
          reason: 'Allocated',
          message: 'Assigned 198.51.100.7 from pool "tiny"',
          observedGeneration: 4,
          lastTransitionTime: '2026-12-01T10:02:00Z',
        },
      ],
    });
  });

  it('AddressAllocated: PartiallyAllocated for PreferDualStack with one family, IPOutsidePools for a kept orphan', async () => {
    const t = setup();
    t.reconciler.applyPools([pool('v4', ['198.51.100.0/30'])]);
    t.put({ name: 'dual', families: ['IPv4', 'IPv6'], policy: 'PreferDualStack' });
    await t.reconciler.reconcile('shop/dual');
    expect(t.condition('dual')).toMatchObject({
      status: 'True',
      reason: 'PartiallyAllocated',
      message: expect.stringMatching(
        /^NoPoolMatches: .*\(PreferDualStack: serving 198\.51\.100\.0 from pool "v4" only\)$/,
      ),
    });
    t.put({ name: 'web' });
    await t.reconciler.reconcile('shop/web');
    t.reconciler.applyPools([pool('other', ['198.51.100.128/30'])]);
    await t.reconciler.reconcile('shop/web');
    expect(t.condition('web')).toMatchObject({
      status: 'True',
      reason: 'IPOutsidePools',
      message: 'Assigned 198.51.100.1 (outside every pool)',
    });
  });

  it('removes its conditions (and only its own) when the Service stops being ours', async () => {
    const t = setup();
    t.reconciler.applyPools([pool('main', ['198.51.100.0/30'])]);
    t.put({ name: 'web' });
    await t.reconciler.reconcile('shop/web');
    const served = t.cluster.get('shop/web')!;
    const foreign = {
      type: 'example.com/Ready',
      status: 'True',
      reason: 'Fine',
      message: '',
      lastTransitionTime: new Date(),
    };
    t.cluster.set('shop/web', {
      ...served,
      spec: { ...served.spec, type: 'ClusterIP' },
      status: { ...served.status, conditions: [...(served.status?.conditions ?? []), foreign] },
    });
    await t.reconciler.reconcile('shop/web');
    expect(t.writes.at(-1)?.patch.status.conditions).toEqual([
      { type: 'herald.dev/AddressAllocated', $patch: 'delete' },
    ]);
    expect(t.cluster.get('shop/web')?.status?.conditions).toEqual([foreign]);
  });

  it('ipMode: VIP by default, Proxy on request; an invalid value keeps what the address shows', async () => {
    const t = setup();
    t.reconciler.applyPools([pool('main', ['198.51.100.0/30'])]);
    t.put({ name: 'proxied', anns: { 'herald.dev/ip-mode': 'Proxy' } });
    await t.reconciler.reconcile('shop/proxied');
    expect(t.cluster.get('shop/proxied')?.status?.loadBalancer?.ingress).toEqual([
      { ip: '198.51.100.0', ipMode: 'Proxy' },
    ]);
    const svc = t.cluster.get('shop/proxied')!;
    t.cluster.set('shop/proxied', {
      ...svc,
      metadata: {
        ...svc.metadata,
        annotations: { ...svc.metadata?.annotations, 'herald.dev/ip-mode': 'proxy' },
      },
    });
    const writes = t.writes.length;
    await t.reconciler.reconcile('shop/proxied');
    expect(t.writes).toHaveLength(writes);
    expect(t.events.at(-1)).toBe(
      'Service shop/proxied Warning InvalidAnnotation: herald.dev/ip-mode: "proxy" is not one of VIP, Proxy; did you mean "Proxy"?',
    );
    t.put({ name: 'invalid-from-start', anns: { 'herald.dev/ip-mode': 'DSR' } });
    await t.reconciler.reconcile('shop/invalid-from-start');
    expect(t.cluster.get('shop/invalid-from-start')?.status?.loadBalancer?.ingress).toEqual([
      { ip: '198.51.100.1', ipMode: 'VIP' },
    ]);
  });

  it('an unknown herald.dev/ key gets one InvalidAnnotation Event naming the closest key, again only when it changes', async () => {
    const t = setup();
    t.reconciler.applyPools([pool('main', ['198.51.100.0/30'])]);
    t.put({ name: 'web', anns: { 'herald.dev/adress-pool': 'main', 'example.com/x': 'y' } });
    await t.reconciler.reconcile('shop/web');
    await t.reconciler.reconcile('shop/web');
    const warnings = () => t.events.filter((e) => e.includes('InvalidAnnotation'));
    expect(warnings()).toEqual([
      'Service shop/web Warning InvalidAnnotation: herald.dev/adress-pool: unknown annotation, ignored; did you mean "herald.dev/address-pool"?',
    ]);
    // The Service is served from the default choice meanwhile (the Event says the key was ignored).
    expect(t.ingress('web')).toEqual(['198.51.100.0']);
    t.put({ name: 'web', anns: { 'herald.dev/adress-pool': 'main', 'herald.dev/shared': 'k' } });
    await t.reconciler.reconcile('shop/web');
    expect(warnings()).toHaveLength(2);
    expect(warnings()[1]).toMatch(/adress-pool: .*; herald\.dev\/shared: unknown annotation, ignored$/);
    t.put({ name: 'web' });
    await t.reconciler.reconcile('shop/web');
    t.put({ name: 'web', anns: { 'herald.dev/adress-pool': 'main' } });
    await t.reconciler.reconcile('shop/web');
    expect(warnings()).toHaveLength(3);
  });

  it('allocation failures from annotation values read like annotation problems', async () => {
    const t = setup();
    t.reconciler.applyPools([pool('default', ['198.51.100.0/30'])]);
    t.put({ name: 'typo', anns: { 'herald.dev/address-pool': 'defautl' } });
    t.put({ name: 'bad-ip', request: '198.51.100.300' });
    await t.reconciler.reconcile('shop/typo');
    await t.reconciler.reconcile('shop/bad-ip');
    expect(t.events).toEqual([
      'Service shop/typo Warning AllocationFailed: UnknownPool: herald.dev/address-pool: address pool "defautl" does not exist; did you mean "default"? (the Service stays pending)',
      'Service shop/bad-ip Warning AllocationFailed: MalformedIP: herald.dev/loadBalancerIPs: "198.51.100.300" is not an IPv4 or IPv6 address (the Service stays pending)',
    ]);
    expect(t.condition('typo')).toMatchObject({ status: 'False', reason: 'UnknownPool' });
  });
});
