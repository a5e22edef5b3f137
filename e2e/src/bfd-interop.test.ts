// Herald's BFD (RFC 5880) against FRR's bfdd and BIRD's BFD, driven by `heraldctl bgp announce --bfd` in node
// namespaces: IPv4 and IPv6 single hop (RFC 5881) with both routers, multihop (RFC 5883) with FRR. For each:
// the sessions come Up; the router declares a frozen Herald down within its Detection Time and drops BGP;
// Herald declares a router whose BFD packets stop arriving down and closes BGP with Cease / BFD Down
// (RFC 9384); a stopped Herald
// takes BFD AdminDown first; and everything comes back on its own.
import { jest } from '@jest/globals';
import { eventually } from './eventually.ts';
import {
  type AddressFamily,
  announceArgs,
  type BirdRouter,
  createLab,
  describeLab,
  documentedConfig,
  established,
  type FrrRouter,
  type HeraldProcess,
  type Lab,
  notEstablished,
  type RouterKind,
  runIn,
  signal,
  startHerald,
  waitForPaths,
  waitForPeer,
} from './lab/index.ts';

jest.setTimeout(240_000);

interface BfdCase {
  readonly name: string;
  readonly node: number;
  readonly family: AddressFamily;
  readonly multihop: boolean;
  readonly prefix: string;
}

const ASN = 64513;

const CASES: Record<'frr' | 'bird', BfdCase[]> = {
  frr: [
    { name: 'IPv4 single hop', node: 0, family: 'ipv4', multihop: false, prefix: '198.51.100.30/32' },
    { name: 'IPv6 single hop', node: 1, family: 'ipv6', multihop: false, prefix: '2001:db8:100::30/128' },
    { name: 'IPv4 multihop', node: 2, family: 'ipv4', multihop: true, prefix: '198.51.100.31/32' },
  ],
  bird: [
    { name: 'IPv4 single hop', node: 0, family: 'ipv4', multihop: false, prefix: '198.51.100.30/32' },
    { name: 'IPv6 single hop', node: 1, family: 'ipv6', multihop: false, prefix: '2001:db8:100::30/128' },
  ],
};

/** The router's view of its BFD session with `address`: 'up', 'down', 'init', or undefined (none). */
async function routerBfdState(lab: Lab, address: string): Promise<string | undefined> {
  if (lab.router.kind === 'frr') {
    const peer = (await (lab.router as FrrRouter).bfdPeers()).find((p) => p.peer === address);
    return peer?.status;
  }
  return (await (lab.router as BirdRouter).bfdSessions()).get(address)?.toLowerCase();
}

/** NOTIFICATIONs FRR's bgpd has received from the neighbor. */
async function frrNotificationsReceived(lab: Lab, address: string): Promise<number> {
  const n = await (lab.router as FrrRouter).neighbor(address);
  return (n?.messageStats as { notificationsRecv?: number } | undefined)?.notificationsRecv ?? 0;
}

/** Drops (or stops dropping) BFD packets arriving in a node namespace: the router falls silent for it. */
async function dropIncomingBfd(ns: string, drop: boolean): Promise<void> {
  if (drop) {
    await runIn(ns, 'nft', ['add', 'table', 'inet', 'bfdtest']);
    await runIn(ns, 'nft', ['add chain inet bfdtest input { type filter hook input priority 0 ; }']);
    await runIn(ns, 'nft', ['add rule inet bfdtest input udp dport { 3784, 4784 } drop']);
  } else {
    await runIn(ns, 'nft', ['delete', 'table', 'inet', 'bfdtest']);
  }
}

const bfdTo = (to: string) => (e: Record<string, unknown>) => e.event === 'bfd-state' && e.to === to;

