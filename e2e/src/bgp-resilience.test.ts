// Failure behaviour against FRR: the receive hold timer (router frozen with SIGSTOP → Herald detects the
// dead peer after the negotiated 3 s hold time and recovers after SIGCONT), router restart (session comes
// back and every route is re-sent), and graceful restart (Herald killed without NOTIFICATION, restarted with
// the R bit: FRR keeps the routes as stale, then fresh after End-of-RIB; without GR they are withdrawn).
import { jest } from '@jest/globals';
import { eventually } from './eventually.ts';
import {
  type AnnounceSpec,
  announceArgs,
  createLab,
  describeLab,
  established,
  type FrrRouter,
  type HeraldProcess,
  type Lab,
  notEstablished,
  startHerald,
  waitForKernelRoute,
  waitForPaths,
  waitForPeer,
} from './lab/index.ts';

jest.setTimeout(180_000);

const ASN = 64513;
const ASN4 = 4200000001; // needs the 4-octet AS capability (RFC 6793)
const establishedCount = (h: HeraldProcess) => h.events.filter((e) => e.event === 'established').length;

describeLab('Herald session resilience against FRR', () => {
  let lab: Lab;
  let frr: FrrRouter;
  const running: HeraldProcess[] = [];
  const start = (node: number, extra: Partial<AnnounceSpec>) => {
    const n = lab.nodes[node]!;
    const h = startHerald(lab, n.ns, announceArgs(lab, { node: n, family: 'ipv4', localAsn: ASN, ...extra }));
    running.push(h);
    return h;
  };

  beforeAll(async () => {
    lab = await createLab({ nodes: 5, router: 'frr' });
    frr = lab.router as FrrRouter;
    await frr.addPeer({ address: lab.nodes[0]!.ipv4, asn: ASN, passive: true, holdTime: 3 });
    await frr.addPeer({ address: lab.nodes[1]!.ipv4, asn: ASN, passive: true });
    await frr.addPeer({ address: lab.nodes[2]!.ipv4, asn: ASN, passive: true });
    // Misconfigured on purpose: FRR expects another AS from node 3 and answers its OPEN with Bad Peer AS.
    await frr.addPeer({ address: lab.nodes[3]!.ipv4, asn: 65999, passive: true });
    await frr.addPeer({ address: lab.nodes[4]!.ipv4, asn: ASN4, passive: true });
  });

  afterAll(async () => {
    await frr?.unfreeze().catch(() => undefined);
    for (const h of running) await h.stop('SIGKILL');
    await lab?.destroy();
  });

  describe('hold timer and router restart', () => {
    let herald: HeraldProcess;
    const prefix = '198.51.100.30/32';

    beforeAll(async () => {
      herald = start(0, { holdTime: 3, prefixes: [prefix] });
      await herald.waitForEvent('established', (e) => e.event === 'established');
      await waitForPaths(frr, 'ipv4', prefix, (p) => p.length === 1, 'announced');
    });

    test('negotiated hold time is 3 s', () => {
      expect(herald.events.find((e) => e.event === 'established')).toMatchObject({
        holdTime: 3,
        keepaliveTime: 1,
      });
    });

    test('router frozen (SIGSTOP): Herald sends Hold Timer Expired; after SIGCONT the session and route return', async () => {
      const before = establishedCount(herald);
      await frr.freeze();
      try {
        const sent = await herald.waitForEvent(
          'Hold Timer Expired NOTIFICATION',
          (e) => e.event === 'notification-sent' && e.code === 4,
          30_000,
        );
        expect(sent.subcode).toBe(0);
        await herald.waitForEvent('session closed', (e) => e.event === 'closed' && e.wasEstablished === true);
      } finally {
        await frr.unfreeze();
      }
      await herald.waitForEvent('re-established', () => establishedCount(herald) > before, 60_000);
      await waitForPeer(frr, lab.nodes[0]!.ipv4, established, 'Established again');
      await waitForPaths(
        frr,
        'ipv4',
        prefix,
        (p) => p.length === 1 && p[0]!.nexthop === lab.nodes[0]!.ipv4,
        'back',
      );
      await waitForKernelRoute(lab, 'ipv4', '198.51.100.30', (g) => g.includes(lab.nodes[0]!.ipv4), 'back');
    });

    test('router restart: the session is re-established and the routes are re-sent', async () => {
      const before = establishedCount(herald);
      const mark = herald.events.length;
      await frr.restart();
      await herald.waitForEvent(
        'closed after restart',
        (e) => e.event === 'closed' && herald.events.indexOf(e) >= mark,
      );
      await herald.waitForEvent(
        're-established after restart',
        () => establishedCount(herald) > before,
        90_000,
      );
      await waitForPaths(frr, 'ipv4', prefix, (p) => p.length === 1, 're-sent after restart', 60_000);
    });
  });

  describe('graceful restart (RFC 4724)', () => {
    test('killed without NOTIFICATION → FRR keeps routes stale; restarted with R bit → fresh after End-of-RIB', async () => {
      const node = lab.nodes[1]!;
      const prefix = '198.51.100.31/32';
      const first = start(1, { gracefulRestart: 60, prefixes: [prefix] });
      await first.waitForEvent('established', (e) => e.event === 'established');
      await waitForPaths(frr, 'ipv4', prefix, (p) => p.length === 1 && !p[0]!.stale, 'announced');
      const neighbor = await frr.neighbor(node.ipv4);
      expect(JSON.stringify(neighbor?.neighborCapabilities ?? neighbor)).toMatch(
        /gracefulRestart[^,]*advertisedAndReceived/,
      );

      // SIGKILL: the kernel closes the socket; no NOTIFICATION is ever sent.
      await first.stop('SIGKILL');
      expect(first.events.some((e) => e.event === 'notification-sent')).toBe(false);
      await waitForPeer(frr, node.ipv4, notEstablished, 'down');
      const stale = await waitForPaths(
        frr,
        'ipv4',
        prefix,
        (p) => p.length === 1 && p[0]!.stale,
        'kept as stale',
      );
      expect(stale[0]!.nexthop).toBe(node.ipv4);
      await waitForKernelRoute(
        lab,
        'ipv4',
        '198.51.100.31',
        (g) => g.includes(node.ipv4),
        'still forwarding',
      );

      const second = start(1, { gracefulRestart: 60, restarting: true, prefixes: [prefix] });
      await second.waitForEvent('established', (e) => e.event === 'established');
      await waitForPaths(
        frr,
        'ipv4',
        prefix,
        (p) => p.length === 1 && !p[0]!.stale,
        'fresh after End-of-RIB',
      );
      const after = await frr.neighbor(node.ipv4);
      expect(JSON.stringify(after)).toMatch(/"endOfRibRecv":\{[^}]*"ipv4Unicast":true/);
    });

    test('without graceful restart the same kill withdraws the route at once', async () => {
      const node = lab.nodes[2]!;
      const prefix = '198.51.100.32/32';
      const h = start(2, { prefixes: [prefix] });
      await h.waitForEvent('established', (e) => e.event === 'established');
      await waitForPaths(frr, 'ipv4', prefix, (p) => p.length === 1, 'announced');
      await h.stop('SIGKILL');
      await waitForPeer(frr, node.ipv4, notEstablished, 'down');
      await waitForPaths(frr, 'ipv4', prefix, (p) => p.length === 0, 'withdrawn');
    });
  });

  describe('reconnect damping', () => {
    test('a NOTIFICATION right after OPEN (Bad Peer AS) is retried with growing gaps, not in a tight loop', async () => {
      const h = start(3, { prefixes: ['198.51.100.33/32'] });
      const rejections = () => h.events.filter((e) => e.event === 'notification-received' && e.code === 2);
      await h.waitForEvent('three rejected attempts', () => rejections().length >= 3, 90_000);
      const [a, b, c] = rejections().map((e) => Date.parse(String(e.time)));
      expect(rejections()[0]).toMatchObject({ code: 2, subcode: 2 });
      // Exponential backoff (with at most 25 % jitter) makes each gap longer than the one before.
      expect(c! - b!).toBeGreaterThan(b! - a!);
      expect(h.events.some((e) => e.event === 'established')).toBe(false);
    });
  });

  describe('protocol features', () => {
    test('4-octet ASN and ROUTE-REFRESH: FRR soft-in refresh makes Herald re-send its routes', async () => {
      const node = lab.nodes[4]!;
      const prefix = '198.51.100.34/32';
      const h = start(4, { localAsn: ASN4, prefixes: [prefix] });
      await h.waitForEvent('established', (e) => e.event === 'established');
      const paths = await waitForPaths(frr, 'ipv4', prefix, (p) => p.length === 1, 'announced');
      expect(paths[0]!.asPath).toEqual([ASN4]);
      const caps = (await frr.neighbor(node.ipv4)) as { neighborCapabilities?: Record<string, unknown> };
      expect(caps.neighborCapabilities?.['4byteAs']).toBe('advertisedAndReceived');
      expect(String(caps.neighborCapabilities?.routeRefresh)).toMatch(/advertisedAndReceived/);
      const stats = async () =>
        (
          (await frr.neighbor(node.ipv4)) as {
            messageStats: { updatesRecv: number; routeRefreshSent: number };
          }
        ).messageStats;
      const before = await stats();
      await frr.vtysh([`clear bgp ipv4 unicast ${node.ipv4} soft in`]);
      await eventually('UPDATE after ROUTE-REFRESH', async () => {
        const now = await stats();
        return now.routeRefreshSent > before.routeRefreshSent && now.updatesRecv > before.updatesRecv
          ? now
          : undefined;
      });
      expect((await frr.route('ipv4', prefix))[0]?.asPath).toEqual([ASN4]);
      expect(h.events.some((e) => e.event === 'closed')).toBe(false);
    });
  });
});
