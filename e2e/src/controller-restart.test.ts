import { readFileSync } from 'node:fs';

// The MetalLB failure this project exists to avoid (#1774, #2723): a controller restart in the middle of a
// burst must not hand out an address twice or move any Service. An informer records every address each
// Service ever showed; at the end each Service has shown exactly one, and no address belongs to two Services.

import { makeInformer, type V1Service } from '@kubernetes/client-node';
import {
  allAssignments,
  type ControllerEnv,
  createLB,
  duplicates,
  ingressIPs,
  startControllerEnv,
  waitFor,
} from './controller-harness.ts';
import { requireInfra } from './kube/index.ts';

const COUNT = 1000;
const BATCH = 50;
const CONFIG = `
addressPools:
  - name: bulk
    addresses: ["198.18.0.0/22"]
`;
const FAST = ['--lease-duration', '3s', '--renew-deadline', '2s', '--retry-period', '400ms'];

const run = requireInfra({ binaries: ['kube-apiserver', 'etcd'] }, 'controller restart e2e');
(run ? describe : describe.skip)('herald-controller restart during a burst (real apiserver)', () => {
  let env: ControllerEnv;
  beforeAll(async () => {
    env = await startControllerEnv(CONFIG);
  }, 120_000);
  afterAll(async () => {
    await env?.stop();
  });

  test(`SIGKILL + restart while creating ${COUNT} Services: no duplicate, no address ever changes`, async () => {
    const seen = new Map<string, Set<string>>();
    const informer = makeInformer<V1Service>(env.cp.kubeConfig, '/api/v1/namespaces/default/services', () =>
      env.core.listNamespacedService({ namespace: 'default' }),
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
      let proc = await env.startController(FAST);
      let killedAt = -1;
      for (let start = 0; start < COUNT; start += BATCH) {
        await Promise.all(
          Array.from({ length: Math.min(BATCH, COUNT - start) }, (_, i) =>
            createLB(env.core, { name: `burst-${start + i}` }),
          ),
        );
        if (killedAt < 0 && start >= COUNT * 0.4 && seen.size > 0) {
          killedAt = start + BATCH;
          await proc.stop({ signal: 'SIGKILL' });
          proc = await env.startController(FAST);
        }
      }
      expect(killedAt).toBeGreaterThan(0);
      await waitFor(
        `all ${COUNT} Services to have an address`,
        async () => (await allAssignments(env.core)).size === COUNT,
        180_000,
        500,
      );
      const final = await allAssignments(env.core);
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
});
