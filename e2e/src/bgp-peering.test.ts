// Router-grade peering against FRR, BIRD and GoBGP, with `heraldctl bgp announce` in node namespaces (the
// speaker's own BGP library and socket layer):
//   TCP-MD5     the right password: Established and the route arrives; a wrong one: never Established, and
//               the session says what to check ("no answer to the TCP handshake … check the TCP-MD5 password");
//   GTSM        a directly connected router with ttl-security on both sides: Established (IPv6 hop limit 255);
//               the same from a node two hops away (one more router on the way): refused;
//   multihop    an eBGP router two hops away: unreachable with the default TTL 1, Established with
//               --ebgp-multihop 2;
//   interface   a route to the router through an interface that leads nowhere: never Established, unless the
//               session is bound to the interface that does reach it (--bind-interface).
// The router side is each router's own configuration for it (FRR `password`/`ttl-security hops 1`/
// `ebgp-multihop`, BIRD `password`/`ttl security on`/`multihop`, GoBGP `auth-password`/`ttl-security`/
// `ebgp-multihop`).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import {
  announceArgs,
  createFarNode,
  createLab,
  createSinkRoute,
  describeLab,
  established,
  FAR_IPV4,
  FAR_IPV6,
  type HeraldEvent,
  type HeraldProcess,
  type Lab,
  type LabNamespace,
  nodeIpv4,
  nodeIpv6,
  type RouterKind,
  startHerald,
  waitForPaths,
  waitForPeer,
} from './lab/index.ts';

jest.setTimeout(240_000);

// FRR 8.4 takes a password as one word (`password WORD`): no spaces, for all three.
const ROUTER_KEY = 'R0uter-key_for.node0';
const NODE1_KEY = 'the-key-node1-should-use';
const ASN = { node0: 64601, node1: 64602, far: 64603 } as const;

/** Waits for the first `connect-failed` event; a SYN nobody answers is reported after heraldctl's 30 s. */
function connectFailed(h: HeraldProcess): Promise<HeraldEvent> {
  return h.waitForEvent('connect-failed', (e) => e.event === 'connect-failed', 90_000);
}

const kinds: RouterKind[] = ['frr', 'bird', 'gobgp'];

