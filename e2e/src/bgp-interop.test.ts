// Herald's BGP speaker (heraldctl bgp announce in node namespaces) against FRR, BIRD and GoBGP:
// IPv4 and IPv6 × eBGP and iBGP, Herald dialing and Herald passive (the router dials in), routes with
// communities / large communities / LOCAL_PREF visible on the router, kernel routes in the router namespace
// (FRR, BIRD), withdraw via SIGHUP, Cease on SIGTERM, and (FRR) ECMP from three nodes via a listen range.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { eventually } from './eventually.ts';
import {
  type AddressFamily,
  announceArgs,
  createLab,
  describeLab,
  established,
  type FrrRouter,
  type HeraldProcess,
  type Lab,
  notEstablished,
  type RouterKind,
  startHerald,
  waitForKernelRoute,
  waitForPaths,
  waitForPeer,
} from './lab/index.ts';

jest.setTimeout(180_000);

interface SessionCase {
  name: string;
  node: number;
  family: AddressFamily;
  asn: number;
  passive: boolean;
  prefix: string;
  localPref?: number;
}

const EBGP_ASN = 64513;
const PASSIVE_ASN = 64514;
const ECMP_ASN = 64515;
const IBGP = 'iBGP';

function cases(routerAsn: number): SessionCase[] {
  return [
    {
      name: 'eBGP IPv4, Herald dials',
      node: 0,
      family: 'ipv4',
      asn: EBGP_ASN,
      passive: false,
      prefix: '198.51.100.10/32',
    },
    {
      name: 'eBGP IPv6, Herald dials',
      node: 0,
      family: 'ipv6',
      asn: EBGP_ASN,
      passive: false,
      prefix: '2001:db8:100::10/128',
    },
    {
      name: `${IBGP} IPv4, Herald dials`,
      node: 1,
      family: 'ipv4',
      asn: routerAsn,
      passive: false,
      prefix: '198.51.100.11/32',
      localPref: 250,
    },
    {
      name: `${IBGP} IPv6, Herald dials`,
      node: 1,
      family: 'ipv6',
      asn: routerAsn,
      passive: false,
      prefix: '2001:db8:100::11/128',
      localPref: 250,
    },
    {
      name: 'eBGP IPv4, Herald passive (router dials in)',
      node: 2,
      family: 'ipv4',
      asn: PASSIVE_ASN,
      passive: true,
      prefix: '198.51.100.12/32',
    },
    {
      name: 'eBGP IPv6, Herald passive (router dials in)',
      node: 2,
      family: 'ipv6',
      asn: PASSIVE_ASN,
      passive: true,
      prefix: '2001:db8:100::12/128',
    },
  ];
}

const WITHDRAWN_PREFIX = '198.51.100.20/32';
const ECMP_PREFIX = '198.51.100.50/32';
const COMMUNITIES = ['64600:100', 'no-export'];
const COMMUNITIES_AS_SHOWN: Record<RouterKind, string[]> = {
  frr: ['64600:100', 'no-export'],
  bird: ['64600:100', '65535:65281'],
  gobgp: ['64600:100', '65535:65281'],
};
const LARGE = ['64600:1:2'];

const routerKinds: RouterKind[] = ['frr', 'bird', 'gobgp'];

