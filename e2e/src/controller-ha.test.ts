// Two herald-controller replicas: exactly one leads and writes; SIGKILL → the standby takes over when the
// Lease expires; SIGTERM → the Lease is released and the standby takes over on its next poll.

import { HERALD_NAMESPACE, LEASE } from './constants.ts';
import { eventually } from './eventually.ts';
import { describeWith } from './kube/index.ts';
import {
  type ControllerReplica,
  createService,
  eventsFor,
  type HeraldSystem,
  leaseHolder,
  readService,
  startSystem,
  valuesWithConfig,
  waitForIngress,
  withLeaderElection,
} from './system/index.ts';

const CONFIG = `
addressPools:
  - name: lab
    addresses: ["198.51.100.0/24"]
`;
// Short timings keep the test quick; the ratios are the defaults' (15s / 10s / 2s).
const FAST = { leaseDuration: '3s', renewDeadline: '2s', retryPeriod: '400ms' };

describeWith(
  { binaries: ['kube-apiserver', 'etcd', 'helm'] },
  'herald-controller HA (real apiserver)',
  () => {
    let sys: HeraldSystem;
    /** The replicas still running, by identity. */
    const replicas = new Map<string, ControllerReplica>();

    beforeAll(async () => {
      sys = await startSystem({
        nodes: 0,
        controllers: 2,
        values: withLeaderElection(valuesWithConfig(CONFIG), FAST),
      });
      for (const r of sys.controllers) replicas.set(r.identity, r);
    }, 120_000);
    afterAll(async () => {
      await sys?.stop();
    });

    async function currentLeader(): Promise<string> {
      return eventually('a lease holder', async () => {
        const h = await leaseHolder(sys.coordination);
        return replicas.has(h) && h;
      });
    }

    test('exactly one replica holds the Lease and writes', async () => {
      const leader = await currentLeader();
      for (let i = 0; i < 5; i++) await createService(sys.core, `one-${i}`);
      for (let i = 0; i < 5; i++) await waitForIngress(sys.core, `one-${i}`);
      await eventually(
        'Events written',
        async () => (await eventsFor(sys.core, 'default', 'one-4', 'IPAllocated')).length > 0,
      );
      const instances = new Set<string>();
      for (let i = 0; i < 5; i++) {
        // Herald's Events only: the apiserver's own ClusterIP repair controller may report on a new Service
        // too ("ClusterIPNotAllocated" when its informers see the Service before its IPAddress).
        for (const e of await eventsFor(sys.core, 'default', `one-${i}`))
          if (e.reportingComponent === 'herald.dev/controller') instances.add(e.reportingInstance ?? '');
        const svc = await readService(sys.core, `one-${i}`);
        const statusManagers = (svc?.metadata?.managedFields ?? []).filter((f) => f.subresource === 'status');
        expect(statusManagers.map((f) => f.manager)).toEqual(['herald-controller']);
      }
      expect([...instances]).toEqual([leader]);
      const standby = [...replicas.keys()].find((n) => n !== leader)!;
      expect(replicas.get(standby)!.proc.logTail(200)).not.toContain('"msg":"assigned"');
      expect(await leaseHolder(sys.coordination)).toBe(leader);
    });

    test('SIGKILL the leader → the standby takes over and keeps every address', async () => {
      const leader = await currentLeader();
      const before = new Map<string, string[]>();
      for (let i = 0; i < 5; i++) before.set(`one-${i}`, await waitForIngress(sys.core, `one-${i}`));
      await replicas.get(leader)!.proc.stop({ signal: 'SIGKILL' });
      replicas.delete(leader);
      await createService(sys.core, 'after-kill');
      const next = await currentLeader();
      expect(next).not.toBe(leader);
      expect(await waitForIngress(sys.core, 'after-kill')).toEqual(['198.51.100.5']);
      for (const [name, ips] of before) expect(await waitForIngress(sys.core, name)).toEqual(ips);
      // A replacement replica joins as standby.
      const replacement = await sys.startController(2);
      replicas.set(replacement.identity, replacement);
    });

    test('SIGTERM the leader → Lease released, standby leads at once', async () => {
      const leader = await currentLeader();
      const proc = replicas.get(leader)!.proc;
      const exit = await proc.stop({ signal: 'SIGTERM', graceMs: 10_000 });
      replicas.delete(leader);
      expect(exit.code).toBe(0);
      expect(proc.logTail(50)).toContain('released the lease');
      const next = await currentLeader();
      expect(next).not.toBe(leader);
      // The handover did not wait for expiry: the new holder acquired a lease the old one had emptied.
      const lease = await sys.coordination.readNamespacedLease({ name: LEASE, namespace: HERALD_NAMESPACE });
      expect(lease.spec?.leaseTransitions).toBeGreaterThanOrEqual(2);
      expect(replicas.get(next)!.proc.logTail(100)).toContain('became leader');
      await createService(sys.core, 'after-term');
      expect(await waitForIngress(sys.core, 'after-term')).toEqual(['198.51.100.6']);
    });
  },
);
