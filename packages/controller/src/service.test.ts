import type { V1Service } from '@kubernetes/client-node';
import { enqueueOrder, restoreOrder } from './reconciler.ts';
import {
  ingressFor,
  isHandled,
  poolAnnotation,
  requestFor,
  selectorKey,
  sharingFor,
  statusPatchFor,
} from './service.ts';

const svc = (
  extra: {
    annotations?: Record<string, string>;
    spec?: V1Service['spec'];
    status?: V1Service['status'];
  } = {},
): V1Service => ({
  metadata: { name: 's', namespace: 'ns', resourceVersion: '7', annotations: extra.annotations },
  spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }], ...extra.spec },
  status: extra.status,
});

describe('isHandled', () => {
  it('default: LoadBalancer without a class; with a class: exactly that class', () => {
    expect(isHandled(svc(), undefined)).toBe(true);
    expect(isHandled(svc({ spec: { type: 'ClusterIP' } }), undefined)).toBe(false);
    expect(isHandled(svc({ spec: { type: 'LoadBalancer', loadBalancerClass: 'x' } }), undefined)).toBe(false);
    expect(isHandled(svc({ spec: { type: 'LoadBalancer', loadBalancerClass: 'x' } }), 'x')).toBe(true);
    expect(isHandled(svc(), 'x')).toBe(false);
  });
});

describe('requestFor', () => {
  it('reads annotations, families and policy', () => {
    const r = requestFor(
      svc({
        annotations: {
          'herald.dev/loadBalancerIPs': ' 198.51.100.1 , 2001:db8:100::1',
          'herald.dev/address-pool': 'p',
        },
        spec: { type: 'LoadBalancer', ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] },
      }),
      { env: 'prod' },
    );
    expect(r.ok && r.request).toMatchObject({
      ips: ['198.51.100.1', '2001:db8:100::1'],
      pool: 'p',
      policy: 'RequireDualStack',
      families: ['ipv4', 'ipv6'],
      namespace: 'ns',
      namespaceLabels: { env: 'prod' },
      sharing: null,
    });
  });

  it('uses spec.loadBalancerIP and refuses a contradiction with the annotation', () => {
    const legacy = requestFor(
      svc({ spec: { type: 'LoadBalancer', loadBalancerIP: '198.51.100.9' } }),
      undefined,
    );
    expect(legacy.ok && legacy.request.ips).toEqual(['198.51.100.9']);
    const both = requestFor(
      svc({
        annotations: { 'herald.dev/loadBalancerIPs': '198.51.100.8' },
        spec: { type: 'LoadBalancer', loadBalancerIP: '198.51.100.9' },
      }),
      undefined,
    );
    expect(!both.ok && both.error.cause).toBe('ConflictingRequest');
  });
});

describe('sharingFor', () => {
  it('includes ports, and the selector only for externalTrafficPolicy Local', () => {
    expect(sharingFor(svc())).toBeNull();
    const cluster = sharingFor(svc({ annotations: { 'herald.dev/allow-shared-ip': 'k' } }));
    expect(cluster).toEqual({ key: 'k', ports: [{ protocol: 'TCP', port: 80 }], localSelector: null });
    const local = sharingFor(
      svc({
        annotations: { 'herald.dev/allow-shared-ip': 'k' },
        spec: {
          type: 'LoadBalancer',
          externalTrafficPolicy: 'Local',
          selector: { b: '2', a: '1' },
          ports: [{ port: 53, protocol: 'UDP' }],
        },
      }),
    );
    expect(local?.localSelector).toBe('a=1,b=2');
    expect(selectorKey({ a: '1', b: '2' })).toBe(local?.localSelector);
  });
});

describe('statusPatchFor', () => {
  const now = new Date('2026-12-01T10:00:00.900Z');
  const allocated = {
    type: 'herald.dev/AddressAllocated',
    status: 'True',
    reason: 'Allocated',
    message: 'Assigned 198.51.100.1 from pool "p"',
  } as const;

  it('is null when status, annotation and conditions already match (idempotent reconcile writes nothing)', () => {
    const s = svc({
      annotations: { 'herald.dev/ip-allocated-from-pool': 'p' },
      status: {
        loadBalancer: { ingress: [{ ip: '198.51.100.1', ipMode: 'VIP' }] },
        conditions: [
          { ...allocated, observedGeneration: 2, lastTransitionTime: new Date('2026-11-30T00:00:00Z') },
        ],
      },
    });
    s.metadata!.generation = 2;
    const desired = {
      ingress: [{ ip: '198.51.100.1', ipMode: 'VIP' }],
      pool: 'p',
      conditions: [allocated],
    } as const;
    expect(statusPatchFor(s, desired, now)).toBeNull();
    // A different ipMode is a change of its own.
    expect(
      statusPatchFor(s, { ...desired, ingress: [{ ip: '198.51.100.1', ipMode: 'Proxy' }] }, now),
    ).toEqual({
      metadata: { resourceVersion: '7' },
      status: { loadBalancer: { ingress: [{ ip: '198.51.100.1', ipMode: 'Proxy' }] } },
    });
  });

  it('is conditional on the resourceVersion, clears with null and deletes only our own conditions', () => {
    const s = svc({
      status: {
        loadBalancer: { ingress: [{ ip: '198.51.100.1' }] },
        conditions: [
          { ...allocated, lastTransitionTime: new Date('2026-11-30T00:00:00Z') },
          {
            type: 'example.com/Other',
            status: 'True',
            reason: 'X',
            message: '',
            lastTransitionTime: new Date(),
          },
        ],
      },
    });
    expect(
      statusPatchFor(s, { ingress: [{ ip: '198.51.100.2', ipMode: 'VIP' }], pool: 'p', conditions: [] }, now),
    ).toEqual({
      metadata: { resourceVersion: '7', annotations: { 'herald.dev/ip-allocated-from-pool': 'p' } },
      status: {
        loadBalancer: { ingress: [{ ip: '198.51.100.2', ipMode: 'VIP' }] },
        conditions: [{ type: 'herald.dev/AddressAllocated', $patch: 'delete' }],
      },
    });
  });

  it('keeps lastTransitionTime while the status stays, sets it (whole seconds) when the status changes', () => {
    const since = new Date('2026-11-30T00:00:00Z');
    const s = svc({ status: { conditions: [{ ...allocated, lastTransitionTime: since }] } });
    const same = statusPatchFor(
      s,
      { ingress: [], pool: undefined, conditions: [{ ...allocated, message: 'm' }] },
      now,
    );
    expect(same?.status.conditions).toEqual([
      { ...allocated, message: 'm', lastTransitionTime: '2026-11-30T00:00:00Z' },
    ]);
    const flipped = statusPatchFor(
      s,
      {
        ingress: [],
        pool: undefined,
        conditions: [{ ...allocated, status: 'False', reason: 'PoolExhausted' }],
      },
      now,
    );
    expect(flipped?.status.conditions?.[0]).toMatchObject({
      status: 'False',
      lastTransitionTime: '2026-12-01T10:00:00Z',
    });
  });

  it('caps a condition message at the 32768 bytes of metav1', () => {
    const long = 'é'.repeat(20_000);
    const patch = statusPatchFor(
      svc({}),
      { ingress: [], pool: undefined, conditions: [{ ...allocated, message: long }] },
      now,
    );
    const c = patch?.status.conditions?.[0] as { message: string };
    expect(Buffer.byteLength(c.message)).toBeLessThanOrEqual(32768);
    expect(c.message.endsWith('...')).toBe(true);
  });
});

