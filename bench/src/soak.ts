// Soak (on demand, not a test): does anything grow or drift under steady churn? The full system — real
// kube-apiserver, the chart, two herald-controllers, three herald-speakers, FRR — holds BENCH_SOAK_SERVICES
// (1,000) LoadBalancer Services while, for BENCH_SOAK_MINUTES (30), at a steady BENCH_SOAK_RATE operations per
// second, a Service is deleted and created again (a new allocation) or its endpoints flap (gone, back 2 s
// later), and every BENCH_SOAK_FLAP_SECONDS (60) FRR resets its session to one speaker (`clear bgp`). Every 30 s
// it samples the RSS of each program and checks that no address is held by two Services. At the end the churn
// stops and it checks that no route is lost: every Service has an address and FRR has its /32 from all three
// nodes. It prints the RSS curve, and exits 1 on any violation.
//
//   e2e-lock --exclusive npm run bench:soak -w bench
//   (env: BENCH_SOAK_MINUTES=30 BENCH_SOAK_SERVICES=1000 BENCH_SOAK_RATE=4 BENCH_SOAK_FLAP_SECONDS=60)
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  allAssignments,
  createNamespace,
  createService,
  defaultValues,
  duplicates,
  eventually,
  type HeraldSystem,
  labUnavailableReason,
  nodeIpv4,
  requireInfra,
  startSystem,
} from '@herald/e2e';

const MINUTES = Number(process.env.BENCH_SOAK_MINUTES ?? 30);
const SERVICES = Number(process.env.BENCH_SOAK_SERVICES ?? 1_000);
const RATE = Number(process.env.BENCH_SOAK_RATE ?? 4);
const FLAP_SECONDS = Number(process.env.BENCH_SOAK_FLAP_SECONDS ?? 60);
const SAMPLE_SECONDS = 30;
const NAMESPACE = 'soak';
const NODES = [0, 1, 2];

if (!(MINUTES > 0 && MINUTES <= 240 && SERVICES > 0 && SERVICES <= 4000 && RATE > 0 && RATE <= 50)) {
  console.error('bench:soak: BENCH_SOAK_MINUTES 1..240, BENCH_SOAK_SERVICES 1..4000, BENCH_SOAK_RATE 1..50');
  process.exit(2);
}

function rssMiB(pid: number): number {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return kb / 1024;
  } catch {
    return Number.NaN; // the process is gone: shown as NaN, and the run fails below
  }
}

interface Sample {
  readonly minute: number;
  readonly speakers: number[];
  readonly controllers: number[];
}

/** /32 → how many nodes FRR has it from (its RIB, one vtysh call). */
async function pathsByPrefix(sys: HeraldSystem): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const r of await sys.frr.routes('ipv4')) out.set(r.prefix, (out.get(r.prefix) ?? 0) + 1);
  return out;
}

