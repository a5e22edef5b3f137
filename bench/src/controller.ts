// Controller burst benchmark against a real kube-apiserver (e2e test bed):
//   1. reference: a bare loop patches the status of 1,000 Services (16 in flight, like the controller's
//      workers) — the apiserver's limit for this work;
//   2. herald-controller running; 1,000 LoadBalancer Services created at once; time from the first create to
//      the last Service showing an IP (watched). Ratio = (2) / (1); target <= 1.15.
//   3. RSS of the controller holding 10,000 Services (HERALD_BENCH_RSS_SERVICES, 0 to skip).
// The controller runs as its image runs it: the compiled tree (scripts/build-image.sh) started with the image's
// ENTRYPOINT (node flags) and ENV, so what is measured is what users run.
// HERALD_BENCH_CPU_PROF=DIR writes a V8 CPU profile of the controller process into DIR.
// Run: npm run bench:controller -w bench

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageCommand, imageEnv, spawnManaged, startControlPlane, useShippedPrograms } from '@herald/e2e';
import { KubeClient, kubeconfigConnection } from '@herald/kube';
import { CoreV1Api, makeInformer, type V1Service } from '@kubernetes/client-node';

const COUNT = 1000;
const CONCURRENCY = 16;
const RSS_SERVICES = Number(process.env.HERALD_BENCH_RSS_SERVICES ?? 10_000);
const CPU_PROF_DIR = process.env.HERALD_BENCH_CPU_PROF;

