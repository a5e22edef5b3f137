import { readFileSync } from 'node:fs';

// The MetalLB failure this project exists to avoid (#1774, #2723): a controller restart in the middle of a
// burst must not hand out an address twice or move any Service. An informer records every address each
// Service ever showed; at the end each Service has shown exactly one, and no address belongs to two Services.

import { makeInformer, type V1Service } from '@kubernetes/client-node';
import { eventually } from './eventually.ts';
import { describeWith } from './kube/index.ts';
import {
  allAssignments,
  createService,
  duplicates,
  type HeraldSystem,
  ingressIPs,
  startSystem,
  valuesWithConfig,
  withLeaderElection,
} from './system/index.ts';

const COUNT = 1000;
const BATCH = 50;
const CONFIG = `
addressPools:
  - name: bulk
    addresses: ["198.18.0.0/22"]
`;
const FAST = { leaseDuration: '3s', renewDeadline: '2s', retryPeriod: '400ms' };

describeWith(
  { binaries: ['kube-apiserver', 'etcd', 'helm'] },
  'herald-controller restart during a burst (real apiserver)',
  () => {
    let sys: HeraldSystem;
    beforeAll(async () => {
      // No controller yet: the test starts one when the burst begins.
      sys = await startSystem({
        nodes: 0,
        controllers: 0,
        values: withLeaderElection(valuesWithConfig(CONFIG), FAST),
      });
    }, 120_000);
    afterAll(async () => {
      await sys?.stop();
    });

    test(`SIGKILL + restart while creating ${COUNT} Services: no duplicate, no address ever changes`, async () => {
      const seen = new Map<string, Set<string>>();
      const informer = makeInformer<V1Service>(sys.cp.kubeConfig, '/api/v1/namespaces/default/services', () =>
        sys.core.listNamespacedService({ namespace: 'default' }),
      );
      const record = (svc: V1Service) => {
        const ips = ingressIPs(svc);
        if (ips.length === 0) return;
        const name = svc.metadata?.name ?? '';
        const set = seen.get(name) ?? new Set<string>();
        set.add(ips.join(','));
        seen.set(name, set);
      };
      informer.on('add', record);
      informer.on('update', record);
      await informer.start();
      try {
        let proc = (await sys.startController(0)).proc;
        let killedAt = -1;
        for (let start = 0; start < COUNT; start += BATCH) {
          await Promise.all(
            Array.from({ length: Math.min(BATCH, COUNT - start) }, (_, i) =>
              createService(sys.core, `burst-${start + i}`),
            ),
          );
          if (killedAt < 0 && start >= COUNT * 0.4 && seen.size > 0) {
            killedAt = start + BATCH;
            await proc.stop({ signal: 'SIGKILL' });
            // A new replica (new identity), as the Deployment would create a new Pod.
            proc = (await sys.startController(1)).proc;
          }
        }
        expect(killedAt).toBeGreaterThan(0);
        await eventually(
          `all ${COUNT} Services to have an address`,
          async () => (await allAssignments(sys.core)).size === COUNT,
          { timeoutMs: 180_000, intervalMs: 500 },
        );
        const final = await allAssignments(sys.core);
        expect(duplicates(final)).toEqual([]);
        const moved = [...seen]
          .filter(([, ips]) => ips.size !== 1)
          .map(([n, ips]) => `${n}: ${[...ips].join(' → ')}`);
        expect(moved).toEqual([]);
        // Lowest-free is dense: 1,000 Services fill exactly the first 1,000 addresses of the /22.
        const used = new Set([...final.values()].flat());
        expect(used.size).toBe(COUNT);
        // The second controller learned the first one's assignments before allocating.
        const restored = /"restored":(\d+)/.exec(readFileSync(proc.logPath, 'utf8'));
        expect(Number(restored?.[1])).toBeGreaterThan(0);
      } finally {
        await informer.stop();
      }
    });
  },
);
