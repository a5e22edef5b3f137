import { afterEach, describe, expect, test } from '@jest/globals';
import type { NotificationInfo } from '../fsm/events.ts';
import { parsePrefix } from '../prefix.ts';
import { MessageFramer } from '../wire/header.ts';
import { encodeKeepalive } from '../wire/keepalive.ts';
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
    routerSession.on('routesReceived', (e) => received.push(e));
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
    expect(routerSession.receivedRoutes('ipv4')).toEqual([
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
    expect(routerSession.receivedRoutes('ipv6')[0]?.attributes.nextHop).toBe('2001:db8:1::2');
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
