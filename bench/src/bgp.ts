// BGP convergence benchmark (not a test): time from session Established to all 10,000 /32s present in FRR,
// for Herald, GoBGP and BIRD as senders of the same prefixes into the same FRR in the same run, plus the
// UPDATE messages each needed (FRR's per-neighbor counters) and Herald's RSS. FRR is polled every ~5 ms
// through bgpd's vty socket over one persistent connection (not one vtysh process per poll).
//
//   npm run bench:bgp -w bench   (env: BENCH_RUNS=3, BENCH_PREFIXES=10000, BENCH_SENDERS=herald,herald-4k,gobgp,bird)
import { createLab, type FrrRouter, FrrVtyClient, labUnavailableReason, sleep } from '@herald/e2e';
import { BirdSender, benchPrefixes, GobgpSender, HeraldSender, type Sender } from './bgp-senders.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PREFIXES = Number(process.env.BENCH_PREFIXES ?? 10_000);
const POLL_MS = 5;

interface Summary {
  ipv4Unicast?: { peers?: Record<string, { state?: string; pfxRcd?: number }> };
}
interface Neighbor {
  messageStats?: { updatesRecv?: number };
}

interface RunResult {
  /** Established → all prefixes in FRR. */
  allMs: number;
  /** Established → 99 % of the prefixes (shows BIRD's tail artefact). */
  p99Ms: number;
  updates: number;
}

async function peerState(vty: FrrVtyClient, address: string): Promise<{ state: string; pfx: number }> {
  const s = await vty.json<Summary>('show bgp summary json');
  const p = s.ipv4Unicast?.peers?.[address];
  return { state: p?.state ?? 'none', pfx: p?.pfxRcd ?? 0 };
}

async function updatesReceived(vty: FrrVtyClient, address: string): Promise<number> {
  const n = await vty.json<Record<string, Neighbor>>(`show bgp neighbors ${address} json`);
  return n[address]?.messageStats?.updatesRecv ?? 0;
}

async function measure(vty: FrrVtyClient, sender: Sender): Promise<RunResult> {
  const address = sender.node.ipv4;
  const updatesBefore = await updatesReceived(vty, address);
  await sender.connect();
  const deadline = performance.now() + 120_000;
  let established: number | undefined;
  let p99: number | undefined;
  for (;;) {
    const { state, pfx } = await peerState(vty, address);
    const now = performance.now();
    if (established === undefined && state === 'Established') established = now;
    if (established !== undefined && p99 === undefined && pfx >= PREFIXES * 0.99) p99 = now;
    if (established !== undefined && pfx >= PREFIXES) {
      // Counters can reset with the session; take the larger reading as this session's count.
      const after = await updatesReceived(vty, address);
      const updates = after >= updatesBefore ? after - updatesBefore : after;
      return { allMs: now - established, p99Ms: (p99 ?? now) - established, updates };
    }
    if (now > deadline)
      throw new Error(`${sender.name}: only ${pfx}/${PREFIXES} prefixes after 120 s (state ${state})`);
    await sleep(POLL_MS);
  }
}

