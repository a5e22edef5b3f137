// What the benchmarks share: process memory and CPU from /proc, FRR prefix counts over bgpd's vty socket,
// arrival of routes in the router namespace's kernel table, order statistics, and bulk Service creation.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  adminCurlArgs,
  type ControlPlane,
  createService,
  type FrrVtyClient,
  type HeraldSystem,
  putEndpointSlice,
  setIngress,
  useShippedPrograms,
} from '@herald/e2e';
import { formatIp } from '@herald/inet';
import type { CoreV1Api, V1Service } from '@kubernetes/client-node';
import { percentile as sortedPercentile } from './stats.ts';

export interface ProcMemory {
  /** VmRSS: resident pages, private and file-backed (the binary's code) together. */
  readonly rssMiB: number;
  /** RssAnon: private memory (heap, stacks); what this process alone costs the node. */
  readonly anonMiB: number;
  /** RssFile: resident pages of mapped files (node/Go binary, libraries), shared with other processes. */
  readonly fileMiB: number;
  /** VmHWM: the peak RSS so far. */
  readonly peakMiB: number;
  /** User + system CPU time so far. */
  readonly cpuSeconds: number;
}

export function procMemory(pid: number): ProcMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? Number.NaN);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    rssMiB: kib('VmRSS') / 1024,
    anonMiB: kib('RssAnon') / 1024,
    fileMiB: kib('RssFile') / 1024,
    peakMiB: kib('VmHWM') / 1024,
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100,
  };
}

/** CPU seconds used so far by PIDS together (utime + stime; 10 ms ticks). */
export function cpuSecondsOf(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + procMemory(pid).cpuSeconds, 0);
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor(s.length / 2)]!;
}

/** The p-th percentile (nearest rank, stats.ts) of XS in any order. */
export function percentile(xs: readonly number[], p: number): number {
  return sortedPercentile(
    [...xs].sort((a, b) => a - b),
    p,
  );
}

export const f1 = (x: number) => x.toFixed(1);

/**
 * Before a timed step: collects this process's garbage (when node runs with --expose-gc), so a major GC of what
 * the untimed setup left does not land in the step, then waits MS for the apiserver to calm down after the setup.
 */
export async function settle(ms: number): Promise<void> {
  (globalThis as { gc?: () => void }).gc?.();
  await sleep(ms);
}

/**
 * A LoadBalancer Service the controller benches create by the thousand: no NodePorts (12,000 Services would
 * exhaust the 2,768-port NodePort range), of LOADBALANCERCLASS if given (one no controller serves, for the
 * references).
 */
export function loadBalancerServiceBody(name: string, loadBalancerClass?: string): V1Service {
  return {
    metadata: { name },
    spec: {
      type: 'LoadBalancer',
      loadBalancerClass,
      allocateLoadBalancerNodePorts: false,
      ports: [{ port: 80, protocol: 'TCP' }],
    },
  };
}

/**
 * The watch every controller needs (all Services, cluster-wide), read by curl and dropped: what serving it costs
 * the apiserver, with no client work on this machine's cores but curl's. Kill it when done.
 */
export function curlServiceWatch(cp: ControlPlane): ChildProcess {
  return spawn(
    'curl',
    ['--silent', '--no-buffer', ...adminCurlArgs(cp.certs), `${cp.server}/api/v1/services?watch=true`],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

/** Calls FN on every item, LIMIT at a time (the benches' "N in flight"). */
export async function pool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** Addresses benchIp can give: 198.18.0.1 … 198.19.255.254, the benches' pool (198.18.0.0/15). */
const BENCH_IPS = 2 ** 17 - 2;

/** The i-th address of the benchmarking range 198.18.0.0/15 (from 198.18.0.1). */
export function benchIp(i: number): string {
  // Outside the pool a speaker rightly announces nothing, and a bench waiting for the route would hang.
  if (!Number.isInteger(i) || i < 0 || i >= BENCH_IPS)
    throw new RangeError(`benchIp(${i}): outside 198.18.0.0/15`);
  return formatIp({ family: 'ipv4', value: 0xc6120001n + BigInt(i) });
}

/** Wall-clock milliseconds with sub-millisecond precision (comparable with other processes' logs). */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Watches a namespace's kernel routing table (`ip -n NS monitor route`); `wait(dst)` resolves with the wall
 * time the route appeared, `gone(dst)` when it was deleted. Event-driven: no polling granularity.
 */
export class RouteMonitor {
  readonly #child: ChildProcess;
  readonly #added = new Map<string, number>();
  readonly #deleted = new Map<string, number>();
  readonly #waiters = new Map<string, Array<(t: number) => void>>();

  constructor(ns: string) {
    this.#child = spawn('ip', ['-n', ns, 'monitor', 'route'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let partial = '';
    this.#child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const now = wallMs();
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const deleted = line.startsWith('Deleted ');
        const dst = (deleted ? line.slice(8) : line).split(' ')[0]!;
        const key = `${deleted ? '-' : '+'}${dst}`;
        (deleted ? this.#deleted : this.#added).set(dst, now);
        for (const w of this.#waiters.get(key) ?? []) w(now);
        this.#waiters.delete(key);
      }
    });
  }

  #on(key: string, seen: number | undefined): Promise<number> {
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const list = this.#waiters.get(key) ?? [];
      list.push(resolve);
      this.#waiters.set(key, list);
    });
  }

  /** When DST (e.g. 198.18.0.7) was added to the table (the first time since `forget`). */
  wait(dst: string): Promise<number> {
    return this.#on(`+${dst}`, this.#added.get(dst));
  }

  /** When DST was deleted from the table (the first time since `forget`). */
  gone(dst: string): Promise<number> {
    return this.#on(`-${dst}`, this.#deleted.get(dst));
  }

  forget(dst: string): void {
    this.#added.delete(dst);
    this.#deleted.delete(dst);
  }

  stop(): void {
    this.#child.kill();
  }
}