describe('ingressFor', () => {
  it('VIP unless the Service asks for Proxy; an invalid value keeps the shown mode', () => {
    const shown = { loadBalancer: { ingress: [{ ip: '198.51.100.1', ipMode: 'Proxy' }] } };
    expect(ingressFor(svc({}), ['198.51.100.1'])).toEqual([{ ip: '198.51.100.1', ipMode: 'VIP' }]);
    expect(ingressFor(svc({ annotations: { 'herald.dev/ip-mode': 'Proxy' } }), ['198.51.100.1'])).toEqual([
      { ip: '198.51.100.1', ipMode: 'Proxy' },
    ]);
    expect(
      ingressFor(svc({ annotations: { 'herald.dev/ip-mode': 'bogus' }, status: shown }), [
        '198.51.100.1',
        '2001:db8:100::1',
      ]),
    ).toEqual([
      { ip: '198.51.100.1', ipMode: 'Proxy' },
      { ip: '2001:db8:100::1', ipMode: 'VIP' },
    ]);
    // Removing the annotation goes back to VIP.
    expect(ingressFor(svc({ status: shown }), ['198.51.100.1'])).toEqual([
      { ip: '198.51.100.1', ipMode: 'VIP' },
    ]);
  });
});

describe('poolAnnotation and restoreOrder', () => {
  it('lists pools once, omits orphans', () => {
    expect(
      poolAnnotation({
        ips: [
          { family: 'ipv4', address: 'a', value: 1n, pool: 'p' },
          { family: 'ipv6', address: 'b', value: 2n, pool: 'p' },
        ],
        sharing: null,
      }),
    ).toBe('p');
    expect(
      poolAnnotation({ ips: [{ family: 'ipv4', address: 'a', value: 1n, pool: null }], sharing: null }),
    ).toBeUndefined();
  });

  it('orders oldest first, then by key', () => {
    const mk = (ns: string, name: string, t: string): V1Service => ({
      metadata: { namespace: ns, name, creationTimestamp: new Date(t) },
    });
    const order = restoreOrder([
      mk('b', 'x', '2026-01-02'),
      mk('b', 'a', '2026-01-01'),
      mk('a', 'z', '2026-01-01'),
    ]);
    expect(order.map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`)).toEqual(['a/z', 'b/a', 'b/x']);
  });
});

describe('enqueueOrder', () => {
  const mk = (name: string, o: { cls?: string; type?: string; ip?: string } = {}): V1Service => ({
    metadata: { namespace: 'ns', name },
    spec: { type: o.type ?? 'LoadBalancer', loadBalancerClass: o.cls },
    status: o.ip === undefined ? {} : { loadBalancer: { ingress: [{ ip: o.ip }] } },
  });

  it('queues pending Services first, then those showing addresses, then other classes showing addresses', () => {
    const keys = enqueueOrder(
      [
        mk('foreign-shown', { cls: 'other.example/lb', ip: '198.51.100.9' }),
        mk('shown-1', { ip: '198.51.100.1' }),
        mk('pending-1'),
        mk('foreign-pending', { cls: 'other.example/lb' }),
        mk('cluster-ip', { type: 'ClusterIP' }),
        mk('shown-2', { ip: '198.51.100.2' }),
        mk('pending-2'),
      ],
      undefined,
    );
    // Nothing to do for another class's Service without addresses, nor for a ClusterIP Service.
    expect(keys).toEqual(['ns/pending-1', 'ns/pending-2', 'ns/shown-1', 'ns/shown-2', 'ns/foreign-shown']);
  });

  it('follows the configured class', () => {
    const keys = enqueueOrder([mk('default-pending'), mk('ours', { cls: 'herald.dev/lb' })], 'herald.dev/lb');
    expect(keys).toEqual(['ns/ours']);
  });
});
