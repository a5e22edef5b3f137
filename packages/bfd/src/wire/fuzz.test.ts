/**
 * Seeded mutation fuzzing, deterministic and fast (like packages/bgp/src/wire/fuzz.test.ts):
 *  1. the decoder over mutated valid packets: never throws; every outcome is an accepted packet that
 *     re-encodes to the same bytes, or a named discard;
 *  2. the session table and machines over a stream of mutated packets, random timer expiries and
 *     administrative events: never throws, every state valid, every packet we send passes our own checks.
 */

import { prng } from '@herald/inet';
import { describe, expect, test } from '@jest/globals';
import { SessionTable } from '../demux/session-table.ts';
import type { SessionAction, TimerName } from '../fsm/events.ts';
import { FAST, peer, withAuthSection } from '../testing.ts';
import { DISCARD_REASONS, SESSION_STATES } from '../types.ts';
import { type ControlPacket, decodeControlPacket, encodeControlPacket } from './control-packet.ts';
import { interopVectors } from './interop-vectors.ts';

function corpus(ourDiscriminator: number): Buffer[] {
  const ours = (p: Partial<ControlPacket>) =>
    encodeControlPacket(peer({ yourDiscriminator: ourDiscriminator, ...p }));
  return [
    ...Object.values(interopVectors).map((hex) => Buffer.from(hex, 'hex')),
    encodeControlPacket(peer()),
    ours({ state: 'Init' }),
    ours({ state: 'Up', poll: true, desiredMinTxInterval: 300_000, requiredMinRxInterval: 300_000 }),
    ours({ state: 'Up', final: true, desiredMinTxInterval: 50_000, requiredMinRxInterval: 0 }),
    ours({ state: 'Up', demand: true, controlPlaneIndependent: true }),
    ours({ state: 'AdminDown', diagnostic: 7 }),
    withAuthSection(ours({ state: 'Up' }), 5),
  ];
}

function mutate(msg: Buffer, r: () => number): Buffer {
  const m = Buffer.from(msg);
  const pick = (n: number) => Math.floor(r() * n);
  switch (pick(6)) {
    case 0: // bit flips, biased to the first word where the flags live
      for (let k = 1 + pick(3); k > 0; k--) {
        const i = r() < 0.6 ? pick(4) : pick(m.length);
        m[i] = m[i]! ^ (1 << pick(8));
      }
      return m;
    case 1: // truncation
      return m.subarray(0, pick(m.length + 1));
    case 2: {
      // an edge value in a length, multiplier or discriminator byte
      const edges = [0, 1, 2, 23, 24, 25, 26, 0x7f, 0x80, 0xfe, 0xff];
      m[[2, 3, 4, 7, 8, 11, 25][pick(7)]! % m.length] = edges[pick(edges.length)]!;
      return m;
    }
    case 3: // trailing bytes, sometimes claimed by Length
      {
        const out = Buffer.concat([m, Buffer.from(Array.from({ length: 1 + pick(40) }, () => pick(256)))]);
        if (r() < 0.5) out[3] = Math.min(255, out.length - pick(3));
        return out;
      }
    case 4: // a 32-bit field set to 0 (the discriminators' forbidden value) or anything
      if (m.length >= 24) m.writeUInt32BE(r() < 0.3 ? 0 : pick(0x100000000), 4 * pick(6));
      return m;
    default: // state and flags byte at random
      m[1] = pick(256);
      return m;
  }
}

/** Plain checks in the hot loop (jest's expect costs ~0.1 ms a call); they throw with the evidence. */
function ensure(ok: boolean, what: string, evidence: unknown): void {
  if (!ok) throw new Error(`${what}: ${JSON.stringify(evidence)}`);
}

/** The properties every packet we accept or send must have. */
function checkAccepted(p: ControlPacket): void {
  ensure(SESSION_STATES.includes(p.state), 'valid state', p);
  ensure(p.detectMult >= 1 && p.detectMult <= 255, 'Detect Mult 1..255', p);
  ensure(p.myDiscriminator !== 0, 'My Discriminator nonzero', p);
  ensure(!(p.poll && p.final), 'not both P and F', p);
  ensure(
    p.yourDiscriminator !== 0 || p.state === 'Down' || p.state === 'AdminDown',
    'Your Discriminator rule',
    p,
  );
}

