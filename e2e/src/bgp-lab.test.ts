// The router lab itself, proven with a reference speaker (gobgpd) before Herald is involved: for each lab
// router, a route announced from a node namespace over IPv4 and IPv6 arrives in the router's RIB (and, for
// FRR and BIRD, in the router namespace's kernel table). Also: the safety check refuses overlapping ranges, and
// what a killed test process left behind is removed by the next lab.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { eventually } from './eventually.ts';
import { pidAlive } from './kube/processes.ts';
import {
  createLab,
  createNetworkNamespace,
  deleteNamespace,
  describeLab,
  type Lab,
  overlappingRoutes,
  prefixesOverlap,
  ReferenceSpeaker,
  type RouterKind,
  run,
  runIn,
  sweepAbandonedLabs,
  uniqueLabId,
} from './lab/index.ts';

jest.setTimeout(120_000);

describe('lab safety', () => {
  test('overlap detection', () => {
    expect(prefixesOverlap('203.0.113.0/24', '203.0.113.128/25')).toBe(true);
    expect(prefixesOverlap('203.0.113.7', '203.0.113.0/24')).toBe(true);
    expect(prefixesOverlap('192.0.2.0/24', '203.0.113.0/24')).toBe(false);
    expect(prefixesOverlap('2001:db8::/32', '2001:db8:1::/64')).toBe(true);
    expect(prefixesOverlap('fd00::/64', '2001:db8:1::/64')).toBe(false);
    expect(prefixesOverlap('10.0.0.0/8', '2001:db8:1::/64')).toBe(false);
  });

  test('refuses when a root-namespace route overlaps a lab range, ignores the default route', () => {
    expect(
      overlappingRoutes([
        { dst: 'default', dev: 'eth0' },
        { dst: '192.0.2.0/24', dev: 'eth0' },
      ]),
    ).toEqual([]);
    expect(overlappingRoutes([{ dst: '198.18.0.0/16', dev: 'eth1' }])).toEqual([
      'root-namespace route 198.18.0.0/16 dev eth1 overlaps lab range 198.18.0.0/15',
    ]);
    expect(overlappingRoutes([{ dst: '2001:db8::/32', dev: 'eth1' }])).toHaveLength(2);
  });
});

// A TCP server on the announced address that names the node, and a client that prints the reply.
const ECHO_SERVER = `require('net').createServer((s) => s.end('served by 203.0.113.11')).listen(8080, '198.51.100.200', () => console.log('ready'))`;
const ECHO_CLIENT = `const s = require('net').connect(8080, '198.51.100.200'); let d = ''; s.on('data', (c) => (d += c)); s.on('end', () => console.log(d)); s.on('error', (e) => { console.error(e.message); process.exit(1); })`;

const routers: RouterKind[] = ['frr', 'bird', 'gobgp'];

