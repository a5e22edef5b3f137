import type { Watcher } from '@herald/kube';
import { createLogger } from '@herald/kube/process';
import type { V1EndpointSlice } from '@kubernetes/client-node';
import { NodeAddressCaches } from './caches.ts';
import { node, slice } from './testing.ts';

type Send = (phase: string, obj: unknown) => void;

/** A watcher whose streams the test drives: one `send` per watched path. */
class FakeWatcher implements Watcher {
  readonly send = new Map<string, Send>();
  async watch(path: string, _q: unknown, callback: Send): Promise<AbortController> {
    this.send.set(path, callback);
    return new AbortController();
  }
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

test('slices are watched only on demand, indexed by Service, and report changes and the first sync', async () => {
  const watcher = new FakeWatcher();
  const reported: string[] = [];
  let sliceLists = 0;
  const caches = new NodeAddressCaches({
    api: {
      list: async <T>(path: string) => {
        if (path === '/api/v1/nodes')
          return {
            items: [node({ name: 'n0', v4: '203.0.113.11', v6: '2001:DB8:1::11' })] as T[],
            metadata: { resourceVersion: '1' },
          };
        sliceLists++;
        return { items: [slice('web', [{ node: 'n0' }])] as T[], metadata: { resourceVersion: '5' } };
      },
    },
    watcher,
    log: createLogger({ level: 'silent' }),
    backoff: { initialMs: 1000, maxMs: 1000, multiplier: 1, jitter: 0 },
    onError: () => undefined,
    onNodes: () => reported.push('nodes'),
    onSlices: (services, synced) => reported.push(`slices ${services.join(',')}${synced ? ' synced' : ''}`),
  });
  caches.nodes.start();
  await caches.nodes.whenSynced();
  expect(caches.nodeOf('2001:db8:1::11')).toBe('n0');
  expect(caches.nodeOf('203.0.113.99')).toBeUndefined();
  expect(caches.slicesOf('shop/web')).toBeUndefined();
  expect(sliceLists).toBe(0);

  caches.watchSlices(true);
  await settle();
  expect(caches.slicesOf('shop/web')?.map((s) => s.metadata?.name)).toEqual(['web-1']);
  expect(caches.slicesOf('shop/other')).toEqual([]);
  const moved: V1EndpointSlice = {
    ...slice('api', [{ node: 'n0' }], 'web-1'),
    metadata: { ...slice('api', [], 'web-1').metadata, resourceVersion: '6' },
  };
  watcher.send.get('/apis/discovery.k8s.io/v1/endpointslices')!('MODIFIED', moved);
  expect(caches.slicesOf('shop/web')).toEqual([]);
  expect(caches.slicesOf('shop/api')).toHaveLength(1);
  watcher.send.get('/api/v1/nodes')!('MODIFIED', {
    ...node({ name: 'n0', v4: '203.0.113.12' }),
    metadata: { name: 'n0', resourceVersion: '2' },
  });
  expect(caches.nodeOf('203.0.113.12')).toBe('n0');
  expect(reported).toEqual([
    'nodes',
    'slices shop/web',
    'slices  synced',
    'slices shop/web,shop/api',
    'nodes',
  ]);

  caches.watchSlices(false);
  expect(caches.slicesOf('shop/api')).toBeUndefined();
  caches.stop();
});