async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const trees = mkdtempSync(join(tmpdir(), 'herald-bench-images-'));
useShippedPrograms(trees);
const [node, ...entry] = imageCommand('controller');
const cp = await startControlPlane();
try {
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  for (const ns of ['herald-system', 'bare', 'burst', 'live', 'rss'])
    await core.createNamespace({ body: { metadata: { name: ns } } });
  await core.createNamespacedConfigMap({
    namespace: 'herald-system',
    body: {
      metadata: { name: 'herald-config' },
      data: { 'config.yaml': 'addressPools:\n  - name: bench\n    addresses: ["198.18.0.0/17"]\n' },
    },
  });
  const names = Array.from({ length: COUNT }, (_, i) => `svc-${i}`);
  const svcBody = (name: string, cls?: string): V1Service => ({
    metadata: { name },
    // No NodePorts: 12,000 Services would exhaust the 2,768-port NodePort range.
    spec: {
      type: 'LoadBalancer',
      loadBalancerClass: cls,
      allocateLoadBalancerNodePorts: false,
      ports: [{ port: 80, protocol: 'TCP' }],
    },
  });

  // 1. Reference: Services of a class the controller ignores; time only the status patches. Through a pooled
  //    KubeConfig like the controller's: a new TLS connection per request would understate the apiserver's limit.
  const bare = new KubeClient(kubeconfigConnection(cp.kubeconfigPath));
  await pool(names, 50, (n) =>
    core.createNamespacedService({ namespace: 'bare', body: svcBody(n, 'bench.example/bare') }),
  );
  const t = performance.now();
  let i = 0;
  await pool(names, CONCURRENCY, (n) =>
    bare.mergePatch(`/api/v1/namespaces/bare/services/${n}/status`, {
      status: { loadBalancer: { ingress: [{ ip: `198.18.200.${i++ % 250}` }] } },
    }),
  );
  const bareMs = performance.now() - t;

  // 2. 1,000 pending LoadBalancer Services exist; the controller starts and serves them all at once. Timed
  //    from the moment it became leader (its log) to the last Service showing an IP (watched).
  await pool(names, 50, (n) => core.createNamespacedService({ namespace: 'burst', body: svcBody(n) }));
  const withIP = new Map<string, number>();
  let done: () => void = () => {};
  const allDone = new Promise<void>((r) => {
    done = r;
  });
  const informer = makeInformer<V1Service>(cp.kubeConfig, '/api/v1/namespaces/burst/services', () =>
    core.listNamespacedService({ namespace: 'burst' }),
  );
  const seen = (s: V1Service) => {
    if (s.status?.loadBalancer?.ingress?.length && !withIP.has(s.metadata?.name ?? ''))
      withIP.set(s.metadata?.name ?? '', Date.now());
    if (withIP.size === COUNT) done();
  };
  informer.on('add', seen);
  informer.on('update', seen);
  await informer.start();
  const spawnedAt = Date.now();
  const proc = await spawnManaged({
    name: `bench-ctl-${process.pid}`,
    command: node!,
    args: [
      // HERALD_BENCH_CPU_PROF=DIR: V8 CPU profile of the controller (written when it stops) to see where time goes.
      ...(CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`] : []),
      ...entry,
      '--kubeconfig',
      cp.kubeconfigPath,
      '--namespace',
      'herald-system',
      '--metrics-address',
      '127.0.0.1:0',
      // A benchmark reads its own process's metrics on loopback: plain HTTP, no probe server.
      '--metrics-auth',
      'none',
      '--health-address',
      '',
    ],
    logPath: join(cp.dir, 'bench-controller.log'),
    ownerDir: cp.dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...imageEnv('controller') },
  });
  await allDone;
  const lastIP = Math.max(...withIP.values());
  const log = readFileSync(proc.logPath, 'utf8');
  const leaderAt = Number(/"time":(\d+)[^\n]*"msg":"became leader"/.exec(log)?.[1]);
  const burstMs = lastIP - leaderAt;
  await informer.stop();

  // 2b. Live: the controller is running; a second burst of 1,000 creates. How far behind the creates are the IPs?
  const live = Array.from({ length: COUNT }, (_, k) => `live-${k}`);
  const liveIP = new Map<string, number>();
  const created = new Map<string, number>();
  const liveInformer = makeInformer<V1Service>(cp.kubeConfig, '/api/v1/namespaces/live/services', () =>
    core.listNamespacedService({ namespace: 'live' }),
  );
  let liveDone: () => void = () => {};
  const liveAll = new Promise<void>((r) => {
    liveDone = r;
  });
  const liveSeen = (s: V1Service) => {
    const n = s.metadata?.name ?? '';
    if (s.status?.loadBalancer?.ingress?.length && !liveIP.has(n)) liveIP.set(n, Date.now());
    if (liveIP.size === COUNT) liveDone();
  };
  liveInformer.on('add', liveSeen);
  liveInformer.on('update', liveSeen);
  await liveInformer.start();
  await pool(live, 50, async (n) => {
    await core.createNamespacedService({ namespace: 'live', body: svcBody(n) });
    created.set(n, Date.now());
  });
  await liveAll;
  await liveInformer.stop();
  const lags = live.map((n) => liveIP.get(n)! - created.get(n)!).sort((a, b) => a - b);

  console.log('herald-controller burst benchmark (real kube-apiserver + etcd on this machine)');
  console.log(
    `reference: bare loop patching ${COUNT} statuses, ${CONCURRENCY} in flight: ${bareMs.toFixed(0)} ms`,
  );
  console.log(
    `controller: ${COUNT} pending Services all have an IP ${burstMs} ms after it became leader (${lastIP - spawnedAt} ms after process spawn, including Node start-up, list and Lease)`,
  );
  console.log(`ratio controller / bare loop: ${(burstMs / bareMs).toFixed(2)} (target <= 1.15)`);
  console.log(
    `live burst of ${COUNT} creates: IP visible after the create returned — median ${lags[COUNT >> 1]} ms, p99 ${lags[Math.floor(COUNT * 0.99)]} ms, max ${lags[COUNT - 1]} ms`,
  );

  // 3. RSS holding many Services.
  if (RSS_SERVICES > 0) {
    const rssNames = Array.from({ length: RSS_SERVICES }, (_, k) => `rss-${k}`);
    await pool(rssNames, 50, (n) => core.createNamespacedService({ namespace: 'rss', body: svcBody(n) }));
    const total = 3 * COUNT + RSS_SERVICES;
    for (;;) {
      const list = await core.listNamespacedService({ namespace: 'rss' });
      if (list.items.filter((s) => s.status?.loadBalancer?.ingress?.length).length === RSS_SERVICES) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    await new Promise((r) => setTimeout(r, 3000));
    const status = readFileSync(`/proc/${proc.pid}/status`, 'utf8');
    const rssKB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    const selfKB = process.memoryUsage().rss / 1024;
    console.log(
      `controller RSS holding ${total.toLocaleString()} Services (${(RSS_SERVICES + 2 * COUNT).toLocaleString()} with IPs, ${COUNT} of another class in its cache): ${(rssKB / 1024).toFixed(0)} MB (this benchmark process, for scale: ${(selfKB / 1024).toFixed(0)} MB)`,
    );
    // Where the RSS is: V8 heap (live objects + garbage not yet collected) vs the rest, from its /metrics.
    const port = Number(
      /"port":(\d+)[^\n]*"msg":"metrics server listening"/.exec(readFileSync(proc.logPath, 'utf8'))?.[1],
    );
    if (port > 0) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const metric = (name: string): string => {
        const v = Number(
          new RegExp(`^herald_controller_${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1],
        );
        return `${(v / 1e6).toFixed(0)} MB`;
      };
      console.log(
        `  controller V8 heap used ${metric('nodejs_heap_size_used_bytes')} of ${metric('nodejs_heap_size_total_bytes')}, external ${metric('nodejs_external_memory_bytes')}`,
      );
    }
  }
  await proc.stop();
} finally {
  await cp.stop();
  rmSync(trees, { recursive: true, force: true });
}
