// BFD transmit timing while the speaker works hard (on demand, not a test). One speaker holds BENCH_SERVICES
// (10,000) LoadBalancer Services and two BGP sessions to FRR 8.4, each with BFD at BENCH_INTERVAL ms × 3
// (default 50 ms, the documented floor). For BENCH_SECONDS (60) the benchmark churns the configuration every
// 2 s (a community on the one advertisement flips), so the speaker re-decides all 10,000 Services and
// re-announces 10,000 routes on each session: seconds of main-thread work and garbage collection per minute.
// Two runs, same system: BFD in its worker thread (the default), then inline on the main thread
// (`--bfd-isolation inline`), the reference the worker has to beat.
//
// Per run: periodic packets sent, transmit delay p50 / p99 / max (bucket upper bounds of the speaker's
// herald_bfd_transmit_delay_seconds), late packets (a gap longer than the interval), FRR's BFD session-down
// events (`show bfd peers counters`), and the speaker's main-thread event-loop delay max and reconcile time.
//
//   e2e-lock --exclusive npm run bench:bfd -w bench   (env: BENCH_SERVICES=10000 BENCH_SECONDS=60 BENCH_INTERVAL=50)
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createNamespace,
  FrrVtyClient,
  type HeraldSystem,
  labUnavailableReason,
  NODE_ASN,
  parseMetrics,
  ROUTER_ASN,
  ROUTER_IPV4,
  ROUTER_IPV6,
  requireInfra,
  type Sample,
  startSystem,
  valuesWithConfig,
} from '@herald/e2e';
import { benchIp, createMany } from './services.ts';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const INTERVAL = Number(process.env.BENCH_INTERVAL ?? 50);

function config(community: number): string {
  const peer = (name: string, address: string) =>
    `  - {name: ${name}, peerAddress: ${address}, peerASN: ${ROUTER_ASN}, myASN: ${NODE_ASN}, ` +
    `bfd: {enabled: true, minReceive: ${INTERVAL}, minTransmit: ${INTERVAL}, multiplier: 3}}`;
  return `
addressPools:
  - name: bench
    addresses: [198.18.0.0/15]
peers:
${peer('router-v4', ROUTER_IPV4)}
${peer('router-v6', ROUTER_IPV6)}
bgpAdvertisements:
  - name: all
    communities: ["64600:${community}"]
`;
}

async function prefixesFrom(vty: FrrVtyClient, neighbor: string): Promise<number> {
  const s = await vty.json<{ ipv4Unicast?: { peers?: Record<string, { pfxRcd?: number }> } }>(
    'show bgp summary json',
  );
  return s.ipv4Unicast?.peers?.[neighbor]?.pfxRcd ?? 0;
}

/** FRR's BFD session-down events for the node (single hop, both families). */
async function frrDownEvents(t: HeraldSystem): Promise<number> {
  // bfdd names the field "session-down" (bfdd_vty.c); a missing one must not read as 0.
  const counters = await t.frr.vtyshJson<{ peer: string; 'session-down'?: number }[]>(
    'show bfd peers counters json',
  );
  const node = t.lab.nodes[0]!;
  const ours = counters.filter((c) => c.peer === node.ipv4 || c.peer === node.ipv6);
  if (ours.length !== 2 || ours.some((c) => typeof c['session-down'] !== 'number'))
    throw new Error(`unexpected bfdd counters: ${JSON.stringify(counters)}`);
  return ours.reduce((n, c) => n + (c['session-down'] ?? 0), 0);
}

const sum = (samples: readonly Sample[], name: string, pick: (s: Sample) => boolean = () => true) =>
  samples.filter((s) => s.name === name && pick(s)).reduce((n, s) => n + s.value, 0);

/** Percentile (as a bucket upper bound, ms) of a cumulative histogram between two scrapes. */
function bucketPercentile(
  before: readonly Sample[],
  after: readonly Sample[],
  name: string,
  p: number,
): string {
  const buckets = (samples: readonly Sample[]) =>
    new Map(samples.filter((s) => s.name === `${name}_bucket`).map((s) => [s.labels.le!, s.value]));
  const a = buckets(before);
  const b = buckets(after);
  const les = [...b.keys()].sort((x, y) => (x === '+Inf' ? 1 : y === '+Inf' ? -1 : Number(x) - Number(y)));
  const total = (b.get('+Inf') ?? 0) - (a.get('+Inf') ?? 0);
  if (total === 0) return '-';
  for (const le of les) {
    if ((b.get(le)! - (a.get(le) ?? 0)) / total >= p / 100)
      return le === '+Inf' ? '> 1000 ms' : `≤ ${Number(le) * 1000} ms`;
  }
  return '-';
}

interface Run {
  readonly isolation: string;
  readonly packets: number;
  readonly p50: string;
  readonly p99: string;
  readonly max: string;
  readonly late: number;
  readonly frrDown: number;
  readonly loopMaxMs: number;
  readonly reconcileMaxBucket: string;
  readonly churns: number;
}

