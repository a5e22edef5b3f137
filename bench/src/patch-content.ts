// What the content of herald-controller's status write costs a real kube-apiserver, against the bare write the
// controller burst is measured against (status-patches.ts): each sent from this process through one pooled
// KubeClient, 16 in flight, to 1,000 fresh Services (a first write, as in a burst) of a class no controller
// serves, while the apiserver also serves a cluster-wide Service watch (curl, dropped), as it does for any
// controller. BENCH_WRITES picks the writes (default bare,herald; also herald-no-condition and
// herald-no-annotation, the controller's write without one part, to see what that part costs).
// Why its own bench, and why this design: 1,000 identical writes took 0.9–1.6 s from one round to the next,
// and the first writes after the untimed creates were slower than the next (below). So each round waits
// BENCH_SETTLE_MS after its creates, then runs the writes back to back, their order rotated by one each round.
// A round's ratio carries the order effect; over BENCH_RUNS rounds (a multiple of the writes, default 10) each
// write runs in each position equally often, so the geometric mean of the ratios cancels it, and their spread
// gives the interval printed.
// What it bounds: a controller that writes this content cannot serve a burst faster than this content alone is
// written, so "controller ÷ bare loop" in bench:controller cannot go below this ratio.
// Run: npm run bench:patch-content -w bench
import { startControlPlane } from '@herald/e2e';
import { KubeClient, kubeconfigConnection } from '@herald/kube';
import { CoreV1Api, type V1Service } from '@kubernetes/client-node';
import {
  cpuSecondsOf,
  curlServiceWatch,
  deleteServices,
  loadBalancerServiceBody,
  median,
  pool,
  settle,
} from './measure.ts';
import { patchIp, sendBarePatch, sendHeraldPatch } from './status-patches.ts';

const COUNT = 1000;
const CONCURRENCY = 16;
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 8000);

/** The writes this bench can compare; `bare` is the reference every other is divided by. */
const WRITES = {
  bare: (kube: KubeClient, svc: V1Service, ip: string) =>
    sendBarePatch(kube, svc.metadata?.namespace ?? '', svc.metadata?.name ?? '', ip),
  herald: (kube: KubeClient, svc: V1Service, ip: string) => sendHeraldPatch(kube, svc, ip),
  'herald-no-condition': (kube: KubeClient, svc: V1Service, ip: string) =>
    sendHeraldPatch(kube, svc, ip, { condition: false, annotation: true }),
  'herald-no-annotation': (kube: KubeClient, svc: V1Service, ip: string) =>
    sendHeraldPatch(kube, svc, ip, { condition: true, annotation: false }),
} as const;
type Write = keyof typeof WRITES;
const isWrite = (name: string): name is Write => Object.hasOwn(WRITES, name);

/** BENCH_WRITES: which writes, comma-separated (default bare,herald); bare is always measured, first in round 1. */
function selectedWrites(): Write[] {
  const named = (process.env.BENCH_WRITES ?? 'bare,herald').split(',').map((w) => w.trim());
  const unknown = named.filter((w) => !isWrite(w));
  if (unknown.length > 0)
    throw new Error(`BENCH_WRITES: unknown ${unknown.join(', ')} (known: ${Object.keys(WRITES).join(', ')})`);
  return ['bare', ...new Set(named.filter(isWrite).filter((w) => w !== 'bare'))];
}
const writes = selectedWrites();
if (writes.length < 2) throw new Error('BENCH_WRITES: name at least one write besides bare');
if (RUNS < writes.length || RUNS % writes.length !== 0)
  throw new Error(
    `BENCH_RUNS must be a multiple of the ${writes.length} writes, so each runs in each position`,
  );

interface Timed {
  readonly ms: number;
  /** CPU ms of the apiserver + etcd, and of this process (the client). */
  readonly apiCpuMs: number;
  readonly clientCpuMs: number;
}

