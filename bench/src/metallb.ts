// Head-to-head: Herald against MetalLB (native BGP, built from its Go module by bench/metallb/ensure.sh) on the
// same kube-apiserver, the same FRR and the same machine, in one run. Each measure alternates the two
// implementations run by run (Herald first in odd runs, MetalLB first in even ones) so machine noise spreads over
// both; medians of BENCH_RUNS runs. Only one implementation runs at a time, both as shipped: Herald's programs
// as its images run them (compiled dist/, scripts/build-image.sh), with the chart's defaults; MetalLB with its
// default flags (no memberlist, webhooks off as there is no cert rotation outside a cluster).
//
//   1. RSS with no Service (controller; speaker with its session Established)
//   2. burst: BENCH_BURST Services created at once (64 in flight) → every one has an IP, seen by a watch
//   3. status → route: a Service's status IP written → the /32 in the router namespace's kernel (ip monitor)
//   4. crash failover: a Service announced by two nodes; SIGKILL one node's speaker → its next hop leaves
//      the router's kernel route
//   5. BENCH_LEVELS Services (status written by the bench, endpoints on the node): speaker start →
//      all /32s in FRR, RSS of speaker and controller holding them; reference: the bare BGP sender
//      (heraldctl bgp announce) with the same prefixes.
// MetalLB's native speaker cannot announce IPv6, so everything is IPv4.
//
//   npm run bench:metallb     (env: BENCH_RUNS=3 BENCH_BURST=1000 BENCH_LATENCY=100 BENCH_LEVELS=2,1000,10000
//                              BENCH_PARTS=idle,burst,latency,failover,scale BENCH_IMPLS=Herald,MetalLB)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  announceArgs,
  createNamespace,
  createService,
  defaultValues,
  FrrVtyClient,
  type HeraldSystem,
  labUnavailableReason,
  type ManagedProcess,
  NODE_ASN,
  putEndpointSlice,
  ROUTER_ASN,
  ROUTER_IPV4,
  requireInfra,
  run,
  setIngress,
  startHerald,
  startSystem,
} from '@herald/e2e';
import { KubeClient, kubeconfigConnection } from '@herald/kube';
import type { V1Service } from '@kubernetes/client-node';
import {
  benchIp,
  createServices,
  deleteServices,
  f1,
  median,
  percentile,
  procMemory,
  RouteMonitor,
  stopOnInterrupt,
  useImageTrees,
  waitDrained,
  waitPrefixes,
  wallMs,
} from './measure.ts';
import { ensureMetallb, MetallbLab } from './metallb-lab.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BURST = Number(process.env.BENCH_BURST ?? 1000);
const LATENCY = Number(process.env.BENCH_LATENCY ?? 100);
/** Service counts of the scale set (measure 5), ascending; 2 is what most nodes of a cluster hold. */
const LEVELS = (process.env.BENCH_LEVELS ?? '2,1000,10000').split(',').map(Number);
/** The first latency/failover address (benchIp index): the scale set's addresses are the ones below it. */
const FIRST_PROBE_IP = 100_000;
if (LEVELS.some((n) => !(n > 0) || n > FIRST_PROBE_IP))
  throw new Error(`BENCH_LEVELS: each level must be 1 … ${FIRST_PROBE_IP}, got ${LEVELS.join(',')}`);
const PARTS = new Set((process.env.BENCH_PARTS ?? 'idle,burst,latency,failover,scale').split(','));
const POOL = '198.18.0.0/15';

type Impl = 'Herald' | 'MetalLB';
/** BENCH_IMPLS=Herald runs Herald alone (the scale curves beyond what MetalLB is measured at). */
const IMPLS = new Set((process.env.BENCH_IMPLS ?? 'Herald,MetalLB').split(','));
if ([...IMPLS].some((i) => i !== 'Herald' && i !== 'MetalLB'))
  throw new Error(`BENCH_IMPLS: Herald and/or MetalLB, got ${[...IMPLS].join(',')}`);
const order = (run: number): Impl[] =>
  (run % 2 === 0 ? (['Herald', 'MetalLB'] as const) : (['MetalLB', 'Herald'] as const)).filter((i) =>
    IMPLS.has(i),
  );

/** Results by measure, implementation, run. */
const results = new Map<string, Map<Impl, number[]>>();
function record(measure: string, impl: Impl, value: number): void {
  const m = results.get(measure) ?? new Map<Impl, number[]>();
  results.set(measure, m);
  m.set(impl, [...(m.get(impl) ?? []), value]);
  console.error(`  ${measure} ${impl}: ${f1(value)}`);
}

