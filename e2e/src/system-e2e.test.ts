// The full system end to end: a real kube-apiserver + etcd, the Helm chart installed with helm, two
// herald-controller replicas and three herald-speakers running with the chart's args AS the chart's
// ServiceAccounts, kube-proxy stand-ins in the node namespaces, FRR as the upstream router and a client
// namespace behind it (e2e/src/system). One system is shared by every scenario; the scenarios run in order
// and each leaves the system as it found it (every node announcing, both controllers up).
import { readFileSync } from 'node:fs';
import { ApiException, CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { requireInfra } from './kube/index.ts';
import {
  labUnavailableReason,
  type RibRoute,
  waitFor,
  waitForKernelRoute,
  waitForPaths,
} from './lab/index.ts';
import {
  type ChartValues,
  CONFIG_MAP,
  HERALD_NAMESPACE,
  type HeraldSystem,
  startSystem,
  urlFor,
} from './system/index.ts';

const run =
  requireInfra(
    { netns: true, binaries: ['kube-apiserver', 'etcd', 'helm', 'curl', '/usr/lib/frr/bgpd'] },
    'full system e2e',
  ) && labUnavailableReason() === undefined;

const NODE_V4 = ['203.0.113.11', '203.0.113.12', '203.0.113.13'];
const NODE_V6 = ['2001:db8:1::11', '2001:db8:1::12', '2001:db8:1::13'];
const nexthops = (paths: readonly RibRoute[]) => paths.map((p) => p.nexthop).sort();
const prefixOf = (ip: string) => (ip.includes(':') ? `${ip}/128` : `${ip}/32`);
const familyOf = (ip: string) => (ip.includes(':') ? ('ipv6' as const) : ('ipv4' as const));

function inRange(ip: string, prefix: string, first: number, last: number): boolean {
  if (!ip.startsWith(prefix)) return false;
  const n = Number(ip.slice(prefix.length));
  return n >= first && n <= last;
}

(run ? describe : describe.skip)('Herald end to end: chart, controllers, speakers, FRR, client', () => {
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

  async function allNodesAnnounce(ip: string): Promise<void> {
    const family = familyOf(ip);
    await waitForPaths(sys.frr, family, prefixOf(ip), (p) => p.length === 3, 'from all 3 nodes');
  }

  test('Service created → EXTERNAL-IP set → 3 ECMP next hops in FRR → the client reaches several nodes', async () => {
    await sys.createService('demo');
    await sys.putEndpoints('demo', [0, 1, 2]);
    [demoIp] = (await sys.waitForIngress('demo')) as [string];
    expect(inRange(demoIp, '198.51.100.', 0, 63)).toBe(true);

    const paths = await waitForPaths(
      sys.frr,
      'ipv4',
      prefixOf(demoIp),
      (p) => p.length === 3,
      'from 3 nodes',
    );
    expect(nexthops(paths)).toEqual(NODE_V4);
    expect(paths.every((p) => p.asPath.join(' ') === '64600')).toBe(true);
    // FRR installed it as one multipath route in the router's kernel.
    expect(
      await waitForKernelRoute(sys.lab, 'ipv4', demoIp, (g) => g.length === 3, 'with 3 nexthops'),
    ).toEqual(NODE_V4);
    // The kube-proxy stand-ins watch the same objects independently of the speakers: wait for them too.
    await sys.waitForServed(demoIp, [0, 1, 2]);

    // 60 connections, each from a new source port: L4 multipath hashing spreads them over the nodes.
    const summary = await sys.probe(urlFor(demoIp), 60);
    expect(summary.errors).toEqual([]);
    expect(summary.ok).toBe(60);
    expect(Object.keys(summary.byNode).length).toBeGreaterThan(1);
    for (const node of Object.keys(summary.byNode)) expect(['node-0', 'node-1', 'node-2']).toContain(node);
  }, 120_000);

  test('externalTrafficPolicy Local → only endpoint nodes announce, and traffic lands only there', async () => {
    await sys.createService('local', { policy: 'Local' });
    await sys.putEndpoints('local', [1]);
    const [ip] = (await sys.waitForIngress('local')) as [string];
    let paths = await waitForPaths(sys.frr, 'ipv4', prefixOf(ip), (p) => p.length === 1, 'from node-1 only');
    expect(nexthops(paths)).toEqual([NODE_V4[1]]);
    await sys.waitForServed(ip, [1]);
    let summary = await sys.probe(urlFor(ip), 20);
    expect(summary.errors).toEqual([]);
    expect(summary.byNode).toEqual({ 'node-1': 20 });

    // The endpoint set changes: node-2 gains one, node-1 loses its own.
    await sys.putEndpoints('local', [2]);
    paths = await waitForPaths(
      sys.frr,
      'ipv4',
      prefixOf(ip),
      (p) => p.length === 1 && p[0]?.nexthop === NODE_V4[2],
      'moved to node-2',
    );
    await sys.waitForServed(ip, [2]);
    summary = await sys.probe(urlFor(ip), 20);
    expect(summary.errors).toEqual([]);
    expect(summary.byNode).toEqual({ 'node-2': 20 });
  }, 120_000);

  test('a dual-stack Service is reachable over IPv4 and IPv6', async () => {
    await sys.createService('dual', { dualStack: true });
    await sys.putEndpoints('dual', [0, 1, 2]);
    const ips = await sys.waitForIngress('dual', 2);
    const v4 = ips.find((ip) => !ip.includes(':'));
    const v6 = ips.find((ip) => ip.includes(':'));
    expect(v4).toBeDefined();
    expect(v6).toMatch(/^2001:db8:100::/);
    const paths6 = await waitForPaths(sys.frr, 'ipv6', prefixOf(v6!), (p) => p.length === 3, 'from 3 nodes');
    expect(nexthops(paths6)).toEqual(NODE_V6);
    await allNodesAnnounce(v4!);
    await sys.waitForServed(v4!, [0, 1, 2]);
    await sys.waitForServed(v6!, [0, 1, 2]);
    for (const ip of [v4!, v6!]) {
      const summary = await sys.probe(urlFor(ip), 30);
      expect(summary.errors).toEqual([]);
      expect(summary.ok).toBe(30);
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
    const asSpeaker = sys.speakerIdentity.kubeConfig.makeApiClient(CoreV1Api);
    let refused: unknown;
    try {
      await asSpeaker.patchNamespacedServiceStatus(
        {
          name: 'demo',
          namespace: 'default',
          body: { status: { loadBalancer: { ingress: [{ ip: '198.51.100.250' }] } } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(ApiException);
    expect((refused as ApiException<unknown>).code).toBe(403);
    expect(String((refused as ApiException<unknown>).body)).toContain(
      'system:serviceaccount:herald-system:herald-speaker',
    );
    expect(await sys.waitForIngress('demo')).toEqual([demoIp]);
  }, 120_000);

  test('helm upgrade adding a pool → new Services use it', async () => {
    const values: ChartValues = sys.currentValues();
    values.config.addressPools.push({
      name: 'extra',
      addresses: ['198.51.100.128/26', '2001:db8:100::1:0/112'],
      autoAssign: false,
    });
    await sys.upgrade(values);
    await sys.createService('extra', { annotations: { 'herald.dev/address-pool': 'extra' } });
    await sys.putEndpoints('extra', [0, 1, 2]);
    const [ip] = (await sys.waitForIngress('extra')) as [string];
    expect(inRange(ip, '198.51.100.', 128, 191)).toBe(true);
    await allNodesAnnounce(ip);
    await sys.waitForServed(ip, [0, 1, 2]);
    const summary = await sys.probe(urlFor(ip), 10);
    expect(summary.errors).toEqual([]);
  }, 120_000);

  test('an invalid pool in the values is refused by helm (values.schema.json); nothing changes', async () => {
    const before = await sys.core.readNamespacedConfigMap({ name: CONFIG_MAP, namespace: HERALD_NAMESPACE });
    const history = await sys.helm(['history', 'herald', '-n', HERALD_NAMESPACE, '-o', 'json']);
    const values: ChartValues = sys.currentValues();
    values.config.addressPools.push({ name: 'Bad_Pool', addresses: [] });
    const error = await sys.upgrade(values).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/values don't meet the specifications of the schema/);
    expect(error?.message).toMatch(/addressPools\/2\/name/);
    expect(error?.message).toMatch(/addressPools\/2\/addresses/);
    expect(await sys.helm(['history', 'herald', '-n', HERALD_NAMESPACE, '-o', 'json'])).toBe(history);
    const after = await sys.core.readNamespacedConfigMap({ name: CONFIG_MAP, namespace: HERALD_NAMESPACE });
    expect(after.data).toEqual(before.data);
  }, 120_000);

  test('an invalid ConfigMap applied directly → ConfigInvalid Event; existing Services untouched', async () => {
    const cm = await sys.core.readNamespacedConfigMap({ name: CONFIG_MAP, namespace: HERALD_NAMESPACE });
    const good = cm.data?.['config.yaml'] ?? '';
    const ipsBefore = new Map<string, string[]>();
    for (const name of ['demo', 'local', 'dual', 'extra'])
      ipsBefore.set(name, await sys.waitForIngress(name));
    // A second pool overlapping the default one: the whole document is rejected, the last good one stays.
    const doc = parse(good) as ChartValues['config'];
    doc.addressPools.push({ name: 'overlap', addresses: ['198.51.100.0/28'] });
    const bad = stringify(doc);
    await sys.core.patchNamespacedConfigMap(
      { name: CONFIG_MAP, namespace: HERALD_NAMESPACE, body: { data: { 'config.yaml': bad } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    try {
      const event = await waitFor('a ConfigInvalid Event on the ConfigMap', async () => {
        const list = await sys.core.listNamespacedEvent({
          namespace: HERALD_NAMESPACE,
          fieldSelector: `involvedObject.name=${CONFIG_MAP}`,
        });
        return list.items.find((e) => e.reason === 'ConfigInvalid' && e.type === 'Warning');
      });
      expect(event.message).toMatch(/addressPools\[\d\]\.addresses\[0\]: "198\.51\.100\.0\/28" overlaps/);
      // A new Service still gets an address — from the last good configuration.
      await sys.createService('during-invalid');
      await sys.putEndpoints('during-invalid', [0, 1, 2]);
      const [ip] = (await sys.waitForIngress('during-invalid')) as [string];
      expect(inRange(ip, '198.51.100.', 0, 63)).toBe(true);
      await allNodesAnnounce(ip);
      // Nothing moved, nothing was withdrawn.
      for (const [name, ips] of ipsBefore) expect(await sys.waitForIngress(name)).toEqual(ips);
      await allNodesAnnounce(demoIp);
      const summary = await sys.probe(urlFor(demoIp), 10);
      expect(summary.errors).toEqual([]);
    } finally {
      await sys.core.patchNamespacedConfigMap(
        { name: CONFIG_MAP, namespace: HERALD_NAMESPACE, body: { data: { 'config.yaml': good } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    }
  }, 120_000);

  test('controller leader killed → the other replica serves new Services', async () => {
    const leader = await sys.leader();
    const index = sys.controllers.findIndex((c) => c.identity === leader);
    expect(index).toBeGreaterThanOrEqual(0);
    const other = sys.controllers[1 - index]!;
    await sys.controllers[index]!.proc.stop({ signal: 'SIGKILL' });
    await sys.createService('after-failover');
    await sys.putEndpoints('after-failover', [0, 1, 2]);
    const [ip] = (await sys.waitForIngress('after-failover')) as [string];
    expect(await sys.leader()).toBe(other.identity);
    await allNodesAnnounce(ip);
    // Nobody else's address moved in the takeover.
    expect(await sys.waitForIngress('demo')).toEqual([demoIp]);
    // Back to two replicas; the restarted one stands by.
    await sys.startController(index);
    expect(await sys.leader()).toBe(other.identity);
  }, 120_000);

  test('a speaker restarted with graceful restart: FRR keeps its routes, the client never loses the VIP', async () => {
    const node = sys.nodes[1]!;
    const loop = await sys.probeLoop(urlFor(demoIp));
    let summary: Awaited<ReturnType<typeof loop.stop>> | undefined;
    try {
      const exit = await node.speaker!.stop({ signal: 'SIGTERM', graceMs: 20_000 });
      expect(exit.code).toBe(0);
      // While the speaker is down, FRR still has node-1's path — marked stale, kept for the restart time.
      const paths = await waitForPaths(
        sys.frr,
        'ipv4',
        prefixOf(demoIp),
        (p) => p.some((x) => x.nexthop === NODE_V4[1] && x.stale),
        "node-1's path stale",
      );
      expect(nexthops(paths)).toEqual(NODE_V4);
      await sys.startSpeaker(1);
      await waitForPaths(
        sys.frr,
        'ipv4',
        prefixOf(demoIp),
        (p) => p.length === 3 && p.every((x) => !x.stale),
        'fresh from 3 nodes after the restart',
      );
    } finally {
      summary = await loop.stop();
    }
    expect(summary.errors).toEqual([]);
    expect(summary.failed).toBe(0);
    expect(summary.ok).toBeGreaterThan(10);
  }, 120_000);

  test('a speaker stopped without graceful restart → its next hop is withdrawn', async () => {
    const node = sys.nodes[2]!;
    const exit = await node.speaker!.stop({ signal: 'SIGTERM', graceMs: 20_000 });
    expect(exit.code).toBe(0);
    const paths = await waitForPaths(
      sys.frr,
      'ipv4',
      prefixOf(demoIp),
      (p) => p.length === 2,
      'from 2 nodes',
    );
    expect(nexthops(paths)).toEqual([NODE_V4[0], NODE_V4[1]]);
    expect(
      await waitForKernelRoute(sys.lab, 'ipv4', demoIp, (g) => g.length === 2, 'with 2 nexthops'),
    ).toEqual([NODE_V4[0], NODE_V4[1]]);
    const summary = await sys.probe(urlFor(demoIp), 30);
    expect(summary.errors).toEqual([]);
    expect(summary.byNode['node-2']).toBeUndefined();
    // And back.
    await sys.startSpeaker(2);
    await allNodesAnnounce(demoIp);
  }, 120_000);

  test('no component was refused by RBAC during the whole run', () => {
    const logs = [
      ...sys.controllers.map((c) => c.proc.logPath),
      ...sys.nodes.flatMap((n) => (n.speaker ? [n.speaker.logPath] : [])),
    ];
    // One line per distinct refusal: "herald-controller cannot list resource namespaces".
    const refusals = new Set<string>();
    for (const path of logs) {
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        if (!/is forbidden|\b403\b/.test(line)) continue;
        const what = /serviceaccount:[\w-]+:([\w-]+)\W+ cannot (\w+) resource \W+(\w+)/.exec(line);
        refusals.add(what ? `${what[1]} cannot ${what[2]} resource ${what[3]}` : line.slice(0, 300));
      }
    }
    expect([...refusals]).toEqual([]);
  }, 120_000);
});
