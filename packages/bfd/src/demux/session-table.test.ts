import { prng } from '@herald/inet';
import { describe, expect, test } from '@jest/globals';
import type { SessionAction } from '../fsm/events.ts';
import { FAST, peer, withAuthSection, withByte } from '../testing.ts';
import type { DiscardReason } from '../types.ts';
import { type ControlPacket, encodeControlPacket } from '../wire/control-packet.ts';
import { interopVectors } from '../wire/interop-vectors.ts';
import { type PacketSource, type SessionKey, SessionTable } from './session-table.ts';

const singleHop: SessionKey = { peerAddress: '203.0.113.1', multihop: false };
const fromPeer: PacketSource = {
  peerAddress: '203.0.113.1',
  localAddress: '203.0.113.2',
  multihop: false,
  ttl: 255,
};

function tableWithOneSession(key: SessionKey = singleHop, minimumTtl?: number) {
  const table = new SessionTable({ random: prng(7) });
  const added = table.add(key, { parameters: FAST, ...(minimumTtl ? { minimumTtl } : {}) }, 0);
  if (!added.ok) throw new Error(added.error);
  const session = added.session;
  session.handle({ type: 'start', now: 0 });
  return { table, session };
}

const discardOf = (actions: readonly SessionAction[]) =>
  actions.length === 1 && actions[0]!.type === 'discarded' ? actions[0]!.discard.reason : undefined;

describe('SessionTable: adding and removing sessions', () => {
  test('discriminators are nonzero, unique and random', () => {
    const table = new SessionTable({ random: prng(1) });
    const ds = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const r = table.add({ peerAddress: `203.0.113.${i + 1}`, multihop: false }, { parameters: FAST }, 0);
      expect(r.ok).toBe(true);
      if (r.ok) ds.add(r.session.localDiscriminator);
    }
    expect(ds.size).toBe(50);
    expect(ds.has(0)).toBe(false);
    // Even a broken random source cannot produce a duplicate or zero.
    const stuck = new SessionTable({ random: () => 0.999999999999 });
    const x = stuck.add({ peerAddress: '203.0.113.1', multihop: false }, { parameters: FAST }, 0);
    const y = stuck.add({ peerAddress: '203.0.113.2', multihop: false }, { parameters: FAST }, 0);
    expect(x.ok && y.ok && [x.session.localDiscriminator, y.session.localDiscriminator]).toEqual([
      0xffffffff, 1,
    ]);
  });

  test('refuses keys one packet could match twice, and multihop keys without a local address', () => {
    const table = new SessionTable();
    expect(table.add(singleHop, { parameters: FAST }, 0).ok).toBe(true);
    expect(table.add({ ...singleHop, interface: 'eth0' }, { parameters: FAST }, 0)).toMatchObject({
      ok: false,
    });
    // The same peer multihop is another session (another port).
    expect(
      table.add({ ...singleHop, multihop: true, localAddress: '203.0.113.2' }, { parameters: FAST }, 0).ok,
    ).toBe(true);
    expect(table.add({ peerAddress: '198.51.100.9', multihop: true }, { parameters: FAST }, 0)).toEqual({
      ok: false,
      error: 'a multihop session needs its localAddress (RFC 5883 §3)',
    });
    expect(
      table.add(
        { peerAddress: '198.51.100.9', multihop: true, localAddress: '203.0.113.2', interface: 'eth0' },
        { parameters: FAST },
        0,
      ).ok,
    ).toBe(false);
    // Two single-hop sessions to a link-local peer on different interfaces are distinct.
    expect(
      table.add({ peerAddress: 'fe80::1', interface: 'eth0', multihop: false }, { parameters: FAST }, 0).ok,
    ).toBe(true);
    expect(
      table.add({ peerAddress: 'fe80::1', interface: 'eth1', multihop: false }, { parameters: FAST }, 0).ok,
    ).toBe(true);
    expect(table.size).toBe(4);
  });

  test("a removed session's discriminator is not reused for a Detection Time (§6.8.1)", () => {
    let draw = 0.5;
    const table = new SessionTable({ random: () => draw });
    const a = table.add(singleHop, { parameters: FAST }, 0);
    if (!a.ok) throw new Error(a.error);
    a.session.handle({ type: 'start', now: 0 });
    table.receive(encodeControlPacket(peer()), fromPeer, 0); // Detection Time 3 × 1 s
    const d = a.session.localDiscriminator;
    expect(table.remove(singleHop, 100)).toBe(true);
    expect(table.remove(singleHop, 100)).toBe(false);
    expect(table.get(singleHop)).toBeUndefined();
    draw = 0.5; // the same draw again
    const b = table.add(singleHop, { parameters: FAST }, 200);
    expect(b.ok && b.session.localDiscriminator).toBe(d + 1);
    table.remove(singleHop, 300);
    const c = table.add(singleHop, { parameters: FAST }, 3_200);
    expect(c.ok && c.session.localDiscriminator).toBe(d);
    // Packets for the removed session find nothing.
    const late = table.receive(
      encodeControlPacket(peer({ state: 'Up', yourDiscriminator: d + 1 })),
      fromPeer,
      3_300,
    );
    expect(discardOf(late.actions)).toBe('no-session');
  });
});