class Bench {
  readonly t: HeraldSystem;
  readonly mlb: MetallbLab;
  readonly vty: FrrVtyClient;
  readonly monitor: RouteMonitor;
  readonly kube: KubeClient;
  readonly node: string;
  #ipSeq = FIRST_PROBE_IP; // latency and failover IPs: above the scale set's, inside the pool

  constructor(t: HeraldSystem, mlb: MetallbLab, vty: FrrVtyClient) {
    this.t = t;
    this.mlb = mlb;
    this.vty = vty;
    this.monitor = new RouteMonitor(t.lab.routerNs);
    this.kube = new KubeClient(kubeconfigConnection(t.cp.kubeconfigPath));
    this.node = t.lab.nodes[0]!.ipv4;
  }

  nextIp(): string {
    return benchIp(this.#ipSeq++);
  }

  async startController(impl: Impl): Promise<ManagedProcess> {
    if (impl === 'MetalLB') return this.mlb.startController();
    const c = await this.t.startController(0);
    return c.proc;
  }

  /** Starts IMPL's speaker on node INDEX; resolves once FRR has its session Established. */
  async startSpeaker(impl: Impl, index = 0): Promise<ManagedProcess> {
    const proc = impl === 'MetalLB' ? await this.mlb.startSpeaker(index) : await this.t.startSpeaker(index);
    const address = this.t.lab.nodes[index]!.ipv4;
    const deadline = Date.now() + 120_000;
    for (;;) {
      const peer = (await this.t.frr.peers()).find((p) => p.address === address);
      if (peer?.established) return proc;
      if (Date.now() > deadline) {
        const log = readFileSync(proc.logPath, 'utf8').split('\n').slice(-40).join('\n');
        throw new Error(`${impl} speaker on node ${index}: no session in FRR; its log ends:\n${log}`);
      }
      await sleep(50);
    }
  }

  /** Stops a speaker and waits until FRR holds nothing from its node. */
  async stopSpeaker(proc: ManagedProcess, index = 0): Promise<void> {
    await proc.stop({ signal: 'SIGTERM', graceMs: 20_000 });
    await waitDrained(this.vty, [this.t.lab.nodes[index]!.ipv4]);
  }
}

async function idle(b: Bench, runIndex: number): Promise<void> {
  for (const impl of order(runIndex)) {
    const c = await b.startController(impl);
    await sleep(10_000);
    record('controller RSS, no Service (MiB)', impl, procMemory(c.pid).rssMiB);
    await c.stop();
    const s = await b.startSpeaker(impl);
    await sleep(10_000);
    record('speaker RSS, no Service (MiB)', impl, procMemory(s.pid).rssMiB);
    await b.stopSpeaker(s);
  }
}

/** BURST Services created at once; time from the first create to the last IP, as a watch sees them. */
async function burst(b: Bench, runIndex: number): Promise<void> {
  for (const impl of order(runIndex)) {
    const ns = `burst-${impl.toLowerCase()}-${runIndex}`;
    await createNamespace(b.t.core, ns);
    const controller = await b.startController(impl);
    await sleep(5_000); // caches synced, Lease held (Herald), informers started (MetalLB)
    const withIp = new Map<string, number>();
    const created = new Map<string, number>();
    let allDone: () => void = () => {};
    const done = new Promise<void>((r) => {
      allDone = r;
    });
    const watch = await b.kube.watch(
      `/api/v1/namespaces/${ns}/services`,
      {},
      (_type, obj) => {
        const s = obj as V1Service;
        const name = s.metadata?.name ?? '';
        if (s.status?.loadBalancer?.ingress?.length && !withIp.has(name)) withIp.set(name, wallMs());
        if (withIp.size === BURST) allDone();
      },
      () => undefined,
    );
    const start = wallMs();
    for (let i = 0; i < BURST; i += 64)
      await Promise.all(
        Array.from({ length: Math.min(64, BURST - i) }, async (_, k) => {
          const name = `s${i + k}`;
          await createService(b.t.core, name, { namespace: ns });
          created.set(name, wallMs());
        }),
      );
    await done;
    watch.abort();
    const last = Math.max(...withIp.values());
    record(`burst: ${BURST} Services → all have an IP (s)`, impl, (last - start) / 1000);
    record(
      'burst: IP after its create returned, median (ms)',
      impl,
      median([...created].map(([n, t]) => withIp.get(n)! - t)),
    );
    if (runIndex === 0) {
      await sleep(5_000);
      record(`controller RSS after allocating ${BURST} (MiB)`, impl, procMemory(controller.pid).rssMiB);
    }
    await controller.stop();
    await deleteServices(b.t.core, ns);
  }
}

/** Status IP written → /32 in the router's kernel, LATENCY Services one after the other. */
async function latency(b: Bench, runIndex: number): Promise<void> {
  for (const impl of order(runIndex)) {
    const ns = `lat-${impl.toLowerCase()}-${runIndex}`;
    await createNamespace(b.t.core, ns);
    for (let i = 0; i < LATENCY; i++) {
      await createService(b.t.core, `l${i}`, { namespace: ns });
      await putEndpointSlice(b.t.discovery, `l${i}`, [{ node: 'node-0', address: `10.250.0.${i % 250}` }], {
        namespace: ns,
        create: true,
      });
    }
    const speaker = await b.startSpeaker(impl);
    await sleep(2_000);
    const samples: number[] = [];
    for (let i = 0; i < LATENCY; i++) {
      const ip = b.nextIp();
      const inKernel = b.monitor.wait(ip);
      const t0 = wallMs();
      await setIngress(b.t.core, `l${i}`, ns, [ip]);
      samples.push((await inKernel) - t0);
    }
    record('status → route in kernel, p50 (ms)', impl, percentile(samples, 50));
    record('status → route in kernel, p99 (ms)', impl, percentile(samples, 99));
    await b.stopSpeaker(speaker);
    await deleteServices(b.t.core, ns);
  }
}

/** Two nodes announce one Service; SIGKILL node-0's speaker → node-0's next hop leaves the kernel route. */
async function failover(b: Bench, runIndex: number): Promise<void> {
  const router = b.t.lab.routerNs;
  const nexthops = async (ip: string) =>
    (await run('ip', ['-n', router, '-j', 'route', 'show', `${ip}/32`])).stdout;
  for (const impl of order(runIndex)) {
    const ns = `fo-${impl.toLowerCase()}-${runIndex}`;
    await createNamespace(b.t.core, ns);
    const ip = b.nextIp();
    await createService(b.t.core, 'f', { namespace: ns });
    await putEndpointSlice(
      b.t.discovery,
      'f',
      [
        { node: 'node-0', address: '10.251.0.1' },
        { node: 'node-1', address: '10.251.0.2' },
      ],
      { namespace: ns, create: true },
    );
    await setIngress(b.t.core, 'f', ns, [ip]);
    const s0 = await b.startSpeaker(impl, 0);
    const s1 = await b.startSpeaker(impl, 1);
    const node0 = b.t.lab.nodes[0]!.ipv4;
    const node1 = b.t.lab.nodes[1]!.ipv4;
    const deadline = Date.now() + 60_000;
    while (!((await nexthops(ip)).includes(node0) && (await nexthops(ip)).includes(node1))) {
      if (Date.now() > deadline) throw new Error(`${impl}: ${ip} not via both nodes`);
      await sleep(20);
    }
    const t0 = wallMs();
    const killed = s0.stop({ signal: 'SIGKILL' });
    for (;;) {
      const hops = await nexthops(ip);
      if (!hops.includes(node0) && hops.includes(node1)) break;
      if (wallMs() - t0 > 300_000) throw new Error(`${impl}: node-0 still a next hop of ${ip}`);
      await sleep(2);
    }
    record('crash failover: SIGKILL → next hop gone from the kernel (ms)', impl, wallMs() - t0);
    await killed;
    await b.stopSpeaker(s1, 1);
    await waitDrained(b.vty, [node0]);
    await deleteServices(b.t.core, ns);
  }
}

/** Speaker start → all N /32s in FRR; RSS of speaker and controller holding them. */
async function scale(b: Bench, runIndex: number, n: number): Promise<void> {
  for (const impl of order(runIndex)) {
    const t0 = wallMs();
    const speaker = await b.startSpeaker(impl);
    const at = await waitPrefixes(b.vty, [b.node], n);
    record(`speaker start → ${n} /32s in FRR (s)`, impl, (at - t0) / 1000);
    await sleep(10_000);
    record(`speaker RSS holding ${n} Services (MiB)`, impl, procMemory(speaker.pid).rssMiB);
    await b.stopSpeaker(speaker);
    if (runIndex === 0) {
      const c0 = wallMs();
      const c = await b.startController(impl);
      // Time to list N Services and patch in what the bench's status writes lack (condition, annotation).
      await sleep(Math.max(15_000, n * 4));
      record(`controller RSS holding ${n} Services (MiB)`, impl, procMemory(c.pid).rssMiB);
      // Herald logs when it has listed every Service and learnt the assignments in their status.
      const restored = impl === 'Herald' ? logTime(c.logPath, 'restored assignments') : undefined;
      if (restored !== undefined)
        record(`controller start → ${n} assignments restored (s)`, impl, (restored - c0) / 1000);
      await c.stop();
    }
  }
}

/** The time of the first line of a program's JSON log whose message starts with MSG. */
function logTime(path: string, msg: string): number | undefined {
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.includes(msg)) continue;
    const j = JSON.parse(line) as { time?: number; msg?: string };
    if (j.msg?.startsWith(msg)) return j.time;
  }
  return undefined;
}