interface BgpSummary {
  ipv4Unicast?: { peers?: Record<string, { pfxRcd?: number; state?: string }> };
}

/** Prefixes FRR holds from each of NEIGHBORS (0 when the neighbor is not Established). */
export async function prefixesFrom(vty: FrrVtyClient, neighbors: readonly string[]): Promise<number[]> {
  const s = await vty.json<BgpSummary>('show bgp summary json');
  return neighbors.map((n) => s.ipv4Unicast?.peers?.[n]?.pfxRcd ?? 0);
}

/** Polls FRR every ~5 ms until every neighbor has at least N prefixes; returns the wall time it saw them. */
export async function waitPrefixes(
  vty: FrrVtyClient,
  neighbors: readonly string[],
  n: number,
  limitMs = 400_000,
): Promise<number> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const counts = await prefixesFrom(vty, neighbors);
    if (counts.every((c) => c >= n)) return wallMs();
    if (Date.now() > deadline) throw new Error(`FRR has ${counts.join('/')} of ${n} prefixes`);
    await sleep(5);
  }
}

/** Polls until FRR holds nothing from NEIGHBORS (after a speaker stopped). */
export async function waitDrained(vty: FrrVtyClient, neighbors: readonly string[], limitMs = 120_000) {
  const deadline = Date.now() + limitMs;
  while ((await prefixesFrom(vty, neighbors)).some((c) => c > 0)) {
    if (Date.now() > deadline) throw new Error('FRR still holds prefixes from the stopped speaker');
    await sleep(20);
  }
}

export interface BulkServices {
  readonly namespace: string;
  /** Name of Service i. */
  readonly name: (i: number) => string;
  /** Status IP of Service i (undefined: leave status empty for a controller to fill). */
  readonly ip?: (i: number) => string;
  /** Nodes with a ready endpoint of Service i. */
  readonly nodes: readonly string[];
  readonly loadBalancerClass?: string;
}

/** Deletes every Service of NAMESPACE and waits until none is listed (the next measurement starts clean). */
export async function deleteServices(core: CoreV1Api, namespace: string): Promise<void> {
  await core.deleteCollectionNamespacedService({ namespace });
  while ((await core.listNamespacedService({ namespace, limit: 1 })).items.length > 0) await sleep(200);
}

/** Creates Services FROM..TO-1 (with status and EndpointSlices) 64 at a time. */
export async function createServices(t: HeraldSystem, from: number, to: number, spec: BulkServices) {
  const batch = 64;
  for (let i = from; i < to; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, to - i) }, async (_, k) => {
        const n = i + k;
        const name = spec.name(n);
        await createService(t.core, name, {
          namespace: spec.namespace,
          ...(spec.loadBalancerClass ? { spec: { loadBalancerClass: spec.loadBalancerClass } } : {}),
        });
        if (spec.ip) await setIngress(t.core, name, spec.namespace, [spec.ip(n)]);
        await putEndpointSlice(
          t.discovery,
          name,
          spec.nodes.map((node, j) => ({ node, address: `10.${244 + j}.${(n >> 8) & 255}.${n & 255}` })),
          { namespace: spec.namespace, create: true },
        );
      }),
    );
  }
}

/**
 * Herald's programs as their images run them (compiled trees staged by scripts/build-image.sh into a temp dir,
 * the images' node flags and ENV) for every program the test bed starts from now on. `remove()` deletes the trees.
 */
export function useImageTrees(): { readonly dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-images-'));
  useShippedPrograms(dir);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Ctrl-C or SIGTERM still tears the test bed down, then THEN (a bench's `finally` does not run after exit). */
export function stopOnInterrupt(t: HeraldSystem, then: () => void): void {
  const onSignal = () =>
    void t.stop().finally(() => {
      then();
      process.exit(130);
    });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}
