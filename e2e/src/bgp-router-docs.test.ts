// The router configurations in docs/routers/*.md are real: the documented blocks are loaded verbatim into
// the lab router, heraldctl dials in from two nodes over IPv4 and IPv6, and the routes must arrive in the
// router's RIB and kernel table (ECMP across both nodes for the shared IPv4 /32). The "authenticated" blocks
// (TCP-MD5 + GTSM) too, with heraldctl using the password the block shows and --ttl-security.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import {
  announceArgs,
  type BirdRouter,
  createLab,
  describeLab,
  documentedConfig,
  type FrrRouter,
  type GobgpRouter,
  type HeraldProcess,
  type Lab,
  startHerald,
  waitForKernelRoute,
  waitForPaths,
} from './lab/index.ts';

jest.setTimeout(120_000);

/** Loads a documented configuration into the lab router the way its guide says (vtysh, or appended). */
async function loadBlock(lab: Lab, kind: 'frr' | 'bird' | 'gobgp', block: string): Promise<void> {
  if (kind === 'frr') await (lab.router as FrrRouter).applyConfig(block);
  else if (kind === 'bird') await (lab.router as BirdRouter).appendConfig(block);
  else await (lab.router as GobgpRouter).appendConfig(block);
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
      await loadBlock(lab, kind, documentedConfig(file, info));
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

describeLab('documented router configurations with TCP-MD5 and GTSM', () => {
  describe.each([
    // FRR: the `neighbor … password` line, not the comment above it that mentions the password.
    ['frr', 'frr.md', 'frr authenticated', /neighbor \S+ password (\S+)/, ['ipv4', 'ipv6']],
    ['bird', 'bird.md', 'bird authenticated', /password "([^"]+)"/, ['ipv4', 'ipv6']],
    ['gobgp', 'gobgp.md', 'toml authenticated', /auth-password = "([^"]+)"/, ['ipv4']],
  ] as const)('%s (docs/routers/%s)', (kind, file, info, passwordIn, families) => {
    let lab: Lab;
    const speakers: HeraldProcess[] = [];

    beforeAll(async () => {
      lab = await createLab({ nodes: 2, router: kind });
      const block = documentedConfig(file, info);
      await loadBlock(lab, kind, block);
      const password = passwordIn.exec(block)?.[1];
      if (password === undefined) throw new Error(`no password in the ${info} block of ${file}`);
      const passwordFile = join(lab.dir, 'router.password');
      writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
      for (const node of lab.nodes)
        for (const family of families)
          speakers.push(
            startHerald(
              lab,
              node.ns,
              announceArgs(lab, {
                node,
                family,
                localAsn: 64701,
                peerAsn: 64512,
                prefixes: [family === 'ipv4' ? SHARED : V6],
                passwordFile,
                ttlSecurity: true,
              }),
            ),
          );
    });

    afterAll(async () => {
      for (const s of speakers) await s.stop('SIGKILL');
      await lab?.destroy();
    });

    test.each(families)(
      '%s: both nodes Established with the password and GTSM; the routes arrive',
      async (family) => {
        const prefix = family === 'ipv4' ? SHARED : V6;
        const paths = await waitForPaths(
          lab.router,
          family,
          prefix,
          (p) => p.length === 2,
          'from both nodes',
        );
        expect(paths.map((p) => p.nexthop).sort()).toEqual(
          lab.nodes.map((n) => (family === 'ipv4' ? n.ipv4 : n.ipv6)).sort(),
        );
      },
    );
  });
});