/** The bare BGP sender with the same N prefixes from the same node: what sending alone costs. */
async function bareSender(b: Bench, n: number): Promise<void> {
  const file = join(b.t.lab.dir, `bare-${n}.txt`);
  writeFileSync(file, `${Array.from({ length: n }, (_, i) => `${benchIp(i)}/32`).join('\n')}\n`);
  const node = b.t.lab.nodes[0]!;
  const t0 = wallMs();
  const p = startHerald(
    b.t.lab,
    node.ns,
    announceArgs(b.t.lab, { node, family: 'ipv4', localAsn: NODE_ASN, prefixesFile: file }),
  );
  const at = await waitPrefixes(b.vty, [b.node], n);
  // The reference, in Herald's column: the BGP library alone (no Kubernetes), as the single executable.
  record(`reference: bare BGP sender start → ${n} /32s in FRR (s)`, 'Herald', (at - t0) / 1000);
  await p.stop('SIGTERM');
  await waitDrained(b.vty, [b.node]);
}

function report(): void {
  console.log(`\nHerald vs MetalLB, medians of ${RUNS} runs (one run where only one value is listed)`);
  console.log('| measure | Herald | MetalLB | Herald ÷ MetalLB |\n| --- | --- | --- | --- |');
  for (const [measure, byImpl] of results) {
    const h = byImpl.get('Herald') ?? [];
    const m = byImpl.get('MetalLB') ?? [];
    const cell = (xs: number[]) => (xs.length ? `${f1(median(xs))} (${xs.map(f1).join(', ')})` : '–');
    const ratio = h.length && m.length ? (median(h) / median(m)).toFixed(2) : '–';
    console.log(`| ${measure} | ${cell(h)} | ${cell(m)} | ${ratio} |`);
  }
}

