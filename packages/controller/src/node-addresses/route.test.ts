import type { AllocationRequest } from '../allocator/index.ts';
import { routeService } from './route.ts';
import { nodePool, rangePool } from './testing.ts';

const request = (r: Partial<AllocationRequest> = {}): AllocationRequest => ({
  namespace: 'shop',
  labels: {},
  namespaceLabels: {},
  families: ['ipv4'],
  policy: 'SingleStack',
  ips: [],
  pool: undefined,
  sharing: null,
  ...r,
});
const kind = (r: ReturnType<typeof routeService>) =>
  r.kind === 'node-addresses' ? `nodes:${r.pool.name}` : r.kind === 'error' ? `${r.error.cause}` : r.kind;

describe('routeService', () => {
  const bgp = rangePool('bgp', ['198.51.100.0/26']);
  const nodes = nodePool('nodes');

  test('the first pool in preference order that may serve the Service decides, like for any pool', () => {
    expect(kind(routeService([nodes, bgp], request()))).toBe('nodes:nodes');
    expect(kind(routeService([bgp, nodes], request()))).toBe('allocator');
    const preferred = nodePool('edge', {
      serviceAllocation: { priority: 1, namespaces: ['shop'], namespaceSelectors: [], serviceSelectors: [] },
    });
    expect(kind(routeService([bgp, preferred], request()))).toBe('nodes:edge');
    expect(kind(routeService([bgp, preferred], request({ namespace: 'other' })))).toBe('allocator');
  });

  test('autoAssign: false and serviceAllocation keep a node-address pool out of automatic choice', () => {
    expect(kind(routeService([nodePool('nodes', { autoAssign: false }), bgp], request()))).toBe('allocator');
    const onlyWeb = nodePool('nodes', {
      serviceAllocation: {
        priority: undefined,
        namespaces: [],
        namespaceSelectors: [],
        serviceSelectors: [{ matchLabels: { app: 'web' }, matchExpressions: [] }],
      },
    });
    expect(kind(routeService([onlyWeb, bgp], request()))).toBe('allocator');
    expect(kind(routeService([onlyWeb, bgp], request({ labels: { app: 'web' } })))).toBe('nodes:nodes');
  });

  test('a range pool without the primary family is passed over; a node-address pool never is', () => {
    expect(kind(routeService([bgp, nodes], request({ families: ['ipv6'] })))).toBe('nodes:nodes');
  });

  test('the annotation: a node-address pool if its serviceAllocation allows, never with requested addresses', () => {
    expect(kind(routeService([bgp, nodes], request({ pool: 'nodes' })))).toBe('nodes:nodes');
    expect(kind(routeService([nodes, bgp], request({ pool: 'bgp' })))).toBe('allocator');
    expect(kind(routeService([nodes], request({ pool: 'missing' })))).toBe('allocator'); // UnknownPool there
    expect(kind(routeService([nodePool('nodes', { autoAssign: false })], request({ pool: 'nodes' })))).toBe(
      'nodes:nodes',
    );
    expect(kind(routeService([nodes], request({ pool: 'nodes', ips: ['203.0.113.11'] })))).toBe(
      'ConflictingRequest',
    );
    const restricted = nodePool('nodes', {
      serviceAllocation: {
        priority: undefined,
        namespaces: ['ops'],
        namespaceSelectors: [],
        serviceSelectors: [],
      },
    });
    expect(kind(routeService([restricted], request({ pool: 'nodes' })))).toBe('PoolNotAllowed');
  });

  test('requested addresses without a pool go to the allocator', () => {
    expect(kind(routeService([nodes, bgp], request({ ips: ['198.51.100.7'] })))).toBe('allocator');
  });
});
