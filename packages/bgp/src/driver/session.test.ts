import { parsePrefix } from '@herald/inet';
import { bgpSockets } from '@herald/native';
import { afterEach, describe, expect, test } from '@jest/globals';
import { ReceivedRouteTable } from '../rib/received-route-table.ts';
import type { PeerConfig } from '../types.ts';
import { MessageFramer } from '../wire/header.ts';
import { encodeKeepalive } from '../wire/keepalive.ts';
import type { NotificationInfo } from '../wire/notification.ts';
import { encodeOpen } from '../wire/open.ts';
import type { RoutesReceivedEvent } from './session.ts';
import { BgpSession } from './session.ts';
import { BgpSpeaker } from './speaker.ts';
import type { BgpTransport, TransportHandlers } from './transport.ts';

/** A transport whose write() reports backpressure after `capacity` bytes until drain() is called. */
class FakeTransport implements BgpTransport {
  readonly info = {
    localAddress: '203.0.113.2',
    localPort: 40000,
    remoteAddress: '203.0.113.1',
    remotePort: 179,
  };
  handlers: TransportHandlers | undefined;
  written: Buffer[] = [];
  buffered = 0;
  capacity: number;
  constructor(capacity: number) {
    this.capacity = capacity;
  }
  write(data: Buffer): boolean {
    this.written.push(Buffer.from(data));
    this.buffered += data.length;
    return this.buffered < this.capacity;
  }
  end(): void {}
  destroy(): void {}
  attach(h: TransportHandlers): void {
    this.handlers = h;
  }
  drain(): void {
    this.buffered = 0;
    this.handlers?.drain();
  }
  types(): number[] {
    const f = new MessageFramer(65535);
    for (const w of this.written) f.push(w);
    const out: number[] = [];
    for (let n = f.next(); n?.ok; n = f.next()) out.push(n.value.header.type);
    return out;
  }
}

const tick = () => new Promise((r) => setImmediate(r));

describe('BgpSession backpressure', () => {
  test('UPDATEs stop when write() returns false, resume on drain, KEEPALIVEs still go out', async () => {
    const fake = new FakeTransport(8192);
    const session = new BgpSession(
      { localAsn: 65002, peerAsn: 65001, peerAddress: '203.0.113.1', extendedMessages: false },
      { connect: async () => fake },
    );
    for (let i = 0; i < 10_000; i++)
      session.announce(`198.18.${i >> 8}.${i & 0xff}/32`, { nextHop: '203.0.113.2' });
    session.start();
    await tick();
    const open = encodeOpen({
      asn: 65001,
      holdTime: 90,
      bgpIdentifier: '203.0.113.1',
      capabilities: { families: ['ipv4'], asn: 65001, extendedMessages: false },
    });
    fake.handlers!.data(Buffer.concat([open, encodeKeepalive()]));
    expect(session.state).toBe('Established');
    await tick();
    const updatesBeforeDrain = fake.types().filter((t) => t === 2).length;
    // 8 KiB of capacity holds 2 full UPDATEs (the second one crosses the mark): generation stops there.
    expect(updatesBeforeDrain).toBe(2);
    expect(fake.buffered).toBeLessThan(8192 + 4096);
    // Control messages (KEEPALIVE, NOTIFICATION, ROUTE-REFRESH) bypass the gate even while backpressured.
    expect(session.requestRouteRefresh('ipv4')).toBe(true);
    expect(fake.types().at(-1)).toBe(5);
    let rounds = 0;
    while (fake.buffered > 0 && rounds++ < 100) fake.drain();
    const types = fake.types();
    expect(types.filter((t) => t === 2).length).toBe(14); // 13 UPDATEs + End-of-RIB
    expect(session.counters().prefixesAdvertised.ipv4).toBe(10_000);
    expect(session.counters().messagesOut.update).toBe(14);
    await session.stop();
  });
});

