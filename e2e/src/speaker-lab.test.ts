// herald-speaker end to end: a real kube-apiserver, FRR in a router namespace and three node namespaces,
// each running the speaker as the chart's DaemonSet would (its args, its ServiceAccount's RBAC, the apiserver
// through the netns forwarder). No controller runs: the test writes Nodes, Service status and EndpointSlices
// directly and asserts what FRR and the router namespace's kernel end up with.
import { join } from 'node:path';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { NODE_ASN, REPO_ROOT, SPEAKER_METRICS_PORT } from './constants.ts';
import { eventually, sleep } from './eventually.ts';
import { describeWith } from './kube/index.ts';
import {
  gateways,
  nodeIpv4,
  nodeIpv6,
  ROUTER_ASN,
  ROUTER_IPV4,
  ROUTER_IPV6,
  runIn,
  waitForKernelRoute,
  waitForPaths,
  withLab,
} from './lab/index.ts';
import {
  createNamespace,
  createService,
  type EndpointSpec,
  eventsFor,
  type HeraldSystem,
  putEndpointSlice,
  type ServiceInput,
  setIngress,
  startSystem,
  valuesWithConfig,
} from './system/index.ts';

const NODE_V4 = [0, 1, 2].map(nodeIpv4);
const NODE_V6 = [0, 1, 2].map(nodeIpv6);
/** Where the Services and their EndpointSlices live. */
const APPS = 'apps';