describe('SessionTable: demultiplexing (RFC 5880 §6.8.6, RFC 5881, RFC 5883)', () => {
  test('Your Discriminator 0 finds the session by address; then by discriminator', () => {
    const { table, session } = tableWithOneSession();
    const r = table.receive(encodeControlPacket(peer()), fromPeer, 1);
    expect(r.session).toBe(session);
    expect(session.state).toBe('Init');
    const r2 = table.receive(
      encodeControlPacket(peer({ state: 'Init', yourDiscriminator: session.localDiscriminator })),
      fromPeer,
      2,
    );
    expect(r2.session).toBe(session);
    expect(session.state).toBe('Up');
  });

  test('FRR and BIRD packets, byte for byte, bring sessions Up', () => {
    for (const [down, init] of [
      [interopVectors.frrDown, interopVectors.frrInit],
      [interopVectors.birdDown, interopVectors.birdInit],
    ] as const) {
      const table = new SessionTable({ random: () => (0xbeef - 1) / 0xffffffff });
      const added = table.add(singleHop, { parameters: FAST }, 0);
      if (!added.ok) throw new Error(added.error);
      added.session.handle({ type: 'start', now: 0 });
      expect(added.session.localDiscriminator).toBe(0xbeef);
      table.receive(Buffer.from(down, 'hex'), fromPeer, 1);
      const r = table.receive(Buffer.from(init, 'hex'), fromPeer, 2);
      expect(added.session.state).toBe('Up');
      expect(r.actions.find((a) => a.type === 'stateChange')).toMatchObject({ to: 'Up' });
    }
  });

  test("FRR's Poll gets an immediate Final; FRR's AdminDown takes us Down flagged peerAdminDown", () => {
    const table = new SessionTable({ random: () => (0xbeef - 1) / 0xffffffff });
    const added = table.add(singleHop, { parameters: FAST }, 0);
    if (!added.ok) throw new Error(added.error);
    added.session.handle({ type: 'start', now: 0 });
    table.receive(Buffer.from(interopVectors.frrDown, 'hex'), fromPeer, 1);
    table.receive(Buffer.from(interopVectors.frrInit, 'hex'), fromPeer, 2);
    const poll = table.receive(Buffer.from(interopVectors.frrUpPoll, 'hex'), fromPeer, 3);
    const reply = poll.actions.find((a) => a.type === 'send');
    expect(reply?.type === 'send' && reply.data.toString('hex')).toBe(
      // Vers 1, Up + F, mult 3, len 24, ours, FRR's, 300 ms / 300 ms, no echo
      '20d00318' + '0000beef' + '32a1f0c7' + '000493e0' + '000493e0' + '00000000',
    );
    const down = table.receive(Buffer.from(interopVectors.frrAdminDown, 'hex'), fromPeer, 4);
    expect(down.actions.find((a) => a.type === 'stateChange')).toEqual({
      type: 'stateChange',
      from: 'Up',
      to: 'Down',
      diagnostic: 3,
      peerAdminDown: true,
    });
  });

  test('single hop: only TTL 255 (RFC 5881 §5); the kernel filter is the first line, this the second', () => {
    const { table, session } = tableWithOneSession();
    for (const ttl of [254, 64, 1]) {
      const r = table.receive(encodeControlPacket(peer()), { ...fromPeer, ttl }, 1);
      expect(discardOf(r.actions)).toBe('ttl');
    }
    expect(session.state).toBe('Down');
  });

  test('multihop: keyed by the address pair on port 4784; TTL only against a configured minimum', () => {
    const key: SessionKey = { peerAddress: '198.51.100.1', localAddress: '203.0.113.2', multihop: true };
    const { table, session } = tableWithOneSession(key, 250);
    const src: PacketSource = {
      peerAddress: '198.51.100.1',
      localAddress: '203.0.113.2',
      multihop: true,
      ttl: 252,
    };
    expect(table.receive(encodeControlPacket(peer()), src, 1).session).toBe(session);
    expect(session.state).toBe('Init');
    expect(discardOf(table.receive(encodeControlPacket(peer()), { ...src, ttl: 249 }, 2).actions)).toBe(
      'ttl',
    );
    // Another local address, or the single-hop port, is not this session.
    expect(
      discardOf(
        table.receive(encodeControlPacket(peer()), { ...src, localAddress: '203.0.113.9' }, 3).actions,
      ),
    ).toBe('no-session');
    expect(
      discardOf(table.receive(encodeControlPacket(peer()), { ...src, multihop: false, ttl: 255 }, 3).actions),
    ).toBe('no-session');
  });

  test('an interface-bound session only takes packets from that interface', () => {
    const key: SessionKey = { peerAddress: 'fe80::1', interface: 'eth0', multihop: false };
    const { table, session } = tableWithOneSession(key);
    const src: PacketSource = {
      peerAddress: 'fe80::1',
      localAddress: 'fe80::2',
      interface: 'eth1',
      multihop: false,
      ttl: 255,
    };
    expect(discardOf(table.receive(encodeControlPacket(peer()), src, 1).actions)).toBe('no-session');
    expect(table.receive(encodeControlPacket(peer()), { ...src, interface: 'eth0' }, 1).session).toBe(
      session,
    );
  });

  test('a known discriminator from the wrong address, port or interface is a session-mismatch', () => {
    const { table, session } = tableWithOneSession();
    const p = encodeControlPacket(peer({ state: 'Up', yourDiscriminator: session.localDiscriminator }));
    expect(discardOf(table.receive(p, { ...fromPeer, peerAddress: '203.0.113.66' }, 1).actions)).toBe(
      'session-mismatch',
    );
    expect(discardOf(table.receive(p, { ...fromPeer, multihop: true }, 1).actions)).toBe('session-mismatch');
  });
});

