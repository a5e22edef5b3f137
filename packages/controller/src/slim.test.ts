import type { V1Service } from '@kubernetes/client-node';
import { requestFor, sharingFor, statusAddresses } from './service.ts';
import { slimNamespace, slimService } from './slim.ts';

const full: V1Service = {
  metadata: {
    name: 'web',
    namespace: 'shop',
    uid: 'u-1',
    resourceVersion: '42',
    creationTimestamp: new Date('2026-01-01T00:00:00Z'),
    labels: { app: 'web' },
    annotations: {
      'herald.dev/allow-shared-ip': 'k',
      'herald.dev/loadBalancerIPs': '198.51.100.7',
      'kubectl.kubernetes.io/last-applied-configuration': 'x'.repeat(4000),
    },
    managedFields: [{ manager: 'kubectl', operation: 'Apply' }],
  },
  spec: {
    type: 'LoadBalancer',
    loadBalancerClass: 'herald.dev/lb',
    externalTrafficPolicy: 'Local',
    selector: { app: 'web' },
    ipFamilies: ['IPv4', 'IPv6'],
    ipFamilyPolicy: 'PreferDualStack',
    clusterIP: '10.0.0.1',
    ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 30080 }],
  },
  status: {
    loadBalancer: { ingress: [{ ip: '198.51.100.7', ipMode: 'Proxy' }] },
    conditions: [
      {
        type: 'herald.dev/AddressAllocated',
        status: 'True',
        reason: 'Allocated',
        message: 'm',
        lastTransitionTime: new Date(0),
      },
      {
        type: 'example.com/Other',
        status: 'True',
        reason: 'X',
        message: 'n',
        lastTransitionTime: new Date(0),
      },
    ],
  },
};

test('slimService keeps what reconcile reads and drops the rest', () => {
  const slim = slimService(full);
  expect(slim.metadata?.managedFields).toBeUndefined();
  expect(slim.metadata?.annotations).toEqual({
    'herald.dev/allow-shared-ip': 'k',
    'herald.dev/loadBalancerIPs': '198.51.100.7',
  });
  expect(slim.spec?.clusterIP).toBeUndefined();
  expect(slim.spec?.ports).toEqual([{ port: 80, protocol: 'TCP' }]);
  // Every decision input is the same on the slim object as on the full one.
  expect(requestFor(slim, { team: 'a' })).toEqual(requestFor(full, { team: 'a' }));
  expect(sharingFor(slim)).toEqual(sharingFor(full));
  expect(statusAddresses(slim)).toEqual(statusAddresses(full));
  expect(slim.metadata?.creationTimestamp).toEqual(full.metadata?.creationTimestamp);
  expect(slim.metadata?.resourceVersion).toBe('42');
  expect(slim.metadata?.uid).toBe('u-1');
  // What the status patch compares against: ipMode and our own conditions (others' are never written by us).
  expect(slim.status?.loadBalancer?.ingress).toEqual([{ ip: '198.51.100.7', ipMode: 'Proxy' }]);
  expect(slim.status?.conditions?.map((c) => c.type)).toEqual(['herald.dev/AddressAllocated']);
});

test('slimNamespace keeps name and labels', () => {
  expect(
    slimNamespace({
      metadata: { name: 'shop', resourceVersion: '7', labels: { t: 'a' }, annotations: { x: 'y' } },
    }),
  ).toEqual({ metadata: { name: 'shop', uid: undefined, resourceVersion: '7', labels: { t: 'a' } } });
});