const config = (r6HoldTime = '9s') => `
addressPools:
  - name: main
    addresses: [198.51.100.0/26, 2001:db8:100::/112]
  - name: zoned
    addresses: [198.51.100.64/26, 2001:db8:100::1:0/112]
peers:
  - name: r4
    peerAddress: ${ROUTER_IPV4}
    peerASN: ${ROUTER_ASN}
    myASN: ${NODE_ASN}
    holdTime: 9s
  - name: r6
    peerAddress: ${ROUTER_IPV6}
    peerASN: ${ROUTER_ASN}
    myASN: ${NODE_ASN}
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

const nexthops = (paths: Array<{ nexthop: string }>) => paths.map((p) => p.nexthop).sort();
const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

describeWith(
  withLab({ binaries: ['kube-apiserver', 'etcd', 'helm', 'curl'] }),
  'herald-speaker against FRR and a real apiserver',
  () => {
    let sys: HeraldSystem;

    beforeAll(async () => {
      // Every speaker peers over IPv4 and IPv6; startSystem waits for all 6 sessions in FRR.
      sys = await startSystem({
        nodes: 3,
        nodeLabels: (i) => ({ zone: i === 0 ? 'a' : 'b' }),
        values: { ...valuesWithConfig(config()), speaker: { logLevel: 'debug' } },
        controllers: 0,
        dataPlane: false,
      });
      await createNamespace(sys.core, APPS);
    }, 240_000);

    afterAll(async () => {
      await sys?.stop();
    }, 60_000);

    /** A LoadBalancer Service in APPS whose status has IPS (what the controller would have written). */
    async function loadBalancer(name: string, ips: readonly string[], input: ServiceInput = {}) {
      await createService(sys.core, name, { ...input, namespace: APPS });
      await setIngress(sys.core, name, APPS, ips);
    }

    const putSlice = (service: string, endpoints: EndpointSpec[], family: 'IPv4' | 'IPv6' = 'IPv4') =>
      putEndpointSlice(sys.discovery, service, endpoints, { namespace: APPS, family });

    /** Waits until node `i`'s speaker has applied the EndpointSlice watch up to `rv`. */
    async function sliceSeen(i: number, rv: string) {
      await eventually(`node-${i} saw endpointslices rv ${rv}`, async () => {
        const s = await sys.speakerStatus(i);
        const seen = s.kube.find((k) => k.resource === 'endpointslices')?.resourceVersion ?? '0';
        return BigInt(seen) >= BigInt(rv);
      });
    }

    async function sliceRv(name: string) {
      const s = await sys.discovery.readNamespacedEndpointSlice({ name, namespace: APPS });
      return s.metadata!.resourceVersion!;
    }

    test('Cluster: every node announces the /32 — 3 ECMP paths in FRR and 3 kernel nexthops', async () => {
      await loadBalancer('c1', ['198.51.100.10']);
      await putSlice('c1', [{ node: 'node-0', address: '10.244.0.10' }]);
      const paths = await waitForPaths(
        sys.frr,
        'ipv4',
        '198.51.100.10/32',
        (p) => p.length === 3,
        'from 3 nodes',
      );
      expect(nexthops(paths)).toEqual(NODE_V4);
      const gws = await waitForKernelRoute(
        sys.lab,
        'ipv4',
        '198.51.100.10',
        (g) => g.length === 3,
        'with 3 nexthops',
      );
      expect(gws).toEqual(NODE_V4);
      // Each node told the user, with an Event on the Service, that it announces it.
      const events = await eventually('AnnouncementStarted Events from 3 nodes', async () => {
        const started = await eventsFor(sys.core, APPS, 'c1', 'AnnouncementStarted');
        return started.length >= 3 && started;
      });
      expect(new Set(events.map((e) => e.source?.host))).toEqual(new Set(['node-0', 'node-1', 'node-2']));
      // FRR advertises the route back to the nodes (AS_PATH 64512 64600, their own AS), to each when its
      // advertisement interval allows (up to 30 s with `frr defaults traditional`) and except, in some update
      // groups, to the node its best path came from. The speakers drop it as a loop (RFC 4271 §9.1.2) and count
      // nothing, so maxPrefixes is never spent on echoes.
      const r4 = async (i: number) => (await sys.speakerStatus(i)).sessions.find((x) => x.peer === 'r4');
      const echoedTo = await eventually('an echo seen and dropped as a loop', async () => {
        for (const i of [0, 1, 2]) if (((await r4(i))?.asPathLoops ?? 0) > 0) return i + 1;
        return false;
      });
      const advertised = await sys.frr.vtyshJson<{ advertisedRoutes?: Record<string, unknown> }>(
        `show bgp ipv4 unicast neighbors ${NODE_V4[echoedTo - 1]} advertised-routes json`,
      );
      expect(Object.keys(advertised.advertisedRoutes ?? {})).toContain('198.51.100.10/32');
      for (const i of [0, 1, 2]) {
        const s = await r4(i);
        expect([s?.prefixesReceived?.ipv4, s?.prefixLimitReached]).toEqual([0, 0]);
      }
    }, 90_000);

    test('Cluster without any serving endpoint is withdrawn', async () => {
      await putSlice('c1', [{ node: 'node-0', address: '10.244.0.10', ready: false, serving: false }]);
      await waitForPaths(sys.frr, 'ipv4', '198.51.100.10/32', (p) => p.length === 0, 'withdrawn');
      await putSlice('c1', [{ node: 'node-0', address: '10.244.0.10' }]);
      await waitForPaths(sys.frr, 'ipv4', '198.51.100.10/32', (p) => p.length === 3, 'back from 3 nodes');
    }, 90_000);

    test('Local: only the node with the endpoint announces; the next hop follows the endpoint', async () => {
      await loadBalancer('l1', ['198.51.100.11'], { policy: 'Local' });
      await putSlice('l1', [{ node: 'node-1', address: '10.244.1.11' }]);
      let paths = await waitForPaths(sys.frr, 'ipv4', '198.51.100.11/32', (p) => p.length > 0, 'announced');
      // Other speakers have processed the same slice by now (they saw it at the same time); make sure.
      const rv = await sliceRv('l1-ipv4');
      for (const i of [0, 2]) await sliceSeen(i, rv);
      paths = await sys.frr.route('ipv4', '198.51.100.11/32');
      expect(nexthops(paths)).toEqual([NODE_V4[1]]);
      expect(gateways((await sys.lab.kernelRoutes('ipv4')).find((r) => r.dst === '198.51.100.11'))).toEqual([
        NODE_V4[1],
      ]);

      await putSlice('l1', [{ node: 'node-2', address: '10.244.2.11' }]);
      paths = await waitForPaths(
        sys.frr,
        'ipv4',
        '198.51.100.11/32',
        (p) => sameSet(nexthops(p), [NODE_V4[2]!]),
        'moved to node-2',
      );
      expect(nexthops(paths)).toEqual([NODE_V4[2]]);
    }, 90_000);

    test('Local: a terminating-but-serving endpoint keeps the route; not serving withdraws it', async () => {
      await putSlice('l1', [
        { node: 'node-2', address: '10.244.2.11', ready: false, serving: true, terminating: true },
      ]);
      await sliceSeen(2, await sliceRv('l1-ipv4'));
      // Observe for a while: the route must stay the whole time.
      for (let k = 0; k < 10; k++) {
        expect(nexthops(await sys.frr.route('ipv4', '198.51.100.11/32'))).toEqual([NODE_V4[2]]);
        await sleep(200);
      }
      await putSlice('l1', [
        { node: 'node-2', address: '10.244.2.11', ready: false, serving: false, terminating: true },
      ]);
      await waitForPaths(sys.frr, 'ipv4', '198.51.100.11/32', (p) => p.length === 0, 'withdrawn');
      await putSlice('l1', [{ node: 'node-2', address: '10.244.2.11' }]);
      await waitForPaths(sys.frr, 'ipv4', '198.51.100.11/32', (p) => p.length === 1, 'back');
    }, 90_000);

    test('a changed IP moves the route; a deleted Service is withdrawn', async () => {
      await setIngress(sys.core, 'l1', APPS, ['198.51.100.12']);
      await waitForPaths(sys.frr, 'ipv4', '198.51.100.12/32', (p) => p.length === 1, 'new IP announced');
      await waitForPaths(sys.frr, 'ipv4', '198.51.100.11/32', (p) => p.length === 0, 'old IP withdrawn');
      await sys.core.deleteNamespacedService({ name: 'l1', namespace: APPS });
      await waitForPaths(
        sys.frr,
        'ipv4',
        '198.51.100.12/32',
        (p) => p.length === 0,
        'withdrawn after delete',
      );
    }, 90_000);

    test('dual-stack: /32 and /128 from every node', async () => {
      await loadBalancer('d1', ['198.51.100.20', '2001:db8:100::20'], { dualStack: true });
      await putSlice('d1', [{ node: 'node-0', address: '10.244.0.20' }]);
      await putSlice('d1', [{ node: 'node-1', address: 'fd12::20' }], 'IPv6');
      const v4 = await waitForPaths(
        sys.frr,
        'ipv4',
        '198.51.100.20/32',
        (p) => p.length === 3,
        'from 3 nodes',
      );
      expect(nexthops(v4)).toEqual(NODE_V4);
      const v6 = await waitForPaths(
        sys.frr,
        'ipv6',
        '2001:db8:100::20/128',
        (p) => p.length === 3,
        'from 3 nodes',
      );
      expect(nexthops(v6)).toEqual(NODE_V6);
      await waitForKernelRoute(sys.lab, 'ipv6', '2001:db8:100::20', (g) => g.length === 3, 'with 3 nexthops');
    }, 90_000);

    test('advertisement node selectors and peer selection', async () => {
      // Pool "zoned" is advertised from zone=b nodes only, and only to peer r4 (the IPv4 session).
      await loadBalancer('z1', ['198.51.100.70', '2001:db8:100::1:70'], { dualStack: true });
      await putSlice('z1', [{ node: 'node-0', address: '10.244.0.70' }]);
      const v4 = await waitForPaths(
        sys.frr,
        'ipv4',
        '198.51.100.70/32',
        (p) => p.length === 2,
        'from zone b',
      );
      expect(nexthops(v4)).toEqual([NODE_V4[1], NODE_V4[2]]);
      // The IPv6 address is handed to r4 only (which does not carry IPv6), never to r6.
      const s1 = await sys.speakerStatus(1);
      expect(s1.announced.r4?.map((r) => r.prefix)).toEqual(expect.arrayContaining(['198.51.100.70/32']));
      expect(s1.announced.r6?.map((r) => r.prefix) ?? []).not.toContain('2001:db8:100::1:70/128');
      expect(await sys.frr.route('ipv6', '2001:db8:100::1:70/128')).toEqual([]);
      const s0 = await sys.speakerStatus(0);
      expect(
        Object.values(s0.announced)
          .flat()
          .map((r) => r.prefix),
      ).not.toContain('198.51.100.70/32');
    }, 90_000);

    test('a config change to one peer resets only that session', async () => {
      const before = await sys.speakerStatus(0);
      const r4Before = before.sessions.find((s) => s.peer === 'r4')!;
      const r6Before = before.sessions.find((s) => s.peer === 'r6')!;
      expect(r4Before.established).toBe(true);
      const frrR4Before = (await sys.frr.neighbor(NODE_V4[0]!)) as { connectionsEstablished?: number };
      await sys.setConfig(config('12s'));
      await eventually('r6 session on node-0 re-established with the new hold time', async () => {
        const s = (await sys.speakerStatus(0)).sessions.find((x) => x.peer === 'r6');
        return s?.established && s.establishedSince !== r6Before.establishedSince;
      });
      const r4After = (await sys.speakerStatus(0)).sessions.find((s) => s.peer === 'r4')!;
      expect(r4After.establishedSince).toBe(r4Before.establishedSince);
      expect(r4After.establishedTransitions).toBe(r4Before.establishedTransitions);
      const frrR4After = (await sys.frr.neighbor(NODE_V4[0]!)) as { connectionsEstablished?: number };
      expect(frrR4After.connectionsEstablished).toBe(frrR4Before.connectionsEstablished);
      // The restarted IPv6 session got its routes back.
      await waitForPaths(sys.frr, 'ipv6', '2001:db8:100::20/128', (p) => p.length === 3, 'after r6 restarts');
    }, 90_000);

    test('heraldctl status shows every session of a speaker as a table and as JSON', async () => {
      const cli = join(REPO_ROOT, 'packages/cli/src/main.ts');
      const target = `127.0.0.1:${SPEAKER_METRICS_PORT}`;
      // As an operator would: a token of a status reader, the chart's CA and the certificate's name.
      const access = (await sys.readerAccess()).heraldctlArgs;
      const table = await runIn(sys.lab.nodes[1]!.ns, process.execPath, [
        '--no-warnings',
        cli,
        'status',
        '--speaker',
        target,
        ...access,
      ]);
      const lines = table.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^NODE\s+PEER\s+STATE\s+BFD\s+UPTIME\s+PREFIXES\s+LAST ERROR/);
      expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 4).join(' '))).toEqual([
        'node-1 r4 (203.0.113.1) Established',
        'node-1 r6 (2001:db8:1::1) Established',
      ]);
      const json = await runIn(sys.lab.nodes[1]!.ns, process.execPath, [
        '--no-warnings',
        cli,
        'status',
        '--speaker',
        target,
        ...access,
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
      await sys.setConfig('peers:\n  - name: r4\n    peerASN: 0\n');
      await eventually('config reported stale', async () => (await sys.speakerStatus(0)).config.stale);
      const s = await sys.speakerStatus(0);
      expect(s.config.errors.length).toBeGreaterThan(0);
      expect(s.sessions.every((x) => x.established)).toBe(true);
      expect(await sys.frr.route('ipv4', '198.51.100.10/32')).toHaveLength(3);
      await sys.setConfig(config('12s'));
      await eventually('config valid again', async () => !(await sys.speakerStatus(0)).config.stale);
    }, 90_000);

    test('apiserver down for 30 s: routes stay, no churn; updates after it returns are applied', async () => {
      const withdrawsBefore = await Promise.all([0, 1, 2].map((i) => withdrawCount(i)));
      await sys.cp.stopApiserver({ signal: 'SIGKILL' });
      try {
        for (let k = 0; k < 6; k++) {
          await sleep(5_000);
          expect(await sys.frr.route('ipv4', '198.51.100.10/32')).toHaveLength(3);
          expect(await sys.frr.route('ipv6', '2001:db8:100::20/128')).toHaveLength(3);
        }
        expect((await sys.frr.peers()).filter((p) => p.established)).toHaveLength(6);
      } finally {
        await sys.cp.startApiserver();
      }
      await loadBalancer('after', ['198.51.100.30']);
      await putSlice('after', [{ node: 'node-2', address: '10.244.2.30' }]);
      await waitForPaths(
        sys.frr,
        'ipv4',
        '198.51.100.30/32',
        (p) => p.length === 3,
        'created after the outage',
      );
      expect(await sys.frr.route('ipv4', '198.51.100.10/32')).toHaveLength(3);
      const withdrawsAfter = await Promise.all([0, 1, 2].map((i) => withdrawCount(i)));
      expect(withdrawsAfter).toEqual(withdrawsBefore);
    }, 120_000);

    async function withdrawCount(i: number): Promise<number> {
      let total = 0;
      for (const line of (await sys.speakerMetrics(i)).split('\n')) {
        if (line.startsWith('herald_speaker_route_changes_total{') && line.includes('action="withdraw"')) {
          total += Number(line.split(' ').pop());
        }
      }
      return total;
    }

    test('SIGTERM in withdraw mode sends Cease and FRR drops the node at once', async () => {
      await sys.nodes[0]!.speaker!.stop({ signal: 'SIGTERM', graceMs: 20_000 });
      await waitForPaths(sys.frr, 'ipv4', '198.51.100.10/32', (p) => p.length === 2, 'without node-0');
      // graceful-restart is the default mode, but these peers do not enable gracefulRestart: Cease is sent.
      const n = (await sys.frr.neighbor(NODE_V4[0]!)) as {
        lastNotificationReason?: string;
        lastResetDueTo?: string;
      };
      expect(`${n.lastNotificationReason ?? ''} ${n.lastResetDueTo ?? ''}`).toMatch(
        /Administrative Shutdown/i,
      );
      await sys.startSpeaker(0);
      await waitForPaths(sys.frr, 'ipv4', '198.51.100.10/32', (p) => p.length === 3, 'node-0 back');
    }, 90_000);

    test('graceful restart: SIGTERM keeps the routes as stale in FRR until the speaker is back', async () => {
      await sys.setConfig(
        config('12s').replace(
          '    holdTime: 9s\n',
          '    holdTime: 9s\n    gracefulRestart: {enabled: true, restartTime: 60s}\n',
        ),
      );
      for (const i of [0, 1, 2]) {
        await eventually(`node-${i} r4 re-established with graceful restart`, async () => {
          const r4 = (await sys.speakerStatus(i)).sessions.find((x) => x.peer === 'r4');
          return r4?.established && r4.gracefulRestartNegotiated;
        });
      }
      await waitForPaths(
        sys.frr,
        'ipv4',
        '198.51.100.10/32',
        (p) => p.length === 3 && !p.some((x) => x.stale),
        'fresh',
      );
      await sys.nodes[1]!.speaker!.stop({ signal: 'SIGTERM', graceMs: 20_000 });
      const stale = await waitForPaths(
        sys.frr,
        'ipv4',
        '198.51.100.10/32',
        (p) => p.some((x) => x.stale),
        'node-1 path kept as stale',
      );
      expect(stale).toHaveLength(3);
      expect(stale.filter((x) => x.stale).map((x) => x.nexthop)).toEqual([NODE_V4[1]]);
      // The restarted speaker sends its table and End-of-RIB: the stale path becomes fresh again.
      await sys.startSpeaker(1);
      await waitForPaths(
        sys.frr,
        'ipv4',
        '198.51.100.10/32',
        (p) => p.length === 3 && !p.some((x) => x.stale),
        'refreshed',
      );
    }, 90_000);

    test('graceful-restart mode still withdraws from a cordoned node', async () => {
      await sys.core.patchNode(
        { name: 'node-2', body: { spec: { unschedulable: true } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await eventually('node-2 saw the cordon', async () => {
        const s = (await sys.speakerStatus(2)) as unknown as {
          kube: Array<{ resource: string; resourceVersion: string }>;
        };
        const node = await sys.core.readNode({ name: 'node-2' });
        const seen = s.kube.find((k) => k.resource === 'nodes')?.resourceVersion ?? '0';
        return BigInt(seen) >= BigInt(node.metadata!.resourceVersion!);
      });
      await sys.nodes[2]!.speaker!.stop({ signal: 'SIGTERM', graceMs: 20_000 });
      const paths = await waitForPaths(
        sys.frr,
        'ipv4',
        '198.51.100.10/32',
        (p) => p.length === 2,
        'without node-2',
      );
      expect(nexthops(paths)).not.toContain(NODE_V4[2]);
      await sys.core.patchNode(
        { name: 'node-2', body: { spec: { unschedulable: false } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await sys.startSpeaker(2);
      await waitForPaths(sys.frr, 'ipv4', '198.51.100.10/32', (p) => p.length === 3, 'node-2 back');
    }, 90_000);

    test('passive peer: the speaker listens (only now) and the router dials in', async () => {
      const passive = config('12s').replace('    holdTime: 9s\n', '    holdTime: 9s\n    passive: true\n');
      const before = (await sys.speakerStatus(0)).sessions.find((x) => x.peer === 'r4')!;
      // No passive peer yet: nothing listens on the BGP port.
      expect((await runIn(sys.lab.nodes[0]!.ns, 'ss', ['-Htln', 'sport = :179'])).stdout.trim()).toBe('');
      await sys.setConfig(passive);
      for (const i of [0, 1, 2]) {
        await eventually(`node-${i} r4 established by the router's connection`, async () => {
          const r4 = (await sys.speakerStatus(i)).sessions.find((x) => x.peer === 'r4');
          return r4?.established && (i !== 0 || r4.establishedSince !== before.establishedSince)
            ? true
            : undefined;
        });
      }
      const ss = await runIn(sys.lab.nodes[0]!.ns, 'ss', ['-Htln', 'sport = :179']);
      expect(ss.stdout).toMatch(/LISTEN/);
      const paths = await waitForPaths(
        sys.frr,
        'ipv4',
        '198.51.100.10/32',
        (p) => p.length === 3,
        'over passive sessions',
      );
      expect(nexthops(paths)).toEqual(NODE_V4);
    }, 90_000);
  },
);
