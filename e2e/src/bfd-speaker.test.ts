// herald-speaker's BFD as the chart runs it (worker thread, native sockets) against FRR 8.4 with bfdd and
// `neighbor … bfd`: sessions, status, metrics and Node Events; malformed packets over the wire, each refused by
// its RFC 5880 §6.8.6 / RFC 5881 check without effect; and the failures BFD is for — a node's link lost, a
// hung speaker (and how `bfd check-control-plane-failure` hands that one back to the hold timer) — next to the
// ones graceful restart is for — a planned restart, a crashed speaker on a node that still forwards. See
// docs/bfd.md for the router settings these behaviours come from.
import { packetFor } from '@herald/bfd/testing';
import { inNetworkNamespace, openUdpSocket, type UdpSocket } from '@herald/native';
import { nodeName } from './constants.ts';
import { eventually } from './eventually.ts';
import { describeWith } from './kube/index.ts';
import {
  type FrrBfdPeer,
  FrrVtyClient,
  nodeIpv4,
  ROUTER_ASN,
  ROUTER_IPV4,
  run,
  waitForPaths,
  withLab,
} from './lab/index.ts';
import { udpDrops } from './native-lab.ts';
import { step } from './steps.ts';
import {
  bfdLabConfig,
  createService,
  type HeraldSystem,
  parseMetrics,
  sampleValue,
  startSystem,
  urlFor,
  valuesWithConfig,
  waitForEvent,
  waitForIngress,
} from './system/index.ts';

interface BfdStatus {
  state: string;
  remoteState: string | null;
  localDiscriminator: number;
  remoteDiscriminator: number;
  transmitIntervalMs: number;
  detectionTimeMs: number;
  counters: { transitions: Record<string, number>; detectionExpiries: number };
}

/** A second router address on the lab link, for packets from the right link but the wrong peer. */
const STRANGER_IPV4 = '203.0.113.2';

