// createLab: one router namespace (bridge = the lab switch, the router daemon), N node namespaces, and an
// optional client namespace behind the router. Everything created is registered for teardown, which runs
// from `destroy()` (call it in afterAll) and, as a last resort, from a synchronous process 'exit' hook; what
// a killed process still leaves, the next createLab removes (stale.ts).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pidAlive } from '../kube/processes.ts';
import { run } from './exec.ts';
import { signal, terminate } from './process.ts';
import { BirdRouter } from './routers/bird.ts';
import { FrrRouter } from './routers/frr.ts';
import { GobgpRouter } from './routers/gobgp.ts';
import type {
  AddressFamily,
  LabRouter,
  ListenRange,
  RouterConfig,
  RouterKind,
  RouterPeer,
} from './routers/types.ts';
import { assertLabRangesFree } from './safety.ts';
import { sweepAbandonedLabs } from './stale.ts';
import {
  createClientNamespace,
  createNetworkNamespace,
  createNodeNamespace,
  createPodNamespace,
  createRouterNamespace,
  createSegmentClientNamespace,
  deleteNamespace,
  type LabNamespace,
  MAX_NODES,
  POOL_RANGES,
  ROUTER_IPV4,
  ROUTER_IPV6,
  routePodSubnets,
  strictArp,
  uniqueLabId,
} from './topology.ts';

export const ROUTER_ASN = 64512;

export interface LabOptions {
  nodes: number;
  router: RouterKind;
  clientNamespace?: boolean;
  /**
   * Layer-2 mode: the client sits on the node segment (the bridge) with the LoadBalancer ranges on-link, the
   * router has them on-link too (so a routed host also reaches them by ARP/NDP), and the nodes answer ARP
   * only for their own interface addresses (strictARP).
   */
  layer2?: boolean;
  /** A pod namespace per node (topology.ts createPodNamespace) and routes between the pod subnets. */
  pods?: boolean;
  /** Accepted for clarity; the links always carry both families (IPv6 addresses cost nothing). */
  ipv6?: boolean;
  routerAsn?: number;
  peers?: readonly RouterPeer[];
  listenRanges?: readonly ListenRange[];
}

export interface KernelRouteEntry {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  /** Multipath next hops; `weight` is the kernel's (1..256, absent or 1 for equal cost). */
  nexthops?: { gateway?: string; dev?: string; weight?: number }[];
}

export interface Lab {
  readonly id: string;
  readonly dir: string;
  readonly routerNs: string;
  readonly routerAsn: number;
  readonly routerIpv4: string;
  readonly routerIpv6: string;
  readonly router: LabRouter;
  readonly nodes: readonly LabNamespace[];
  readonly client: LabNamespace | undefined;
  /** The pod namespace of each node, by node index (empty without `pods`). */
  readonly pods: readonly LabNamespace[];
  /** Routes in the router namespace's kernel main table. */
  kernelRoutes(family: AddressFamily): Promise<KernelRouteEntry[]>;
  /**
   * Creates one more namespace of this lab (`<id>-<suffix>`, loopback up, no IPv6 duplicate address
   * detection), deleted with the lab; wire it with topology.ts's helpers.
   */
  namespace(suffix: string): Promise<string>;
  /** Registers a process (e.g. a speaker) to kill on teardown. */
  track(pid: number): void;
  untrack(pid: number): void;
  destroy(): Promise<void>;
}

interface Teardown {
  namespaces: string[];
  dirs: string[];
  pids: Set<number>;
  router?: LabRouter;
  routerPids: number[];
}

const live = new Set<Teardown>();
let exitHookInstalled = false;

/** Synchronous best effort for a process that exits without afterAll (crash, forced jest exit). */
function teardownSync(t: Teardown): void {
  for (const pid of [...t.pids, ...t.routerPids]) {
    if (pidAlive(pid)) {
      signal(pid, 'SIGCONT');
      signal(pid, 'SIGKILL');
    }
  }
  for (const ns of t.namespaces) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
  for (const dir of t.dirs) rmSync(dir, { recursive: true, force: true });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const t of live) teardownSync(t);
  });
}