describeLab('Herald interop', () => {
  describe.each(routerKinds)('with %s', (kind) => {
    let lab: Lab;
    const speakers = new Map<string, HeraldProcess>();
    let table: SessionCase[] = [];
    let prefixesFile = '';

    const nodeAddress = (c: SessionCase) =>
      c.family === 'ipv4' ? lab.nodes[c.node]!.ipv4 : lab.nodes[c.node]!.ipv6;

    beforeAll(async () => {
      lab = await createLab({
        nodes: kind === 'frr' ? 6 : 3,
        router: kind,
        // FRR accepts the ECMP nodes (.14–.16) dynamically: the production pattern, no per-node router config.
        listenRanges:
          kind === 'frr'
            ? [
                { prefix: '203.0.113.14/31', asn: ECMP_ASN },
                { prefix: '203.0.113.16/32', asn: ECMP_ASN },
              ]
            : [],
      });
      table = cases(lab.routerAsn);
      prefixesFile = join(lab.dir, 'prefixes-ebgp4.txt');
      for (const c of table) {
        // When Herald dials, the router only listens (as a router with many nodes would); when Herald is
        // passive, the router dials.
        await lab.router.addPeer({
          address: nodeAddress(c),
          asn: c.asn,
          passive: !c.passive,
          families: [c.family],
        });
      }
      for (const c of table) {
        const first = c === table[0];
        if (first) writeFileSync(prefixesFile, `# eBGP IPv4 speaker\n${c.prefix}\n${WITHDRAWN_PREFIX}\n`);
        const args = announceArgs(lab, {
          node: lab.nodes[c.node]!,
          family: c.family,
          localAsn: c.asn,
          passive: c.passive,
          ...(first ? { prefixesFile } : { prefixes: [c.prefix] }),
          communities: COMMUNITIES,
          largeCommunities: LARGE,
          ...(c.localPref !== undefined ? { localPref: c.localPref } : {}),
        });
        speakers.set(c.name, startHerald(lab, lab.nodes[c.node]!.ns, args));
      }
    });

    afterAll(async () => {
      for (const s of speakers.values()) await s.stop('SIGKILL');
      await lab?.destroy();
    });

    test.each(cases(64512).map((c) => [c.name, c] as const))(
      '%s: Established, route arrives with attributes',
      async (_n, tc) => {
        const c = table.find((x) => x.name === tc.name)!;
        const address = nodeAddress(c);
        await waitForPeer(lab.router, address, established, 'Established');
        const herald = speakers.get(c.name)!;
        const up = await herald.waitForEvent('established event', (e) => e.event === 'established');
        expect(up.peerAsn).toBe(lab.routerAsn);
        expect(up.ebgp).toBe(c.asn !== lab.routerAsn);

        const paths = await waitForPaths(
          lab.router,
          c.family,
          c.prefix,
          (p) => p.some((x) => x.peer === address),
          'from Herald',
        );
        const path = paths.find((x) => x.peer === address)!;
        expect(path.nexthop).toBe(address);
        expect(path.asPath).toEqual(c.asn === lab.routerAsn ? [] : [c.asn]);
        expect(path.communities).toEqual(COMMUNITIES_AS_SHOWN[kind]);
        expect(path.largeCommunities).toEqual(LARGE);
        if (c.localPref !== undefined) expect(path.localPref).toBe(c.localPref);
        if (kind !== 'gobgp') {
          const dst = c.prefix.replace(/\/(32|128)$/, '');
          await waitForKernelRoute(lab, c.family, dst, (g) => g.includes(address), 'via Herald');
        }
      },
    );

    test('withdraw: SIGHUP after removing a prefix from --prefixes-file withdraws it, keeps the rest', async () => {
      const c = table[0]!;
      const address = nodeAddress(c);
      await waitForPaths(
        lab.router,
        'ipv4',
        WITHDRAWN_PREFIX,
        (p) => p.some((x) => x.peer === address),
        'announced',
      );
      writeFileSync(prefixesFile, `${c.prefix}\n`);
      const herald = speakers.get(c.name)!;
      process.kill(herald.pid, 'SIGHUP');
      await herald.waitForEvent('reloaded event', (e) => e.event === 'reloaded');
      await waitForPaths(lab.router, 'ipv4', WITHDRAWN_PREFIX, (p) => p.length === 0, 'withdrawn');
      if (kind !== 'gobgp')
        await waitForKernelRoute(
          lab,
          'ipv4',
          WITHDRAWN_PREFIX.replace('/32', ''),
          (g) => g.length === 0,
          'gone',
        );
      expect((await lab.router.route('ipv4', c.prefix)).some((x) => x.peer === address)).toBe(true);
      // The session survived the change.
      expect((await lab.router.peers()).find((p) => p.address === address)?.established).toBe(true);
    });

    if (kind === 'frr') {
      test('ECMP: three nodes announcing the same /32 → three multipath nexthops in FRR and the kernel', async () => {
        const ecmpNodes = [3, 4, 5].map((i) => lab.nodes[i]!);
        for (const node of ecmpNodes) {
          const args = announceArgs(lab, {
            node,
            family: 'ipv4',
            localAsn: ECMP_ASN,
            prefixes: [ECMP_PREFIX],
          });
          speakers.set(`ecmp-${node.ns}`, startHerald(lab, node.ns, args));
        }
        const expected = ecmpNodes.map((n) => n.ipv4).sort();
        const paths = await waitForPaths(
          lab.router,
          'ipv4',
          ECMP_PREFIX,
          (p) => p.length === 3,
          'from 3 nodes',
        );
        expect(paths.map((p) => p.nexthop).sort()).toEqual(expected);
        // Paths are stored on receipt; best path and multipath flags follow when bgpd has run its selection.
        await eventually('FRR to mark one best path and two multipaths', async () => {
          const json = await (lab.router as FrrRouter).vtyshJson<{
            paths: { multipath?: boolean; bestpath?: unknown }[];
          }>(`show bgp ipv4 unicast ${ECMP_PREFIX} json`);
          const best = json.paths.filter((p) => p.bestpath !== undefined).length;
          const multi = json.paths.filter((p) => p.multipath === true && p.bestpath === undefined).length;
          return best === 1 && multi === 2 ? true : undefined;
        });
        const kernel = await waitForKernelRoute(
          lab,
          'ipv4',
          ECMP_PREFIX.replace('/32', ''),
          (g) => g.length === 3,
          'with 3 nexthops',
        );
        expect(kernel).toEqual(expected);
      });
    }

    test('SIGTERM: Cease/Administrative Shutdown, exit 0, routes withdrawn by the router', async () => {
      const c = table[1]!; // eBGP IPv6
      const address = nodeAddress(c);
      const herald = speakers.get(c.name)!;
      await waitForPeer(lab.router, address, established, 'Established');
      const result = await herald.stop('SIGTERM');
      expect(result.code).toBe(0);
      const sent = herald.events.find((e) => e.event === 'notification-sent');
      expect(sent).toMatchObject({ code: 6, subcode: 2 });
      await waitForPeer(lab.router, address, notEstablished, 'down after Cease');
      await waitForPaths(
        lab.router,
        'ipv6',
        c.prefix,
        (p) => !p.some((x) => x.peer === address),
        'withdrawn after Cease',
      );
      if (kind === 'frr') {
        const n = await (lab.router as FrrRouter).neighbor(address);
        expect(JSON.stringify(n)).toMatch(/Administrative Shutdown|Admin. shutdown|Cease/i);
      }
    });
  });
});