describeLab('router-grade peering: TCP-MD5, GTSM, eBGP multihop', () => {
  describe.each(kinds)('with %s', (kind) => {
    let lab: Lab;
    let far: LabNamespace;
    const speakers: HeraldProcess[] = [];
    const start = (node: LabNamespace, args: string[]): HeraldProcess => {
      const h = startHerald(lab, node.ns, args);
      speakers.push(h);
      return h;
    };
    const passwordFile = (name: string, password: string): string => {
      const path = join(lab.dir, `${name}.password`);
      writeFileSync(path, `${password}\n`, { mode: 0o600 });
      return path;
    };
    let md5Right: HeraldProcess;
    let md5Wrong: HeraldProcess;
    let gtsmNear: HeraldProcess;
    let gtsmFar: HeraldProcess;
    let singleHopToFar: HeraldProcess;

    beforeAll(async () => {
      lab = await createLab({
        nodes: 2,
        router: kind,
        peers: [
          { address: nodeIpv4(0), asn: ASN.node0, families: ['ipv4'], password: ROUTER_KEY },
          { address: nodeIpv4(1), asn: ASN.node1, families: ['ipv4'], password: NODE1_KEY },
          { address: nodeIpv6(0), asn: ASN.node0, families: ['ipv6'], ttlSecurity: true },
          { address: FAR_IPV4, asn: ASN.far, families: ['ipv4'], multihop: 2 },
          { address: FAR_IPV6, asn: ASN.far, families: ['ipv6'], ttlSecurity: true },
        ],
      });
      far = await createFarNode(lab.routerNs, await lab.namespace('hop'), await lab.namespace('far'));
      const [n0, n1] = [lab.nodes[0]!, lab.nodes[1]!];
      md5Right = start(
        n0,
        announceArgs(lab, {
          node: n0,
          family: 'ipv4',
          localAsn: ASN.node0,
          prefixes: ['198.51.100.60/32'],
          passwordFile: passwordFile('node0', ROUTER_KEY),
        }),
      );
      md5Wrong = start(
        n1,
        announceArgs(lab, {
          node: n1,
          family: 'ipv4',
          localAsn: ASN.node1,
          prefixes: ['198.51.100.61/32'],
          passwordFile: passwordFile('node1', 'not the router key'),
        }),
      );
      gtsmNear = start(
        n0,
        announceArgs(lab, {
          node: n0,
          family: 'ipv6',
          localAsn: ASN.node0,
          prefixes: ['2001:db8:100::60/128'],
          ttlSecurity: true,
        }),
      );
      gtsmFar = start(
        far,
        announceArgs(lab, {
          node: far,
          family: 'ipv6',
          localAsn: ASN.far,
          prefixes: ['2001:db8:100::62/128'],
          ttlSecurity: true,
        }),
      );
      singleHopToFar = start(
        far,
        announceArgs(lab, { node: far, family: 'ipv4', localAsn: ASN.far, prefixes: ['198.51.100.62/32'] }),
      );
    });

    afterAll(async () => {
      for (const s of speakers) await s.stop('SIGKILL');
      await lab?.destroy();
    });

    test('TCP-MD5 with the router’s password: Established, the route arrives, the password shows nowhere', async () => {
      await waitForPeer(lab.router, nodeIpv4(0), established, 'Established with TCP-MD5');
      const announcing = await md5Right.waitForEvent('announcing', (e) => e.event === 'announcing');
      expect(announcing.transport).toEqual({ ttl: 1, minTtl: null, tcpMd5: true, bindInterface: null });
      await waitForPaths(lab.router, 'ipv4', '198.51.100.60/32', (p) => p.length === 1, 'from node 0');
      expect(md5Right.output()).not.toContain(ROUTER_KEY);
    });

    test('TCP-MD5 with another password: never Established, and the failure says to check the password', async () => {
      const failure = await connectFailed(md5Wrong);
      expect(failure.kind).toBe('timeout');
      expect(failure.reason).toMatch(
        /^no answer to the TCP handshake with 203\.0\.113\.1 port 179 \(no answer within 30 s\) — check the TCP-MD5 password on both sides/,
      );
      expect(md5Wrong.events.some((e) => e.event === 'established')).toBe(false);
      expect((await lab.router.peers()).find((p) => p.address === nodeIpv4(1))?.established).toBe(false);
      expect(md5Wrong.output()).not.toContain('not the router key');
    });

    test('GTSM with a directly connected router (IPv6): both send hop limit 255, Established', async () => {
      await waitForPeer(lab.router, nodeIpv6(0), established, 'Established with GTSM');
      const announcing = await gtsmNear.waitForEvent('announcing', (e) => e.event === 'announcing');
      expect(announcing.transport).toMatchObject({ ttl: 255, minTtl: 255 });
      await waitForPaths(lab.router, 'ipv6', '2001:db8:100::60/128', (p) => p.length === 1, 'from node 0');
    });

    test('GTSM with a router two hops away: refused (its 255 arrives as 254), never Established', async () => {
      const failure = await connectFailed(gtsmFar);
      expect(failure.kind).toBe('timeout');
      expect(failure.reason).toContain('with ttlSecurity the router must use GTSM too');
      expect(gtsmFar.events.some((e) => e.event === 'established')).toBe(false);
      expect((await lab.router.peers()).find((p) => p.address === FAR_IPV6)?.established).toBe(false);
    });

    test('eBGP two hops away: not reached with the default TTL 1; Established with --ebgp-multihop 2', async () => {
      const failure = await connectFailed(singleHopToFar);
      // The hop discards the TTL-1 SYN and says so (ICMP time exceeded); rate-limited, it may stay silent.
      expect(['unreachable', 'timeout']).toContain(failure.kind);
      if (failure.kind === 'unreachable') expect(failure.reason).toContain('set ebgpMultihop');
      expect(singleHopToFar.events.some((e) => e.event === 'established')).toBe(false);
      await singleHopToFar.stop('SIGKILL');

      const multihop = start(
        far,
        announceArgs(lab, {
          node: far,
          family: 'ipv4',
          localAsn: ASN.far,
          prefixes: ['198.51.100.62/32'],
          ebgpMultihop: 2,
        }),
      );
      await waitForPeer(lab.router, FAR_IPV4, established, 'Established two hops away');
      const announcing = await multihop.waitForEvent('announcing', (e) => e.event === 'announcing');
      expect(announcing.transport).toMatchObject({ ttl: 2, minTtl: null });
    });
  });
});

describeLab('router-grade peering: a session bound to an interface', () => {
  let lab: Lab;
  const speakers: HeraldProcess[] = [];
  beforeAll(async () => {
    lab = await createLab({
      nodes: 1,
      router: 'frr',
      peers: [{ address: nodeIpv4(0), asn: ASN.node0, families: ['ipv4'] }],
    });
    await createSinkRoute(lab.nodes[0]!.ns, await lab.namespace('sink'));
  });
  afterAll(async () => {
    for (const s of speakers) await s.stop('SIGKILL');
    await lab?.destroy();
  });

  test('the route prefers alt0, which leads nowhere: unbound, never Established; bound to eth0, Established', async () => {
    const node = lab.nodes[0]!;
    const spec = { node, family: 'ipv4' as const, localAsn: ASN.node0, prefixes: ['198.51.100.63/32'] };
    const unbound = startHerald(lab, node.ns, announceArgs(lab, spec));
    speakers.push(unbound);
    expect((await connectFailed(unbound)).kind).toBe('timeout');
    expect(unbound.events.some((e) => e.event === 'established')).toBe(false);
    await unbound.stop('SIGKILL');

    const bound = startHerald(lab, node.ns, announceArgs(lab, { ...spec, bindInterface: 'eth0' }));
    speakers.push(bound);
    await waitForPeer(lab.router, nodeIpv4(0), established, 'Established through eth0');
    await bound.waitForEvent('established', (e) => e.event === 'established');
    await waitForPaths(lab.router, 'ipv4', '198.51.100.63/32', (p) => p.length === 1, 'through eth0');
  });
});
