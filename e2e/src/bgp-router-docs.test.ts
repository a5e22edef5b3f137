// The router configurations in docs/routers/*.md are real: each documented block is loaded verbatim into
// the lab router, heraldctl dials in from two nodes over IPv4 and IPv6, and the routes must arrive in the
// router's RIB and kernel table (ECMP across both nodes for the shared IPv4 /32).
import { readFileSync } from 'node:fs';
import { jest } from '@jest/globals';
import {
  announceArgs,
  type BirdRouter,
  createLab,
  describeLab,
  type FrrRouter,
  type GobgpRouter,
  type HeraldProcess,
  type Lab,
  startHerald,
  waitForKernelRoute,
  waitForPaths,
} from './lab/index.ts';

jest.setTimeout(120_000);

/** The first fenced block with the given info string in a docs file. */
function documentedBlock(file: string, info: string): string {
  const text = readFileSync(new URL(`../../docs/routers/${file}`, import.meta.url), 'utf8');
  const m = new RegExp('```' + info + '\\n([\\s\\S]*?)\\n```').exec(text);
  if (!m?.[1]) throw new Error(`docs/routers/${file} has no \`\`\`${info} block`);
  return m[1];
}

const SHARED = '198.51.100.40/32';
const V6 = '2001:db8:100::40/128';

describeLab('documented router configurations', () => {
  describe.each([
    ['frr', 'frr.md', 'frr'],
    ['bird', 'bird.md', 'bird'],
    ['gobgp', 'gobgp.md', 'toml'],
  ] as const)('%s (docs/routers/%s)', (kind, file, info) => {
    let lab: Lab;
    const speakers: HeraldProcess[] = [];

    beforeAll(async () => {
      lab = await createLab({ nodes: 2, router: kind });
      const block = documentedBlock(file, info);
      if (kind === 'frr') await (lab.router as FrrRouter).applyConfig(block);
      else if (kind === 'bird') await (lab.router as BirdRouter).appendConfig(block);
      else await (lab.router as GobgpRouter).appendConfig(block);
      for (const [i, node] of lab.nodes.entries()) {
        // GoBGP peer groups take one peer AS (see docs/routers/gobgp.md); FRR and BIRD accept any.
        const asn = kind === 'gobgp' ? 64701 : 64701 + i;
        speakers.push(
          startHerald(
            lab,
            node.ns,
            announceArgs(lab, { node, family: 'ipv4', localAsn: asn, peerAsn: 64512, prefixes: [SHARED] }),
          ),
        );
        speakers.push(
          startHerald(
            lab,
            node.ns,
            announceArgs(lab, { node, family: 'ipv6', localAsn: asn, peerAsn: 64512, prefixes: [V6] }),
          ),
        );
      }
    });

    afterAll(async () => {
      for (const s of speakers) await s.stop('SIGKILL');
      await lab?.destroy();
    });

    test('IPv4: both nodes peer dynamically; the shared /32 has both as next hops (RIB; kernel ECMP for FRR and BIRD)', async () => {
      const expected = lab.nodes.map((n) => n.ipv4).sort();
      const paths = await waitForPaths(lab.router, 'ipv4', SHARED, (p) => p.length === 2, 'from both nodes');
      expect(paths.map((p) => p.nexthop).sort()).toEqual(expected);
      if (kind === 'gobgp') return; // gobgpd does not program the kernel
      const kernel = await waitForKernelRoute(lab, 'ipv4', '198.51.100.40', (g) => g.length === 2, 'ECMP');
      expect(kernel).toEqual(expected);
    });

    test('IPv6: both nodes peer dynamically; the /128 arrives', async () => {
      const paths = await waitForPaths(lab.router, 'ipv6', V6, (p) => p.length === 2, 'from both nodes');
      expect(paths.map((p) => p.nexthop).sort()).toEqual(lab.nodes.map((n) => n.ipv6).sort());
      if (kind !== 'gobgp')
        await waitForKernelRoute(lab, 'ipv6', '2001:db8:100::40', (g) => g.length >= 1, 'installed');
    });
  });
});