describeLab('BFD interop', () => {
  describe.each(['frr', 'bird'] as const)('with %s', (kind: RouterKind & ('frr' | 'bird')) => {
    let lab: Lab;
    const heralds = new Map<string, HeraldProcess>();
    const cases = CASES[kind];
    const address = (c: BfdCase) => (c.family === 'ipv4' ? lab.nodes[c.node]!.ipv4 : lab.nodes[c.node]!.ipv6);
    const start = (c: BfdCase) => {
      const args = announceArgs(lab, {
        node: lab.nodes[c.node]!,
        family: c.family,
        localAsn: ASN,
        prefixes: [c.prefix],
        holdTime: 30,
        bfd: {},
        ...(c.multihop ? { ebgpMultihop: 2 } : {}),
      });
      const h = startHerald(lab, lab.nodes[c.node]!.ns, args);
      heralds.set(c.name, h);
      return h;
    };
    /** BGP Established, the route in the router's RIB, BFD Up on both sides. */
    const allUp = async (c: BfdCase, h: HeraldProcess) => {
      await waitForPeer(lab.router, address(c), established, 'Established');
      await waitForPaths(lab.router, c.family, c.prefix, (p) => p.length > 0, 'from Herald');
      await eventually(`${kind} BFD session with ${address(c)} up`, async () =>
        (await routerBfdState(lab, address(c))) === 'up' ? true : undefined,
      );
      await h.waitForEvent('BFD Up', bfdTo('Up'));
    };

    beforeAll(async () => {
      lab = await createLab({ nodes: cases.length, router: kind });
      for (const c of cases) {
        await lab.router.addPeer({
          address: address(c),
          asn: ASN,
          passive: true,
          families: [c.family],
          holdTime: 30,
          bfd: {},
          ...(c.multihop ? { multihop: 2 } : {}),
        });
      }
      for (const c of cases) start(c);
    });

    afterAll(async () => {
      for (const h of heralds.values()) await h.stop('SIGKILL');
      await lab?.destroy();
    });

    test.each(cases.map((c) => [c.name, c] as const))('%s: BFD and BGP come up together', async (_n, c) => {
      const h = heralds.get(c.name)!;
      await allUp(c, h);
      const started = await h.waitForEvent('bfd-started', (e) => e.event === 'bfd-started');
      expect(started).toMatchObject({
        multihop: c.multihop,
        minReceiveMs: 300,
        minTransmitMs: 300,
        multiplier: 3,
      });
      if (kind === 'frr') {
        const peer = (await (lab.router as FrrRouter).bfdPeers()).find((p) => p.peer === address(c))!;
        // The timers Herald asked for, as FRR read them from our packets.
        expect(peer).toMatchObject({
          multihop: c.multihop,
          'remote-receive-interval': 300,
          'remote-transmit-interval': 300,
          'remote-detect-multiplier': 3,
        });
      }
    });

    test.each(cases.map((c) => [c.name, c] as const))(
      '%s: a frozen Herald is declared down by BFD and its routes withdrawn long before the hold time',
      async (_n, c) => {
        const h = heralds.get(c.name)!;
        await allUp(c, h);
        signal(h.pid, 'SIGSTOP');
        try {
          await eventually(`${kind} BFD session with ${address(c)} down`, async () =>
            (await routerBfdState(lab, address(c))) !== 'up' ? true : undefined,
          );
          // BFD Down made the router drop the session (not the 30 s hold timer), and with it the route.
          await waitForPeer(lab.router, address(c), notEstablished, 'session dropped', 10_000);
          await waitForPaths(lab.router, c.family, c.prefix, (p) => p.length === 0, 'withdrawn', 10_000);
          if (kind === 'frr') {
            // FRR itself closes the session with Cease / BFD Down (RFC 9384) on a BFD Down.
            const n = await (lab.router as FrrRouter).neighbor(address(c));
            expect(n).toMatchObject({
              lastResetDueTo: 'BGP Notification send',
              lastNotificationReason: 'Cease/BFD Down',
            });
          } else {
            expect(await (lab.router as BirdRouter).birdc(['show', 'protocols', 'all'])).toContain(
              'BFD session down',
            );
          }
        } finally {
          signal(h.pid, 'SIGCONT');
        }
        // Herald sees the router's Down, closes and reconnects; everything returns.
        await allUp(c, h);
      },
    );

    test('a silent router is declared down by Herald, which closes BGP with Cease / BFD Down', async () => {
      for (const c of cases) await allUp(c, heralds.get(c.name)!);
      const marks = new Map(cases.map((c) => [c.name, heralds.get(c.name)!.events.length]));
      const notificationsBefore = new Map<string, number>();
      if (kind === 'frr')
        for (const c of cases)
          notificationsBefore.set(c.name, await frrNotificationsReceived(lab, address(c)));
      // The router's BFD packets stop reaching the nodes (an nftables drop in each node namespace); BGP and
      // Herald's own BFD packets still flow.
      for (const c of cases) await dropIncomingBfd(lab.nodes[c.node]!.ns, true);
      try {
        for (const c of cases) {
          const h = heralds.get(c.name)!;
          const since = marks.get(c.name)!;
          const after = (p: (e: Record<string, unknown>) => boolean) => (e: Record<string, unknown>) =>
            h.events.indexOf(e) >= since && p(e);
          const down = await h.waitForEvent('BFD Down', after(bfdTo('Down')));
          expect(down).toMatchObject({ from: 'Up', diagnostic: 'Control Detection Time Expired' });
          const sent = await h.waitForEvent(
            'Cease / BFD Down',
            after((e) => e.event === 'notification-sent'),
          );
          expect(sent).toMatchObject({ code: 6, subcode: 10, subcodeName: 'BFD Down' });
          await waitForPeer(lab.router, address(c), notEstablished, 'session closed', 10_000);
          if (kind === 'frr') {
            // bgpd counted our NOTIFICATION (it may also have seen our BFD Down packet first and reset the
            // session itself: both arrive within a millisecond).
            await eventually(`FRR counted a NOTIFICATION from ${address(c)}`, async () =>
              (await frrNotificationsReceived(lab, address(c))) > notificationsBefore.get(c.name)!
                ? true
                : undefined,
            );
          }
        }
      } finally {
        for (const c of cases) await dropIncomingBfd(lab.nodes[c.node]!.ns, false);
      }
      for (const c of cases) await allUp(c, heralds.get(c.name)!);
    });

    test('stopping Herald takes BFD AdminDown before BGP goes', async () => {
      for (const c of cases) {
        const h = heralds.get(c.name)!;
        await allUp(c, h);
        const exit = await h.stop('SIGTERM');
        expect(exit.code).toBe(0);
        expect(h.events.some(bfdTo('AdminDown'))).toBe(true);
        const adminDown = h.events.findIndex(bfdTo('AdminDown'));
        const stopped = h.events.findIndex((e) => e.event === 'stopped');
        expect(adminDown).toBeLessThan(stopped);
        await eventually(`${kind} BFD session with ${address(c)} down`, async () =>
          (await routerBfdState(lab, address(c))) !== 'up' ? true : undefined,
        );
        if (kind === 'frr') {
          const peer = (await (lab.router as FrrRouter).bfdPeers()).find((p) => p.peer === address(c));
          expect(peer?.['remote-diagnostic']).toBe('administratively down');
        }
      }
    });
  });
});

