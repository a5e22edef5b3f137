import { prng } from '@herald/inet';
import { describe, expect, test } from '@jest/globals';
import { FAST } from '../testing.ts';
import { Diagnostic } from '../types.ts';
import { BfdEngine } from './engine.ts';
import type { BfdEngineSnapshot, BfdEvent, BfdSessionSpec } from './protocol.ts';
import { ManualScheduler, MemoryNetwork, packetFor } from './testing.ts';
import { MULTIHOP_PORT, SINGLE_HOP_PORT } from './transport.ts';

const A = '203.0.113.11';
const B = '203.0.113.1';

/** Two engines on one segment, each with a session to the other, on one manual clock. */
function pair(over: { a?: Partial<BfdSessionSpec>; b?: Partial<BfdSessionSpec>; watchdogMs?: number } = {}) {
  const clock = new ManualScheduler();
  const net = new MemoryNetwork(clock);
  const events: Record<'a' | 'b', BfdEvent[]> = { a: [], b: [] };
  const engine = (host: string, name: 'a' | 'b', seed: number, watchdogMs?: number) =>
    new BfdEngine({
      transport: net.transport(host),
      emit: (e) => events[name].push(e),
      scheduler: clock,
      wallClock: () => clock.now(),
      random: prng(seed),
      ...(watchdogMs ? { controlPlaneTimeoutMs: watchdogMs } : {}),
    });
  const a = engine(A, 'a', 1, over.watchdogMs);
  const b = engine(B, 'b', 2);
  a.command({
    type: 'add',
    spec: { id: 'to-b', peerAddress: B, multihop: false, parameters: FAST, ...over.a },
  });
  b.command({
    type: 'add',
    spec: { id: 'to-a', peerAddress: A, multihop: false, parameters: FAST, ...over.b },
  });
  return { clock, net, events, a, b };
}

const changes = (events: BfdEvent[]) =>
  events.flatMap((e) => (e.type === 'stateChange' ? [`${e.from}>${e.to}`] : []));
const session = (s: BfdEngineSnapshot, id: string) => s.sessions.find((x) => x.id === id)!;
const done = (events: BfdEvent[], requestId: number) =>
  events.some((e) => e.type === 'done' && e.requestId === requestId);

