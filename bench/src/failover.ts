// Failover benchmark (on demand, not a test): how fast FRR stops sending traffic to a node that failed, with
// Herald's BFD (300 ms x 3) and without it, measured in the same run on the same system: the chart's
// programs against a real apiserver, FRR 8.4 with bgpd + bfdd (`neighbor … bfd`, no
// check-control-plane-failure), two nodes announcing one VIP, hold time 9 s, graceful restart on
// (restart time 60 s), as the e2e lab configures them. BFD is switched on and off on the speakers' side only
// (peers[].bfd.enabled); FRR's configuration stays the same.
//
// Scenarios, BENCH_TRIALS each (default 20) per mode, always on node-1:
//  - crash: the speaker is SIGKILLed. Its kernel closes the TCP session at once, so FRR starts a graceful
//    restart (helper) before any BFD timer can run; the outcome (withdrawn or kept stale) is counted.
//  - hang: the speaker is SIGSTOPped (no FIN, no packet: what a frozen node looks like).
//  - link: node-1's port on the lab switch goes down (the router's own interface stays up).
//  - restart: a planned restart (SIGTERM, then the speaker starts again), with a client requesting the VIP
//    every 20 ms through the router: withdrawals of node-1's path seen by bgpd, and failed requests.
// Time is from the failure to node-1's path leaving bgpd's RIB (polled every ~5 ms over bgpd's vty socket).
//
//   e2e-lock --exclusive npm run bench:failover -w bench
//   (env: BENCH_TRIALS=20, BENCH_SCENARIOS=crash,hang,link,restart — a subset runs only those)
import { setTimeout as sleep } from 'node:timers/promises';
import {
  bfdLabConfig,
  createService,
  FrrVtyClient,
  type HeraldSystem,
  labUnavailableReason,
  nodeIpv4,
  requireInfra,
  run,
  startSystem,
  urlFor,
  valuesWithConfig,
  waitForIngress,
} from '@herald/e2e';
import { percentile } from './stats.ts';

const TRIALS = Number(process.env.BENCH_TRIALS ?? 20);
const ALL_SCENARIOS = ['crash', 'hang', 'link', 'restart'] as const;
type ScenarioName = (typeof ALL_SCENARIOS)[number];
const SCENARIOS = new Set(
  (process.env.BENCH_SCENARIOS ?? ALL_SCENARIOS.join(',')).split(',').map((x) => x.trim()),
);
for (const x of SCENARIOS)
  if (!(ALL_SCENARIOS as readonly string[]).includes(x)) {
    console.error(
      `bench:failover: unknown scenario ${x} in BENCH_SCENARIOS (known: ${ALL_SCENARIOS.join(', ')})`,
    );
    process.exit(2);
  }
if (!(Number.isInteger(TRIALS) && TRIALS > 0)) {
  console.error('bench:failover: BENCH_TRIALS must be a positive integer');
  process.exit(2);
}
const runs = (s: ScenarioName) => SCENARIOS.has(s);
const NODE = 1;

type PathState = 'present' | 'stale' | 'absent';

interface Trial {
  ms: number;
  outcome: 'withdrawn' | 'kept stale' | 'not withdrawn';
}

class Bench {
  readonly sys: HeraldSystem;
  readonly vty: FrrVtyClient;
  readonly prefix: string;
  readonly vip: string;

  constructor(sys: HeraldSystem, vty: FrrVtyClient, vip: string) {
    this.sys = sys;
    this.vty = vty;
    this.vip = vip;
    this.prefix = `${vip}/32`;
  }

  async path(): Promise<PathState> {
    const r = await this.vty.json<{ paths?: { nexthops?: { ip?: string }[]; stale?: boolean }[] }>(
      `show bgp ipv4 unicast ${this.prefix} json`,
    );
    const p = (r.paths ?? []).find((x) => x.nexthops?.some((n) => n.ip === nodeIpv4(NODE)));
    return p ? (p.stale ? 'stale' : 'present') : 'absent';
  }

  /** Polls bgpd until node-1's path is in one of `states`; the time it was first seen so, or undefined. */
  async until(states: readonly PathState[], limitMs: number): Promise<number | undefined> {
    const deadline = performance.now() + limitMs;
    while (performance.now() < deadline) {
      if (states.includes(await this.path())) return performance.now();
      await sleep(5);
    }
    return undefined;
  }