const cp = await startControlPlane();
const watch = curlServiceWatch(cp);
try {
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  const kube = new KubeClient(kubeconfigConnection(cp.kubeconfigPath));
  for (const ns of writes) await core.createNamespace({ body: { metadata: { name: ns } } });
  const names = Array.from({ length: COUNT }, (_, i) => `svc-${i}`);
  async function timed(write: Write, services: readonly V1Service[]): Promise<Timed> {
    let i = 0;
    const api = cpuSecondsOf(cp.pids());
    const self = process.cpuUsage();
    const t = performance.now();
    await pool(services, CONCURRENCY, (svc) => WRITES[write](kube, svc, patchIp(i++)));
    const ms = performance.now() - t;
    const used = process.cpuUsage(self);
    return {
      ms,
      apiCpuMs: (cpuSecondsOf(cp.pids()) - api) * 1000,
      clientCpuMs: (used.user + used.system) / 1000,
    };
  }

  async function createServices(write: Write, count: number): Promise<V1Service[]> {
    const created: V1Service[] = [];
    await pool(names.slice(0, count), 50, async (name) => {
      created.push(
        await core.createNamespacedService({
          namespace: write,
          body: loadBalancerServiceBody(name, 'bench.example/bare'),
        }),
      );
    });
    return created;
  }

  // Untimed warm-up, each write to 200 Services: this process's first writes used twice the client CPU of later
  // ones (JIT, GC), which made the first round's first write slower.
  for (const write of writes) await timed(write, await createServices(write, 200));
  for (const write of writes) await deleteServices(core, write);

  /** Each round's times by write, and the order they ran in (rotated by one each round). */
  const rounds: Array<{ readonly order: readonly Write[]; readonly times: ReadonlyMap<Write, Timed> }> = [];
  for (let round = 0; round < RUNS; round++) {
    // Untimed: fresh Services for each write, then SETTLE_MS for the apiserver to calm: with 1 s, the first write
    // of a round took 1.23× its time as the second (20 rounds); with 8 s, 1.11× (CPU 1.02×, 8 rounds).
    const services = new Map<Write, V1Service[]>();
    for (const write of writes) services.set(write, await createServices(write, COUNT));
    await settle(SETTLE_MS);
    const order = writes.map((_, k) => writes[(k + round) % writes.length]!);
    const times = new Map<Write, Timed>();
    for (const write of order) times.set(write, await timed(write, services.get(write)!));
    rounds.push({ order, times });
    const show = (w: Write) => {
      const x = times.get(w)!;
      return `${w} ${x.ms.toFixed(0)} ms (CPU apiserver+etcd ${x.apiCpuMs.toFixed(0)}, client ${x.clientCpuMs.toFixed(0)})`;
    };
    console.log(`round ${round + 1}, ${COUNT} writes each, in this order: ${order.map(show).join('; ')}`);
    for (const write of writes) await deleteServices(core, write);
  }

  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = (xs: readonly number[]) =>
    Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / Math.max(1, xs.length - 1));
  /**
   * WRITE ÷ bare with the order effect cancelled: the mean over rounds of ln(WRITE's time ÷ bare's), each write
   * having run in each position equally often; ± 2 standard errors of that mean (the order effect is left in the
   * spread, so the interval is wide rather than narrow).
   */
  function estimate(write: Write, key: 'ms' | 'apiCpuMs'): string {
    const logs = rounds.map((r) => Math.log(r.times.get(write)![key] / r.times.get('bare')![key]));
    const m = mean(logs);
    const se = sd(logs) / Math.sqrt(logs.length);
    return `${Math.exp(m).toFixed(2)} (± 2 s.e.: ${Math.exp(m - 2 * se).toFixed(2)}–${Math.exp(m + 2 * se).toFixed(2)})`;
  }
  /** How much longer the first write of a round took than the round's mean (over all writes, geometric). */
  const firstEffect = (key: 'ms' | 'apiCpuMs') =>
    Math.exp(
      mean(
        rounds.map((r) => {
          const logs = r.order.map((w) => Math.log(r.times.get(w)![key]));
          return logs[0]! - mean(logs);
        }),
      ),
    ).toFixed(2);
  console.log(
    `Service status writes ÷ the bare write (real kube-apiserver + etcd on this machine), ${RUNS} rounds of ${COUNT} each, order rotated`,
  );
  for (const write of writes.slice(1)) {
    const perRound = rounds.map((r) => (r.times.get(write)!.ms / r.times.get('bare')!.ms).toFixed(2));
    console.log(
      `${write} ÷ bare: wall time ${estimate(write, 'ms')}, apiserver+etcd CPU ${estimate(write, 'apiCpuMs')}; per round ${perRound.join(', ')}`,
    );
  }
  console.log(
    `the first write of a round took ${firstEffect('ms')}× the round's mean (CPU ${firstEffect('apiCpuMs')}×)`,
  );
  const clientMs = (write: Write) => median(rounds.map((r) => r.times.get(write)!.clientCpuMs)).toFixed(0);
  console.log(
    `client CPU per ${COUNT} writes, medians: ${writes.map((w) => `${w} ${clientMs(w)} ms`).join(', ')}`,
  );
  kube.close();
} finally {
  watch.kill();
  await cp.stop();
}
