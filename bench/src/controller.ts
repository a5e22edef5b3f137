// Controller burst benchmark against a real kube-apiserver (e2e test bed), in BENCH_RUNS interleaved rounds
// (default 5; same-run noise is about ±0.2 on one round's ratio, so one round proves nothing):
//   1. reference: a bare loop patches the status of 1,000 Services (16 in flight, like the controller's
//      workers), watched like (2) — the apiserver's limit for this work;
//   1b. the same while the apiserver also serves a cluster-wide Service watch (curl, dropped): the watch any
//      controller needs, so the floor for any controller that watches;
//   1c. the bare loop's patches sent by a new process with the image's node flags (patch-loop.ts bare): what
//      sending from a new process costs, as a controller does;
//   1d. the controller's own patches without the controller (patch-loop.ts herald): the same new process sends
//      each Service exactly the patch the controller sends, and does nothing else. (1c) → (1d) is what the
//      patch's content costs; (1d) → (2) the controller's own work. BENCH_PATCHES_ALONE=0 leaves 1c and 1d out;
//   2. 1,000 pending LoadBalancer Services exist; herald-controller starts and serves them all; time from its
//      "became leader" log line to the last Service showing an IP (watched). The controller then stops and (1)
//      runs again: ratio = (2) / the mean of (1) before and after; target <= 1.15. The bracket keeps the
//      apiserver's drift across a run out of the ratio (bare loop after ÷ before per round: 0.81–1.33 so far).
//      Every timed step starts BENCH_SETTLE_MS (8 s) after its Services were created.
//      Each round starts from an empty cluster (the last round's Services deleted) and a new controller.
//   2b. a new controller, once it leads: a live burst of 1,000 creates, IP lag after each create.
//   3. RSS of the controller holding 10,000 Services (HERALD_BENCH_RSS_SERVICES, 0 to skip).
// The controller runs as its image runs it: the compiled tree (scripts/build-image.sh) started with the image's
// ENTRYPOINT (node flags) and ENV, so what is measured is what users run.
// HERALD_BENCH_CPU_PROF=DIR writes a V8 CPU profile of each controller process into DIR.
// Run: npm run bench:controller -w bench

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  eventually,
  imageCommand,
  imageEnv,
  type ManagedProcess,
  sleep,
  spawnManaged,
  startControlPlane,
} from '@herald/e2e';
import { KubeClient, kubeconfigConnection } from '@herald/kube';
import { CoreV1Api, makeInformer, type V1Service } from '@kubernetes/client-node';
import {
  cpuSecondsOf,
  curlServiceWatch,
  deleteServices,
  loadBalancerServiceBody,
  median,
  pool,
  settle,
  useImageTrees,
} from './measure.ts';
import { patchIp, sendBarePatch } from './status-patches.ts';

const COUNT = 1000;
const CONCURRENCY = 16;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const RSS_SERVICES = Number(process.env.HERALD_BENCH_RSS_SERVICES ?? 10_000);
const CPU_PROF_DIR = process.env.HERALD_BENCH_CPU_PROF;
// The pause between creating Services and a timed step: bench:patch-content found the first 1,000 writes after
// 2,000 creates 1.23× slower than the next 1,000 with a 1 s pause, 1.11× (CPU 1.02×) with 8 s.
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 8000);
// References 1c and 1d: each round takes ~30 s longer with them.
const PATCHES_ALONE = process.env.BENCH_PATCHES_ALONE !== '0';