  /** Both nodes announce the VIP (not stale) and, with BFD, node-1's BFD sessions are Up on both sides. */
  async ready(bfd: boolean): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const paths = await this.sys.frr.route('ipv4', this.prefix);
      let ok = paths.filter((p) => !p.stale).length === 2;
      if (ok && bfd) {
        const frrUp = (await this.sys.frr.bfdPeers()).filter(
          (p) => p.peer === nodeIpv4(NODE) && p.status === 'up',
        ).length;
        const status = await this.sys.speakerStatus(NODE).catch(() => undefined);
        const speakerUp = (status?.sessions ?? []).every(
          (s) => (s as { bfd?: { state: string } }).bfd?.state === 'Up',
        );
        ok = frrUp === 1 && speakerUp && (status?.sessions.length ?? 0) === 2;
      }
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`not ready (bfd ${bfd}): ${JSON.stringify(paths)}`);
      await sleep(100);
    }
    // Let the sessions settle (negotiated BFD rate, keepalives) before the next failure.
    await sleep(1500);
  }

  /** Polls bgpd during a planned restart: samples without node-1's path are withdrawals. */
  watch() {
    let running = true;
    let missing = 0;
    let samples = 0;
    const loop = (async () => {
      while (running) {
        samples++;
        if ((await this.path()) === 'absent') missing++;
        await sleep(20);
      }
    })();
    return {
      stop: async () => {
        running = false;
        await loop;
        return { samples, missing };
      },
    };
  }
}

async function crash(b: Bench, bfd: boolean): Promise<Trial> {
  const t0 = performance.now();
  await b.sys.nodes[NODE]!.speaker!.stop({ signal: 'SIGKILL' });
  const seen = await b.until(['absent', 'stale'], 30_000);
  // Past BFD's Detection Time: did BFD Down change FRR's mind about the stale routes?
  await sleep(1500);
  const after = await b.path();
  const trial: Trial = {
    ms: (seen ?? Number.NaN) - t0,
    outcome: after === 'absent' ? 'withdrawn' : after === 'stale' ? 'kept stale' : 'not withdrawn',
  };
  await b.sys.startSpeaker(NODE);
  await b.ready(bfd);
  return trial;
}