describeLab('router lab with a reference speaker (gobgpd)', () => {
  describe.each(routers)('%s', (kind) => {
    let lab: Lab;
    let speaker: ReferenceSpeaker;
    beforeAll(async () => {
      lab = await createLab({ nodes: 1, router: kind, clientNamespace: true });
      const node = lab.nodes[0]!;
      await lab.router.addPeer({ address: node.ipv4, asn: 64601 });
      await lab.router.addPeer({ address: node.ipv6, asn: 64601 });
      speaker = await ReferenceSpeaker.start(lab, node, { asn: 64601 });
      await speaker.gobgpd.addPeer({ address: lab.routerIpv6, asn: lab.routerAsn });
      await speaker.announce('198.51.100.200/32', ['community', '64601:7']);
      await speaker.announce('2001:db8:100::200/128');
    });
    afterAll(async () => {
      await lab?.destroy();
    });

    test('sessions establish over IPv4 and IPv6', async () => {
      const node = lab.nodes[0]!;
      await eventually('both sessions Established', async () => {
        const peers = await lab.router.peers();
        const up = peers.filter((p) => p.established).map((p) => p.address);
        return up.includes(node.ipv4) && up.includes(node.ipv6) ? true : undefined;
      });
    });

    test.each(['ipv4', 'ipv6'] as const)('%s route arrives in the RIB', async (family) => {
      const node = lab.nodes[0]!;
      const prefix = family === 'ipv4' ? '198.51.100.200/32' : '2001:db8:100::200/128';
      const routes = await eventually(`${prefix} in ${kind}`, async () => {
        const r = await lab.router.route(family, prefix);
        return r.length > 0 ? r : undefined;
      });
      expect(routes[0]).toMatchObject({ prefix, nexthop: family === 'ipv4' ? node.ipv4 : node.ipv6 });
      expect(routes[0]!.asPath).toEqual([64601]);
      if (family === 'ipv4') expect(routes[0]!.communities).toEqual(['64601:7']);
    });

    if (kind !== 'gobgp') {
      test('routes land in the router namespace kernel table', async () => {
        await eventually('kernel routes', async () => {
          const v4 = await lab.kernelRoutes('ipv4');
          const v6 = await lab.kernelRoutes('ipv6');
          const ok =
            v4.some((r) => r.dst === '198.51.100.200' && r.gateway === lab.nodes[0]!.ipv4) &&
            v6.some((r) => r.dst === '2001:db8:100::200' && r.gateway === lab.nodes[0]!.ipv6);
          return ok ? true : undefined;
        });
      });

      test('data plane: the client namespace reaches the announced address on the node through the router', async () => {
        const node = lab.nodes[0]!;
        const client = lab.client!;
        // The "service IP" lives on the node's loopback, as kube-proxy/IPVS would bind it.
        await run('ip', ['-n', node.ns, 'addr', 'add', '198.51.100.200/32', 'dev', 'lo']);
        const server = spawn('ip', ['netns', 'exec', node.ns, process.execPath, '-e', ECHO_SERVER], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        lab.track(server.pid!);
        try {
          await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
          const reply = await runIn(client.ns, process.execPath, ['-e', ECHO_CLIENT]);
          expect(reply.stdout.trim()).toBe(`served by ${node.ipv4}`);
        } finally {
          server.kill('SIGKILL');
        }
      });
    }
  });
});

describeLab('labs whose owner process is gone', () => {
  test('the next lab removes their namespaces, the processes inside and their temp dirs; live labs stay', async () => {
    // A pid that has exited: the owner of a lab left by a SIGKILLed or interrupted test process.
    const gone = spawn('true');
    await new Promise((resolve) => gone.once('exit', resolve));
    const dead = gone.pid!;
    const abandoned = `hl${dead}x1-r`;
    const live = `${uniqueLabId()}-r`;
    const dir = mkdtempSync(join(tmpdir(), `herald-hl${dead}x1-`));
    let daemon: ChildProcess | undefined;
    try {
      await createNetworkNamespace(abandoned);
      await createNetworkNamespace(live);
      // What a lab leaves running: a router daemon or a speaker.
      daemon = spawn('ip', ['netns', 'exec', abandoned, 'sleep', '600'], { stdio: 'ignore' });
      await eventually('the daemon to run in the abandoned namespace', async () =>
        (await run('ip', ['netns', 'pids', abandoned])).stdout.includes(String(daemon?.pid)),
      );
      const swept = await sweepAbandonedLabs();
      expect(swept).toEqual(expect.arrayContaining([abandoned, dir]));
      const namespaces = (await run('ip', ['netns', 'list'])).stdout;
      expect(namespaces).not.toContain(abandoned);
      expect(namespaces).toContain(live);
      expect(pidAlive(daemon.pid!)).toBe(false);
      expect(existsSync(dir)).toBe(false);
    } finally {
      daemon?.kill('SIGKILL');
      await deleteNamespace(abandoned);
      await deleteNamespace(live);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