/**
 * Each §6.8.6 check, proven to have no effect: the packet reaches no session, the session's variables are
 * exactly as before, nothing is sent and no timer moves. The session is Up with a known peer, so an
 * accepted packet of the same kind would visibly change it (shown first, as the control).
 */
describe('malformed packets are discarded without effect (RFC 5880 §6.8.6)', () => {
  function upSession() {
    const t = tableWithOneSession();
    t.table.receive(encodeControlPacket(peer()), fromPeer, 1);
    t.table.receive(
      encodeControlPacket(peer({ state: 'Init', yourDiscriminator: t.session.localDiscriminator })),
      fromPeer,
      2,
    );
    expect(t.session.state).toBe('Up');
    return t;
  }

  /** A packet that, if accepted, takes the Up session Down (and so would be noticed). */
  const downPacket = (discr: number): ControlPacket => peer({ state: 'Down', yourDiscriminator: discr });

  const cases: [DiscardReason, (discr: number) => Uint8Array, Partial<PacketSource>?][] = [
    ['ttl', (d) => encodeControlPacket(downPacket(d)), { ttl: 254 }],
    ['truncated', (d) => encodeControlPacket(downPacket(d)).subarray(0, 20)],
    ['version', (d) => withByte(encodeControlPacket(downPacket(d)), 0, 0x40)],
    ['length', (d) => withByte(encodeControlPacket(downPacket(d)), 3, 23)],
    ['length', (d) => withByte(encodeControlPacket(downPacket(d)), 3, 48)],
    ['detect-mult-zero', (d) => withByte(encodeControlPacket(downPacket(d)), 2, 0)],
    ['multipoint', (d) => withByte(encodeControlPacket(downPacket(d)), 1, 0x41)],
    [
      'my-discriminator-zero',
      (d) => encodeControlPacket({ ...downPacket(d), myDiscriminator: 1 }).fill(0, 4, 8),
    ],
    ['your-discriminator-zero', () => encodeControlPacket(peer({ state: 'Init', poll: true }))],
    ['authentication', (d) => withAuthSection(encodeControlPacket(downPacket(d)))],
    ['poll-and-final', (d) => withByte(encodeControlPacket(downPacket(d)), 1, 0x40 | 0x30)],
    ['no-session', () => encodeControlPacket(downPacket(0x1234567))],
    ['no-session', () => encodeControlPacket(peer())], // Your Discriminator 0 from an unknown address
    ['session-mismatch', (d) => encodeControlPacket(downPacket(d))],
  ];
  const sourceFor = (reason: DiscardReason, i: number, over: Partial<PacketSource> = {}): PacketSource => {
    if (reason === 'session-mismatch' || (reason === 'no-session' && i === 12)) {
      return { ...fromPeer, peerAddress: '203.0.113.99', ...over };
    }
    return { ...fromPeer, ...over };
  };

  test('control: the well-formed version of these packets does take the session Down', () => {
    const { table, session } = upSession();
    table.receive(encodeControlPacket(downPacket(session.localDiscriminator)), fromPeer, 3);
    expect(session.state).toBe('Down');
  });

  test.each(cases.map((c, i) => [c[0], i, c] as const))('%s (case %i)', (reason, i, [, build, over]) => {
    const { table, session } = upSession();
    const before = session.status();
    const r = table.receive(build(session.localDiscriminator), sourceFor(reason, i, over), 3);
    expect(r.actions).toEqual([{ type: 'discarded', discard: { reason, detail: expect.any(String) } }]);
    expect(session.status()).toEqual(before);
    // And the session's timers still run from before: the detection deadline did not move.
    const expiry = session.handle({ type: 'timerExpired', timer: 'DetectionTimer', now: 2 + 3_000 });
    expect(expiry.find((a) => a.type === 'stateChange')).toMatchObject({
      from: 'Up',
      to: 'Down',
      diagnostic: 1,
    });
  });
});