async function hang(b: Bench, bfd: boolean): Promise<Trial> {
  const pid = b.sys.nodes[NODE]!.speaker!.pid;
  const t0 = performance.now();
  process.kill(pid, 'SIGSTOP');
  let seen: number | undefined;
  try {
    seen = await b.until(['absent'], 30_000);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  await b.ready(bfd);
  return { ms: (seen ?? Number.NaN) - t0, outcome: seen ? 'withdrawn' : 'not withdrawn' };
}

async function link(b: Bench, bfd: boolean): Promise<Trial> {
  const port = `n${NODE}`;
  const t0 = performance.now();
  await run('ip', ['-n', b.sys.lab.routerNs, 'link', 'set', port, 'down']);
  let seen: number | undefined;
  try {
    seen = await b.until(['absent'], 30_000);
  } finally {
    await run('ip', ['-n', b.sys.lab.routerNs, 'link', 'set', port, 'up']);
  }
  await b.ready(bfd);
  return { ms: (seen ?? Number.NaN) - t0, outcome: seen ? 'withdrawn' : 'not withdrawn' };
}

async function restart(
  b: Bench,
  bfd: boolean,
): Promise<{ withdrawals: number; samples: number; failed: number; ok: number }> {
  const watch = b.watch();
  const loop = await b.sys.probeLoop(urlFor(b.vip));
  const stopAll = async () => ({ seen: await watch.stop(), probes: await loop.stop() });
  try {
    await b.sys.nodes[NODE]!.speaker!.stop({ signal: 'SIGTERM', graceMs: 20_000 });
    await b.sys.startSpeaker(NODE);
    await b.ready(bfd);
  } catch (err) {
    await stopAll();
    throw err;
  }
  const { seen, probes } = await stopAll();
  return { withdrawals: seen.missing, samples: seen.samples, failed: probes.failed, ok: probes.ok };
}

function summary(name: string, mode: string, trials: readonly Trial[]): string {
  const ms = trials
    .map((t) => t.ms)
    .filter((x) => Number.isFinite(x))
    .sort((a, b) => a - b);
  const outcomes = new Map<string, number>();
  for (const t of trials) outcomes.set(t.outcome, (outcomes.get(t.outcome) ?? 0) + 1);
  const f = (x: number) => (Number.isFinite(x) ? `${Math.round(x)} ms` : '-');
  return `| ${name} | ${mode} | ${trials.length} | ${f(percentile(ms, 50))} | ${f(percentile(ms, 99))} | ${f(ms.at(-1) ?? Number.NaN)} | ${[...outcomes].map(([o, n]) => `${n} ${o}`).join(', ')} |`;
}

async function main() {
  const reason = labUnavailableReason();
  if (
    reason ||
    !requireInfra({ netns: true, binaries: ['kube-apiserver', 'etcd', 'helm'] }, 'bench:failover')
  ) {
    console.error(`bench:failover cannot run: ${reason ?? 'missing test bed binaries'}`);
    process.exit(1);
  }
  const sys = await startSystem({
    nodes: 2,
    controllers: 1,
    values: valuesWithConfig(bfdLabConfig(true)),
    routerBfd: {},
  });
  const onSignal = () => {
    void sys.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let vty: FrrVtyClient | undefined;
  const lines: string[] = [];
  const restarts: string[] = [];
  try {
    await createService(sys.core, 'web');
    await sys.putEndpoints('web', [0, 1]);
    const [vip] = (await waitForIngress(sys.core, 'web')) as [string];
    vty = await FrrVtyClient.open(`${sys.frr.paths.vtyDir}/bgpd.vty`);
    const b = new Bench(sys, vty, vip);
    for (const bfd of [true, false]) {
      const mode = bfd ? 'BFD 300 ms x 3' : 'no BFD (hold 9 s)';
      if (!bfd) {
        await sys.setConfig(bfdLabConfig(false));
        // The speakers drop BFD (AdminDown to FRR) without touching BGP.
        const deadline = Date.now() + 60_000;
        while ((await sys.speakerStatus(NODE)).sessions.some((s) => (s as { bfd?: unknown }).bfd)) {
          if (Date.now() > deadline) throw new Error('the speaker kept BFD after the config change');
          await sleep(200);
        }
      }
      await b.ready(bfd);
      for (const [key, name, scenario] of [
        ['crash', 'speaker SIGKILL', crash],
        ['hang', 'speaker hang (SIGSTOP)', hang],
        ['link', 'node link down', link],
      ] as const) {
        if (!runs(key)) continue;
        const trials: Trial[] = [];
        for (let i = 0; i < TRIALS; i++) {
          const t = await scenario(b, bfd);
          trials.push(t);
          console.log(`${mode} ${name} #${i + 1}: ${Math.round(t.ms)} ms, ${t.outcome}`);
        }
        lines.push(summary(name, mode, trials));
      }
      if (!runs('restart')) continue;
      let withdrawals = 0;
      let failed = 0;
      let ok = 0;
      let samples = 0;
      for (let i = 0; i < TRIALS; i++) {
        const r = await restart(b, bfd);
        withdrawals += r.withdrawals;
        failed += r.failed;
        ok += r.ok;
        samples += r.samples;
        console.log(
          `${mode} planned restart #${i + 1}: ${r.withdrawals} withdrawal samples, ${r.failed} failed requests`,
        );
      }
      restarts.push(
        `| planned SIGTERM restart | ${mode} | ${TRIALS} | ${withdrawals} of ${samples} bgpd samples without node-1's path | ${failed} failed of ${failed + ok} requests |`,
      );
    }
    console.log(
      '\nfailover benchmark (one run, same system; time from the failure to FRR withdrawing node-1)',
    );
    console.log('| scenario | mode | trials | p50 | p99 | max | outcome |');
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const l of lines) console.log(l);
    console.log('\n| scenario | mode | trials | withdrawals | client requests |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const l of restarts) console.log(l);
  } finally {
    vty?.close();
    await sys.stop();
  }
}

await main();