describe('BfdEngine: two engines over a network', () => {
  test('come Up with the three-way handshake and then negotiate the fast rate', () => {
    const p = pair();
    p.clock.advance(3000);
    // Both started Active at once: each saw the other's Down first.
    expect(changes(p.events.a)).toEqual(['Down>Init', 'Init>Up']);
    expect(changes(p.events.b)).toEqual(['Down>Init', 'Init>Up']);
    const s = session(p.a.snapshot(), 'to-b');
    expect(s).toMatchObject({ state: 'Up', transmitInterval: 300_000, detectionTime: 900_000 });
    expect(s.upSince).not.toBeNull();
    // Single hop: sent to 3784 from a fixed source port in 49152–65535.
    const fromA = p.net.sent.filter((d) => d.from === A);
    expect(new Set(fromA.map((d) => d.port))).toEqual(new Set([SINGLE_HOP_PORT]));
    expect(new Set(fromA.map((d) => d.sourcePort)).size).toBe(1);
    expect(fromA[0]!.sourcePort).toBeGreaterThanOrEqual(49152);
    // Sending at the negotiated rate: about 10 packets in 3 s of Up (jittered 75–100 % of 300 ms).
    const before = s.packetsSent;
    p.clock.advance(3000);
    const sent = session(p.a.snapshot(), 'to-b').packetsSent - before;
    expect(sent).toBeGreaterThanOrEqual(10);
    expect(sent).toBeLessThanOrEqual(14);
    expect(session(p.a.snapshot(), 'to-b').latePackets).toBe(0);
  });

  test('a silent peer is declared Down after the Detection Time (diag 1), counted, and comes back', () => {
    const p = pair();
    p.clock.advance(3000);
    p.net.setLinkDown(B, true);
    p.clock.advance(800);
    expect(p.a.snapshot().sessions[0]!.state).toBe('Up');
    p.clock.advance(200); // 900 ms Detection Time, measured from the last packet
    const down = p.events.a.filter((e) => e.type === 'stateChange' && e.to === 'Down');
    expect(down).toEqual([
      expect.objectContaining({
        from: 'Up',
        diagnostic: Diagnostic.ControlDetectionTimeExpired,
        peerAdminDown: false,
      }),
    ]);
    expect(session(p.a.snapshot(), 'to-b')).toMatchObject({ detectionExpiries: 1, remoteDiscriminator: 0 });
    p.net.setLinkDown(B, false);
    p.clock.advance(5000);
    expect(session(p.a.snapshot(), 'to-b').state).toBe('Up');
    expect(session(p.a.snapshot(), 'to-b').transitions).toMatchObject({ Up: 2, Down: 1 });
  });

  test('AdminDown is seen by the peer as peerAdminDown, and the request completes on its acknowledgement', () => {
    const p = pair();
    p.clock.advance(3000);
    p.a.command({ type: 'adminDown', requestId: 7 });
    expect(done(p.events.a, 7)).toBe(false);
    // The peer answers our AdminDown with Down at once (a state change sends a packet): done after a round
    // trip, long before any Detection Time has passed.
    p.clock.advance(1);
    expect(done(p.events.a, 7)).toBe(true);
    const bDown = p.events.b.filter((e) => e.type === 'stateChange' && e.to === 'Down');
    expect(bDown).toEqual([expect.objectContaining({ from: 'Up', peerAdminDown: true, diagnostic: 3 })]);
    expect(session(p.a.snapshot(), 'to-b').state).toBe('AdminDown');
    // It keeps saying so, and the peer never comes back Up meanwhile.
    p.clock.advance(5000);
    expect(session(p.b.snapshot(), 'to-a').state).toBe('Down');
  });

  test('AdminDown towards a silent peer completes after the peer’s Detection Time for us', () => {
    const p = pair();
    p.clock.advance(3000);
    p.net.setLinkDown(B, true); // nothing reaches B or comes from it any more
    p.a.command({ type: 'adminDown', requestId: 1 });
    expect(done(p.events.a, 1)).toBe(false);
    p.clock.advance(899);
    expect(done(p.events.a, 1)).toBe(false);
    p.clock.advance(2);
    expect(done(p.events.a, 1)).toBe(true);
  });

  test('AdminDown of a session that is not Up completes at once', () => {
    const p = pair();
    p.net.setLinkDown(B, true);
    p.clock.advance(4000); // the first packets crossed: Init, then Down after B's slow Detection Time (3 s)
    expect(session(p.a.snapshot(), 'to-b').state).toBe('Down');
    p.a.command({ type: 'adminDown', requestId: 3, ids: ['to-b'] });
    expect(done(p.events.a, 3)).toBe(true);
    p.a.command({ type: 'adminDown', requestId: 4, ids: ['no-such-session'] });
    expect(done(p.events.a, 4)).toBe(true);
  });

  test('remove tells the peer (AdminDown), then releases the session and its sockets', () => {
    const p = pair();
    p.clock.advance(3000);
    expect(p.net.listening(A)).toBe(1);
    p.a.command({ type: 'remove', id: 'to-b' });
    expect(p.a.snapshot().sessions).toEqual([
      expect.objectContaining({ id: 'to-b', state: 'AdminDown', retiring: true }),
    ]);
    p.clock.advance(1);
    expect(p.events.b.some((e) => e.type === 'stateChange' && e.to === 'Down' && e.peerAdminDown)).toBe(true);
    expect(p.a.snapshot().sessions).toEqual([]);
    expect(p.net.listening(A)).toBe(0);
    const sentBefore = p.net.sent.filter((d) => d.from === A).length;
    p.clock.advance(5000);
    expect(p.net.sent.filter((d) => d.from === A).length).toBe(sentBefore);
  });

  test('a removed session that was Down goes at once; the same id can be added again', () => {
    const p = pair();
    p.net.setLinkDown(B, true);
    p.clock.advance(4000);
    p.a.command({ type: 'remove', id: 'to-b' });
    expect(p.a.snapshot().sessions).toEqual([]);
    p.net.setLinkDown(B, false);
    p.a.command({ type: 'add', spec: { id: 'to-b', peerAddress: B, multihop: false, parameters: FAST } });
    p.clock.advance(5000);
    expect(session(p.a.snapshot(), 'to-b').state).toBe('Up');
  });

  test('update negotiates new timers with a Poll Sequence and keeps the session Up', () => {
    const p = pair();
    p.clock.advance(3000);
    p.a.command({
      type: 'update',
      id: 'to-b',
      parameters: { desiredMinTxInterval: 100_000, requiredMinRxInterval: 100_000, detectMult: 3 },
    });
    p.b.command({
      type: 'update',
      id: 'to-a',
      parameters: { desiredMinTxInterval: 100_000, requiredMinRxInterval: 100_000, detectMult: 3 },
    });
    p.clock.advance(2000);
    expect(session(p.a.snapshot(), 'to-b')).toMatchObject({
      state: 'Up',
      transmitInterval: 100_000,
      detectionTime: 300_000,
      pollActive: false,
    });
    expect(changes(p.events.a)).toEqual(['Down>Init', 'Init>Up']);
  });

  test('multihop sessions use port 4784 and need the local address', () => {
    const clock = new ManualScheduler();
    const net = new MemoryNetwork(clock);
    const events: BfdEvent[] = [];
    const e = new BfdEngine({ transport: net.transport(A), emit: (x) => events.push(x), scheduler: clock });
    e.command({
      type: 'add',
      spec: { id: 'mh', peerAddress: '198.51.100.1', multihop: true, parameters: FAST },
    });
    expect(e.snapshot().sessions).toEqual([]);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'log', level: 'error', msg: 'BFD session refused' }),
    );
    e.command({
      type: 'add',
      spec: { id: 'mh', peerAddress: '198.51.100.1', localAddress: A, multihop: true, parameters: FAST },
    });
    clock.advance(10);
    expect(net.sent.map((d) => d.port)).toEqual([MULTIHOP_PORT]);
  });
});