describe('BgpSpeaker over loopback TCP', () => {
  const speakers: BgpSpeaker[] = [];
  afterEach(async () => {
    await Promise.all(speakers.splice(0).map((s) => s.close()));
  });

  test('two speakers establish, exchange routes, withdraw, and stop with Cease', async () => {
    // "Router" side: passive, listening on an ephemeral port.
    const router = new BgpSpeaker({ listen: { address: '127.0.0.1', port: 0 } });
    speakers.push(router);
    const addr = await router.listen();
    const routerSession = router.addPeer({
      localAsn: 65001,
      peerAsn: 'external',
      peerAddress: '127.0.0.1',
      passive: true,
      routerId: '203.0.113.1',
      families: ['ipv4', 'ipv6'],
    });
    routerSession.start();
    const herald = new BgpSpeaker();
    speakers.push(herald);
    const session = herald.addPeer({
      localAsn: 4200000002,
      peerAsn: 65001,
      peerAddress: '127.0.0.1',
      peerPort: addr!.port,
      routerId: '203.0.113.2',
      families: ['ipv4', 'ipv6'],
    });

    const received: RoutesReceivedEvent[] = [];
    const table = new ReceivedRouteTable();
    routerSession.on('routesReceived', (e) => {
      received.push(e);
      table.apply(e);
    });
    const eor: string[] = [];
    routerSession.on('endOfRib', (e) => eor.push(e.afi));
    const established = new Promise((r) => session.once('established', r));
    const routerEstablished = new Promise((r) => routerSession.once('established', r));

    session.announce('198.51.100.7/32', {
      nextHop: '203.0.113.2',
      communities: ['65001:100', 'no-export'],
      largeCommunities: ['4200000002:1:2'],
    });
    session.announce('2001:db8:100::7/128', { nextHop: '2001:db8:1::2' });
    session.start();
    await Promise.all([established, routerEstablished]);
    const until = async (cond: () => boolean) => {
      for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(cond()).toBe(true);
    };
    await until(() => eor.length === 2);
    expect(table.routes('ipv4')).toEqual([
      {
        prefix: parsePrefix('198.51.100.7/32'),
        attributes: expect.objectContaining({
          nextHop: '203.0.113.2',
          asPath: [{ type: 'sequence', asns: [4200000002] }],
          communities: ['65001:100', 'no-export'],
          largeCommunities: ['4200000002:1:2'],
        }),
      },
    ]);
    expect(table.routes('ipv6')[0]?.attributes.nextHop).toBe('2001:db8:1::2');
    expect(routerSession.counters().prefixesReceived).toEqual({ ipv4: 1, ipv6: 1 });
    expect(session.negotiated()).toMatchObject({
      fourOctetAsn: true,
      extendedMessages: true,
      families: ['ipv4', 'ipv6'],
    });

    session.withdraw('198.51.100.7/32');
    await until(() => routerSession.counters().prefixesReceived.ipv4 === 0);
    expect(received.some((e) => e.withdrawn.length === 1 && e.afi === 'ipv4')).toBe(true);

    const cease = new Promise<NotificationInfo>((r) => routerSession.once('notificationReceived', r));
    await session.stop({ communication: 'maintenance' });
    const n = await cease;
    expect(n).toMatchObject({ code: 6, subcode: 2, communication: 'maintenance' });
    expect(session.state).toBe('Idle');
    expect(routerSession.counters().prefixesReceived).toEqual({ ipv4: 0, ipv6: 0 });
  });

  test('deferEndOfRib: the session comes up before its table; End-of-RIB follows initialTableLoaded()', async () => {
    const router = new BgpSpeaker({ listen: { address: '127.0.0.1', port: 0 } });
    speakers.push(router);
    const addr = await router.listen();
    const routerSession = router.addPeer({
      localAsn: 65001,
      peerAsn: 'external',
      peerAddress: '127.0.0.1',
      passive: true,
      routerId: '203.0.113.1',
    });
    routerSession.start();
    const herald = new BgpSpeaker();
    speakers.push(herald);
    const session = herald.addPeer({
      localAsn: 65002,
      peerAsn: 65001,
      peerAddress: '127.0.0.1',
      peerPort: addr!.port,
      routerId: '203.0.113.2',
      gracefulRestart: { restartTime: 60, restarting: true },
      deferEndOfRib: true,
    });
    const events: string[] = [];
    routerSession.on('routesReceived', (e) => events.push(`routes ${e.announced.length}`));
    routerSession.on('endOfRib', (e) => events.push(`End-of-RIB ${e.afi}`));
    const established = new Promise((r) => routerSession.once('established', r));
    session.start();
    await established;
    session.announce('198.51.100.7/32', { nextHop: '203.0.113.2' });
    const until = async (cond: () => boolean) => {
      for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(cond()).toBe(true);
    };
    await until(() => events.length === 1);
    // Several turns of the event loop later, still no End-of-RIB: the table is not complete yet.
    await new Promise((r) => setTimeout(r, 50));
    session.announce('198.51.100.8/32', { nextHop: '203.0.113.2' });
    session.initialTableLoaded();
    await until(() => events.length === 3);
    expect(events).toEqual(['routes 1', 'routes 1', 'End-of-RIB ipv4']);
  });

  test('connections from unknown peers are closed', async () => {
    const router = new BgpSpeaker({ listen: { address: '127.0.0.1', port: 0 } });
    speakers.push(router);
    const addr = await router.listen();
    const rejected = new Promise<{ remoteAddress: string }>((r) => router.once('connectionRejected', r));
    const herald = new BgpSpeaker();
    speakers.push(herald);
    herald
      .addPeer({ localAsn: 65002, peerAsn: 65001, peerAddress: '127.0.0.1', peerPort: addr!.port })
      .start();
    expect((await rejected).remoteAddress).toBe('127.0.0.1');
  });
});

