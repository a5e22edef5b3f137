// The full system end to end: a real kube-apiserver + etcd, the Helm chart installed with helm, two
// herald-controller replicas and three herald-speakers running as the chart's Pods would (its args, its
// ServiceAccounts), kube-proxy stand-ins in the node namespaces, FRR as the upstream router and a client
// namespace behind it (e2e/src/system). One system is shared by every scenario; the scenarios run in order,
// each leaves the system as it found it (every node announcing, both controllers up), and each is a sequence
// of the named steps below — a failure names the step.
import { readFileSync } from 'node:fs';
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { CONFIG_MAP, HERALD_NAMESPACE, NODE_ASN, nodeName } from './constants.ts';
import { eventually } from './eventually.ts';
import { apiStatus, describeWith } from './kube/index.ts';
import {
  familyOf,
  nodeIpv4,
  nodeIpv6,
  type RibRoute,
  waitForKernelRoute,
  waitForPaths,
  withLab,
} from './lab/index.ts';
import { step } from './steps.ts';
import {
  type ChartValues,
  createService,
  eventsFor,
  type HeraldSystem,
  type ProbeSummary,
  type ServiceInput,
  startSystem,
  urlFor,
  waitForIngress,
} from './system/index.ts';

const ALL = [0, 1, 2];
const addressesOf = (nodes: readonly number[], ip: string) =>
  nodes.map((i) => (familyOf(ip) === 'ipv4' ? nodeIpv4(i) : nodeIpv6(i))).sort();
const nexthops = (paths: readonly RibRoute[]) => paths.map((p) => p.nexthop).sort();
const prefixOf = (ip: string) => (ip.includes(':') ? `${ip}/128` : `${ip}/32`);
const same = (a: readonly string[], b: readonly string[]) => a.join(',') === b.join(',');

function inRange(ip: string, prefix: string, first: number, last: number): boolean {
  if (!ip.startsWith(prefix)) return false;
  const n = Number(ip.slice(prefix.length));
  return n >= first && n <= last;
}

