// Two herald-controller replicas: exactly one leads and writes; SIGKILL → the standby takes over when the
// Lease expires; SIGTERM → the Lease is released and the standby takes over on its next poll.

import {
  type ControllerEnv,
  createLB,
  eventsFor,
  leaseHolder,
  type ManagedProcess,
  readService,
  startControllerEnv,
  waitFor,
  waitForIPs,
} from './controller-harness.ts';
import { requireInfra } from './kube/index.ts';

const CONFIG = `
addressPools:
  - name: lab
    addresses: ["198.51.100.0/24"]
`;
// Short timings keep the test quick; the ratios are the defaults' (15s / 10s / 2s).
const FAST = ['--lease-duration', '3s', '--renew-deadline', '2s', '--retry-period', '400ms'];

const run = requireInfra({ binaries: ['kube-apiserver', 'etcd'] }, 'controller HA e2e');
(run ? describe : describe.skip)('herald-controller HA (real apiserver)', () => {
  let env: ControllerEnv;
  const replicas = new Map<string, ManagedProcess>();

  beforeAll(async () => {
    env = await startControllerEnv(CONFIG);
    for (const name of [`ha-a-${process.pid}`, `ha-b-${process.pid}`])
      replicas.set(name, await env.startController(FAST, name));
  }, 120_000);
  afterAll(async () => {
    await env?.stop();
  });

  async function currentLeader(): Promise<string> {
    return waitFor('a lease holder', async () => {
      const h = await leaseHolder(env.coordination);
      return h !== '' && replicas.has(h) ? h : undefined;
    });
  }

  test('exactly one replica holds the Lease and writes', async () => {
    const leader = await currentLeader();
    for (let i = 0; i < 5; i++) await createLB(env.core, { name: `one-${i}` });
    for (let i = 0; i < 5; i++) await waitForIPs(env.core, `one-${i}`);
    await waitFor(
      'Events written',
      async () => (await eventsFor(env.core, 'default', 'one-4', 'IPAllocated')).length > 0,
    );
    const instances = new Set<string>();
    for (let i = 0; i < 5; i++) {
      for (const e of await eventsFor(env.core, 'default', `one-${i}`))
        instances.add(e.reportingInstance ?? '');
      const svc = await readService(env.core, `one-${i}`);
      const statusManagers = (svc?.metadata?.managedFields ?? []).filter((f) => f.subresource === 'status');
      expect(statusManagers.map((f) => f.manager)).toEqual(['herald-controller']);
    }
    expect([...instances]).toEqual([leader]);
    const standby = [...replicas.keys()].find((n) => n !== leader)!;
    expect(replicas.get(standby)!.logTail(200)).not.toContain('"msg":"assigned"');
    expect(await leaseHolder(env.coordination)).toBe(leader);
  });

  test('SIGKILL the leader → the standby takes over and keeps every address', async () => {
    const leader = await currentLeader();
    const before = new Map<string, string[]>();
    for (let i = 0; i < 5; i++) before.set(`one-${i}`, await waitForIPs(env.core, `one-${i}`));
    await replicas.get(leader)!.stop({ signal: 'SIGKILL' });
    replicas.delete(leader);
    await createLB(env.core, { name: 'after-kill' });
    const next = await currentLeader();
    expect(next).not.toBe(leader);
    expect(await waitForIPs(env.core, 'after-kill')).toEqual(['198.51.100.5']);
    for (const [name, ips] of before) expect(await waitForIPs(env.core, name)).toEqual(ips);
    // A replacement replica joins as standby.
    const name = `ha-c-${process.pid}`;
    replicas.set(name, await env.startController(FAST, name));
  });

  test('SIGTERM the leader → Lease released, standby leads at once', async () => {
    const leader = await currentLeader();
    const proc = replicas.get(leader)!;
    const exit = await proc.stop({ signal: 'SIGTERM', graceMs: 10_000 });
    replicas.delete(leader);
    expect(exit.code).toBe(0);
    expect(proc.logTail(50)).toContain('released the lease');
    const next = await currentLeader();
    expect(next).not.toBe(leader);
    // The handover did not wait for expiry: the new holder acquired a lease the old one had emptied.
    const lease = await env.coordination.readNamespacedLease({
      name: 'herald-controller',
      namespace: 'herald-system',
    });
    expect(lease.spec?.leaseTransitions).toBeGreaterThanOrEqual(2);
    expect(replicas.get(next)!.logTail(100)).toContain('became leader');
    await createLB(env.core, { name: 'after-term' });
    expect(await waitForIPs(env.core, 'after-term')).toEqual(['198.51.100.6']);
  });
});