describe('socket rules over loopback: TCP-MD5, GTSM, and why a connection does not come up', () => {
  const speakers: BgpSpeaker[] = [];
  afterEach(async () => {
    await Promise.all(speakers.splice(0).map((s) => s.close()));
  });

  /** A passive "router" on 127.0.0.1 expecting us from 127.0.0.2, and our dialling session. */
  async function pair(router: Partial<PeerConfig>, herald: Partial<PeerConfig>) {
    const r = new BgpSpeaker({ listen: { address: '127.0.0.1', port: 0 }, sockets: bgpSockets });
    speakers.push(r);
    const addr = await r.listen();
    const routerSession = r.addPeer({
      localAsn: 65001,
      peerAsn: 65002,
      peerAddress: '127.0.0.2',
      passive: true,
      ...router,
    });
    routerSession.start();
    const h = new BgpSpeaker({ sockets: bgpSockets });
    speakers.push(h);
    const session = h.addPeer({
      localAsn: 65002,
      peerAsn: 65001,
      peerAddress: '127.0.0.1',
      localAddress: '127.0.0.2',
      peerPort: addr!.port,
      connectRetryTime: 1, // the connect timeout: no answer within 1 s is a failed attempt
      reconnectBackoff: { initialMs: 100, maxMs: 1000 },
      ...herald,
    });
    return { routerSession, session };
  }

  test('equal TCP-MD5 keys establish', async () => {
    const { session } = await pair({ password: 'shared key' }, { password: 'shared key' });
    const up = new Promise((resolve) => session.once('established', resolve));
    session.start();
    await up;
    expect(session.transport()).toEqual({ ttl: 1, minTtl: null, tcpMd5: true, bindInterface: null });
  });

  test('keys of peers added before the listener opens are on it from the start; a removed peer’s key goes', async () => {
    const r = new BgpSpeaker({ listen: { address: '127.0.0.1', port: 0 }, sockets: bgpSockets });
    speakers.push(r);
    r.addPeer({
      localAsn: 65001,
      peerAsn: 65002,
      peerAddress: '127.0.0.2',
      passive: true,
      password: 'early',
    }).start();
    const port = (await r.listen())!.port;
    const h = new BgpSpeaker({ sockets: bgpSockets });
    speakers.push(h);
    const config = {
      localAsn: 65002,
      peerAsn: 65001,
      peerAddress: '127.0.0.1',
      localAddress: '127.0.0.2',
      peerPort: port,
      password: 'early',
    };
    const session = h.addPeer(config);
    const up = new Promise((resolve) => session.once('established', resolve));
    session.start();
    await up;
    await h.removePeer('127.0.0.1');
    // Without its key on the listener, the same signed SYN is dropped: never answered.
    await r.removePeer('127.0.0.2');
    r.addPeer({ localAsn: 65001, peerAsn: 65002, peerAddress: '127.0.0.2', passive: true }).start();
    const again = h.addPeer({
      ...config,
      connectRetryTime: 1,
      reconnectBackoff: { initialMs: 100, maxMs: 1000 },
    });
    const failed = new Promise<{ kind: string }>((resolve) => again.once('connectFailed', resolve));
    again.start();
    expect((await failed).kind).toBe('timeout');
  });

  test('a wrong key is never answered: the failure says to check the password, and is counted', async () => {
    const { session, routerSession } = await pair({ password: 'router key' }, { password: 'other key' });
    const failed = new Promise<{ kind: string; reason: string }>((resolve) =>
      session.once('connectFailed', resolve),
    );
    session.start();
    const failure = await failed;
    expect(failure.kind).toBe('timeout');
    expect(failure.reason).toBe(
      'no answer to the TCP handshake with 127.0.0.1 port ' +
        `${session.config.peerPort} (no answer within 1 s) — check the TCP-MD5 password on both sides: a router drops a SYN signed with another key without answering`,
    );
    expect(session.counters().lastError?.message).toBe(failure.reason);
    expect(session.counters().connectFailures.timeout).toBeGreaterThanOrEqual(1);
    expect(routerSession.state).toBe('Active');
    expect(session.state).not.toBe('Established');
  });

  test('GTSM: a SYN below TTL 255 is refused before BGP sees it; 255 on both sides establishes', async () => {
    // Our side without ttlSecurity sends eBGP's TTL 1, which loopback delivers unchanged.
    const weak = await pair({ ttlSecurity: true }, {});
    const refused = new Promise<{ reason: string }>((resolve) =>
      weak.routerSession.once('connectionRefused', resolve),
    );
    weak.session.start();
    expect((await refused).reason).toBe(
      'its SYN arrived with TTL 1, below the 255 that ttlSecurity (GTSM) requires: the router is not directly connected, or does not send TTL 255',
    );
    await Promise.all(speakers.splice(0).map((s) => s.close()));

    const both = await pair({ ttlSecurity: true }, { ttlSecurity: true });
    const up = new Promise((resolve) => both.routerSession.once('established', resolve));
    both.session.start();
    await up;
    expect(both.routerSession.transport()).toEqual({
      ttl: 255,
      minTtl: 255,
      tcpMd5: false,
      bindInterface: null,
    });
  });

  test('connection refused is explained as such', async () => {
    const h = new BgpSpeaker({ sockets: bgpSockets });
    speakers.push(h);
    const probe = new BgpSpeaker({ listen: { address: '127.0.0.1', port: 0 }, sockets: bgpSockets });
    const closedPort = (await probe.listen())!.port;
    await probe.close();
    const session = h.addPeer({
      localAsn: 65002,
      peerAsn: 65001,
      peerAddress: '127.0.0.1',
      peerPort: closedPort,
    });
    const failed = new Promise<{ kind: string; reason: string }>((resolve) =>
      session.once('connectFailed', resolve),
    );
    session.start();
    expect(await failed).toEqual({
      kind: 'refused',
      reason: `connection refused by 127.0.0.1 port ${closedPort}: nothing accepts BGP there for this address — is this node configured as a neighbor on the router?`,
    });
  });
});