describeWith(
  withLab({ binaries: ['kube-apiserver', 'etcd', 'helm', 'curl'] }),
  'Herald end to end: chart, controllers, speakers, FRR, client',
  () => {
    let sys: HeraldSystem;
    /** The demo Service (Cluster, endpoints on every node) every later scenario checks stays reachable. */
    let demoIp: string;

    beforeAll(async () => {
      sys = await startSystem({
        // node-2 withdraws on SIGTERM (the "stopped without graceful restart" scenario); the others keep the
        // program's default, graceful restart.
        speakerArgs: (i) => (i === 2 ? ['--shutdown-mode=withdraw'] : []),
      });
    }, 180_000);

    afterAll(async () => {
      await sys?.stop();
    }, 60_000);

    // ---- the steps ----

    /** A LoadBalancer Service with a ready endpoint on each of NODES; resolves with its COUNT addresses. */
    const serviceWithEndpoints = (
      name: string,
      nodes: readonly number[],
      input: ServiceInput = {},
      count = 1,
    ) =>
      step(`create Service ${name} with endpoints on nodes [${nodes}]`, async () => {
        await createService(sys.core, name, input);
        await sys.putEndpoints(name, nodes);
        return waitForIngress(sys.core, name, { count });
      });

    /** FRR's paths for IP come from exactly NODES (one ECMP next hop each, none stale). */
    const announcedBy = (ip: string, nodes: readonly number[]) =>
      step(`FRR has ${ip} from nodes [${nodes}]`, async () => {
        const want = addressesOf(nodes, ip);
        const paths = await waitForPaths(
          sys.frr,
          familyOf(ip),
          prefixOf(ip),
          (p) => same(nexthops(p), want) && p.every((x) => !x.stale),
          `from nodes [${nodes}]`,
        );
        expect(nexthops(paths)).toEqual(want);
        return paths;
      });

    /** FRR installed IP in the router's kernel as one route with a next hop per node of NODES. */
    const installedVia = (ip: string, nodes: readonly number[]) =>
      step(`the router's kernel routes ${ip} via nodes [${nodes}]`, async () => {
        const want = addressesOf(nodes, ip);
        const gateways = await waitForKernelRoute(
          sys.lab,
          familyOf(ip),
          ip,
          (g) => same(g, want),
          `via [${want}]`,
        );
        expect(gateways).toEqual(want);
      });

    /** The kube-proxy stand-ins (which watch the same objects independently of the speakers) serve IP on NODES. */
    const servedBy = (ip: string, nodes: readonly number[]) =>
      step(`${ip} is served by nodes [${nodes}]`, () => sys.waitForServed(ip, nodes));

    /** COUNT HTTP requests from the client namespace, each on a new connection; every one answered. */
    const clientRequests = (ip: string, count: number) =>
      step(`the client sends ${count} requests to ${urlFor(ip)}`, async (): Promise<ProbeSummary> => {
        const summary = await sys.probe(urlFor(ip), count);
        expect(summary.errors).toEqual([]);
        expect(summary.ok).toBe(count);
        return summary;
      });

    /** Every existing Service keeps exactly the addresses it had. */
    const addressesUnchanged = (before: ReadonlyMap<string, string[]>) =>
      step('no Service moved', async () => {
        for (const [name, ips] of before) expect(await waitForIngress(sys.core, name)).toEqual(ips);
      });

    // ---- the scenarios ----

    test('Service created → EXTERNAL-IP set → 3 ECMP next hops in FRR → the client reaches several nodes', async () => {
      [demoIp] = (await serviceWithEndpoints('demo', ALL)) as [string];
      expect(inRange(demoIp, '198.51.100.', 0, 63)).toBe(true);
      const paths = await announcedBy(demoIp, ALL);
      expect(paths.every((p) => p.asPath.join(' ') === String(NODE_ASN))).toBe(true);
      // FRR installed it as one multipath route in the router's kernel.
      await installedVia(demoIp, ALL);
      await servedBy(demoIp, ALL);
      // 60 connections, each from a new source port: L4 multipath hashing spreads them over the nodes.
      const summary = await clientRequests(demoIp, 60);
      expect(Object.keys(summary.byNode).length).toBeGreaterThan(1);
      for (const node of Object.keys(summary.byNode)) expect(ALL.map(nodeName)).toContain(node);
    }, 120_000);

    test('externalTrafficPolicy Local → only endpoint nodes announce, and traffic lands only there', async () => {
      const [ip] = (await serviceWithEndpoints('local', [1], { policy: 'Local' })) as [string];
      await announcedBy(ip, [1]);
      await servedBy(ip, [1]);
      expect((await clientRequests(ip, 20)).byNode).toEqual({ 'node-1': 20 });

      await step('the endpoint moves: node-2 gains one, node-1 loses its own', () =>
        sys.putEndpoints('local', [2]),
      );
      await announcedBy(ip, [2]);
      await servedBy(ip, [2]);
      expect((await clientRequests(ip, 20)).byNode).toEqual({ 'node-2': 20 });
    }, 120_000);

    test('a dual-stack Service is reachable over IPv4 and IPv6', async () => {
      const ips = await serviceWithEndpoints('dual', ALL, { dualStack: true }, 2);
      const v4 = ips.find((ip) => !ip.includes(':'));
      const v6 = ips.find((ip) => ip.includes(':'));
      expect(v4).toBeDefined();
      expect(v6).toMatch(/^2001:db8:100::/);
      for (const ip of [v6!, v4!]) await announcedBy(ip, ALL);
      for (const ip of [v4!, v6!]) await servedBy(ip, ALL);
      for (const ip of [v4!, v6!]) {
        const summary = await clientRequests(ip, 30);
        expect(Object.keys(summary.byNode).length).toBeGreaterThan(1);
      }
    }, 120_000);

    test("RBAC: the programs run as the chart's ServiceAccounts; the speaker's identity may not write Service status", async () => {
      expect(sys.controllerIdentity.username).toBe(
        `system:serviceaccount:${HERALD_NAMESPACE}:herald-controller`,
      );
      expect(sys.speakerIdentity.username).toBe(`system:serviceaccount:${HERALD_NAMESPACE}:herald-speaker`);
      // They worked as those identities: the controller wrote status (above) and holds the Lease.
      expect(sys.controllers.map((c) => c.identity)).toContain(await sys.leader());
      const refused = await step("the speaker's identity patches a Service's status", () =>
        sys.speakerIdentity.kubeConfig
          .makeApiClient(CoreV1Api)
          .patchNamespacedServiceStatus(
            {
              name: 'demo',
              namespace: 'default',
              body: { status: { loadBalancer: { ingress: [{ ip: '198.51.100.250' }] } } },
            },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          )
          .then(
            () => undefined,
            (err: unknown) => err,
          ),
      );
      expect(apiStatus(refused)).toBe(403);
      expect(String((refused as { body?: unknown }).body)).toContain(
        'system:serviceaccount:herald-system:herald-speaker',
      );
      expect(await waitForIngress(sys.core, 'demo')).toEqual([demoIp]);
    }, 120_000);

    test('helm upgrade adding a pool → new Services use it', async () => {
      await step('helm upgrade with a second pool "extra"', async () => {
        const values: ChartValues = sys.currentValues();
        values.config.addressPools.push({
          name: 'extra',
          addresses: ['198.51.100.128/26', '2001:db8:100::1:0/112'],
          autoAssign: false,
        });
        await sys.upgrade(values);
      });
      const [ip] = (await serviceWithEndpoints('extra', ALL, {
        annotations: { 'herald.dev/address-pool': 'extra' },
      })) as [string];
      expect(inRange(ip, '198.51.100.', 128, 191)).toBe(true);
      await announcedBy(ip, ALL);
      await servedBy(ip, ALL);
      await clientRequests(ip, 10);
    }, 120_000);

    test('an invalid pool in the values is refused by helm (values.schema.json); nothing changes', async () => {
      const configMap = () =>
        sys.core.readNamespacedConfigMap({ name: CONFIG_MAP, namespace: HERALD_NAMESPACE });
      const history = () => sys.helm.run(['history', 'herald', '-n', HERALD_NAMESPACE, '-o', 'json']);
      const before = await configMap();
      const historyBefore = history();
      const error = await step('helm upgrade with a pool without a valid name or addresses', () => {
        const values: ChartValues = sys.currentValues();
        values.config.addressPools.push({ name: 'Bad_Pool', addresses: [] });
        return sys.upgrade(values).then(
          () => undefined,
          (e: Error) => e,
        );
      });
      expect(error?.message).toMatch(/values don't meet the specifications of the schema/);
      expect(error?.message).toMatch(/addressPools\/2\/name/);
      expect(error?.message).toMatch(/addressPools\/2\/addresses/);
      expect(history()).toBe(historyBefore);
      expect((await configMap()).data).toEqual(before.data);
    }, 120_000);

    test('an invalid ConfigMap applied directly → ConfigInvalid Event; existing Services untouched', async () => {
      const cm = await sys.core.readNamespacedConfigMap({ name: CONFIG_MAP, namespace: HERALD_NAMESPACE });
      const good = cm.data?.['config.yaml'] ?? '';
      const ipsBefore = new Map<string, string[]>();
      for (const name of ['demo', 'local', 'dual', 'extra'])
        ipsBefore.set(name, await waitForIngress(sys.core, name));
      await step('apply a ConfigMap whose second pool overlaps the default one', () => {
        // The whole document is rejected; the last good one stays.
        const doc = parse(good) as ChartValues['config'];
        doc.addressPools.push({ name: 'overlap', addresses: ['198.51.100.0/28'] });
        return sys.setConfig(stringify(doc));
      });
      try {
        const event = await eventually('a ConfigInvalid Warning Event on the ConfigMap', async () =>
          (await eventsFor(sys.core, HERALD_NAMESPACE, CONFIG_MAP, 'ConfigInvalid')).find(
            (e) => e.type === 'Warning',
          ),
        );
        expect(event.message).toMatch(/addressPools\[\d\]\.addresses\[0\]: "198\.51\.100\.0\/28" overlaps/);
        // A new Service still gets an address — from the last good configuration.
        const [ip] = (await serviceWithEndpoints('during-invalid', ALL)) as [string];
        expect(inRange(ip, '198.51.100.', 0, 63)).toBe(true);
        await announcedBy(ip, ALL);
        // Nothing moved, nothing was withdrawn.
        await addressesUnchanged(ipsBefore);
        await announcedBy(demoIp, ALL);
        await clientRequests(demoIp, 10);
      } finally {
        await sys.setConfig(good);
      }
    }, 120_000);

    test('controller leader killed → the other replica serves new Services', async () => {
      const leader = await sys.leader();
      const index = sys.controllers.findIndex((c) => c.identity === leader);
      expect(index).toBeGreaterThanOrEqual(0);
      const other = sys.controllers[1 - index]!;
      await step(`SIGKILL the leader ${leader}`, () =>
        sys.controllers[index]!.proc.stop({ signal: 'SIGKILL' }),
      );
      const [ip] = (await serviceWithEndpoints('after-failover', ALL)) as [string];
      expect(await sys.leader()).toBe(other.identity);
      await announcedBy(ip, ALL);
      // Nobody else's address moved in the takeover.
      await addressesUnchanged(new Map([['demo', [demoIp]]]));
      // Back to two replicas; the restarted one stands by.
      await step(`restart ${leader}`, () => sys.startController(index));
      expect(await sys.leader()).toBe(other.identity);
    }, 120_000);

    test('a speaker restarted with graceful restart: FRR keeps its routes, the client never loses the VIP', async () => {
      const node = sys.nodes[1]!;
      const loop = await sys.probeLoop(urlFor(demoIp));
      let summary: ProbeSummary | undefined;
      try {
        const exit = await step('SIGTERM the speaker on node-1', () =>
          node.speaker!.stop({ signal: 'SIGTERM', graceMs: 20_000 }),
        );
        expect(exit.code).toBe(0);
        const paths = await step("FRR keeps node-1's path, marked stale, for the restart time", () =>
          waitForPaths(
            sys.frr,
            'ipv4',
            prefixOf(demoIp),
            (p) => p.some((x) => x.nexthop === nodeIpv4(1) && x.stale),
            "node-1's path stale",
          ),
        );
        expect(nexthops(paths)).toEqual(addressesOf(ALL, demoIp));
        await step('start the speaker on node-1 again', () => sys.startSpeaker(1));
        await announcedBy(demoIp, ALL);
      } finally {
        summary = await loop.stop();
      }
      expect(summary.errors).toEqual([]);
      expect(summary.failed).toBe(0);
      expect(summary.ok).toBeGreaterThan(10);
    }, 120_000);

    test('a speaker stopped without graceful restart → its next hop is withdrawn', async () => {
      const exit = await step('SIGTERM the speaker on node-2 (--shutdown-mode=withdraw)', () =>
        sys.nodes[2]!.speaker!.stop({ signal: 'SIGTERM', graceMs: 20_000 }),
      );
      expect(exit.code).toBe(0);
      await announcedBy(demoIp, [0, 1]);
      await installedVia(demoIp, [0, 1]);
      expect((await clientRequests(demoIp, 30)).byNode['node-2']).toBeUndefined();
      // And back.
      await step('start the speaker on node-2 again', () => sys.startSpeaker(2));
      await announcedBy(demoIp, ALL);
    }, 120_000);

    test('no component was refused by RBAC during the whole run', () => {
      // One line per distinct refusal: "herald-controller cannot list resource namespaces".
      const refusals = new Set<string>();
      for (const path of sys.programLogs()) {
        for (const line of readFileSync(path, 'utf8').split('\n')) {
          if (!/is forbidden|\b403\b/.test(line)) continue;
          const what = /serviceaccount:[\w-]+:([\w-]+)\W+ cannot (\w+) resource \W+(\w+)/.exec(line);
          refusals.add(what ? `${what[1]} cannot ${what[2]} resource ${what[3]}` : line.slice(0, 300));
        }
      }
      expect([...refusals]).toEqual([]);
    }, 120_000);
  },
);