async function main(): Promise<void> {
  const reason = labUnavailableReason();
  if (reason || !requireInfra({ netns: true, binaries: ['kube-apiserver', 'etcd'] }, 'bench:metallb')) {
    console.error(`bench:metallb cannot run: ${reason ?? 'missing test bed binaries'}`);
    process.exit(1);
  }
  const dir = ensureMetallb();
  const trees = useImageTrees();
  const values = defaultValues();
  // As shipped: the config's defaults (hold time 90 s, graceful restart off), one IPv4 session per node.
  values.config.addressPools = [{ name: 'bench', addresses: [POOL] }];
  values.config.peers = [{ name: 'router', peerAddress: ROUTER_IPV4, peerASN: ROUTER_ASN, myASN: NODE_ASN }];
  values.controller = { ...(values.controller as object), replicas: 1 };
  const t = await startSystem({ nodes: 2, values, speakers: false, controllers: 0, dataPlane: false });
  // Interrupted: the test bed and the image trees go too.
  stopOnInterrupt(t, trees.remove);
  let b: Bench | undefined;
  try {
    const mlb = await MetallbLab.install(t, dir);
    await mlb.configure(POOL, [
      { name: 'router', peerAddress: ROUTER_IPV4, peerASN: ROUTER_ASN, myASN: NODE_ASN },
    ]);
    const vty = await FrrVtyClient.open(`${t.frr.paths.vtyDir}/bgpd.vty`);
    b = new Bench(t, mlb, vty);
    console.error(`MetalLB ${mlb.version} from ${dir}; Herald from ${trees.dir}`);
    for (let r = 0; r < RUNS; r++) {
      console.error(`run ${r + 1}: ${[...PARTS].join(', ')}`);
      if (PARTS.has('idle')) await idle(b, r);
      if (PARTS.has('burst')) await burst(b, r);
      if (PARTS.has('latency')) await latency(b, r);
      if (PARTS.has('failover')) await failover(b, r);
    }
    // The scale set: status written by the bench (no controller runs while speakers are measured).
    const scaleSet = { namespace: 'scale', name: (i: number) => `x${i}`, ip: benchIp, nodes: ['node-0'] };
    await createNamespace(t.core, 'scale');
    let have = 0;
    for (const level of PARTS.has('scale') ? LEVELS : []) {
      console.error(`creating Services up to ${level}…`);
      await createServices(t, have, level, scaleSet);
      have = level;
      for (let r = 0; r < RUNS; r++) {
        await scale(b, r, level);
        await bareSender(b, level);
      }
    }
    report();
  } finally {
    b?.monitor.stop();
    b?.kube.close();
    b?.vty.close();
    await t.stop();
    trees.remove();
  }
}

await main();
