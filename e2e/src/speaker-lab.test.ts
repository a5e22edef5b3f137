// herald-speaker end to end: a real kube-apiserver, FRR in a router namespace and three node namespaces,
// each running the speaker binary as the DaemonSet would (service-account RBAC, apiserver through the
// netns forwarder). The test writes Nodes, Service status and EndpointSlices directly and asserts what FRR
// and the router namespace's kernel end up with.
import { type CoreV1Event, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { requireInfra } from './kube/index.ts';
import type { FrrRouter } from './lab/index.ts';
import {
  gateways,
  labUnavailableReason,
  runIn,
  sleep,
  waitFor,
  waitForKernelRoute,
  waitForPaths,
} from './lab/index.ts';
import {
  createLoadBalancer,
  putSlice,
  type SpeakerLab,
  STATUS_PORT,
  setIngress,
  startSpeakerLab,
} from './speaker-harness.ts';

const NODE_V4 = ['203.0.113.11', '203.0.113.12', '203.0.113.13'];
const NODE_V6 = ['2001:db8:1::11', '2001:db8:1::12', '2001:db8:1::13'];

const config = (r6HoldTime = '9s') => `
addressPools:
  - name: main
    addresses: [198.51.100.0/26, 2001:db8:100::/112]
  - name: zoned
    addresses: [198.51.100.64/26, 2001:db8:100::1:0/112]
peers:
  - name: r4
    peerAddress: 203.0.113.1
    peerASN: 64512
    myASN: 64600
    holdTime: 9s
  - name: r6
    peerAddress: 2001:db8:1::1
    peerASN: 64512
    myASN: 64600
    holdTime: ${r6HoldTime}
bgpAdvertisements:
  - name: main
    addressPools: [main]
  - name: zoned
    addressPools: [zoned]
    peers: [r4]
    nodeSelectors:
      - matchLabels: {zone: b}
`;

const runKube = requireInfra(
  { netns: true, binaries: ['kube-apiserver', 'etcd', 'curl', '/usr/lib/frr/bgpd'] },
  'speaker e2e',
);
const runLab = runKube && labUnavailableReason() === undefined;

const nexthops = (paths: Array<{ nexthop: string }>) => paths.map((p) => p.nexthop).sort();
const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

(runLab ? describe : describe.skip)('herald-speaker against FRR and a real apiserver', () => {
  let t: SpeakerLab;
  let frr: FrrRouter;

  beforeAll(async () => {
    t = await startSpeakerLab({
      nodes: 3,
      nodeLabels: (i) => ({ zone: i === 0 ? 'a' : 'b' }),
      config: config(),
    });
    frr = t.lab.router as FrrRouter;
    for (let i = 0; i < 3; i++) await t.startSpeaker(i);
    // Every speaker peers over IPv4 and IPv6.
    await waitFor(
      'all 6 sessions Established in FRR',
      async () => ((await frr.peers()).filter((p) => p.established).length === 6 ? true : undefined),
      { timeoutMs: 60_000 },
    );
  }, 240_000);

  afterAll(async () => {
    await t?.destroy();
  }, 60_000);

  /** Waits until node `i`'s speaker has applied the EndpointSlice watch up to `rv`. */
  async function sliceSeen(i: number, rv: string) {
    await waitFor(`node-${i} saw endpointslices rv ${rv}`, async () => {
      const s = (await t.status(i)) as unknown as {
        kube: Array<{ resource: string; resourceVersion: string }>;
      };
      const seen = s.kube.find((k) => k.resource === 'endpointslices')?.resourceVersion ?? '0';
      return BigInt(seen) >= BigInt(rv) ? true : undefined;
    });
  }

  async function sliceRv(name: string) {
    const s = await t.discovery.readNamespacedEndpointSlice({ name, namespace: 'apps' });
    return s.metadata!.resourceVersion!;
  }

  test('Cluster: every node announces the /32 — 3 ECMP paths in FRR and 3 kernel nexthops', async () => {
    await createLoadBalancer(t.core, 'c1', { ips: ['198.51.100.10'] });
    await putSlice(t.discovery, 'c1', [{ node: 'node-0', address: '10.244.0.10' }]);
    const paths = await waitForPaths(frr, 'ipv4', '198.51.100.10/32', (p) => p.length === 3, 'from 3 nodes');
    expect(nexthops(paths)).toEqual(NODE_V4);
    const gws = await waitForKernelRoute(
      t.lab,
      'ipv4',
      '198.51.100.10',
      (g) => g.length === 3,
      'with 3 nexthops',
    );
    expect(gws).toEqual(NODE_V4);
    // Each node told the user, with an Event on the Service, that it announces it.
    const events = await waitFor('AnnouncementStarted Events from 3 nodes', async () => {
      const list = await t.core.listNamespacedEvent({
        namespace: 'apps',
        fieldSelector: 'involvedObject.name=c1',
      });
      const started = list.items.filter((e: CoreV1Event) => e.reason === 'AnnouncementStarted');
      return started.length >= 3 ? started : undefined;
    });
    expect(new Set(events.map((e) => e.source?.host))).toEqual(new Set(['node-0', 'node-1', 'node-2']));
  }, 90_000);

  test('Cluster without any serving endpoint is withdrawn', async () => {
    await putSlice(t.discovery, 'c1', [
      { node: 'node-0', address: '10.244.0.10', ready: false, serving: false },
    ]);
    await waitForPaths(frr, 'ipv4', '198.51.100.10/32', (p) => p.length === 0, 'withdrawn');
    await putSlice(t.discovery, 'c1', [{ node: 'node-0', address: '10.244.0.10' }]);
    await waitForPaths(frr, 'ipv4', '198.51.100.10/32', (p) => p.length === 3, 'back from 3 nodes');
  }, 90_000);

  test('Local: only the node with the endpoint announces; the next hop follows the endpoint', async () => {
    await createLoadBalancer(t.core, 'l1', { policy: 'Local', ips: ['198.51.100.11'] });
    await putSlice(t.discovery, 'l1', [{ node: 'node-1', address: '10.244.1.11' }]);
    let paths = await waitForPaths(frr, 'ipv4', '198.51.100.11/32', (p) => p.length > 0, 'announced');
    // Other speakers have processed the same slice by now (they saw it at the same time); make sure.
    const rv = await sliceRv('l1-ipv4');
    for (const i of [0, 2]) await sliceSeen(i, rv);
    paths = await frr.route('ipv4', '198.51.100.11/32');
    expect(nexthops(paths)).toEqual([NODE_V4[1]]);
    expect(gateways((await t.lab.kernelRoutes('ipv4')).find((r) => r.dst === '198.51.100.11'))).toEqual([
      NODE_V4[1],
    ]);

    await putSlice(t.discovery, 'l1', [{ node: 'node-2', address: '10.244.2.11' }]);
    paths = await waitForPaths(
      frr,
      'ipv4',
      '198.51.100.11/32',
      (p) => sameSet(nexthops(p), [NODE_V4[2]!]),
      'moved to node-2',
    );
    expect(nexthops(paths)).toEqual([NODE_V4[2]]);
  }, 90_000);

  test('Local: a terminating-but-serving endpoint keeps the route; not serving withdraws it', async () => {
    await putSlice(t.discovery, 'l1', [
      { node: 'node-2', address: '10.244.2.11', ready: false, serving: true, terminating: true },
    ]);
    await sliceSeen(2, await sliceRv('l1-ipv4'));
    // Observe for a while: the route must stay the whole time.
    for (let k = 0; k < 10; k++) {
      expect(nexthops(await frr.route('ipv4', '198.51.100.11/32'))).toEqual([NODE_V4[2]]);
      await sleep(200);
    }
    await putSlice(t.discovery, 'l1', [
      { node: 'node-2', address: '10.244.2.11', ready: false, serving: false, terminating: true },
    ]);
    await waitForPaths(frr, 'ipv4', '198.51.100.11/32', (p) => p.length === 0, 'withdrawn');
    await putSlice(t.discovery, 'l1', [{ node: 'node-2', address: '10.244.2.11' }]);
    await waitForPaths(frr, 'ipv4', '198.51.100.11/32', (p) => p.length === 1, 'back');
  }, 90_000);

  test('a changed IP moves the route; a deleted Service is withdrawn', async () => {
    await setIngress(t.core, 'l1', ['198.51.100.12']);
    await waitForPaths(frr, 'ipv4', '198.51.100.12/32', (p) => p.length === 1, 'new IP announced');
    await waitForPaths(frr, 'ipv4', '198.51.100.11/32', (p) => p.length === 0, 'old IP withdrawn');
    await t.core.deleteNamespacedService({ name: 'l1', namespace: 'apps' });
    await waitForPaths(frr, 'ipv4', '198.51.100.12/32', (p) => p.length === 0, 'withdrawn after delete');
  }, 90_000);

  test('dual-stack: /32 and /128 from every node', async () => {
    await createLoadBalancer(t.core, 'd1', { dualStack: true, ips: ['198.51.100.20', '2001:db8:100::20'] });
    await putSlice(t.discovery, 'd1', [{ node: 'node-0', address: '10.244.0.20' }]);
    await putSlice(t.discovery, 'd1', [{ node: 'node-1', address: 'fd12::20' }], 'IPv6');
    const v4 = await waitForPaths(frr, 'ipv4', '198.51.100.20/32', (p) => p.length === 3, 'from 3 nodes');
    expect(nexthops(v4)).toEqual(NODE_V4);
    const v6 = await waitForPaths(frr, 'ipv6', '2001:db8:100::20/128', (p) => p.length === 3, 'from 3 nodes');
    expect(nexthops(v6)).toEqual(NODE_V6);
    await waitForKernelRoute(t.lab, 'ipv6', '2001:db8:100::20', (g) => g.length === 3, 'with 3 nexthops');
  }, 90_000);

  test('advertisement node selectors and peer selection', async () => {
    // Pool "zoned" is advertised from zone=b nodes only, and only to peer r4 (the IPv4 session).
    await createLoadBalancer(t.core, 'z1', { dualStack: true, ips: ['198.51.100.70', '2001:db8:100::1:70'] });
    await putSlice(t.discovery, 'z1', [{ node: 'node-0', address: '10.244.0.70' }]);
    const v4 = await waitForPaths(frr, 'ipv4', '198.51.100.70/32', (p) => p.length === 2, 'from zone b');
    expect(nexthops(v4)).toEqual([NODE_V4[1], NODE_V4[2]]);
    // The IPv6 address is handed to r4 only (which does not carry IPv6), never to r6.
    const s1 = await t.status(1);
    expect(s1.announced.r4?.map((r) => r.prefix)).toEqual(expect.arrayContaining(['198.51.100.70/32']));
    expect(s1.announced.r6?.map((r) => r.prefix) ?? []).not.toContain('2001:db8:100::1:70/128');
    expect(await frr.route('ipv6', '2001:db8:100::1:70/128')).toEqual([]);
    const s0 = await t.status(0);
    expect(
      Object.values(s0.announced)
        .flat()
        .map((r) => r.prefix),
    ).not.toContain('198.51.100.70/32');
  }, 90_000);

  test('a config change to one peer resets only that session', async () => {
    const before = await t.status(0);
    const r4Before = before.sessions.find((s) => s.peer === 'r4')!;
    const r6Before = before.sessions.find((s) => s.peer === 'r6')!;
    expect(r4Before.established).toBe(true);
    const frrR4Before = (await frr.neighbor(NODE_V4[0]!)) as { connectionsEstablished?: number };
    await t.setConfig(config('12s'));
    await waitFor('r6 session on node-0 re-established with the new hold time', async () => {
      const s = (await t.status(0)).sessions.find((x) => x.peer === 'r6');
      return s?.established && s.establishedSince !== r6Before.establishedSince ? true : undefined;
    });
    const r4After = (await t.status(0)).sessions.find((s) => s.peer === 'r4')!;
    expect(r4After.establishedSince).toBe(r4Before.establishedSince);
    expect(r4After.establishedTransitions).toBe(r4Before.establishedTransitions);
    const frrR4After = (await frr.neighbor(NODE_V4[0]!)) as { connectionsEstablished?: number };
    expect(frrR4After.connectionsEstablished).toBe(frrR4Before.connectionsEstablished);
    // The restarted IPv6 session got its routes back.
    await waitForPaths(frr, 'ipv6', '2001:db8:100::20/128', (p) => p.length === 3, 'after r6 restarts');
  }, 90_000);

  test('heraldctl status shows every session of a speaker as a table and as JSON', async () => {
    const cli = new URL('../../packages/cli/src/main.ts', import.meta.url).pathname;
    const target = `127.0.0.1:${STATUS_PORT}`;
    const table = await runIn(t.lab.nodes[1]!.ns, process.execPath, [
      '--no-warnings',
      cli,
      'status',
      '--speaker',
      target,
    ]);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NODE\s+PEER\s+STATE\s+UPTIME\s+PREFIXES\s+LAST ERROR/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 4).join(' '))).toEqual([
      'node-1 r4 (203.0.113.1) Established',
      'node-1 r6 (2001:db8:1::1) Established',
    ]);
    const json = await runIn(t.lab.nodes[1]!.ns, process.execPath, [
      '--no-warnings',
      cli,
      'status',
      '--speaker',
      target,
      '-o',
      'json',
    ]);
    const doc = JSON.parse(json.stdout) as Array<{
      status: { node: string; announced: Record<string, unknown[]> };
    }>;
    expect(doc[0]!.status.node).toBe('node-1');
    expect(doc[0]!.status.announced.r4!.length).toBeGreaterThan(0);
  }, 90_000);

  test('invalid config keeps the last good one and is reported', async () => {
    await t.setConfig('peers:\n  - name: r4\n    peerASN: 0\n');
    await waitFor('config reported stale', async () => ((await t.status(0)).config.stale ? true : undefined));
    const s = await t.status(0);
    expect(s.config.errors.length).toBeGreaterThan(0);
    expect(s.sessions.every((x) => x.established)).toBe(true);
    expect(await frr.route('ipv4', '198.51.100.10/32')).toHaveLength(3);
    await t.setConfig(config('12s'));
    await waitFor('config valid again', async () => (!(await t.status(0)).config.stale ? true : undefined));
  }, 90_000);

  test('apiserver down for 30 s: routes stay, no churn; updates after it returns are applied', async () => {
    const withdrawsBefore = await Promise.all([0, 1, 2].map((i) => withdrawCount(i)));
    await t.cp.stopApiserver({ signal: 'SIGKILL' });
    try {
      for (let k = 0; k < 6; k++) {
        await sleep(5_000);
        expect(await frr.route('ipv4', '198.51.100.10/32')).toHaveLength(3);
        expect(await frr.route('ipv6', '2001:db8:100::20/128')).toHaveLength(3);
      }
      expect((await frr.peers()).filter((p) => p.established)).toHaveLength(6);
    } finally {
      await t.cp.startApiserver();
    }
    await createLoadBalancer(t.core, 'after', { ips: ['198.51.100.30'] });
    await putSlice(t.discovery, 'after', [{ node: 'node-2', address: '10.244.2.30' }]);
    await waitForPaths(frr, 'ipv4', '198.51.100.30/32', (p) => p.length === 3, 'created after the outage');
    expect(await frr.route('ipv4', '198.51.100.10/32')).toHaveLength(3);
    const withdrawsAfter = await Promise.all([0, 1, 2].map((i) => withdrawCount(i)));
    expect(withdrawsAfter).toEqual(withdrawsBefore);
  }, 120_000);

  async function withdrawCount(i: number): Promise<number> {
    const r = await runIn(t.lab.nodes[i]!.ns, 'curl', ['-sf', `http://127.0.0.1:${STATUS_PORT}/metrics`]);
    let total = 0;
    for (const line of r.stdout.split('\n')) {
      if (line.startsWith('herald_speaker_route_changes_total{') && line.includes('action="withdraw"')) {
        total += Number(line.split(' ').pop());
      }
    }
    return total;
  }

  test('SIGTERM in withdraw mode sends Cease and FRR drops the node at once', async () => {
    const node0 = t.speakers.get('node-0')!;
    await node0.stop('SIGTERM');
    await waitForPaths(frr, 'ipv4', '198.51.100.10/32', (p) => p.length === 2, 'without node-0');
    // graceful-restart is the default mode, but these peers do not enable gracefulRestart: Cease is sent.
    const n = (await frr.neighbor(NODE_V4[0]!)) as {
      lastNotificationReason?: string;
      lastResetDueTo?: string;
    };
    expect(`${n.lastNotificationReason ?? ''} ${n.lastResetDueTo ?? ''}`).toMatch(/Administrative Shutdown/i);
    await t.startSpeaker(0);
    await waitForPaths(frr, 'ipv4', '198.51.100.10/32', (p) => p.length === 3, 'node-0 back');
  }, 90_000);

  test('graceful restart: SIGTERM keeps the routes as stale in FRR until the speaker is back', async () => {
    await t.setConfig(
      config('12s').replace(
        '    holdTime: 9s\n',
        '    holdTime: 9s\n    gracefulRestart: {enabled: true, restartTime: 60s}\n',
      ),
    );
    for (const i of [0, 1, 2]) {
      await waitFor(`node-${i} r4 re-established with graceful restart`, async () => {
        const r4 = (await t.status(i)).sessions.find((x) => x.peer === 'r4') as
          | { established: boolean; gracefulRestartNegotiated?: boolean }
          | undefined;
        return r4?.established && r4.gracefulRestartNegotiated ? true : undefined;
      });
    }
    await waitForPaths(
      frr,
      'ipv4',
      '198.51.100.10/32',
      (p) => p.length === 3 && !p.some((x) => x.stale),
      'fresh',
    );
    await t.speakers.get('node-1')!.stop('SIGTERM');
    const stale = await waitForPaths(
      frr,
      'ipv4',
      '198.51.100.10/32',
      (p) => p.some((x) => x.stale),
      'node-1 path kept as stale',
    );
    expect(stale).toHaveLength(3);
    expect(stale.filter((x) => x.stale).map((x) => x.nexthop)).toEqual([NODE_V4[1]]);
    // The restarted speaker sends its table and End-of-RIB: the stale path becomes fresh again.
    await t.startSpeaker(1);
    await waitForPaths(
      frr,
      'ipv4',
      '198.51.100.10/32',
      (p) => p.length === 3 && !p.some((x) => x.stale),
      'refreshed',
    );
  }, 90_000);

  test('graceful-restart mode still withdraws from a cordoned node', async () => {
    await t.core.patchNode(
      { name: 'node-2', body: { spec: { unschedulable: true } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await waitFor('node-2 saw the cordon', async () => {
      const s = (await t.status(2)) as unknown as {
        kube: Array<{ resource: string; resourceVersion: string }>;
      };
      const node = await t.core.readNode({ name: 'node-2' });
      const seen = s.kube.find((k) => k.resource === 'nodes')?.resourceVersion ?? '0';
      return BigInt(seen) >= BigInt(node.metadata!.resourceVersion!) ? true : undefined;
    });
    await t.speakers.get('node-2')!.stop('SIGTERM');
    const paths = await waitForPaths(
      frr,
      'ipv4',
      '198.51.100.10/32',
      (p) => p.length === 2,
      'without node-2',
    );
    expect(nexthops(paths)).not.toContain(NODE_V4[2]);
    await t.core.patchNode(
      { name: 'node-2', body: { spec: { unschedulable: false } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await t.startSpeaker(2);
    await waitForPaths(frr, 'ipv4', '198.51.100.10/32', (p) => p.length === 3, 'node-2 back');
  }, 90_000);

  test('passive peer: the speaker listens (only now) and the router dials in', async () => {
    const passive = config('12s').replace('    holdTime: 9s\n', '    holdTime: 9s\n    passive: true\n');
    const before = (await t.status(0)).sessions.find((x) => x.peer === 'r4')!;
    // No passive peer yet: nothing listens on the BGP port.
    expect((await runIn(t.lab.nodes[0]!.ns, 'ss', ['-Htln', 'sport = :179'])).stdout.trim()).toBe('');
    await t.setConfig(passive);
    for (const i of [0, 1, 2]) {
      await waitFor(`node-${i} r4 established by the router's connection`, async () => {
        const r4 = (await t.status(i)).sessions.find((x) => x.peer === 'r4');
        return r4?.established && (i !== 0 || r4.establishedSince !== before.establishedSince)
          ? true
          : undefined;
      });
    }
    const ss = await runIn(t.lab.nodes[0]!.ns, 'ss', ['-Htln', 'sport = :179']);
    expect(ss.stdout).toMatch(/LISTEN/);
    const paths = await waitForPaths(
      frr,
      'ipv4',
      '198.51.100.10/32',
      (p) => p.length === 3,
      'over passive sessions',
    );
    expect(nexthops(paths)).toEqual(NODE_V4);
  }, 90_000);
});
