// The router side of traffic-aware announcements, with the configurations of docs/routers loaded verbatim:
// what FRR and BIRD do with the link bandwidth extended community (weighted ECMP) and with the
// GRACEFUL_SHUTDOWN community (RFC 8326). Three nodes announce one /32 through `heraldctl bgp announce`, the
// library the speaker uses: node-0 as one endpoint (1 Mbit/s), node-1 as three, node-2 draining (the same
// bandwidth plus graceful-shutdown). The speaker's own behaviour is proven in traffic-lab.test.ts.
import { jest } from '@jest/globals';
import {
  announceArgs,
  type BirdRouter,
  createLab,
  describeLab,
  documentedConfig,
  type FrrRouter,
  type HeraldProcess,
  type Lab,
  type RouterKind,
  startHerald,
  waitForKernelWeights,
  waitForPaths,
} from './lab/index.ts';

jest.setTimeout(120_000);

const PREFIX = '198.51.100.50/32';
const VIP = '198.51.100.50';
/** One endpoint = 1 Mbit/s = 125,000 bytes/s: the unit `weighting: endpoints` uses (FRR's num-multipaths). */
const UNIT = 125_000;
const nodeAsn = (i: number) => 64701 + i;

describeLab('traffic distribution: the documented router policies', () => {
  describe.each([
    ['frr', 'frr.md'],
    ['bird', 'bird.md'],
  ] as const)('%s (docs/routers/%s)', (kind: RouterKind, file) => {
    let lab: Lab;
    const speakers: HeraldProcess[] = [];
    let nodes: string[] = [];

    beforeAll(async () => {
      lab = await createLab({ nodes: 3, router: kind });
      nodes = lab.nodes.map((n) => n.ipv4);
      const config = documentedConfig(file, kind);
      if (kind === 'frr') await (lab.router as FrrRouter).applyConfig(config);
      else await (lab.router as BirdRouter).appendConfig(config);
      const endpoints = [1, 3, 1];
      for (const [i, node] of lab.nodes.entries()) {
        const args = announceArgs(lab, {
          node,
          family: 'ipv4',
          localAsn: nodeAsn(i),
          prefixes: [PREFIX],
          extendedCommunities: [`lb:${nodeAsn(i)}:${endpoints[i]! * UNIT}`],
          communities: i === 2 ? ['graceful-shutdown'] : [],
        });
        speakers.push(startHerald(lab, node.ns, args));
      }
      await waitForPaths(lab.router, 'ipv4', PREFIX, (p) => p.length === 3, 'from all three nodes');
    });

    afterAll(async () => {
      for (const s of speakers) await s.stop('SIGKILL');
      await lab?.destroy();
    });

    test('every path is valid with the link bandwidth community on it; the draining one has LOCAL_PREF 0', async () => {
      const paths = await lab.router.route('ipv4', PREFIX);
      const byNode = Object.fromEntries(paths.map((p) => [p.nexthop, p]));
      expect(Object.keys(byNode).sort()).toEqual([...nodes].sort());
      expect(nodes.map((n) => byNode[n]?.extendedCommunities)).toEqual([
        [`lb:${nodeAsn(0)}:125000`],
        [`lb:${nodeAsn(1)}:375000`],
        [`lb:${nodeAsn(2)}:125000`],
      ]);
      expect(byNode[nodes[2]!]?.communities).toEqual(kind === 'frr' ? ['graceful-shutdown'] : ['65535:0']);
      expect(byNode[nodes[2]!]?.localPref).toBe(0);
      expect(byNode[nodes[2]!]?.best).toBe(false);
      for (const n of nodes.slice(0, 2)) expect(byNode[n]?.localPref ?? 100).toBe(100);
    });

    test(
      kind === 'frr'
        ? 'FRR installs the two undrained next hops weighted 1:3 from the link bandwidth'
        : 'BIRD (no link bandwidth support) installs the two undrained next hops with equal weight',
      async () => {
        const weights = await waitForKernelWeights(
          lab,
          'ipv4',
          VIP,
          (w) => Object.keys(w).length === 2,
          'has two next hops',
        );
        expect(Object.keys(weights).sort()).toEqual(nodes.slice(0, 2).sort());
        const [w0, w1] = [weights[nodes[0]!]!, weights[nodes[1]!]!];
        if (kind === 'frr') expect(w1 / w0).toBe(3);
        else expect(w1).toBe(w0);
      },
    );
  });
});
