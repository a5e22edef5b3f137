// Status → route, hop by hop: where the ~75 ms between a Service's status IP being written and the /32 being
// in the router's kernel go. Herald's speaker (as its image runs it) peers with the lab's FRR 8.4; for each
// sample the bench writes a Service's status and takes a timestamp at every hop from the logs of each part:
//
//   1. apiserver: PATCH sent → a bare watch client in the bench sees the new status (the reference: what any
//      watcher of the apiserver waits for)
//   1b. speaker: → the speaker handed the route to its session ("routes changed", its debug log, millisecond
//      resolution): Herald's watch handling and decision
//   2. speaker → bgpd: the UPDATE written, on the wire, read and parsed by bgpd ("rcvd <prefix>",
//      `debug bgp updates in`)
//   3. bgpd: rcvd → zebra has the route ("queued for processing", `debug zebra rib detailed`)
//   4. zebra: queued → the netlink RTM_NEWROUTE ("netlink_route_multipath_msg_encode", `debug zebra kernel`)
//   5. kernel: netlink → the route seen by `ip monitor route` in the router's namespace
//
// FRR logs with `log timestamp precision 6`. All clocks are this machine's wall clock. The samples run twice:
// with FRR's defaults, then with `zebra work-queue 0` (zebra's hidden knob for its RIB work-queue hold time,
// default 10 ms). bgpd's own work-queue hold (50 ms) has no knob in FRR 8.4.
//
//   npm run bench:hops -w bench      (env: BENCH_SAMPLES=50)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createNamespace,
  createService,
  defaultValues,
  labUnavailableReason,
  NODE_ASN,
  putEndpointSlice,
  ROUTER_ASN,
  ROUTER_IPV4,
  requireInfra,
  setIngress,
  startSystem,
} from '@herald/e2e';
import { KubeClient, kubeconfigConnection } from '@herald/kube';
import type { V1Service } from '@kubernetes/client-node';
import {
  benchIp,
  f1,
  median,
  percentile,
  RouteMonitor,
  stopOnInterrupt,
  useImageTrees,
  wallMs,
} from './measure.ts';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 50);
if (!(SAMPLES >= 1 && SAMPLES <= 250)) throw new Error(`BENCH_SAMPLES must be 1 … 250, got ${SAMPLES}`);
const NAMESPACE = 'hops';

interface Sample {
  readonly prefix: string;
  readonly patchAt: number;
  /** When the bench's own watch saw the status (the apiserver's part ends here). */
  readonly watchedAt: number;
  readonly kernelAt: number;
}

/** FRR's log time ("2026/12/02 06:36:56.123456 BGP: …", local time) as epoch milliseconds. */
export function frrLogTime(line: string): number | undefined {
  const m = /^(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)\.(\d+) /.exec(line);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi, s).getTime() + Number(`0.${m[7]}`) * 1000;
}

/** The first line of LINES containing every one of NEEDLES, as a time. */
function firstAt(lines: readonly string[], ...needles: string[]): number | undefined {
  for (const l of lines) if (needles.every((n) => l.includes(n))) return frrLogTime(l);
  return undefined;
}

/** When the speaker handed PREFIX to its session: its debug "routes changed" line. */
function speakerAt(lines: readonly string[], prefix: string): number | undefined {
  for (const l of lines) {
    if (!l.includes('"routes changed"') || !l.includes(`"${prefix}"`)) continue;
    const j = JSON.parse(l) as { time?: number; announce?: string[] };
    if (j.announce?.includes(prefix)) return j.time;
  }
  return undefined;
}

const HOPS = [
  'status PATCH → a bare watch client sees it (apiserver write + watch delivery)',
  '→ speaker hands the route to its session (Herald: watch event + decision; ms log resolution)',
  'speaker → bgpd has read the UPDATE (Herald sends + wire + bgpd parses)',
  'bgpd → zebra has the route (bgpd work-queue hold 50 ms + best path)',
  'zebra → netlink RTM_NEWROUTE (zebra work-queue hold, 10 ms by default)',
  'netlink → route in the kernel (ip monitor)',
  'total: status PATCH → route in the kernel',
] as const;

function breakdown(samples: readonly Sample[], speakerLog: string[], bgpd: string[], zebra: string[]) {
  const rows: number[][] = HOPS.map(() => []);
  let missing = 0;
  for (const s of samples) {
    const ip = s.prefix.split('/')[0]!;
    const t = [
      s.patchAt,
      s.watchedAt,
      speakerAt(speakerLog, s.prefix),
      firstAt(bgpd, 'rcvd', s.prefix),
      firstAt(zebra, s.prefix, 'queued for processing'),
      firstAt(zebra, 'RTM_NEWROUTE', s.prefix),
      s.kernelAt,
    ];
    if (t.some((x) => x === undefined)) {
      missing++;
      console.error(
        `  ${ip}: a hop has no timestamp: ${t.map((x) => (x === undefined ? '–' : f1(x - s.patchAt))).join(' ')}`,
      );
      continue;
    }
    const at = t as number[];
    const last = HOPS.length - 1;
    for (let h = 0; h < last; h++) rows[h]!.push(at[h + 1]! - at[h]!);
    rows[last]!.push(at[last]! - at[0]!);
  }
  return { rows, missing };
}