describe('without native socket support', () => {
  const unavailable = { ok: false as const, reason: 'Linux is required, this is darwin' };

  test('explicit socket settings are refused, naming each and the reason', () => {
    expect(
      () =>
        new BgpSession(
          {
            localAsn: 65002,
            peerAsn: 65001,
            peerAddress: '203.0.113.1',
            password: 'k',
            ebgpMultihop: 2,
            bindInterface: 'eth1',
          },
          { sockets: { ...bgpSockets, support: () => unavailable } },
        ),
    ).toThrow(
      'invalid peer config: password: needs native socket support (TCP-MD5, TTL and device options), which cannot load here: Linux is required, this is darwin; ' +
        'ebgpMultihop: needs native socket support (TCP-MD5, TTL and device options), which cannot load here: Linux is required, this is darwin; ' +
        'bindInterface: needs native socket support (TCP-MD5, TTL and device options), which cannot load here: Linux is required, this is darwin',
    );
  });

  test("a plain eBGP session runs with the system's TTL and says so; iBGP needs nothing", () => {
    const e = new BgpSession(
      { localAsn: 65002, peerAsn: 65001, peerAddress: '203.0.113.1' },
      { sockets: { ...bgpSockets, support: () => unavailable } },
    );
    expect(e.transport().ttl).toBeNull();
    expect(e.transport().warning).toBe(
      "the single-hop eBGP TTL 1 cannot be set (native socket support is unavailable: Linux is required, this is darwin); segments carry the system's default TTL",
    );
    const i = new BgpSession(
      { localAsn: 65001, peerAsn: 65001, peerAddress: '203.0.113.1' },
      { sockets: { ...bgpSockets, support: () => unavailable } },
    );
    expect(i.transport()).toEqual({ ttl: null, minTtl: null, tcpMd5: false, bindInterface: null });
  });
});

describe('abandoned connect attempts', () => {
  test('a connect that gets no answer is reported as a timeout and its socket is aborted', async () => {
    const signals: AbortSignal[] = [];
    const session = new BgpSession(
      {
        localAsn: 65002,
        peerAsn: 65001,
        peerAddress: '203.0.113.1',
        password: 'k',
        connectRetryTime: 1,
        reconnectBackoff: { initialMs: 100, maxMs: 1000 },
      },
      {
        sockets: bgpSockets,
        connect: (_config, signal) => {
          signals.push(signal);
          return new Promise(() => undefined); // a SYN nobody answers
        },
      },
    );
    const failed = new Promise<{ kind: string; reason: string }>((resolve) =>
      session.once('connectFailed', resolve),
    );
    session.start();
    const failure = await failed;
    expect(failure.kind).toBe('timeout');
    expect(failure.reason).toContain('check the TCP-MD5 password on both sides');
    expect(signals[0]?.aborted).toBe(true);
    await session.stop();
  });
});