async function teardown(t: Teardown): Promise<void> {
  for (const pid of t.pids) await terminate(pid, 2000);
  if (t.router) {
    t.routerPids.push(...(await t.router.pids().catch(() => [])));
    await t.router.stop().catch(() => undefined);
  }
  for (const pid of t.routerPids) await terminate(pid, 1000);
  for (const ns of [...t.namespaces].reverse()) await deleteNamespace(ns);
  for (const dir of t.dirs) rmSync(dir, { recursive: true, force: true });
  live.delete(t);
}

function makeRouter(kind: RouterKind, ns: string, dir: string, config: RouterConfig): LabRouter {
  switch (kind) {
    case 'frr':
      return new FrrRouter(ns, dir, config);
    case 'bird':
      return new BirdRouter(ns, dir, config);
    case 'gobgp':
      return new GobgpRouter(ns, dir, config);
  }
}

export async function createLab(options: LabOptions): Promise<Lab> {
  if (options.nodes < 0 || options.nodes > MAX_NODES) throw new Error(`lab nodes must be 0..${MAX_NODES}`);
  await assertLabRangesFree();
  const swept = await sweepAbandonedLabs();
  if (swept.length > 0) console.warn(`removed what labs of exited processes left: ${swept.join(', ')}`);
  installExitHook();
  const id = uniqueLabId();
  const dir = mkdtempSync(join(tmpdir(), `herald-${id}-`));
  const t: Teardown = { namespaces: [], dirs: [dir], pids: new Set(), routerPids: [] };
  live.add(t);
  try {
    const routerNs = `${id}-r`;
    t.namespaces.push(routerNs);
    await createRouterNamespace(routerNs);
    const nodes: LabNamespace[] = [];
    for (let i = 0; i < options.nodes; i++) {
      const ns = `${id}-n${i}`;
      t.namespaces.push(ns);
      nodes.push(await createNodeNamespace(routerNs, ns, i));
      if (options.layer2) await strictArp(ns);
    }
    const pods: LabNamespace[] = [];
    if (options.pods) {
      for (const [i, node] of nodes.entries()) {
        t.namespaces.push(`${id}-p${i}`);
        pods.push(await createPodNamespace(node.ns, `${id}-p${i}`, i));
        await routePodSubnets(node.ns, i, nodes.length);
      }
    }
    let client: LabNamespace | undefined;
    if (options.clientNamespace) {
      t.namespaces.push(`${id}-c`);
      client = options.layer2
        ? await createSegmentClientNamespace(routerNs, `${id}-c`)
        : await createClientNamespace(routerNs, `${id}-c`);
    }
    if (options.layer2) {
      await run('ip', ['-n', routerNs, 'route', 'add', POOL_RANGES.ipv4, 'dev', 'br0']);
      await run('ip', ['-n', routerNs, '-6', 'route', 'add', POOL_RANGES.ipv6, 'dev', 'br0']);
    }
    const routerAsn = options.routerAsn ?? ROUTER_ASN;
    const router = makeRouter(options.router, routerNs, dir, {
      asn: routerAsn,
      routerId: ROUTER_IPV4,
      peers: options.peers ?? [],
      listenRanges: options.listenRanges ?? [],
    });
    t.router = router;
    await router.start();
    t.routerPids.push(...(await router.pids()));
    return {
      id,
      dir,
      routerNs,
      routerAsn,
      routerIpv4: ROUTER_IPV4,
      routerIpv6: ROUTER_IPV6,
      router,
      nodes,
      client,
      pods,
      async kernelRoutes(family) {
        const args = ['-n', routerNs, '-j', ...(family === 'ipv6' ? ['-6'] : []), 'route', 'show'];
        return JSON.parse((await run('ip', args)).stdout || '[]') as KernelRouteEntry[];
      },
      async namespace(suffix) {
        const ns = `${id}-${suffix}`;
        t.namespaces.push(ns);
        await createNetworkNamespace(ns);
        return ns;
      },
      track: (pid) => t.pids.add(pid),
      untrack: (pid) => t.pids.delete(pid),
      destroy: () => teardown(t),
    };
  } catch (err) {
    await teardown(t);
    throw err;
  }
}
