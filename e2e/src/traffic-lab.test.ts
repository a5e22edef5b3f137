// Traffic-aware announcements end to end (issue 14), on the system the chart runs: a real apiserver, a
// herald-controller, three herald-speakers, FRR with the documented GRACEFUL_SHUTDOWN policy
// (docs/routers/frr.md, loaded verbatim), kube-proxy stand-ins answering with their node's name and a client
// behind the router. Proven here, against FRR and the router's kernel:
// - weighted ECMP: a Local Service with 1 Pod on node-0 and 3 on node-1 gets next-hop weights 1:3 in the
//   kernel, and new connections from the client split about 1:3; scaling the Pods changes the weights; endpoint
//   churn inside the hold-down is at most one UPDATE, and none when it comes back to the same count;
// - graceful drain: a cordoned node and a Local Service's last Pod terminating (preStop) are re-announced with
//   GRACEFUL_SHUTDOWN, FRR gives the path LOCAL_PREF 0 and sends new flows elsewhere while the path still
//   exists, then the route is withdrawn — with a client loop that never fails;
// - per-Service attributes: what serviceAttributes allows reaches FRR, the rest is a BGPAttributesRefused Event.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { NODE_ASN, nodeName, SPEAKER_METRICS_PORT } from './constants.ts';
import { eventually, sleep } from './eventually.ts';
import { describeWith } from './kube/index.ts';
import {
  documentedBlocks,
  heraldCommand,
  nodeIpv4,
  type RibRoute,
  ROUTER_ASN,
  run,
  waitForKernelWeights,
  waitForPaths,
  withLab,
} from './lab/index.ts';
import { step } from './steps.ts';
import {
  type ChartValues,
  createService,
  defaultValues,
  type EndpointSpec,
  type HeraldSystem,
  type ProbeSummary,
  putEndpointSlice,
  startSystem,
  urlFor,
  waitForEvent,
  waitForIngress,
} from './system/index.ts';

/** Seconds: long enough that a test's few API calls fall inside one window, short enough to wait out. */
const HOLD_DOWN = 10;
/** Seconds a route carries GRACEFUL_SHUTDOWN before its withdrawal: time to probe the router meanwhile. */
const DRAIN = 20;

/** The test bed's values (the lab router as IPv4 and IPv6 peer) with one pool and the traffic features on. */
function values(): ChartValues {
  const v = defaultValues();
  v.config.addressPools = [{ name: 'main', addresses: ['198.51.100.0/26'] }];
  v.config.bgpAdvertisements = [
    {
      name: 'main',
      weighting: 'endpoints',
      weightHoldDown: `${HOLD_DOWN}s`,
      gracefulShutdown: { drainTime: `${DRAIN}s`, cordonedNodes: 'withdraw' },
      serviceAttributes: { communities: [`${NODE_ASN}:*`] },
    },
  ];
  return v;
}