describe('BfdEngine: reception checks over the wire', () => {
  test('malformed and unknown packets are counted by reason and change nothing', () => {
    const p = pair();
    p.clock.advance(3000);
    const before = session(p.a.snapshot(), 'to-b');
    const good = packetFor(before);
    const bad = (i: number, v: number) => {
      const c = Buffer.from(good);
      c[i] = v;
      return c;
    };
    p.net.inject(B, A, bad(0, 0x40)); // version 2
    p.net.inject(B, A, bad(2, 0)); // Detect Mult 0
    p.net.inject(B, A, Buffer.from(good).subarray(0, 10)); // truncated
    p.net.inject(B, A, good, { ttl: 254 }); // single hop needs TTL 255
    p.net.inject('203.0.113.99', A, good); // right discriminator, wrong source
    const s = p.a.snapshot();
    expect(s.discards).toMatchObject({
      version: 1,
      'detect-mult-zero': 1,
      truncated: 1,
      ttl: 1,
      'session-mismatch': 1,
    });
    const after = session(s, 'to-b');
    expect(after.state).toBe('Up');
    expect(after.packetsReceived).toBe(before.packetsReceived);
    expect(after.packetsDiscarded).toBe(1); // the mismatch reached the session's discriminator
  });
});

describe('BfdEngine: timers that slip, sockets that fail', () => {
  test('periodic packets that leave late are measured and the long gaps counted', () => {
    const p = pair();
    p.clock.advance(3000);
    const s0 = p.a.snapshot();
    expect(s0.transmitDelay.count).toBeGreaterThan(0);
    expect(s0.transmitDelay.counts[0]).toBe(s0.transmitDelay.count); // all within 0.25 ms on a perfect clock
    p.clock.lateness = 400; // every timer fires 400 ms late: longer than the 300 ms interval
    p.clock.advance(2000);
    const s1 = p.a.snapshot();
    expect(s1.latePackets).toBeGreaterThan(0);
    expect(s1.transmitDelay.sum - s0.transmitDelay.sum).toBeGreaterThanOrEqual(400);
    const over250 = s1.transmitDelay.counts[TRANSMIT_DELAY_INDEX_250] ?? 0;
    expect(s1.transmitDelay.count).toBeGreaterThan(over250 - 1);
  });

  test('a receive socket that cannot be opened is reported and retried', () => {
    const clock = new ManualScheduler();
    const net = new MemoryNetwork(clock);
    net.receiveFailures.set(A, 'bind(0.0.0.0:3784): EADDRINUSE');
    const events: BfdEvent[] = [];
    const e = new BfdEngine({
      transport: net.transport(A),
      emit: (x) => events.push(x),
      scheduler: clock,
      receiverRetryMs: 1000,
    });
    e.command({ type: 'add', spec: { id: 'x', peerAddress: B, multihop: false, parameters: FAST } });
    expect(e.snapshot().socketErrors).toEqual(['ipv4 single-hop: bind(0.0.0.0:3784): EADDRINUSE']);
    expect(session(e.snapshot(), 'x').lastError).toBe('bind(0.0.0.0:3784): EADDRINUSE');
    net.receiveFailures.delete(A);
    clock.advance(1000);
    expect(e.snapshot().socketErrors).toEqual([]);
    expect(net.listening(A)).toBe(1);
  });

  test('send errors are counted, not thrown', () => {
    const p = pair();
    p.net.sendFailures.set(A, 'sendto: ENETUNREACH');
    p.clock.advance(3000);
    expect(session(p.a.snapshot(), 'to-b').sendErrors).toBeGreaterThan(0);
    expect(p.events.a.filter((e) => e.type === 'log' && e.msg === 'BFD send failed')).toHaveLength(1);
  });
});