async function measure(t: HeraldSystem, vty: FrrVtyClient, isolation: 'worker' | 'inline'): Promise<Run> {
  await t.setConfig(config(1));
  const speaker = await t.startSpeaker(0, ['--log-level', 'warn', '--bfd-isolation', isolation]);
  const node = t.lab.nodes[0]!;
  // All routes in FRR and BFD Up on both sessions before the clock starts.
  for (;;) {
    const routes = await prefixesFrom(vty, node.ipv4);
    const up = (await t.frr.bfdPeers()).filter(
      (p) => (p.peer === node.ipv4 || p.peer === node.ipv6) && p.status === 'up',
    ).length;
    if (routes >= SERVICES && up === 2) break;
    await sleep(200);
  }
  await sleep(2000);
  const downBefore = await frrDownEvents(t);
  const before = parseMetrics(await t.speakerMetrics(0)); // also resets the event-loop delay max
  const end = performance.now() + SECONDS * 1000;
  let churns = 0;
  while (performance.now() < end) {
    churns++;
    await t.setConfig(config(churns % 2 === 0 ? 1 : 2));
    await sleep(2000);
  }
  await sleep(2000); // the last churn's work, and one more snapshot from the BFD thread
  const after = parseMetrics(await t.speakerMetrics(0));
  const frrDown = (await frrDownEvents(t)) - downBefore;
  await speaker.stop({ signal: 'SIGTERM' });
  const delay = 'herald_bfd_transmit_delay_seconds';
  const count = (s: readonly Sample[]) => sum(s, `${delay}_count`);
  const reconcileMax = () => {
    const name = 'herald_speaker_reconcile_duration_seconds_bucket';
    const inf =
      sum(after, name, (s) => s.labels.le === '+Inf') - sum(before, name, (s) => s.labels.le === '+Inf');
    const les = after
      .filter((s) => s.name === name && s.labels.le !== '+Inf')
      .map((s) => ({
        le: Number(s.labels.le),
        n: s.value - sum(before, name, (x) => x.labels.le === s.labels.le),
      }))
      .sort((x, y) => x.le - y.le);
    const all = les.find((b) => b.n === inf);
    return all ? `≤ ${all.le * 1000} ms` : '> 5000 ms';
  };
  return {
    isolation,
    packets: count(after) - count(before),
    p50: bucketPercentile(before, after, delay, 50),
    p99: bucketPercentile(before, after, delay, 99),
    max: bucketPercentile(before, after, delay, 100),
    late: sum(after, 'herald_bfd_late_packets_total') - sum(before, 'herald_bfd_late_packets_total'),
    frrDown,
    loopMaxMs: sum(after, 'herald_speaker_nodejs_eventloop_lag_max_seconds') * 1000,
    reconcileMaxBucket: reconcileMax(),
    churns,
  };
}

async function main() {
  const reason = labUnavailableReason();
  if (reason || !requireInfra({ netns: true, binaries: ['kube-apiserver', 'etcd', 'helm'] }, 'bench:bfd')) {
    console.error(`bench:bfd cannot run: ${reason ?? 'missing test bed binaries'}`);
    process.exit(1);
  }
  const t = await startSystem({
    nodes: 1,
    values: valuesWithConfig(config(1)),
    speakers: false,
    controllers: 0,
    dataPlane: false,
    routerBfd: { minReceive: INTERVAL, minTransmit: INTERVAL, multiplier: 3 },
  });
  const onSignal = () => {
    void t.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let vty: FrrVtyClient | undefined;
  try {
    await createNamespace(t.core, 'apps');
    console.log(`creating ${SERVICES} Services (${benchIp(0)} …)…`);
    await createMany(t, 0, SERVICES, true);
    vty = await FrrVtyClient.open(`${t.frr.paths.vtyDir}/bgpd.vty`);
    const runs: Run[] = [];
    for (const isolation of ['worker', 'inline'] as const) {
      console.log(
        `measuring with BFD ${isolation === 'worker' ? 'in its worker thread' : 'on the main thread'}…`,
      );
      runs.push(await measure(t, vty, isolation));
      while ((await prefixesFrom(vty, t.lab.nodes[0]!.ipv4)) > 0) await sleep(100);
    }
    console.log(
      `\nBFD ${INTERVAL} ms x 3 on 2 sessions while the speaker re-announces ${SERVICES} Services every 2 s for ${SECONDS} s`,
    );
    console.log(
      '| BFD runs | periodic packets | transmit delay p50 | p99 | max | late packets | FRR session-down events | main-thread event-loop delay max | reconcile max | config churns |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of runs)
      console.log(
        `| ${r.isolation === 'worker' ? 'worker thread' : 'main thread'} | ${r.packets} | ${r.p50} | ${r.p99} | ${r.max} | ${r.late} | ${r.frrDown} | ${Math.round(r.loopMaxMs)} ms | ${r.reconcileMaxBucket} | ${r.churns} |`,
      );
  } finally {
    vty?.close();
    await t.stop();
  }
}

await main();