async function main(): Promise<void> {
  const reason = labUnavailableReason();
  if (reason || !requireInfra({ netns: true, binaries: ['kube-apiserver', 'etcd'] }, 'bench:hops')) {
    console.error(`bench:hops cannot run: ${reason ?? 'missing test bed binaries'}`);
    process.exit(1);
  }
  const trees = useImageTrees();
  const values = defaultValues();
  values.config.addressPools = [{ name: 'bench', addresses: ['198.18.0.0/15'] }];
  values.config.peers = [{ name: 'router', peerAddress: ROUTER_IPV4, peerASN: ROUTER_ASN, myASN: NODE_ASN }];
  const t = await startSystem({ nodes: 1, values, speakers: false, controllers: 0, dataPlane: false });
  stopOnInterrupt(t, trees.remove);
  const monitor = new RouteMonitor(t.lab.routerNs);
  const kube = new KubeClient(kubeconfigConnection(t.cp.kubeconfigPath));
  const watched = new Map<string, number>();
  const waiters = new Map<string, (at: number) => void>();
  let watch: AbortController | undefined;
  try {
    await createNamespace(t.core, NAMESPACE);
    const rounds = [
      { name: "FRR's defaults", commands: [] as string[] },
      { name: 'zebra work-queue 0', commands: ['zebra work-queue 0'] },
    ];
    for (let i = 0; i < SAMPLES * rounds.length; i++) {
      await createService(t.core, `h${i}`, { namespace: NAMESPACE });
      await putEndpointSlice(t.discovery, `h${i}`, [{ node: 'node-0', address: `10.250.0.${i % 250}` }], {
        namespace: NAMESPACE,
        create: true,
      });
    }
    watch = await kube.watch(
      `/api/v1/namespaces/${NAMESPACE}/services`,
      {},
      (_phase, obj) => {
        const ip = (obj as V1Service).status?.loadBalancer?.ingress?.[0]?.ip;
        if (ip === undefined || watched.has(ip)) return;
        const at = wallMs();
        watched.set(ip, at);
        waiters.get(ip)?.(at);
      },
      () => {},
    );
    // Debug level: the speaker logs each route it hands to a session, with its time.
    const speaker = await t.startSpeaker(0, ['--log-level', 'debug']);
    await t.frr.vtysh([
      'configure terminal',
      'log timestamp precision 6',
      'debug bgp updates in',
      'debug zebra rib detailed',
      'debug zebra kernel',
    ]);
    await sleep(2_000);
    const report: string[] = [];
    let next = 0;
    for (const round of rounds) {
      if (round.commands.length > 0) await t.frr.vtysh(['configure terminal', ...round.commands]);
      const samples: Sample[] = [];
      for (let k = 0; k < SAMPLES; k++, next++) {
        // Above the scale sets of the other benches, inside the pool.
        const prefix = `${benchIp(120_000 + next)}/32`;
        const ip = prefix.split('/')[0]!;
        const inKernel = monitor.wait(ip);
        const seen = new Promise<number>((resolve) => waiters.set(ip, resolve));
        const patchAt = wallMs();
        await setIngress(t.core, `h${next}`, NAMESPACE, [ip]);
        samples.push({ prefix, patchAt, watchedAt: await seen, kernelAt: await inKernel });
        await sleep(100); // one route at a time through every queue
      }
      await sleep(500);
      const read = (path: string) => readFileSync(path, 'utf8').split('\n');
      const { rows, missing } = breakdown(
        samples,
        read(speaker.logPath),
        read(join(t.frr.paths.dir, 'bgpd.log')),
        read(join(t.frr.paths.dir, 'zebra.log')),
      );
      report.push(`\n${round.name}: ${samples.length - missing} samples (ms)`);
      report.push('| hop | p50 | p99 | median share |\n| --- | --- | --- | --- |');
      const total = median(rows[HOPS.length - 1]!);
      HOPS.forEach((hop, h) => {
        const xs = rows[h]!;
        const share = h === HOPS.length - 1 ? '' : `${Math.round((100 * median(xs)) / total)} %`;
        report.push(`| ${hop} | ${f1(percentile(xs, 50))} | ${f1(percentile(xs, 99))} | ${share} |`);
      });
    }
    console.log(report.join('\n'));
  } finally {
    watch?.abort();
    kube.close();
    monitor.stop();
    await t.stop();
    trees.remove();
  }
}

await main();
