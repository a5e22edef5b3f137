// herald-speaker benchmark (on demand, not a test). In one run, against the real apiserver and FRR:
//  1. Latency from a Service's status IP being written to the /32 being in the router namespace's kernel
//     table, p50/p99 over BENCH_LATENCY Services with BENCH_PRELOAD more already announced. Reference: the
//     same patch's arrival as a watch event at a plain client in the bench process (the floor any speaker
//     pays before it can act); printed as a ratio.
//  2. Convergence: speaker start → all BENCH_SERVICES /32s in FRR on each of 3 sessions. Reference: the bare
//     BGP library (`heraldctl bgp announce --prefixes-file`) from the same node with the same prefixes.
//  3. RSS and CPU of the speaker while holding them, against the bare BGP sender's RSS.
// Arrival in the kernel is observed with `ip monitor route` inside the router namespace (event-driven, no
// polling granularity); FRR's counts are polled through bgpd's vty socket.
//
//   npm run bench:speaker -w bench   (env: BENCH_SERVICES=10000 BENCH_LATENCY=1000 BENCH_PRELOAD=1000)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  announceArgs,
  createNamespace,
  FrrVtyClient,
  labUnavailableReason,
  NODE_ASN,
  requireInfra,
  run,
  setIngress,
  startHerald,
  startSystem,
  valuesWithConfig,
} from '@herald/e2e';
import { Watch } from '@kubernetes/client-node';
import {
  benchIp,
  percentile,
  prefixesFrom,
  procMemory,
  RouteMonitor,
  stopOnInterrupt,
  useImageTrees,
  waitPrefixes,
  wallMs,
} from './measure.ts';
import { createMany } from './services.ts';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 10_000);
const LATENCY = Number(process.env.BENCH_LATENCY ?? 1_000);
const PRELOAD = Number(process.env.BENCH_PRELOAD ?? 1_000);
/** Extra node-side and router-side addresses: the 2nd and 3rd session need their own address pair. */
const EXTRA_V4 = ['203.0.113.60', '203.0.113.61'];
const EXTRA_ROUTER_V4 = ['203.0.113.2', '203.0.113.3'];

const config = `
addressPools:
  - name: bench
    addresses: [198.18.0.0/15]
peers:
  - {name: s1, peerAddress: 203.0.113.1, peerASN: 64512, myASN: ${NODE_ASN}}
  - {name: s2, peerAddress: ${EXTRA_ROUTER_V4[0]}, peerASN: 64512, myASN: ${NODE_ASN}, sourceAddress: ${EXTRA_V4[0]}}
  - {name: s3, peerAddress: ${EXTRA_ROUTER_V4[1]}, peerASN: 64512, myASN: ${NODE_ASN}, sourceAddress: ${EXTRA_V4[1]}}
bgpAdvertisements:
  - name: all
`;