describeLab('documented BFD router settings (docs/bfd.md)', () => {
  describe.each(['frr', 'bird'] as const)('%s', (kind) => {
    let lab: Lab;
    let herald: HeraldProcess;
    const prefix = '198.51.100.41/32';

    beforeAll(async () => {
      lab = await createLab({ nodes: 1, router: kind });
      if (kind === 'frr') {
        // The BFD block adds to the FRR guide's configuration (its HERALD peer groups).
        await (lab.router as FrrRouter).applyConfig(documentedConfig('frr.md', 'frr'));
        await (lab.router as FrrRouter).applyConfig(documentedConfig('../bfd.md', 'frr-bfd'));
      } else {
        await (lab.router as BirdRouter).appendConfig(documentedConfig('../bfd.md', 'bird-bfd'));
      }
      const node = lab.nodes[0]!;
      herald = startHerald(
        lab,
        node.ns,
        announceArgs(lab, {
          node,
          family: 'ipv4',
          localAsn: 64701,
          peerAsn: 64512,
          prefixes: [prefix],
          bfd: {},
        }),
      );
    });

    afterAll(async () => {
      await herald?.stop('SIGKILL');
      await lab?.destroy();
    });

    test('BFD comes Up with a dynamic neighbor, and a frozen node is withdrawn by it', async () => {
      const address = lab.nodes[0]!.ipv4;
      await waitForPaths(lab.router, 'ipv4', prefix, (p) => p.length === 1, 'from the node');
      await herald.waitForEvent('BFD Up', bfdTo('Up'));
      await eventually(`${kind} BFD session up`, async () =>
        (await routerBfdState(lab, address)) === 'up' ? true : undefined,
      );
      signal(herald.pid, 'SIGSTOP');
      try {
        await waitForPaths(lab.router, 'ipv4', prefix, (p) => p.length === 0, 'withdrawn', 10_000);
      } finally {
        signal(herald.pid, 'SIGCONT');
      }
    });
  });
});
