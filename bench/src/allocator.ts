// Allocator benchmark: 1,000,000 allocations + releases in a /12 IPv4 pool and a /64 IPv6 pool; ns/op and heap.
// References measured in the same run: (1) a bare Map set/delete of the same keys (the bookkeeping floor),
// (2) a naive first-fit allocator that scans the pool (MetalLB-style), at a smaller N because it is O(n).
// Run: npm run bench:allocator -w bench   (node --expose-gc for stable heap numbers)

import { type AllocationRequest, Allocator, type PoolDefinition } from '@herald/controller';
import { type Family, parseAddressRange } from '@herald/inet';

const N = Number(process.env.HERALD_BENCH_N ?? 1_000_000);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function heapMB(): number {
  gc();
  return process.memoryUsage().heapUsed / 1e6;
}

function pool(name: string, cidr: string): PoolDefinition {
  const parsed = parseAddressRange(cidr);
  if (!parsed.ok) throw new Error(parsed.reason);
  return {
    name,
    addresses: [parsed.range],
    autoAssign: true,
    avoidBuggyIPs: false,
    serviceAllocation: undefined,
  };
}

const request = (family: Family): AllocationRequest => ({
  namespace: 'bench',
  labels: {},
  namespaceLabels: {},
  families: [family],
  policy: 'SingleStack',
  ips: [],
  pool: undefined,
  sharing: null,
});

function shuffled(n: number): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  let seed = 12345;
  for (let i = n - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const j = seed % (i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

const keys = Array.from({ length: N }, (_, i) => `bench/svc-${i}`);
const order = shuffled(N);

function benchAllocator(label: string, cidr: string, family: Family) {
  const h0 = heapMB();
  const a = new Allocator([pool(label, cidr)]);
  const req = request(family);
  let t = performance.now();
  for (let i = 0; i < N; i++) if (!a.assign(keys[i]!, req).ok) throw new Error(`allocation ${i} failed`);
  const allocNs = ((performance.now() - t) * 1e6) / N;
  const h1 = heapMB();
  // Release in random order: fragments the free set as much as a real cluster would.
  t = performance.now();
  for (let i = 0; i < N; i++) a.release(keys[order[i]!]!);
  const releaseNs = ((performance.now() - t) * 1e6) / N;
  const s = a.stats()[0]!;
  if (s.inUse !== 0n) throw new Error('not everything released');
  // Steady state: half the pool held in random places, then alloc/release pairs.
  for (let i = 0; i < N; i++) a.assign(keys[i]!, req);
  for (let i = 0; i < N; i += 2) a.release(keys[order[i]!]!);
  t = performance.now();
  const M = Math.min(N, 200_000);
  for (let i = 0; i < M; i++) {
    a.assign(`churn-${i}`, req);
    a.release(`churn-${i}`);
  }
  const churnNs = ((performance.now() - t) * 1e6) / M / 2;
  return { label, allocNs, releaseNs, churnNs, heapPerAddressB: ((h1 - h0) * 1e6) / N, heapMB: h1 - h0 };
}

function benchMap() {
  const m = new Map<string, bigint>();
  const t = performance.now();
  for (let i = 0; i < N; i++) m.set(keys[i]!, BigInt(i));
  for (let i = 0; i < N; i++) m.delete(keys[order[i]!]!);
  return ((performance.now() - t) * 1e6) / N / 2;
}

/** First-fit over a bitmap, as a scanning allocator does: O(pool) per allocation in a full-ish pool. */
function benchScan(n: number) {
  const used = new Uint8Array(n + 1);
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    let j = 0;
    while (used[j]) j++;
    used[j] = 1;
  }
  return ((performance.now() - t) * 1e6) / n;
}

const mapNs = benchMap();
const scanN = 20_000;
const scanNs = benchScan(scanN);
const results = [
  benchAllocator('v4 /12', '198.16.0.0/12', 'ipv4'),
  benchAllocator('v6 /64', '2001:db8:100::/64', 'ipv6'),
];
console.log(`herald allocator benchmark: N = ${N.toLocaleString()} allocations + releases per pool`);
for (const r of results) {
  console.log(
    `${r.label}: assign ${r.allocNs.toFixed(0)} ns/op, release ${r.releaseNs.toFixed(0)} ns/op, fragmented churn ${r.churnNs.toFixed(0)} ns/op, heap ${r.heapMB.toFixed(1)} MB (${r.heapPerAddressB.toFixed(0)} B/address)`,
  );
  console.log(
    `  ratio to bare Map set/delete (${mapNs.toFixed(0)} ns/op): assign ${(r.allocNs / mapNs).toFixed(1)}×, release ${(r.releaseNs / mapNs).toFixed(1)}×`,
  );
}
console.log(
  `reference first-fit scan, only ${scanN.toLocaleString()} allocations: ${scanNs.toFixed(0)} ns/op average (O(n): at N = ${N.toLocaleString()} ≈ ${((scanNs * N) / scanN / 1e3).toFixed(0)} µs/op, ${((scanNs * N) / scanN / results[0]!.allocNs).toFixed(0)}× the allocator)`,
);