async function main() {
  const reason = labUnavailableReason();
  if (reason || !requireInfra({ netns: true, binaries: ['kube-apiserver', 'etcd'] }, 'bench:speaker')) {
    console.error(`bench:speaker cannot run: ${reason ?? 'missing test bed binaries'}`);
    process.exit(1);
  }
  // As its image runs it: the compiled tree, the image's node flags and ENV (scripts/build-image.sh).
  const trees = useImageTrees();
  // The speaker is started (and restarted) by the benchmark itself; no controller: it writes status.
  const t = await startSystem({
    nodes: 1,
    values: valuesWithConfig(config),
    speakers: false,
    controllers: 0,
    dataPlane: false,
  });
  await createNamespace(t.core, 'apps');
  // Ctrl-C still tears the lab down (namespaces, FRR, apiserver, speakers).
  stopOnInterrupt(t, trees.remove);
  const frr = t.frr;
  const node = t.lab.nodes[0]!;
  let monitor: RouteMonitor | undefined;
  let vty: FrrVtyClient | undefined;
  try {
    // Two more address pairs on the lab link (node side and router side, both inside lab namespaces), so one
    // speaker holds 3 sessions to the router: the BGP library keys sessions by peer address.
    for (const a of EXTRA_ROUTER_V4)
      await run('ip', ['-n', t.lab.routerNs, 'addr', 'add', `${a}/25`, 'dev', 'br0']);
    const links = JSON.parse((await run('ip', ['-n', node.ns, '-j', 'addr', 'show'])).stdout) as Array<{
      ifname: string;
      addr_info: Array<{ local: string }>;
    }>;
    const dev = links.find((l) => l.addr_info.some((a) => a.local === node.ipv4))!.ifname;
    for (const a of EXTRA_V4) {
      await run('ip', ['-n', node.ns, 'addr', 'add', `${a}/25`, 'dev', dev]);
      await frr.addPeer({ address: a, asn: NODE_ASN, families: ['ipv4'] });
    }
    const neighbors = [node.ipv4, ...EXTRA_V4];
    vty = await FrrVtyClient.open(`${frr.paths.vtyDir}/bgpd.vty`);
    monitor = new RouteMonitor(t.lab.routerNs);

    // ---- 1. latency ----
    console.log(`creating ${PRELOAD} announced + ${LATENCY} pending Services…`);
    const createStart = wallMs();
    await createMany(t, 0, PRELOAD, true);
    await createMany(t, PRELOAD, PRELOAD + LATENCY, false);
    console.log(`  ${((wallMs() - createStart) / 1000).toFixed(1)} s; starting the speaker`);
    // Debug level: its "routes changed" lines time when the speaker hands a route to its sessions.
    const speaker = await t.startSpeaker(0, ['--log-level', 'debug']);
    await waitPrefixes(vty, neighbors, PRELOAD);
    console.log('measuring latency…');
    const watchSeen = new Map<string, (t: number) => void>();
    const watch = new Watch(t.cp.kubeConfig);
    const abort = await watch.watch(
      '/api/v1/namespaces/apps/services',
      {
        resourceVersion: (await t.core.listNamespacedService({ namespace: 'apps', limit: 1 })).metadata!
          .resourceVersion!,
      },
      (
        _phase: string,
        obj: { metadata?: { name?: string }; status?: { loadBalancer?: { ingress?: unknown[] } } },
      ) => {
        if (obj.status?.loadBalancer?.ingress?.length) watchSeen.get(obj.metadata?.name ?? '')?.(wallMs());
      },
      () => undefined,
    );
    const routeMs: number[] = [];
    const watchMs: number[] = [];
    const sentAt = new Map<string, number>();
    for (let n = PRELOAD; n < PRELOAD + LATENCY; n++) {
      const name = `b${n}`;
      const watched = new Promise<number>((resolve) => watchSeen.set(name, resolve));
      const inKernel = monitor.wait(benchIp(n));
      const t0 = wallMs();
      sentAt.set(benchIp(n), Date.now());
      await setIngress(t.core, name, 'apps', [benchIp(n)]);
      routeMs.push((await inKernel) - t0);
      watchMs.push((await watched) - t0);
      watchSeen.delete(name);
    }
    abort.abort();
    // Where the time goes: apiserver → speaker → session hand-off (from the speaker's log, ms clock).
    const handoffMs: number[] = [];
    for (const line of readFileSync(speaker.logPath, 'utf8').split('\n')) {
      if (!line.includes('"routes changed"')) continue;
      const j = JSON.parse(line) as { time: number; announce?: string[] };
      for (const p of j.announce ?? []) {
        const sent = sentAt.get(p.replace(/\/32$/, ''));
        if (sent !== undefined) handoffMs.push(j.time - sent);
      }
    }
    handoffMs.sort((a, b) => a - b);
    routeMs.sort((a, b) => a - b);
    watchMs.sort((a, b) => a - b);
    const f = (x: number) => x.toFixed(1);
    const latencyLines = [
      `latency status→kernel route (${LATENCY} Services, ${PRELOAD} already announced): ` +
        `p50 ${f(percentile(routeMs, 50))} ms, p99 ${f(percentile(routeMs, 99))} ms`,
      `  reference status→watch event at a plain client: p50 ${f(percentile(watchMs, 50))} ms, ` +
        `p99 ${f(percentile(watchMs, 99))} ms; ratio p50 ${f(percentile(routeMs, 50) / percentile(watchMs, 50))}x`,
      `  of which status→speaker hands the route to its session (ms log clock): p50 ${f(percentile(handoffMs, 50))} ms, ` +
        `p99 ${f(percentile(handoffMs, 99))} ms (ratio to the watch reference p50 ` +
        `${f(percentile(handoffMs, 50) / percentile(watchMs, 50))}x); the rest is BGP on the wire + FRR bgpd/zebra`,
    ];
    for (const l of latencyLines) console.log(l);

    // ---- 2. convergence of SERVICES after a speaker start, and 3. RSS/CPU ----
    await speaker.stop({ signal: 'SIGTERM' });
    while ((await prefixesFrom(vty, [node.ipv4]))[0]! > 0) await sleep(5);
    console.log(`creating Services up to ${SERVICES}…`);
    await createMany(t, PRELOAD + LATENCY, SERVICES, true);
    console.log('starting the speaker for convergence…');
    const startedAt = wallMs();
    const big = await t.startSpeaker(0, ['--log-level', 'warn', '--shutdown-mode', 'withdraw']);
    const convergedAt = await waitPrefixes(vty, neighbors, SERVICES);
    const convergeMs = convergedAt - startedAt;
    await sleep(2_000);
    const a = procMemory(big.pid);
    await sleep(10_000);
    const b = procMemory(big.pid);
    const idleCpuPct = ((b.cpuSeconds - a.cpuSeconds) / 10) * 100;
    // RSS keeps what V8 reserved during the initial lists; the live heap says what holding the state costs.
    const metrics = await t.speakerMetrics(0);
    const metric = (name: string) =>
      Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
    const heapUsedMiB = metric('herald_speaker_nodejs_heap_size_used_bytes') / 1048576;
    const heapTotalMiB = metric('herald_speaker_nodejs_heap_size_total_bytes') / 1048576;
    await big.stop({ signal: 'SIGTERM' });
    while ((await prefixesFrom(vty, [node.ipv4]))[0]! > 0) await sleep(5);

    // Reference: the bare BGP library with the same prefixes on one session from the same node.
    const file = join(t.lab.dir, 'bench-prefixes.txt');
    writeFileSync(file, `${Array.from({ length: SERVICES }, (_, i) => `${benchIp(i)}/32`).join('\n')}\n`);
    const t1 = wallMs();
    const bare = startHerald(
      t.lab,
      node.ns,
      announceArgs(t.lab, { node, family: 'ipv4', localAsn: NODE_ASN, prefixesFile: file }),
    );
    const bareAt = await waitPrefixes(vty, [node.ipv4], SERVICES);
    const bareMs = bareAt - t1;
    await sleep(2_000);
    const bareRss = procMemory(bare.pid).rssMiB;
    await bare.stop();

    console.log('\nherald-speaker benchmark (one run, same apiserver and FRR)');
    for (const l of latencyLines) console.log(l);
    console.log(`convergence of ${SERVICES} Services × 3 sessions after start: ${f(convergeMs)} ms`);
    console.log(
      `  reference bare BGP sender, ${SERVICES} prefixes × 1 session: ${f(bareMs)} ms; ratio ${f(convergeMs / bareMs)}x`,
    );
    console.log(
      `speaker RSS holding ${SERVICES} Services, 3 sessions: ${f(b.rssMiB)} MiB (V8 heap used ` +
        `${f(heapUsedMiB)} of ${f(heapTotalMiB)} MiB); idle CPU ${f(idleCpuPct)} %`,
    );
    console.log(
      `  reference bare BGP sender RSS (1 session): ${f(bareRss)} MiB; ratio ${f(b.rssMiB / bareRss)}x`,
    );
  } finally {
    monitor?.stop();
    vty?.close();
    await t.stop();
    trees.remove();
  }
}

await main();