describeWith(
  withLab({ binaries: ['kube-apiserver', 'etcd', 'helm', 'curl', 'nft'] }),
  'herald-speaker BFD with FRR',
  () => {
    let sys: HeraldSystem;
    let vip: string;
    const vipPrefix = () => `${vip}/32`;

    beforeAll(async () => {
      sys = await startSystem({
        nodes: 2,
        controllers: 1,
        values: valuesWithConfig(bfdLabConfig(true)),
        routerBfd: {},
      });
      await createService(sys.core, 'web');
      await sys.putEndpoints('web', [0, 1]);
      [vip] = (await waitForIngress(sys.core, 'web')) as [string];
    }, 180_000);

    afterAll(async () => {
      await sys?.stop();
    }, 60_000);

    const bfdOf = async (node: number, peerName = 'router-v4'): Promise<BfdStatus | undefined> =>
      (
        (await sys.speakerStatus(node)).sessions.find((s) => s.peer === peerName) as
          | { bfd?: BfdStatus }
          | undefined
      )?.bfd;

    /** Both nodes: BGP Established in FRR, BFD Up on both sides, the VIP announced by both. */
    const allUp = () =>
      step('every BFD session Up, every node announcing the VIP', async () => {
        for (const node of [0, 1])
          for (const p of ['router-v4', 'router-v6'])
            await eventually(`node-${node} ${p} BFD Up`, async () =>
              (await bfdOf(node, p))?.state === 'Up' ? true : undefined,
            );
        await eventually('FRR: 4 BFD sessions up', async () =>
          (await sys.frr.bfdPeers()).filter((p) => p.status === 'up').length === 4 ? true : undefined,
        );
        await waitForPaths(
          sys.frr,
          'ipv4',
          vipPrefix(),
          (p) => p.filter((x) => !x.stale).length === 2,
          'from both nodes',
        );
      });

    test('BFD comes Up beside BGP: /status, herald_bfd_* metrics, a Node Event, FRR', async () => {
      await allUp();
      expect(await bfdOf(0)).toMatchObject({
        state: 'Up',
        remoteState: 'Up',
        transmitIntervalMs: 300,
        detectionTimeMs: 900,
      });
      // Metrics come from the BFD thread's snapshot (published every second and on each state change).
      const samples = await eventually('periodic packets in the transmit-delay histogram', async () => {
        const s = parseMetrics(await sys.speakerMetrics(0));
        return (sampleValue(s, 'herald_bfd_transmit_delay_seconds_count') ?? 0) > 0 ? s : undefined;
      });
      expect(sampleValue(samples, 'herald_bfd_session_state', { peer: 'router-v4', state: 'Up' })).toBe(1);
      expect(sampleValue(samples, 'herald_bfd_session_state', { peer: 'router-v4', state: 'Down' })).toBe(0);
      expect(sampleValue(samples, 'herald_bfd_packets_sent_total', { peer: 'router-v6' })).toBeGreaterThan(0);
      expect(sampleValue(samples, 'herald_bfd_late_packets_total', { peer: 'router-v4' })).toBeDefined();
      await waitForEvent(sys.core, 'default', nodeName(0), 'BfdSessionUp', 'peer router-v4 (203.0.113.1)');
      const frr = (await sys.frr.bfdPeers()).find((p) => p.peer === nodeIpv4(0))!;
      expect(frr).toMatchObject({ status: 'up', multihop: false, 'remote-detect-multiplier': 3 });
    });

    test('malformed BFD packets over the wire are each discarded by their check, without effect', async () => {
      await allUp();
      const before = (await bfdOf(0))!;
      const beforeSince = (await sys.speakerStatus(0)).sessions.find(
        (s) => s.peer === 'router-v4',
      )!.establishedSince;
      const discards = async () => {
        const samples = parseMetrics(await sys.speakerMetrics(0));
        return (reason: string) =>
          sampleValue(samples, 'herald_bfd_discarded_packets_total', { reason }) ?? 0;
      };
      const start = await discards();
      const kernelDropsBefore = await udpDrops(sys.lab.nodes[0]!.ns, 4, 3784);

      // A packet FRR could have sent, then bent one field at a time. Each carries state AdminDown or Down
      // where the check allows it: accepted, it would take the session down.
      const packet = (state: 'AdminDown' | 'Down' | 'Up') => packetFor(before, { state });
      const bent = (state: 'AdminDown' | 'Down' | 'Up', change: (b: Buffer) => void) => {
        const b = Buffer.from(packet(state));
        change(b);
        return b;
      };
      const withAuth = Buffer.concat([packet('AdminDown'), Buffer.alloc(28)]);
      withAuth[1] = withAuth[1]! | 0x04;
      withAuth[3] = 52;
      withAuth[24] = 4; // Keyed SHA1
      withAuth[25] = 28;
      const cases: [reason: string, data: Buffer][] = [
        ['version', bent('AdminDown', (b) => (b[0] = 0x40 | (b[0]! & 0x1f)))],
        ['length', bent('AdminDown', (b) => (b[3] = 23))],
        ['length', bent('AdminDown', (b) => (b[3] = 40))],
        ['detect-mult-zero', bent('AdminDown', (b) => (b[2] = 0))],
        ['multipoint', bent('AdminDown', (b) => (b[1] = b[1]! | 0x01))],
        ['my-discriminator-zero', bent('AdminDown', (b) => b.writeUInt32BE(0, 4))],
        ['your-discriminator-zero', bent('Up', (b) => b.writeUInt32BE(0, 8))],
        ['authentication', withAuth],
        ['poll-and-final', bent('AdminDown', (b) => (b[1] = b[1]! | 0x30))],
        [
          'no-session',
          bent('AdminDown', (b) => b.writeUInt32BE((before.localDiscriminator ^ 0x5a5a5a5a) >>> 0, 8)),
        ],
        ['truncated', packet('AdminDown').subarray(0, 10)],
      ];
      const sockets: UdpSocket[] = [];
      const open = (local: string, ttl: number) => {
        const s = inNetworkNamespace(sys.lab.routerNs, () =>
          openUdpSocket({ family: 4, port: { from: 49152, to: 65535 }, local, ttl, receive: false }),
        );
        sockets.push(s);
        return s;
      };
      await run('ip', ['-n', sys.lab.routerNs, 'addr', 'add', `${STRANGER_IPV4}/25`, 'dev', 'br0']);
      try {
        const router = open(ROUTER_IPV4, 255);
        for (const [, data] of cases) router.send(data, nodeIpv4(0), 3784);
        // Right discriminators, right link, wrong address: must not drive the session.
        open(STRANGER_IPV4, 255).send(packet('AdminDown'), nodeIpv4(0), 3784);
        // Right everything but the TTL (RFC 5881 §5): the kernel filter drops it before the speaker sees it.
        open(ROUTER_IPV4, 254).send(packet('AdminDown'), nodeIpv4(0), 3784);
      } finally {
        for (const s of sockets) s.close();
        await run('ip', ['-n', sys.lab.routerNs, 'addr', 'del', `${STRANGER_IPV4}/25`, 'dev', 'br0']);
      }
      const expected = new Map<string, number>();
      for (const [reason] of cases) expected.set(reason, (expected.get(reason) ?? 0) + 1);
      expected.set('session-mismatch', 1);
      await eventually(
        'every malformed packet counted under its reason',
        async () => {
          const now = await discards();
          return [...expected].every(([r, n]) => now(r) - start(r) === n) ? true : undefined;
        },
        { intervalMs: 1100 },
      );
      const now = await discards();
      expect(now('ttl') - start('ttl')).toBe(0);
      expect(await udpDrops(sys.lab.nodes[0]!.ns, 4, 3784)).toBe(kernelDropsBefore + 1);
      // Without effect: still Up, no transition, the same BGP session.
      const after = (await bfdOf(0))!;
      expect(after.state).toBe('Up');
      expect(after.counters.transitions).toEqual(before.counters.transitions);
      expect(
        (await sys.speakerStatus(0)).sessions.find((s) => s.peer === 'router-v4')!.establishedSince,
      ).toBe(beforeSince);
    });

    test("a node's link lost: BFD withdraws it at the router and closes the speaker's BGP (Cease/BFD Down)", async () => {
      await allUp();
      const port = 'n1'; // node-1's port on the lab switch
      await step("take down node-1's switch port", () =>
        run('ip', ['-n', sys.lab.routerNs, 'link', 'set', port, 'down']),
      );
      try {
        await step('FRR withdraws node-1 (BFD, not the 9 s hold timer)', async () => {
          await waitForPaths(sys.frr, 'ipv4', vipPrefix(), (p) => p.length === 1, 'from node-0 only', 10_000);
          const n = await sys.frr.neighbor(nodeIpv4(1));
          expect(n).toMatchObject({ lastNotificationReason: 'Cease/BFD Down' });
        });
        await step('the speaker on node-1 saw BFD Down and closed BGP', async () => {
          await waitForEvent(
            sys.core,
            'default',
            nodeName(1),
            'BfdSessionDown',
            'Control Detection Time Expired',
          );
          await eventually('Cease/BFD Down counted by node-1', async () => {
            const samples = parseMetrics(await sys.speakerMetrics(1));
            return (sampleValue(samples, 'herald_speaker_notifications_sent_total', {
              peer: 'router-v4',
              code: '6',
              subcode: '10',
            }) ?? 0) > 0
              ? true
              : undefined;
          });
          expect((await bfdOf(1))?.counters.detectionExpiries).toBeGreaterThan(0);
        });
      } finally {
        await run('ip', ['-n', sys.lab.routerNs, 'link', 'set', port, 'up']);
      }
      await allUp();
    }, 120_000);

    /** One look at a node from the router, taken over bfdd's and bgpd's vty sockets. */
    interface RouterView {
      /** ms since the watch began; for the log only, never asserted. */
      at: number;
      /** bfdd's session with the node (`show bfd peers json`): up, down, init. */
      bfdd: string;
      /** What bgpd was told of that session (`peerBfdInfo.status`): Up, Down. */
      bgpdBfd: string;
      bgpState: string;
      /** The node's path to the VIP in bgpd's RIB. */
      path: 'present' | 'stale' | 'gone';
    }

    /**
     * Samples bfdd and bgpd every ~20 ms until the node's path has left bgpd's RIB, and returns each distinct
     * view in the order seen. The deadline only bounds a hang.
     */
    async function viewsUntilWithdrawn(address: string, deadlineMs = 30_000): Promise<RouterView[]> {
      const bfdd = await FrrVtyClient.open(`${sys.frr.paths.vtyDir}/bfdd.vty`);
      const bgpd = await FrrVtyClient.open(`${sys.frr.paths.vtyDir}/bgpd.vty`).catch((err: unknown) => {
        bfdd.close();
        throw err;
      });
      const views: RouterView[] = [];
      try {
        // bfdd installs its show commands in the enable node only; a vty socket starts in the view node.
        await bfdd.command('enable');
        const start = performance.now();
        for (;;) {
          // Each read comes after the read of what causes it: the path (it leaves after the session), then
          // bgpd's neighbor (told BFD Down after bfdd went down), then bfdd. So a view never shows an effect
          // without its cause. In the opposite order, a change between two reads showed bgpd told Down while
          // bfdd still looked up.
          const route = await bgpd.json<{ paths?: { nexthops?: { ip?: string }[]; stale?: boolean }[] }>(
            `show bgp ipv4 unicast ${vipPrefix()} json`,
          );
          const path = (route.paths ?? []).find((p) => p.nexthops?.some((n) => n.ip === address));
          const neighbor = (
            await bgpd.json<Record<string, { bgpState?: string; peerBfdInfo?: { status?: string } }>>(
              `show bgp neighbors ${address} json`,
            )
          )[address];
          const peer = (await bfdd.json<FrrBfdPeer[]>('show bfd peers json')).find((p) => p.peer === address);
          const view: RouterView = {
            at: Math.round(performance.now() - start),
            bfdd: peer?.status ?? '?',
            bgpdBfd: neighbor?.peerBfdInfo?.status ?? '?',
            bgpState: neighbor?.bgpState ?? '?',
            path: !path ? 'gone' : path.stale ? 'stale' : 'present',
          };
          const last = views.at(-1);
          if (!last || (['bfdd', 'bgpdBfd', 'bgpState', 'path'] as const).some((k) => last[k] !== view[k]))
            views.push(view);
          if (view.path === 'gone') return views;
          if (view.at > deadlineMs)
            throw new Error(`${address}'s path still in bgpd; seen: ${JSON.stringify(views)}`);
          await new Promise((res) => setTimeout(res, 20));
        }
      } finally {
        bfdd.close();
        bgpd.close();
      }
    }

    const timeline = (views: RouterView[]) =>
      views.map((v) => `${v.at} ms bfdd ${v.bfdd}, bgpd BFD ${v.bgpdBfd}, ${v.bgpState}, path ${v.path}`);

    test('a hung speaker (SIGSTOP): BFD withdraws its node at once', async () => {
      await allUp();
      const speaker = sys.nodes[1]!.speaker!;
      process.kill(speaker.pid, 'SIGSTOP');
      let views: RouterView[];
      try {
        views = await viewsUntilWithdrawn(nodeIpv4(1));
        expect(await sys.frr.neighbor(nodeIpv4(1))).toMatchObject({
          lastResetDueTo: 'BGP Notification send',
          lastNotificationReason: 'Cease/BFD Down',
        });
      } finally {
        process.kill(speaker.pid, 'SIGCONT');
      }
      console.log(`hung speaker, neighbor … bfd:\n  ${timeline(views).join('\n  ')}`);
      expect(views.some((v) => v.bfdd === 'down')).toBe(true);
      await allUp();
    }, 120_000);

    // RFC 5882 §4.3.1 lets a router ignore a BFD Down while the peer's control plane restarts, when the peer's
    // BFD shares fate with it (C bit clear). FRR 8.4 does so for a neighbor with `bfd check-control-plane-failure`
    // once graceful restart was negotiated (bgpd/bgp_bfd.c, bfd_session_status_update) — for every Herald
    // session, so the hold timer is all that is left. docs/bfd.md tells users not to set it; this is why.
    test('with `bfd check-control-plane-failure`, FRR ignores the BFD Down of a hung speaker: the hold timer withdraws it', async () => {
      await allUp();
      const node1 = nodeIpv4(1);
      const setting = `neighbor ${node1} bfd check-control-plane-failure`;
      const speaker = sys.nodes[1]!.speaker!;
      let views: RouterView[];
      let neighbor: Record<string, unknown> | undefined;
      await step(`configure ${setting}`, () => sys.frr.applyConfig(`router bgp ${ROUTER_ASN}\n${setting}`));
      try {
        expect((await sys.frr.vtysh(['show running-config'])).output).toContain(setting);
        await allUp();
        process.kill(speaker.pid, 'SIGSTOP');
        try {
          views = await step("watch bfdd and bgpd until node-1's path is gone", () =>
            viewsUntilWithdrawn(node1),
          );
          // Read before SIGCONT: the speaker's own NOTIFICATION on waking would replace the reason.
          neighbor = await sys.frr.neighbor(node1);
        } finally {
          process.kill(speaker.pid, 'SIGCONT');
        }
      } finally {
        await sys.frr.applyConfig(`router bgp ${ROUTER_ASN}\nno ${setting}`);
      }
      console.log(`hung speaker, check-control-plane-failure:\n  ${timeline(views).join('\n  ')}`);
      const first = (seen: (v: RouterView) => boolean) => views.findIndex(seen);
      const bfdDown = first((v) => v.bfdd === 'down');
      const bgpdToldDown = first((v) => v.bgpdBfd === 'Down');
      const sessionDown = first((v) => v.bgpState !== 'Established');
      const pathGone = first((v) => v.path === 'gone');
      // bfdd detected the hang and told bgpd…
      expect(bfdDown).toBeGreaterThan(0);
      expect(bgpdToldDown).toBeGreaterThanOrEqual(bfdDown);
      // …which kept the session and the (not stale) path after that…
      expect(sessionDown).toBeGreaterThan(bgpdToldDown);
      for (const v of views.slice(bgpdToldDown, sessionDown))
        expect(v).toMatchObject({ bgpdBfd: 'Down', bgpState: 'Established', path: 'present' });
      // …until its hold timer expired; only then did the path go.
      expect(pathGone).toBeGreaterThanOrEqual(sessionDown);
      expect(neighbor).toMatchObject({
        lastResetDueTo: 'BGP Notification send',
        lastNotificationReason: 'Hold Timer Expired',
      });
      await allUp();
    }, 120_000);

    /** Polls bgpd every ~20 ms until stopped: how many samples lacked node-1's path to the VIP. */
    async function watchPath(address: string) {
      const vty = await FrrVtyClient.open(`${sys.frr.paths.vtyDir}/bgpd.vty`);
      let samples = 0;
      let missing = 0;
      let stale = 0;
      let running = true;
      const loop = (async () => {
        while (running) {
          const r = await vty.json<{ paths?: { nexthops?: { ip?: string }[]; stale?: boolean }[] }>(
            `show bgp ipv4 unicast ${vipPrefix()} json`,
          );
          const path = (r.paths ?? []).find((p) => p.nexthops?.some((n) => n.ip === address));
          samples++;
          if (!path) missing++;
          else if (path.stale) stale++;
          await new Promise((res) => setTimeout(res, 20));
        }
      })();
      return {
        async stop() {
          running = false;
          await loop;
          vty.close();
          return { samples, missing, stale };
        },
      };
    }

    test('a planned restart (SIGTERM, graceful restart): no withdrawal, no failed request', async () => {
      await allUp();
      const watch = await watchPath(nodeIpv4(1));
      const loop = await sys.probeLoop(urlFor(vip));
      let seen: { samples: number; missing: number; stale: number };
      let probes: Awaited<ReturnType<typeof loop.stop>>;
      try {
        const exit = await step('SIGTERM the speaker on node-1', () =>
          sys.nodes[1]!.speaker!.stop({ signal: 'SIGTERM', graceMs: 20_000 }),
        );
        expect(exit.code).toBe(0);
        await step("FRR keeps node-1's path, stale", () =>
          waitForPaths(sys.frr, 'ipv4', vipPrefix(), (p) => p.some((x) => x.stale), 'stale path', 10_000),
        );
        // The speaker took BFD AdminDown after closing BGP: FRR saw it, and it changed nothing.
        const frr = (await sys.frr.bfdPeers()).find((p) => p.peer === nodeIpv4(1))!;
        expect(frr['remote-diagnostic']).toBe('administratively down');
        await step('start the speaker on node-1 again', () => sys.startSpeaker(1));
        await allUp();
      } finally {
        seen = await watch.stop();
        probes = await loop.stop();
      }
      expect(seen.missing).toBe(0);
      expect(seen.stale).toBeGreaterThan(0);
      expect(probes.failed).toBe(0);
      expect(probes.ok).toBeGreaterThan(10);
    }, 180_000);

    test('a crashed speaker (SIGKILL) on a node that still forwards: FRR keeps its routes (graceful restart)', async () => {
      await allUp();
      const loop = await sys.probeLoop(urlFor(vip));
      let probes: Awaited<ReturnType<typeof loop.stop>>;
      try {
        await step('SIGKILL the speaker on node-1', () => sys.nodes[1]!.speaker!.stop({ signal: 'SIGKILL' }));
        // RFC 5882 §4.3.1: with the C bit clear, a BFD failure may be a control-plane restart; FRR (helper
        // since the TCP session closed first) keeps the stale routes, and node-1's data path still serves.
        await step("FRR keeps node-1's path, stale, after the BFD Detection Time", async () => {
          await eventually('FRR BFD session with node-1 down', async () =>
            (await sys.frr.bfdPeers()).find((p) => p.peer === nodeIpv4(1))?.status === 'down'
              ? true
              : undefined,
          );
          const paths = await sys.frr.route('ipv4', vipPrefix());
          expect(paths.filter((p) => p.nexthop === nodeIpv4(1) && p.stale)).toHaveLength(1);
        });
        await step('start the speaker on node-1 again', () => sys.startSpeaker(1));
        await allUp();
      } finally {
        probes = await loop.stop();
      }
      expect(probes.failed).toBe(0);
    }, 180_000);
  },
);
