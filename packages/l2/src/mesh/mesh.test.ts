import { describe, expect, test } from '@jest/globals';
import { decodeHeartbeat, encodeHeartbeat } from './heartbeat.ts';
import { type Datagram, Mesh } from './mesh.ts';

const KEY = Buffer.from('0123456789abcdef0123456789abcdef');
const mesh = (self: string, incarnation: bigint) =>
  new Mesh({ self, incarnation, intervalMs: 100, detectMultiplier: 3, keys: [KEY], random: () => 1 });
const members = new Map([
  ['a', { address: '203.0.113.11', port: 7474 }],
  ['b', { address: '203.0.113.12', port: 7474 }],
]);
const to = (ds: Datagram[], address: string) => ds.find((d) => d.address === address)!.data;

/** Two members that have exchanged one round each way at `at`: each holds the other alive. */
function pair(at = 0): { a: Mesh; b: Mesh } {
  const a = mesh('a', 10n);
  const b = mesh('b', 20n);
  a.setMembers(members, at);
  b.setMembers(members, at);
  b.receive(to(a.tick(at).datagrams, '203.0.113.12'), at);
  a.receive(to(b.tick(at).datagrams, '203.0.113.11'), at);
  return { a, b };
}

describe('mesh handshake', () => {
  test('alive only after a heartbeat that echoes ours: one round trip each way', () => {
    const a = mesh('a', 10n);
    const b = mesh('b', 20n);
    a.setMembers(members, 0);
    b.setMembers(members, 0);
    const fromA = a.tick(0).datagrams;
    // b hears a first: a's heartbeat echoes nothing of b's, so it is authentic but unconfirmed
    expect(b.receive(to(fromA, '203.0.113.12'), 1).verdict).toBe('unconfirmed');
    const fromB = b.tick(1).datagrams;
    const r = a.receive(to(fromB, '203.0.113.11'), 2);
    expect(r).toEqual({
      verdict: 'accepted',
      change: { node: 'b', previous: 'unknown', state: 'alive', ready: false },
    });
    expect(decodeHeartbeat(to(fromB, '203.0.113.11'), [KEY])).toMatchObject({
      heartbeat: { echoIncarnation: 10n, echoSequence: 1 },
    });
    // the same datagram again is a duplicate
    expect(a.receive(to(fromB, '203.0.113.11'), 3).verdict).toBe('replay');
  });

  test('dead after the Detection Time without a fresh heartbeat; next round on the interval', () => {
    const { a } = pair();
    expect(a.nextTimeout()).toBe(100);
    expect(a.tick(299).changes).toEqual([]);
    expect(a.tick(300).changes).toEqual([{ node: 'b', previous: 'alive', state: 'dead', ready: false }]);
  });

  test('leaving: the peer is out at once and its echo acknowledges the handover', () => {
    const { a, b } = pair();
    b.receive(to(a.tick(100).datagrams, '203.0.113.12'), 100);
    expect(a.handedOver()).toBe(false);
    const leaving = a.leave(110);
    expect(b.receive(to(leaving, '203.0.113.12'), 111).change).toMatchObject({ node: 'a', state: 'left' });
    expect(a.handedOver()).toBe(false);
    a.receive(to(b.tick(120).datagrams, '203.0.113.11'), 121);
    expect(a.handedOver()).toBe(true);
    expect(b.available('a')).toBe(false);
  });

  test('settled: every member heard, or a Detection Time since the start', () => {
    const a = mesh('a', 10n);
    const b = mesh('b', 20n);
    a.setMembers(members, 0);
    b.setMembers(members, 0);
    expect(a.settled(0)).toBe(false);
    expect(a.settled(300)).toBe(true);
    b.receive(to(a.tick(0).datagrams, '203.0.113.12'), 0);
    a.receive(to(b.tick(0).datagrams, '203.0.113.11'), 5);
    expect(a.settled(5)).toBe(true);
    a.resync(50);
    expect(a.settled(50)).toBe(false);
  });

  test('an earlier-looking incarnation is accepted only with a fresh echo (a clock stepped back)', () => {
    const a = mesh('a', 10n);
    a.setMembers(members, 0);
    const sent = a.tick(0).datagrams;
    const seq = decodeHeartbeat(to(sent, '203.0.113.12'), [KEY]);
    if (!seq.ok) throw new Error('own heartbeat does not decode');
    const hb = (incarnation: bigint, echo: bigint) =>
      encodeHeartbeat(
        {
          sender: 'b',
          receiver: 'a',
          ready: true,
          leaving: false,
          incarnation,
          sequence: 1,
          echoIncarnation: echo,
          echoSequence: seq.heartbeat.sequence,
        },
        KEY,
      );
    expect(a.receive(hb(500n, 10n), 1).verdict).toBe('accepted');
    expect(a.receive(hb(400n, 99n), 2).verdict).toBe('replay');
    expect(a.receive(hb(400n, 10n), 3).verdict).toBe('accepted');
  });

  test('refuses silly timers and no key', () => {
    expect(
      () => new Mesh({ self: 'a', incarnation: 1n, intervalMs: 5, detectMultiplier: 3, keys: [KEY] }),
    ).toThrow();
    expect(
      () => new Mesh({ self: 'a', incarnation: 1n, intervalMs: 100, detectMultiplier: 1, keys: [KEY] }),
    ).toThrow();
    expect(
      () => new Mesh({ self: 'a', incarnation: 1n, intervalMs: 100, detectMultiplier: 3, keys: [] }),
    ).toThrow();
  });
});