describe('BfdEngine: control-plane watchdog', () => {
  test('stops transmitting when the driver falls silent, so the peer sees a failure; resumes after', () => {
    const p = pair({ watchdogMs: 2000 });
    p.clock.advance(1500);
    p.a.command({ type: 'heartbeat' });
    p.clock.advance(1500);
    p.a.command({ type: 'heartbeat' });
    expect(session(p.b.snapshot(), 'to-a').state).toBe('Up');
    p.clock.advance(4000); // no heartbeat: silenced after 2–2.5 s (checked every 500 ms); B detects 900 ms later
    expect(p.a.snapshot()).toMatchObject({ silenced: true, controlPlaneStalls: 1 });
    expect(p.events.b).toContainEqual(
      expect.objectContaining({ type: 'stateChange', from: 'Up', to: 'Down', peerAdminDown: false }),
    );
    p.a.command({ type: 'heartbeat' });
    expect(p.a.snapshot().silenced).toBe(false);
    for (let i = 0; i < 10; i++) {
      p.clock.advance(500);
      p.a.command({ type: 'heartbeat' });
    }
    expect(session(p.b.snapshot(), 'to-a').state).toBe('Up');
  });
});

describe('BfdEngine: close', () => {
  test('stops every timer and socket and sends nothing more', () => {
    const p = pair();
    p.clock.advance(3000);
    p.a.command({ type: 'close', requestId: 9 });
    expect(done(p.events.a, 9)).toBe(true);
    expect(p.net.listening(A)).toBe(0);
    const sent = p.net.sent.length;
    p.b.command({ type: 'close', requestId: 1 });
    p.clock.advance(5000);
    expect(p.net.sent.length).toBe(sent);
  });
});

/** Index of the 250 ms bound in TRANSMIT_DELAY_BOUNDS_MS. */
const TRANSMIT_DELAY_INDEX_250 = 9;