async function main(): Promise<number> {
  const reason = labUnavailableReason();
  if (reason || !requireInfra({ netns: true, binaries: ['kube-apiserver', 'etcd', 'helm'] }, 'bench:soak')) {
    console.error(`bench:soak cannot run: ${reason ?? 'missing test bed binaries'}`);
    return 1;
  }
  const values = defaultValues();
  // Room for every Service and the churn's reallocations, in the benchmarking range.
  values.config.addressPools = [{ name: 'soak', addresses: ['198.18.0.0/20'] }];
  const sys = await startSystem({
    nodes: NODES.length,
    values,
    dataPlane: false,
    progress: (l) => console.log(l),
  });
  const onSignal = () => void sys.stop().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const violations: string[] = [];
  try {
    await createNamespace(sys.core, NAMESPACE);
    const name = (i: number) => `s${i}`;
    const createOne = async (i: number) => {
      await createService(sys.core, name(i), { namespace: NAMESPACE });
      await sys.putEndpoints(name(i), NODES, NAMESPACE);
    };
    console.log(`creating ${SERVICES} Services with endpoints on ${NODES.length} nodes…`);
    for (let i = 0; i < SERVICES; i += 50)
      await Promise.all(Array.from({ length: Math.min(50, SERVICES - i) }, (_, k) => createOne(i + k)));
    await eventually(
      `all ${SERVICES} Services announced by every node`,
      async () => {
        const withIp = (await allAssignments(sys.core)).size;
        const paths = await pathsByPrefix(sys);
        return (
          withIp === SERVICES && [...paths.values()].filter((n) => n === NODES.length).length >= SERVICES
        );
      },
      { timeoutMs: 600_000, intervalMs: 2_000 },
    );

    const speakerPids = () => sys.nodes.map((n) => n.speaker!.pid);
    const controllerPids = () => sys.controllers.map((c) => c.proc.pid);
    const samples: Sample[] = [];
    const started = Date.now();
    const sample = async () => {
      samples.push({
        minute: (Date.now() - started) / 60_000,
        speakers: speakerPids().map(rssMiB),
        controllers: controllerPids().map(rssMiB),
      });
      const dups = duplicates(await allAssignments(sys.core));
      for (const d of dups)
        violations.push(`duplicate address at minute ${samples.at(-1)!.minute.toFixed(1)}: ${d}`);
    };
    await sample();

    // ---- the churn ----
    const deadline = started + MINUTES * 60_000;
    const pending: Promise<unknown>[] = [];
    const ops = { recreated: 0, endpointFlaps: 0, sessionFlaps: 0, errors: 0 };
    let nextSample = started + SAMPLE_SECONDS * 1000;
    let nextFlap = started + FLAP_SECONDS * 1000;
    let k = 0;
    const random = (n: number) => Math.floor(Math.random() * n);
    const track = (p: Promise<unknown>) => {
      const tracked = p.catch((err: unknown) => {
        ops.errors++;
        if (ops.errors <= 5) console.error(`churn operation failed: ${String(err)}`);
      });
      pending.push(tracked);
      void tracked.finally(() => pending.splice(pending.indexOf(tracked), 1));
    };
    console.log(
      `churn: ${RATE} operations/s for ${MINUTES} min, a router session reset every ${FLAP_SECONDS} s`,
    );
    while (Date.now() < deadline) {
      const i = random(SERVICES);
      if (k++ % 2 === 0) {
        track(
          (async () => {
            await sys.core.deleteNamespacedService({ name: name(i), namespace: NAMESPACE });
            await eventually(`${name(i)} gone`, async () => {
              try {
                await sys.core.readNamespacedService({ name: name(i), namespace: NAMESPACE });
                return false;
              } catch {
                return true;
              }
            });
            await createService(sys.core, name(i), { namespace: NAMESPACE });
            ops.recreated++;
          })(),
        );
      } else {
        track(
          (async () => {
            await sys.putEndpoints(name(i), [], NAMESPACE);
            await sleep(2_000);
            await sys.putEndpoints(name(i), NODES, NAMESPACE);
            ops.endpointFlaps++;
          })(),
        );
      }
      if (Date.now() >= nextFlap) {
        nextFlap += FLAP_SECONDS * 1000;
        const node = ops.sessionFlaps % NODES.length;
        track(sys.frr.vtysh([`clear bgp ${nodeIpv4(node)}`]).then(() => ops.sessionFlaps++));
      }
      if (Date.now() >= nextSample) {
        nextSample += SAMPLE_SECONDS * 1000;
        await sample();
        const s = samples.at(-1)!;
        console.log(
          `  ${s.minute.toFixed(1).padStart(5)} min  speakers ${s.speakers.map((r) => r.toFixed(0)).join('/')} MiB  ` +
            `controllers ${s.controllers.map((r) => r.toFixed(0)).join('/')} MiB  ` +
            `(${ops.recreated} recreated, ${ops.endpointFlaps} endpoint flaps, ${ops.sessionFlaps} session resets)`,
        );
      }
      await sleep(1000 / RATE);
    }
    await Promise.all([...pending]);
    await sample();

    // ---- the end state: nothing lost ----
    console.log('churn stopped; checking the end state…');
    let last = '';
    const settled = await eventually(
      'every Service with an address, announced by every node',
      async () => {
        const assignments = await allAssignments(sys.core);
        const paths = await pathsByPrefix(sys);
        const missing: string[] = [];
        for (let i = 0; i < SERVICES; i++) {
          const ips = assignments.get(`${NAMESPACE}/${name(i)}`) ?? [];
          if (ips.length === 0) missing.push(`${name(i)}: no address`);
          for (const ip of ips)
            if ((paths.get(`${ip}/32`) ?? 0) !== NODES.length)
              missing.push(`${name(i)} ${ip}: ${paths.get(`${ip}/32`) ?? 0} of ${NODES.length} nodes in FRR`);
        }
        last = missing.slice(0, 10).join('; ');
        return missing.length === 0;
      },
      { timeoutMs: 180_000, intervalMs: 2_000, detail: () => last },
    ).catch((err: Error) => {
      violations.push(`route lost after the churn: ${err.message}`);
      return false;
    });
    const dups = duplicates(await allAssignments(sys.core));
    for (const d of dups) violations.push(`duplicate address at the end: ${d}`);
    for (const n of sys.nodes) if (n.speaker?.exitInfo()) violations.push(`speaker on ${n.name} exited`);
    for (const c of sys.controllers) if (c.proc.exitInfo()) violations.push(`${c.identity} exited`);

    // ---- the curve ----
    const first = samples[0]!;
    const end = samples.at(-1)!;
    const row = (s: Sample) =>
      `| ${s.minute.toFixed(1)} | ${s.speakers.map((r) => r.toFixed(0)).join(' | ')} | ${s.controllers.map((r) => r.toFixed(0)).join(' | ')} |`;
    console.log(
      `\nRSS (MiB) under churn: ${MINUTES} min, ${SERVICES} Services, ${ops.recreated} deleted and recreated, ` +
        `${ops.endpointFlaps} endpoint flaps, ${ops.sessionFlaps} router session resets, ${ops.errors} failed operations`,
    );
    console.log(
      `| minute | ${sys.nodes.map((n) => `speaker ${n.name}`).join(' | ')} | ${sys.controllers.map((c) => c.identity).join(' | ')} |`,
    );
    console.log(`|${' --- |'.repeat(1 + sys.nodes.length + sys.controllers.length)}`);
    const step = Math.max(1, Math.floor(samples.length / 20));
    for (let i = 0; i < samples.length; i += step) console.log(row(samples[i]!));
    if ((samples.length - 1) % step !== 0) console.log(row(end));
    const drift = (a: number[], b: number[]) => b.map((x, i) => (x - a[i]!).toFixed(1)).join(' / ');
    console.log(
      `\ndrift first → last sample: speakers ${drift(first.speakers, end.speakers)} MiB, controllers ` +
        `${drift(first.controllers, end.controllers)} MiB; end state ${settled ? 'complete' : 'INCOMPLETE'}; ` +
        `${violations.length} violation(s)`,
    );
    for (const v of violations) console.log(`VIOLATION: ${v}`);
    return violations.length === 0 ? 0 : 1;
  } finally {
    await sys.stop();
  }
}

process.exitCode = await main();