const trees = useImageTrees();
const [node, ...entry] = imageCommand('controller');
const cp = await startControlPlane();
try {
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  for (const ns of [
    'herald-system',
    'bare',
    'bare-watched',
    'patches-alone',
    'bare-process',
    'burst',
    'bare-after',
    'live',
    'rss',
  ])
    await core.createNamespace({ body: { metadata: { name: ns } } });
  await core.createNamespacedConfigMap({
    namespace: 'herald-system',
    body: {
      metadata: { name: 'herald-config' },
      data: { 'config.yaml': 'addressPools:\n  - name: bench\n    addresses: ["198.18.0.0/17"]\n' },
    },
  });
  const names = Array.from({ length: COUNT }, (_, i) => `svc-${i}`);
  // Through a pooled keep-alive client like the controller's: a new TLS connection per request would
  // understate the apiserver's limit.
  const bare = new KubeClient(kubeconfigConnection(cp.kubeconfigPath));

  function startController(round: number): Promise<ManagedProcess> {
    return spawnManaged({
      name: `bench-ctl-${process.pid}-${round}`,
      command: node!,
      args: [
        // HERALD_BENCH_CPU_PROF=DIR: V8 CPU profile of the controller (written when it stops).
        ...(CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`] : []),
        ...entry,
        '--kubeconfig',
        cp.kubeconfigPath,
        '--namespace',
        'herald-system',
        '--metrics-address',
        '127.0.0.1:0',
        // A benchmark reads its own process's metrics on loopback: plain HTTP, no probe server.
        '--metrics-auth',
        'none',
        '--health-address',
        '',
      ],
      logPath: join(cp.dir, `bench-controller-${round}.log`),
      ownerDir: cp.dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...imageEnv('controller') },
    });
  }

  /** Resolves when all COUNT Services of NAMESPACE show an IP, with the wall time each one first did. */
  async function watchIPs(
    namespace: string,
  ): Promise<{ all: Promise<Map<string, number>>; stop(): Promise<void> }> {
    const withIP = new Map<string, number>();
    let done: (m: Map<string, number>) => void = () => {};
    const all = new Promise<Map<string, number>>((r) => {
      done = r;
    });
    const informer = makeInformer<V1Service>(cp.kubeConfig, `/api/v1/namespaces/${namespace}/services`, () =>
      core.listNamespacedService({ namespace }),
    );
    const seen = (s: V1Service) => {
      const n = s.metadata?.name ?? '';
      if (s.status?.loadBalancer?.ingress?.length && !withIP.has(n)) withIP.set(n, Date.now());
      if (withIP.size === COUNT) done(withIP);
    };
    informer.on('add', seen);
    informer.on('update', seen);
    await informer.start();
    return { all, stop: () => informer.stop() };
  }

  /** Samples the CPU of PIDS every 10 ms until stopped; `at(wall)` is the last sample at or before WALL. */
  function sampleCpu(pids: () => readonly number[]): { stop(): void; at(wall: number): number } {
    const samples: Array<{ wall: number; cpu: number }> = [];
    const take = () => samples.push({ wall: Date.now(), cpu: cpuSecondsOf(pids()) });
    take();
    const timer = setInterval(take, 10);
    return {
      stop: () => {
        clearInterval(timer);
        take();
      },
      at: (wall) => samples.findLast((x) => x.wall <= wall)?.cpu ?? Number.NaN,
    };
  }

  /** Requests the apiserver has served so far, by "VERB resource[/subresource]" (apiserver_request_total). */
  async function requestsServed(): Promise<Map<string, number>> {
    const served = new Map<string, number>();
    for (const line of (await cp.adminGet('/metrics')).body.split('\n')) {
      if (!line.startsWith('apiserver_request_total{')) continue;
      const label = (name: string) => new RegExp(`[{,]${name}="([^"]*)"`).exec(line)?.[1] ?? '';
      const sub = label('subresource');
      const key = `${label('verb')} ${label('resource')}${sub ? `/${sub}` : ''}`;
      served.set(key, (served.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
    }
    return served;
  }
  /** What was served between two readings, "VERB resource N" by count, for the log. */
  const servedBetween = (before: Map<string, number>, after: Map<string, number>): string =>
    [...after]
      .map(([key, n]) => [key, n - (before.get(key) ?? 0)] as const)
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([key, n]) => `${key} ${n}`)
      .join(', ');

  interface BareLoop {
    /** Until the last patch's response, and until the bench's watch saw the last IP. */
    readonly ms: number;
    readonly watchedMs: number;
    /** CPU ms in that span: the apiserver + etcd, and this process (the loop and its watch). */
    readonly apiCpuMs: number;
    readonly loopCpuMs: number;
  }
  /** COUNT Services of a class the controller ignores in NAMESPACE, and the watch that times their IPs. */
  async function ignoredServices(namespace: string): Promise<Awaited<ReturnType<typeof watchIPs>>> {
    await pool(names, 50, (n) =>
      core.createNamespacedService({ namespace, body: loadBalancerServiceBody(n, 'bench.example/bare') }),
    );
    const watch = await watchIPs(namespace);
    await settle(SETTLE_MS);
    return watch;
  }

  /**
   * The reference: 1,000 Services of a class the controller ignores in NAMESPACE; times only their status
   * patches, watched the way the controller's burst is (that watch is the instrument: its cost to the apiserver
   * is on both sides). CONTROLLER_WATCH adds the watch every controller needs (curlServiceWatch).
   */
  async function bareLoop(namespace: string, controllerWatch: boolean): Promise<BareLoop> {
    const watch = await ignoredServices(namespace);
    const curl = controllerWatch ? curlServiceWatch(cp) : undefined;
    if (curl !== undefined) await new Promise((r) => setTimeout(r, 1000)); // its initial ADDED events are sent
    const apiBefore = cpuSecondsOf(cp.pids());
    const selfBefore = process.cpuUsage();
    const t = performance.now();
    const tWall = Date.now();
    let i = 0;
    await pool(names, CONCURRENCY, (n) => sendBarePatch(bare, namespace, n, patchIp(i++)));
    const ms = performance.now() - t;
    const seen = await watch.all;
    const watchedMs = Math.max(...seen.values()) - tWall;
    const selfCpu = process.cpuUsage(selfBefore);
    const apiCpuMs = (cpuSecondsOf(cp.pids()) - apiBefore) * 1000;
    curl?.kill();
    await watch.stop();
    return { ms, watchedMs, apiCpuMs, loopCpuMs: (selfCpu.user + selfCpu.system) / 1000 };
  }

  /**
   * WRITE's patches sent by a new process with the image's node flags (patch-loop.ts), as the controller runs:
   * the controller's own (`herald`) or the bare loop's (`bare`). Timed from its first patch, as the controller
   * is from "became leader".
   */
  async function newProcessLoop(namespace: string, write: 'herald' | 'bare'): Promise<BareLoop> {
    const watch = await ignoredServices(namespace);
    const apiCpu = sampleCpu(() => cp.pids());
    const loop = spawn(
      node!,
      [
        '--no-warnings',
        ...entry.filter((arg) => arg.startsWith('--')),
        new URL('./patch-loop.ts', import.meta.url).pathname,
        cp.kubeconfigPath,
        namespace,
        String(CONCURRENCY),
        write,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...imageEnv('controller') } },
    );
    let out = '';
    loop.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => loop.once('exit', resolve));
    if (code !== 0) throw new Error(`patch-loop.ts exited with ${code}`);
    const { startedAt, ms, cpuMs } = JSON.parse(out) as { startedAt: number; ms: number; cpuMs: number };
    const seen = await watch.all;
    const last = Math.max(...seen.values());
    apiCpu.stop();
    await watch.stop();
    // The controller's patches leave its pool annotation, so the controller would take those Services for ones
    // that left its class and clear them, beside the burst it is timed on.
    await deleteServices(core, namespace);
    return {
      ms,
      watchedMs: last - startedAt,
      apiCpuMs: (apiCpu.at(last) - apiCpu.at(startedAt)) * 1000,
      loopCpuMs: cpuMs,
    };
  }

  interface Round {
    readonly bare: BareLoop;
    /** The bare loop again after the burst (the controller stopped): with (1), it brackets the burst. */
    readonly bareAfter: BareLoop;
    /** The bare loop while a second watch (the controller's) is served. */
    readonly bareWatched: BareLoop;
    /** The controller's patches, sent by a new process that does nothing else. */
    readonly patchesAlone: BareLoop | undefined;
    /** The bare loop's patches, sent by a new process like the one above. */
    readonly bareProcess: BareLoop | undefined;
    /** Controller: "became leader" → the bench's watch saw the last IP; and from its spawn. */
    readonly burstMs: number;
    readonly spawnMs: number;
    /** "became leader" → the first Service showing an IP (start-up of the workers, the first requests). */
    readonly firstMs: number;
    /** CPU ms in the burst: the apiserver + etcd, the controller. */
    readonly burstApiCpuMs: number;
    readonly burstControllerCpuMs: number;
  }
  const rounds: Round[] = [];
  /** The reference of a round: the mean of the bare loops before and after its burst. */
  const bracket = (r: Round): number => (r.bare.watchedMs + r.bareAfter.watchedMs) / 2;
  for (let round = 0; round < RUNS; round++) {
    if (round > 0)
      for (const ns of ['bare', 'bare-watched', 'burst', 'bare-after']) await deleteServices(core, ns);
    // 1. The references.
    const bareRun = await bareLoop('bare', false);
    const bareWatched = await bareLoop('bare-watched', true);
    const bareProcess = PATCHES_ALONE ? await newProcessLoop('bare-process', 'bare') : undefined;
    const patchesAlone = PATCHES_ALONE ? await newProcessLoop('patches-alone', 'herald') : undefined;

    // 2. 1,000 pending Services; the controller starts and serves them all at once.
    await pool(names, 50, (n) =>
      core.createNamespacedService({ namespace: 'burst', body: loadBalancerServiceBody(n) }),
    );
    const watch = await watchIPs('burst');
    await settle(SETTLE_MS);
    const servedBefore = await requestsServed();
    const spawnedAt = Date.now();
    const apiCpu = sampleCpu(() => cp.pids());
    const burstProc = await startController(round);
    const controllerPid = burstProc.pid;
    const controllerCpu = sampleCpu(() => [controllerPid]);
    const withIP = await watch.all;
    apiCpu.stop();
    controllerCpu.stop();
    const served = servedBetween(servedBefore, await requestsServed());
    await watch.stop();
    await burstProc.stop();
    // 1 again, after: the apiserver's speed drifts across a run (earlier runs saw the burst slow from the fourth
    // round on, and the bare loop with it); the mean of the loops before and after the burst follows such a drift.
    const bareAfter = await bareLoop('bare-after', false);
    const lastIP = Math.max(...withIP.values());
    const leaderAt = Number(
      /"time":(\d+)[^\n]*"msg":"became leader"/.exec(readFileSync(burstProc.logPath, 'utf8'))?.[1],
    );
    const r: Round = {
      bare: bareRun,
      bareAfter,
      bareWatched,
      patchesAlone,
      bareProcess,
      burstMs: lastIP - leaderAt,
      spawnMs: lastIP - spawnedAt,
      firstMs: Math.min(...withIP.values()) - leaderAt,
      burstApiCpuMs: (apiCpu.at(lastIP) - apiCpu.at(leaderAt)) * 1000,
      burstControllerCpuMs: (controllerCpu.at(lastIP) - controllerCpu.at(leaderAt)) * 1000,
    };
    rounds.push(r);
    console.log(
      `round ${round + 1}: requests the apiserver served from the controller's spawn to the last IP: ${served}`,
    );
    const loop = (b: BareLoop) =>
      `${b.watchedMs} ms (CPU apiserver+etcd ${b.apiCpuMs.toFixed(0)}, loop ${b.loopCpuMs.toFixed(0)})`;
    console.log(
      `round ${round + 1}: bare loop ${loop(r.bare)}, after the burst ${loop(r.bareAfter)}; with the controller's watch ${loop(r.bareWatched)}; ${r.bareProcess ? `the bare patches from a new process ${loop(r.bareProcess)}; ` : ''}${r.patchesAlone ? `the controller's patches alone ${loop(r.patchesAlone)}; ` : ''}controller ${r.burstMs} ms after "became leader" (first IP at ${r.firstMs} ms, ${r.spawnMs} ms after spawn; CPU apiserver+etcd ${r.burstApiCpuMs.toFixed(0)}, controller ${r.burstControllerCpuMs.toFixed(0)}); ratios ${(r.burstMs / bracket(r)).toFixed(2)} / ${(r.burstMs / r.bareWatched.watchedMs).toFixed(2)}${r.patchesAlone ? ` / ${(r.burstMs / r.patchesAlone.watchedMs).toFixed(2)}` : ''}`,
    );
  }
  if (rounds.length === 0) throw new Error('BENCH_RUNS must be at least 1');
  const bareMs = median(rounds.map(bracket));
  const trendRatios = rounds.map((r) => r.bareAfter.watchedMs / r.bare.watchedMs);
  const bareWatchedMs = median(rounds.map((r) => r.bareWatched.watchedMs));
  const burstMs = median(rounds.map((r) => r.burstMs));
  const ratios = rounds.map((r) => r.burstMs / bracket(r));
  const watchedRatios = rounds.map((r) => r.burstMs / r.bareWatched.watchedMs);
  const floorRatios = rounds.map((r) => r.bareWatched.watchedMs / bracket(r));
  /** The rounds that ran a reference (BENCH_PATCHES_ALONE), each with it. */
  const withReference = (pick: (r: Round) => BareLoop | undefined) =>
    rounds.flatMap((r) => {
      const ref = pick(r);
      return ref === undefined ? [] : [{ r, ref }];
    });
  const alone = withReference((r) => r.patchesAlone);
  const ownWorkRatios = alone.map(({ r, ref }) => r.burstMs / ref.watchedMs);
  const contentRatios = alone.map(({ r, ref }) => ref.watchedMs / bracket(r));
  const byProcess = withReference((r) => r.bareProcess);
  const processRatios = byProcess.map(({ r, ref }) => ref.watchedMs / bracket(r));

  // 2b. Live: a controller is running; a second burst of 1,000 creates. How far behind the creates are the IPs?
  // A new controller (each round's stopped after its burst), once it leads, and 2 s for it to re-check the last
  // round's Services, which need no write.
  const proc = await startController(RUNS);
  await eventually(`the live burst's controller to become leader (${proc.logPath})`, () =>
    /"msg":"became leader"/.test(readFileSync(proc.logPath, 'utf8')),
  );
  await sleep(2000);
  const live = Array.from({ length: COUNT }, (_, k) => `live-${k}`);
  const created = new Map<string, number>();
  const liveWatch = await watchIPs('live');
  await pool(live, 50, async (n) => {
    await core.createNamespacedService({ namespace: 'live', body: loadBalancerServiceBody(n) });
    created.set(n, Date.now());
  });
  const liveIP = await liveWatch.all;
  await liveWatch.stop();
  const lags = live.map((n) => liveIP.get(n)! - created.get(n)!).sort((a, b) => a - b);

  console.log(
    `herald-controller burst benchmark (real kube-apiserver + etcd on this machine), ${RUNS} rounds`,
  );
  const list = (xs: readonly number[]) => xs.map((x) => x.toFixed(2)).join(', ');
  console.log(
    `reference: bare loop patching ${COUNT} statuses, ${CONCURRENCY} in flight, before and after each burst: median ${bareMs.toFixed(0)} ms until a watch saw the last IP (before ${median(rounds.map((r) => r.bare.watchedMs)).toFixed(0)}, after ${median(rounds.map((r) => r.bareAfter.watchedMs)).toFixed(0)}; ${median(rounds.map((r) => r.bare.ms)).toFixed(0)} ms until the last patch returned); after ÷ before: median ${median(trendRatios).toFixed(2)} (${list(trendRatios)})`,
  );
  console.log(
    `reference: the same while the apiserver also serves the controller's watch (read by curl): median ${bareWatchedMs.toFixed(0)} ms; ÷ bare loop: median ${median(floorRatios).toFixed(2)} (${list(floorRatios)})`,
  );
  if (byProcess.length > 0)
    console.log(
      `reference: the bare loop's patches sent by a new process (patch-loop.ts bare): median ${median(byProcess.map((a) => a.ref.watchedMs)).toFixed(0)} ms; ÷ bare loop: median ${median(processRatios).toFixed(2)} (${list(processRatios)})`,
    );
  if (alone.length > 0)
    console.log(
      `reference: the controller's own patches sent by a new process that does nothing else (patch-loop.ts): median ${median(alone.map((a) => a.ref.watchedMs)).toFixed(0)} ms; ÷ bare loop: median ${median(contentRatios).toFixed(2)} (${list(contentRatios)})`,
    );
  console.log(
    `controller: ${COUNT} pending Services all have an IP, median ${burstMs} ms after it became leader (the first after ${median(rounds.map((r) => r.firstMs))} ms; ${median(rounds.map((r) => r.spawnMs))} ms after process spawn, including Node start-up, list and Lease)`,
  );
  console.log(
    `CPU, medians (ms): apiserver+etcd ${median(rounds.map((r) => r.bare.apiCpuMs)).toFixed(0)} in the bare loop, ${median(rounds.map((r) => r.bareWatched.apiCpuMs)).toFixed(0)} with the controller's watch, ${median(rounds.map((r) => r.burstApiCpuMs)).toFixed(0)} in the burst; bare loop process ${median(rounds.map((r) => r.bare.loopCpuMs)).toFixed(0)} (with the bench's watch), ${alone.length > 0 ? `the controller's patches alone ${median(alone.map((a) => a.ref.loopCpuMs)).toFixed(0)}, ` : ''}controller ${median(rounds.map((r) => r.burstControllerCpuMs)).toFixed(0)}`,
  );
  console.log(
    `ratio controller / bare loop (the mean of before and after): median of rounds ${median(ratios).toFixed(2)} (${list(ratios)}), of medians ${(burstMs / bareMs).toFixed(2)} (target <= 1.15)`,
  );
  console.log(
    `ratio controller / bare loop with the controller's watch: median of rounds ${median(watchedRatios).toFixed(2)} (${list(watchedRatios)})`,
  );
  if (alone.length > 0)
    console.log(
      `ratio controller / its patches alone: median of rounds ${median(ownWorkRatios).toFixed(2)} (${list(ownWorkRatios)})`,
    );
  console.log(
    `live burst of ${COUNT} creates: IP visible after the create returned — median ${lags[COUNT >> 1]} ms, p99 ${lags[Math.floor(COUNT * 0.99)]} ms, max ${lags[COUNT - 1]} ms`,
  );

  // 3. RSS holding many Services.
  if (RSS_SERVICES > 0) {
    const rssNames = Array.from({ length: RSS_SERVICES }, (_, k) => `rss-${k}`);
    await pool(rssNames, 50, (n) =>
      core.createNamespacedService({ namespace: 'rss', body: loadBalancerServiceBody(n) }),
    );
    const total = 5 * COUNT + RSS_SERVICES;
    for (;;) {
      const list = await core.listNamespacedService({ namespace: 'rss' });
      if (list.items.filter((s) => s.status?.loadBalancer?.ingress?.length).length === RSS_SERVICES) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    await new Promise((r) => setTimeout(r, 3000));
    const status = readFileSync(`/proc/${proc.pid}/status`, 'utf8');
    const rssKB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    const selfKB = process.memoryUsage().rss / 1024;
    console.log(
      `controller RSS holding ${total.toLocaleString()} Services (${(RSS_SERVICES + 2 * COUNT).toLocaleString()} with IPs, ${3 * COUNT} of another class in its cache): ${(rssKB / 1024).toFixed(0)} MB (this benchmark process, for scale: ${(selfKB / 1024).toFixed(0)} MB)`,
    );
    // Where the RSS is: V8 heap (live objects + garbage not yet collected) vs the rest, from its /metrics.
    const port = Number(
      /"port":(\d+)[^\n]*"msg":"metrics server listening"/.exec(readFileSync(proc.logPath, 'utf8'))?.[1],
    );
    if (port > 0) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const metric = (name: string): string => {
        const v = Number(
          new RegExp(`^herald_controller_${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1],
        );
        return `${(v / 1e6).toFixed(0)} MB`;
      };
      console.log(
        `  controller V8 heap used ${metric('nodejs_heap_size_used_bytes')} of ${metric('nodejs_heap_size_total_bytes')}, external ${metric('nodejs_external_memory_bytes')}`,
      );
    }
  }
  await proc.stop();
} finally {
  await cp.stop();
  trees.remove();
}