async function drain(vty: FrrVtyClient, sender: Sender): Promise<void> {
  await sender.disconnect();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { state, pfx } = await peerState(vty, sender.node.ipv4);
    if (state !== 'Established' && pfx === 0) return;
    if (Date.now() > deadline)
      throw new Error(`${sender.name}: FRR still holds ${pfx} prefixes after disconnect`);
    await sleep(50);
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const mib = (kib: number | undefined) => (kib ? `${(kib / 1024).toFixed(1)} MiB` : 'unknown');
const ms = (x: number) => `${x.toFixed(1)} ms`;

async function main(): Promise<void> {
  const reason = labUnavailableReason();
  if (reason) {
    console.error(`bench:bgp cannot run: ${reason}`);
    process.exit(1);
  }
  const prefixes = benchPrefixes(PREFIXES);
  const lab = await createLab({ nodes: 4, router: 'frr' });
  const wanted = (process.env.BENCH_SENDERS ?? 'herald,herald-4k,gobgp,bird').toLowerCase().split(',');
  const senders: Sender[] = [
    new HeraldSender(lab, lab.nodes[0]!, 64601, prefixes),
    new GobgpSender(lab, lab.nodes[1]!, 64602, prefixes),
    new BirdSender(lab, lab.nodes[2]!, 64603, prefixes),
    // Herald again without RFC 8654 extended messages: the UPDATE count a 4096-byte peer sees.
    new HeraldSender(lab, lab.nodes[3]!, 64604, prefixes, false),
  ].filter((s) => wanted.includes(s.name.toLowerCase()));
  let vty: FrrVtyClient | undefined;
  try {
    const frr = lab.router as FrrRouter;
    for (const s of senders) await frr.addPeer({ address: s.node.ipv4, asn: s.asn, passive: true });
    vty = await FrrVtyClient.open(`${frr.paths.vtyDir}/bgpd.vty`);
    for (const s of senders) await s.prepare();
    const results = new Map<string, RunResult[]>(senders.map((s) => [s.name, []]));
    let heraldRss: number | undefined;
    const herald = senders.find((s): s is HeraldSender => s instanceof HeraldSender && s.name === 'Herald');
    const baselineRss = await herald?.baselineRssKiB();
    if (herald) await drain(vty, herald);
    // Interleave senders run by run so machine noise spreads evenly over all of them.
    for (let run = 0; run < RUNS; run++) {
      for (const s of senders) {
        const r = await measure(vty, s);
        if (s.name === 'Herald') heraldRss = Math.max(heraldRss ?? 0, (await s.rssKiB()) ?? 0);
        results.get(s.name)!.push(r);
        console.error(
          `run ${run + 1} ${s.name}: all ${ms(r.allMs)}, 99% ${ms(r.p99Ms)}, ${r.updates} UPDATEs`,
        );
        await drain(vty, s);
      }
    }
    const med = (name: string, key: keyof RunResult) => median(results.get(name)!.map((r) => r[key]));
    console.log(
      `\nBGP convergence into FRR: ${PREFIXES} IPv4 /32s over one eBGP session, median of ${RUNS} runs`,
    );
    console.log('sender   Established→all   Established→99%   UPDATEs (per session)');
    for (const s of senders) {
      console.log(
        `${s.name.padEnd(8)} ${ms(med(s.name, 'allMs')).padStart(15)}   ${ms(med(s.name, 'p99Ms')).padStart(15)}   ${med(s.name, 'updates')}`,
      );
    }
    const has = (name: string) => results.has(name);
    if (!has('Herald') || !has('GoBGP') || !has('BIRD')) {
      console.log('\n(ratios need all three senders: BENCH_SENDERS=herald,gobgp,bird)');
      return;
    }
    const h = med('Herald', 'allMs');
    console.log(`\nHerald / GoBGP = ${(h / med('GoBGP', 'allMs')).toFixed(2)}`);
    console.log(
      `Herald / BIRD  = ${(h / med('BIRD', 'allMs')).toFixed(2)}  (BIRD sends its last routes on a ~3 s internal poll; ` +
        `99% ratio ${(med('Herald', 'p99Ms') / med('BIRD', 'p99Ms')).toFixed(2)})`,
    );
    console.log(
      `UPDATE messages per ${PREFIXES} prefixes: Herald ${med('Herald', 'updates')}, GoBGP ${med('GoBGP', 'updates')}, BIRD ${med('BIRD', 'updates')}`,
    );
    if (has('Herald-4k')) {
      console.log(
        `Herald without extended messages (4096-byte UPDATEs): ${med('Herald-4k', 'updates')} UPDATEs, ` +
          `Herald-4k / GoBGP = ${(med('Herald-4k', 'allMs') / med('GoBGP', 'allMs')).toFixed(2)}`,
      );
    }
    console.log(
      `Herald RSS (heraldctl process, after sending): ${mib(heraldRss)}; ` +
        `with a single prefix: ${mib(baselineRss)} (Node 24 + type stripping + CLI modules)`,
    );
  } finally {
    vty?.close();
    for (const s of senders) await s.close().catch(() => undefined);
    await lab.destroy();
  }
}

await main();
