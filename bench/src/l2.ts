// Layer-2 mode failover benchmark (on demand, not a test; `e2e-lock --exclusive npm run bench:l2`). The
// e2e system in L2 mode (three speakers on one bridge, a client on the same segment, a dual-stack Service
// with endpoints on every node), then BENCH_TRIALS trials of each fault on the announcer of each VIP, with a
// client opening a new connection every 50 ms (concurrently; a connection not answered within 1 s — the
// client's first SYN retransmission — counts as failed):
//   kill  SIGKILL of the announcer's speaker (the node itself keeps forwarding: only ARP answering stops)
//   link  the announcer's port on the bridge taken down (the node is gone from the segment)
//   term  SIGTERM: the speaker hands its addresses over before it exits (target: nothing fails)
// After each trial the victim is restored and takes its address back. Printed per fault and family: the
// failure window (first to last failed connection start, plus one interval) p50/p99/max over the trials,
// next to the speakers' detection time (heartbeat interval × multiplier) — the reference the window is
// measured against — and the failed connections.
//
//   npm run bench:l2 -w bench   (env: BENCH_TRIALS=10 BENCH_FAULTS=kill,link,term BENCH_INTERVAL_MS=200 BENCH_MULTIPLIER=5)
import {
  createService,
  type Fault,
  failoverTrial,
  type HeraldSystem,
  l2Values,
  labUnavailableReason,
  requireInfra,
  startSystem,
  type TrialResult,
  waitForIngress,
} from '@herald/e2e';

const TRIALS = Number(process.env.BENCH_TRIALS ?? 10);
const FAULTS = (process.env.BENCH_FAULTS ?? 'kill,link,term').split(',') as Fault[];
const INTERVAL_MS = Number(process.env.BENCH_INTERVAL_MS ?? 200);
const MULTIPLIER = Number(process.env.BENCH_MULTIPLIER ?? 5);

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function report(results: readonly TrialResult[]): void {
  const rows: string[][] = [
    ['fault', 'family', 'trials', 'window p50', 'p99', 'max', 'detection', 'failed conns (per trial)'],
  ];
  for (const fault of FAULTS)
    for (const family of ['IPv4', 'IPv6']) {
      const rs = results.filter((r) => r.fault === fault && r.ip.includes(':') === (family === 'IPv6'));
      if (rs.length === 0) continue;
      const w = rs.map((r) => r.windowMs).sort((a, b) => a - b);
      rows.push([
        fault,
        family,
        String(rs.length),
        `${percentile(w, 50)} ms`,
        `${percentile(w, 99)} ms`,
        `${w.at(-1)} ms`,
        `${rs[0]!.detectionMs} ms`,
        rs.map((r) => r.failed).join(' '),
      ]);
    }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
}

async function main(): Promise<void> {
  const reason = labUnavailableReason();
  if (reason || !requireInfra({ netns: true, binaries: ['kube-apiserver', 'etcd', 'helm'] }, 'bench:l2')) {
    console.error(`bench:l2 cannot run: ${reason ?? 'missing test bed binaries'}`);
    process.exit(1);
  }
  let sys: HeraldSystem | undefined;
  try {
    sys = await startSystem({
      nodes: 3,
      l2: true,
      controllers: 1,
      values: l2Values({ intervalMs: INTERVAL_MS, detectMultiplier: MULTIPLIER }),
      progress: (line) => console.error(`[bench:l2] ${line}`),
    });
    await createService(sys.core, 'web', { dualStack: true });
    await sys.putEndpoints('web', [0, 1, 2]);
    const vips = await waitForIngress(sys.core, 'web', { count: 2 });
    for (const ip of vips) await sys.waitForServed(ip, [0, 1, 2]);
    const results: TrialResult[] = [];
    for (const fault of FAULTS)
      for (const ip of vips)
        for (let t = 1; t <= TRIALS; t++) {
          const r = await failoverTrial(sys, ip, fault);
          results.push(r);
          console.error(
            `[bench:l2] ${fault} ${ip} trial ${t}: window ${r.windowMs} ms, ${r.failed} failed, ${r.victim} → ${r.heir}` +
              (r.failures.length > 0 ? ` ${JSON.stringify(r.failures.slice(0, 5))}` : ''),
          );
        }
    console.log(
      `\nlayer-2 failover, ${TRIALS} trials per row, a new connection every 50 ms (failed: no answer within 1 s)`,
    );
    report(results);
  } finally {
    await sys?.stop();
  }
}

await main();