const prefixOf = (ip: string) => `${ip}/32`;
const byNexthop = (paths: readonly RibRoute[]) => Object.fromEntries(paths.map((p) => [p.nexthop, p]));
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describeWith(
  withLab({ binaries: ['kube-apiserver', 'etcd', 'helm', 'curl'] }),
  'traffic-aware announcements against FRR: weighted ECMP, graceful drain, per-Service attributes',
  () => {
    let sys: HeraldSystem;

    beforeAll(async () => {
      sys = await startSystem({ nodes: 3, controllers: 1, values: values() });
      // The router side of RFC 8326, as docs/routers/frr.md has it: the policy block verbatim, applied
      // inbound on every node's IPv4 session (the page binds it to its peer group; the lab has neighbors).
      const [policy] = documentedBlocks('frr.md', 'frr');
      await sys.frr.applyConfig(policy!);
      await sys.frr.vtysh([
        'configure terminal',
        `router bgp ${ROUTER_ASN}`,
        'address-family ipv4 unicast',
        ...sys.nodes.map((n) => `neighbor ${n.ns.ipv4} route-map HERALD-IN in`),
      ]);
    }, 240_000);

    afterAll(async () => {
      await sys?.stop();
    }, 60_000);

    // ---- steps ----

    /** Endpoints of SERVICE: COUNTS[i] Pods on node i (Pod IPs are only values), plus EXTRA. */
    const pods = (service: string, counts: readonly number[], extra: EndpointSpec[] = []) =>
      step(`${service} has Pods ${counts.map((c, i) => `${c} on node-${i}`).join(', ')}`, () =>
        putEndpointSlice(sys.discovery, service, [
          ...counts.flatMap((c, i) =>
            Array.from({ length: c }, (_, k) => ({ node: nodeName(i), address: `10.244.${i}.${k + 10}` })),
          ),
          ...extra,
        ]),
      );

    /** The router's kernel route to IP has these next hops (node index → weight), up to a common factor. */
    const weightsInKernel = (ip: string, want: Readonly<Record<number, number>>) =>
      step(`the router's kernel weights ${ip} ${JSON.stringify(want)}`, async () => {
        const nodes = Object.keys(want).map(Number);
        const ratio = (w: Record<string, number>) =>
          nodes.map((i) => (w[nodeIpv4(i)] ?? 0) / (w[nodeIpv4(nodes[0]!)] ?? 1));
        const expected = nodes.map((i) => want[i]! / want[nodes[0]!]!);
        return waitForKernelWeights(
          sys.lab,
          'ipv4',
          ip,
          (w) =>
            Object.keys(w).length === nodes.length &&
            ratio(w).every((r, k) => Math.abs(r - expected[k]!) < 0.01),
          `in proportion ${nodes.map((i) => want[i]).join(':')}`,
          // A weight change waits out the hold-down first; the rest bounds a hang on a loaded machine.
          (HOLD_DOWN + 80) * 1000,
        );
      });

    /** UPDATEs FRR received from node I's IPv4 session so far. */
    const updatesFrom = async (i: number) => {
      const n = (await sys.frr.neighbor(nodeIpv4(i))) as { messageStats?: { updatesRecv?: number } };
      return n?.messageStats?.updatesRecv ?? 0;
    };

    const cordon = (i: number, unschedulable: boolean) =>
      step(`${unschedulable ? 'cordon' : 'uncordon'} node-${i}`, () =>
        sys.core.patchNode({ name: nodeName(i), body: { spec: { unschedulable } } }, mergePatch),
      );

    /**
     * While node I drains: FRR still has its path, tagged graceful-shutdown with LOCAL_PREF 0, the kernel no
     * longer routes to it, and a burst of new connections never reaches it — all before the withdrawal.
     */
    const drainsBeforeWithdrawal = async (ip: string, i: number, others: readonly number[]) => {
      const path = await step(
        `FRR: node-${i}'s path carries graceful-shutdown and LOCAL_PREF 0`,
        async () => {
          const paths = await waitForPaths(
            sys.frr,
            'ipv4',
            prefixOf(ip),
            (p) => byNexthop(p)[nodeIpv4(i)]?.localPref === 0,
            `node-${i} at LOCAL_PREF 0`,
          );
          return byNexthop(paths)[nodeIpv4(i)]!;
        },
      );
      expect(path.communities).toContain('graceful-shutdown');
      expect(path.best).toBe(false);
      await weightsInKernel(ip, Object.fromEntries(others.map((o) => [o, 1])));
      const burst = await step(`100 new connections while node-${i} drains`, () =>
        sys.probe(urlFor(ip), 100),
      );
      console.log(
        `while node-${i} drains (path in FRR at LOCAL_PREF 0): answers ${JSON.stringify(burst.byNode)}`,
      );
      expect(burst.failed).toBe(0);
      expect(burst.byNode[nodeName(i)]).toBeUndefined();
      // The burst ran before the withdrawal: the draining path is still in FRR after it.
      expect(byNexthop(await sys.frr.route('ipv4', prefixOf(ip)))[nodeIpv4(i)]?.localPref).toBe(0);
      await step(`node-${i}'s path is withdrawn after drainTime`, () =>
        waitForPaths(
          sys.frr,
          'ipv4',
          prefixOf(ip),
          (p) => byNexthop(p)[nodeIpv4(i)] === undefined,
          'withdrawn',
        ),
      );
    };

    /**
     * RUN while a client loop opens a new connection every 20 ms to IP (after a burst that shows node I takes
     * traffic); not one of the loop's requests may fail.
     */
    const withoutFailures = async (ip: string, i: number, what: string, run: () => Promise<void>) => {
      const before = await step(`30 new connections before ${what}`, () => sys.probe(urlFor(ip), 30));
      expect(before.byNode[nodeName(i)]).toBeGreaterThan(0);
      const loop = await sys.probeLoop(urlFor(ip));
      let summary: ProbeSummary | undefined;
      try {
        await run();
      } finally {
        summary = await loop.stop();
      }
      console.log(
        `client loop across ${what}: ${summary.ok} ok, ${summary.failed} failed, ${JSON.stringify(summary.byNode)}`,
      );
      expect(summary.errors).toEqual([]);
      expect(summary.failed).toBe(0);
    };

    // ---- scenarios ----

    let webIp: string;

    test('1 Pod on node-0 and 3 on node-1: kernel weights 1:3, and new connections split about 1:3', async () => {
      await step('create the Local Service web', () => createService(sys.core, 'web', { policy: 'Local' }));
      await pods('web', [1, 3, 0]);
      [webIp] = (await waitForIngress(sys.core, 'web')) as [string];
      const paths = await waitForPaths(
        sys.frr,
        'ipv4',
        prefixOf(webIp),
        (p) => p.length === 2,
        'from node-0 and node-1',
      );
      expect(paths.map((p) => p.extendedCommunities[0]).sort()).toEqual([
        `lb:${NODE_ASN}:125000`, // 1 Mbit/s per endpoint
        `lb:${NODE_ASN}:375000`,
      ]);
      const kernel = await weightsInKernel(webIp, { 0: 1, 1: 3 });
      const split = await step('400 new connections from the client', () => sys.probe(urlFor(webIp), 400));
      console.log(
        `weighted ECMP: kernel weights ${JSON.stringify(kernel)}, answers ${JSON.stringify(split.byNode)}`,
      );
      expect(split.failed).toBe(0);
      // Tolerance: node-0 gets 25% ± 10 points (4.6 standard deviations of a fair 1:3 draw over 400 flows);
      // an equal split would give it 50%.
      const share = (split.byNode['node-0'] ?? 0) / split.ok;
      expect(split.ok).toBe(400);
      expect(share).toBeGreaterThan(0.15);
      expect(share).toBeLessThan(0.35);
      expect(Object.keys(split.byNode).sort()).toEqual(['node-0', 'node-1']);
    }, 180_000);

    test('scaling the Pods updates the weights (after the hold-down)', async () => {
      await pods('web', [2, 2, 0]);
      await weightsInKernel(webIp, { 0: 1, 1: 1 });
      await pods('web', [3, 1, 0]);
      await weightsInKernel(webIp, { 0: 3, 1: 1 });
    }, 120_000);

    test('endpoint churn inside the hold-down: at most one UPDATE; churn back to the same count: none', async () => {
      const before = await updatesFrom(1);
      // node-1 goes 1 → 2 → 4 → 3 → 2 Pods within seconds; node-0 stays at 3.
      for (const n of [2, 4, 3, 2]) await pods('web', [3, n, 0]);
      await weightsInKernel(webIp, { 0: 3, 1: 2 });
      // Give a second UPDATE every chance to happen: another full hold-down.
      await sleep((HOLD_DOWN + 2) * 1000);
      const during = (await updatesFrom(1)) - before;
      console.log(`churn 1→2→4→3→2 Pods within the hold-down: ${during} UPDATE(s) from node-1`);
      expect(during).toBe(1);
      const settled = await updatesFrom(1);
      for (const n of [5, 1, 2]) await pods('web', [3, n, 0]);
      await sleep((HOLD_DOWN + 2) * 1000);
      expect(await updatesFrom(1)).toBe(settled);
      await weightsInKernel(webIp, { 0: 3, 1: 2 });
    }, 120_000);

    test('cordon a node while a client loop opens new connections: drained first, withdrawn later, 0 failures', async () => {
      await step('create the Cluster Service api with a Pod on every node', async () => {
        await createService(sys.core, 'api');
        await sys.putEndpoints('api', [0, 1, 2]);
      });
      const [apiIp] = (await waitForIngress(sys.core, 'api')) as [string];
      await weightsInKernel(apiIp, { 0: 1, 1: 1, 2: 1 });
      await withoutFailures(apiIp, 1, 'the cordon drain', async () => {
        await cordon(1, true);
        await drainsBeforeWithdrawal(apiIp, 1, [0, 2]);
        await cordon(1, false);
        await weightsInKernel(apiIp, { 0: 1, 1: 1, 2: 1 });
      });
    }, 180_000);

    test('a Local Service’s last Pod on a node terminating (preStop): drained, withdrawn, then gone; 0 failures', async () => {
      await step('create the Local Service shop with a Pod on node-0 and node-2', async () => {
        await createService(sys.core, 'shop', { policy: 'Local' });
        await pods('shop', [1, 0, 1]);
      });
      const [shopIp] = (await waitForIngress(sys.core, 'shop')) as [string];
      await weightsInKernel(shopIp, { 0: 1, 2: 1 });
      await withoutFailures(shopIp, 2, 'the preStop drain', async () => {
        // The kubelet runs the Pod's preStop hook: the endpoint is terminating and still serving.
        const preStop = {
          node: nodeName(2),
          address: '10.244.2.10',
          ready: false,
          serving: true,
          terminating: true,
        };
        await pods('shop', [1, 0, 0], [preStop]);
        await drainsBeforeWithdrawal(shopIp, 2, [0]);
        // preStop done, the container exits: the endpoint goes.
        await pods('shop', [1, 0, 0]);
        await sys.waitForServed(shopIp, [0]);
      });
    }, 180_000);

    test('per-Service attributes: allowed communities reach FRR, the rest is a BGPAttributesRefused Event', async () => {
      await step('create the Service tagged with two communities, one of them not allowed', () =>
        createService(sys.core, 'tagged', {
          annotations: { 'herald.dev/bgp-communities': '64600:7, 65000:1' },
        }),
      );
      await sys.putEndpoints('tagged', [0]);
      const [ip] = (await waitForIngress(sys.core, 'tagged')) as [string];
      const paths = await waitForPaths(
        sys.frr,
        'ipv4',
        prefixOf(ip),
        (p) => p.length === 3,
        'from every node',
      );
      for (const p of paths) expect(p.communities).toEqual(['64600:7']);
      const event = await waitForEvent(sys.core, 'default', 'tagged', 'BGPAttributesRefused', '65000:1');
      expect(event.type).toBe('Warning');
      expect(event.message).toContain(
        'not allowed by bgpAdvertisement "main" (serviceAttributes.communities: 64600:*)',
      );
    }, 120_000);

    test('/status and heraldctl status --routes show each route’s weight and drain state', async () => {
      const status = await sys.speakerStatus(0);
      const web = status.announced['router-v4']?.find((r) => r.prefix === prefixOf(webIp)) as
        | { weight?: number; linkBandwidth?: string }
        | undefined;
      expect(web).toMatchObject({ weight: 3, linkBandwidth: '3 Mbit/s' });
      // heraldctl in node-0's namespace, where the speaker's /status answers, as an operator would: a status
      // reader's token, the chart's CA and the certificate's name.
      const access = (await sys.readerAccess()).heraldctlArgs;
      const cli = heraldCommand(sys.nodes[0]!.ns.ns, [
        'status',
        '--speaker',
        `127.0.0.1:${SPEAKER_METRICS_PORT}`,
        ...access,
        '--routes',
      ]);
      const out = (await run(cli.cmd, cli.args)).stdout;
      expect(out).toMatch(/^NODE\s+PEER\s+PREFIX\s+WEIGHT\s+DRAIN\s+SERVICES$/m);
      expect(out).toMatch(
        new RegExp(
          `^node-0\\s+router-v4\\s+${prefixOf(webIp).replaceAll('.', '\\.')}\\s+3\\s+-\\s+default/web$`,
          'm',
        ),
      );
      // A drain shows as "until <time>": cordon node-0 and look while its routes drain.
      await cordon(0, true);
      try {
        await eventually('heraldctl shows node-0’s web route draining', async () => {
          const text = (await run(cli.cmd, cli.args)).stdout;
          return new RegExp(
            `${prefixOf(webIp).replaceAll('.', '\\.')}\\s+3\\s+until \\d{4}-\\d\\d-\\d\\dT`,
          ).test(text);
        });
      } finally {
        await cordon(0, false);
      }
    }, 60_000);
  },
);
