import type { V1Service } from '@kubernetes/client-node';
import { restoreOrder } from './reconciler.ts';
import { isHandled, poolAnnotation, requestFor, selectorKey, sharingFor, statusPatchFor } from './service.ts';

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
      families: ['IPv4', 'IPv6'],
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
  it('is null when status and annotation already match (idempotent reconcile writes nothing)', () => {
    const s = svc({
      annotations: { 'herald.dev/ip-allocated-from-pool': 'p' },
      status: { loadBalancer: { ingress: [{ ip: '198.51.100.1', ipMode: 'VIP' }] } },
    });
    expect(statusPatchFor(s, ['198.51.100.1'], 'p')).toBeNull();
  });

  it('is conditional on the resourceVersion it was computed from, and clears with null', () => {
    const s = svc({ status: { loadBalancer: { ingress: [{ ip: '198.51.100.1' }] } } });
    expect(statusPatchFor(s, ['198.51.100.2'], 'p')).toEqual({
      metadata: { resourceVersion: '7', annotations: { 'herald.dev/ip-allocated-from-pool': 'p' } },
      status: { loadBalancer: { ingress: [{ ip: '198.51.100.2' }] } },
    });
    expect(statusPatchFor(s, [], undefined)?.metadata.annotations).toEqual({
      'herald.dev/ip-allocated-from-pool': null,
    });
  });
});

describe('poolAnnotation and restoreOrder', () => {
  it('lists pools once, omits orphans', () => {
    expect(
      poolAnnotation({
        ips: [
          { family: 'IPv4', address: 'a', value: 1n, pool: 'p' },
          { family: 'IPv6', address: 'b', value: 2n, pool: 'p' },
        ],
        sharing: null,
      }),
    ).toBe('p');
    expect(
      poolAnnotation({ ips: [{ family: 'IPv4', address: 'a', value: 1n, pool: null }], sharing: null }),
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