describe('mutation fuzz', () => {
  test('decoder: 50,000 mutated packets, no exception, every outcome valid', () => {
    const r = prng(0xbfd);
    const seeds = corpus(0xbeef);
    const reasons = new Map<string, number>();
    let accepted = 0;
    for (let n = 0; n < 50_000; n++) {
      const input = mutate(seeds[n % seeds.length]!, r);
      let d: ReturnType<typeof decodeControlPacket>;
      try {
        d = decodeControlPacket(input);
      } catch (err) {
        throw new Error(`decoder threw on ${input.toString('hex')}: ${(err as Error).stack}`);
      }
      if (d.ok) {
        accepted++;
        checkAccepted(d.packet);
        // Re-encoding gives back the input's mandatory section (Length normalised to 24).
        const again = encodeControlPacket(d.packet);
        const expected = Buffer.from(input.subarray(0, 24));
        expected[3] = 24;
        ensure(again.equals(expected), 'round trip', input.toString('hex'));
      } else {
        ensure(DISCARD_REASONS.includes(d.discard.reason), 'named discard', d.discard);
        ensure(d.discard.detail.length > 0, 'discard detail', d.discard);
        reasons.set(d.discard.reason, (reasons.get(d.discard.reason) ?? 0) + 1);
      }
    }
    // Both outcomes, and every packet-level check, are actually exercised.
    expect(accepted).toBeGreaterThan(5_000);
    expect([...reasons.keys()].sort()).toEqual(
      [
        'authentication',
        'detect-mult-zero',
        'length',
        'multipoint',
        'my-discriminator-zero',
        'poll-and-final',
        'truncated',
        'version',
        'your-discriminator-zero',
      ].sort(),
    );
  });

  test('sessions: 50,000 mixed events, no exception, valid states, every sent packet passes our checks', () => {
    const r = prng(0x5e55);
    const table = new SessionTable({ random: r });
    const parameters = [FAST, { desiredMinTxInterval: 50_000, requiredMinRxInterval: 10_000, detectMult: 1 }];
    const keys = [
      { peerAddress: '203.0.113.1', multihop: false },
      { peerAddress: '203.0.113.1', localAddress: '203.0.113.2', multihop: true },
    ] as const;
    const sessions = keys.map((key, i) => {
      const added = table.add(key, { parameters: parameters[i]!, passive: i === 1 }, 0);
      if (!added.ok) throw new Error(added.error);
      added.session.handle({ type: 'start', now: 0 });
      return added.session;
    });
    const timers = new Map<string, number>();
    let now = 0;
    const states = new Set<string>();
    const discards = new Set<string>();
    let delivered = 0;
    const check = (actions: readonly SessionAction[], at: number, owner: number) => {
      for (const a of actions) {
        if (a.type === 'send') {
          const d = decodeControlPacket(a.data);
          ensure(d.ok, 'our packet passes our checks', a.packet);
          if (d.ok) checkAccepted(d.packet);
          ensure(!a.packet.controlPlaneIndependent && !a.packet.demand, 'C and D clear', a.packet);
        } else if (a.type === 'armTimer') {
          ensure(Number.isFinite(a.at), 'finite deadline', a);
          ensure(a.timer !== 'TransmitTimer' || a.at >= at, 'transmit not in the past', { a, at });
          timers.set(`${owner}:${a.timer}`, a.at);
        } else if (a.type === 'cancelTimer') {
          timers.delete(`${owner}:${a.timer}`);
        } else if (a.type === 'stateChange') {
          ensure(a.from !== a.to, 'a change', a);
          states.add(`${a.from}>${a.to}`);
        } else if (a.type === 'discarded') {
          ensure(DISCARD_REASONS.includes(a.discard.reason), 'named discard', a);
          discards.add(a.discard.reason);
        }
      }
    };
    const seeds = corpus(sessions[0]!.localDiscriminator);
    for (let n = 0; n < 50_000; n++) {
      now += r() * 120;
      const i = Math.floor(r() * 2);
      const s = sessions[i]!;
      const roll = r();
      try {
        if (roll < 0.6) {
          const source = {
            peerAddress: '203.0.113.1',
            localAddress: '203.0.113.2',
            multihop: r() < 0.3,
            ttl: r() < 0.95 ? 255 : 254,
          };
          const input = r() < 0.5 ? seeds[n % seeds.length]! : mutate(seeds[n % seeds.length]!, r);
          const res = table.receive(input, source, now);
          if (res.actions.every((a) => a.type !== 'discarded')) delivered++;
          check(res.actions, now, res.session === sessions[1] ? 1 : 0);
        } else if (roll < 0.9) {
          // Fire the session's earliest due timer, or a random (early or stale) one.
          const name: TimerName = r() < 0.5 ? 'TransmitTimer' : 'DetectionTimer';
          const due = timers.get(`${i}:${name}`);
          const at = due !== undefined && r() < 0.8 ? Math.max(now, due) : now;
          now = at;
          check(s.handle({ type: 'timerExpired', timer: name, now }), now, i);
        } else if (roll < 0.94) {
          check(s.handle({ type: r() < 0.5 ? 'adminDown' : 'adminUp', now }), now, i);
        } else {
          const p = {
            desiredMinTxInterval: Math.floor(r() * 3_000_000),
            requiredMinRxInterval: Math.floor(r() * 3_000_000),
            detectMult: Math.floor(r() * 6),
          };
          check(s.handle({ type: 'setParameters', parameters: p, now }), now, i);
        }
      } catch (err) {
        throw new Error(`event ${n} threw: ${(err as Error).stack}`);
      }
      ensure(SESSION_STATES.includes(s.state), 'valid state', s.state);
    }
    // The stream must really have reached the sessions, hit the table's checks, and driven the machines
    // around their states.
    expect(delivered).toBeGreaterThan(5_000);
    for (const reason of ['ttl', 'no-session', 'session-mismatch', 'version', 'length'])
      expect(discards).toContain(reason);
    for (const t of ['Down>Init', 'Init>Up', 'Up>Down', 'Down>AdminDown', 'AdminDown>Down', 'Up>AdminDown']) {
      expect(states).toContain(t);
    }
  });
});
