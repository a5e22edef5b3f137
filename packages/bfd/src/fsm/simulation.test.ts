/**
 * Two session machines talking over a simulated link (discrete-event, virtual time): the handshake, the
 * Poll Sequences after Up, a steady state with jitter, link loss detected within the Detection Time,
 * AdminDown seen by the peer as such, and mismatched timers. Everything is deterministic (seeded jitter).
 */

import { prng } from '@herald/inet';
import { describe, expect, test } from '@jest/globals';
import { FAST, Harness } from '../testing.ts';
import type { ControlPacket } from '../wire/control-packet.ts';
import { decodeControlPacket } from '../wire/control-packet.ts';
import type { SessionParameters, TimerName } from './events.ts';
import { BfdSessionMachine } from './session-machine.ts';

interface InFlight {
  readonly at: number;
  readonly to: Harness;
  readonly packet: ControlPacket;
}

class Lab {
  readonly a: Harness;
  readonly b: Harness;
  linkUp = true;
  readonly delayMs = 0.5;
  #inFlight: InFlight[] = [];
  now = 0;

  constructor(pa: SessionParameters, pb: SessionParameters, startB = 0) {
    this.a = new Harness(new BfdSessionMachine({ localDiscriminator: 0xa, parameters: pa, random: prng(1) }));
    this.b = new Harness(new BfdSessionMachine({ localDiscriminator: 0xb, parameters: pb, random: prng(2) }));
    this.#apply(this.a, { type: 'start', now: 0 });
    this.b.timers.set('TransmitTimer', startB); // B boots later: its start is a scheduled event
    this.#bootB = startB;
  }

  #bootB: number | undefined;

  #other(h: Harness): Harness {
    return h === this.a ? this.b : this.a;
  }

  #apply(h: Harness, e: Parameters<Harness['event']>[0]): void {
    for (const action of h.event(e)) {
      if (action.type !== 'send') continue;
      // What goes on the wire must pass the receiver's checks.
      const decoded = decodeControlPacket(action.data);
      expect(decoded.ok).toBe(true);
      if (this.linkUp && decoded.ok) {
        this.#inFlight.push({ at: e.now + this.delayMs, to: this.#other(h), packet: decoded.packet });
      }
    }
  }

  /** Run the event loop until `until` (ms). */
  run(until: number): void {
    for (;;) {
      let next: { at: number; run: () => void } | undefined;
      const consider = (at: number, run: () => void) => {
        if (at <= until && (next === undefined || at < next.at)) next = { at, run };
      };
      for (const h of [this.a, this.b]) {
        for (const [timer, at] of h.timers) {
          consider(at, () => {
            h.timers.delete(timer);
            if (h === this.b && this.#bootB !== undefined) {
              this.#bootB = undefined;
              this.#apply(h, { type: 'start', now: at });
              return;
            }
            this.#apply(h, { type: 'timerExpired', timer: timer as TimerName, now: at });
          });
        }
      }
      for (const f of this.#inFlight) {
        consider(f.at, () => {
          this.#inFlight = this.#inFlight.filter((x) => x !== f);
          this.#apply(f.to, { type: 'packetReceived', packet: f.packet, now: f.at });
        });
      }
      if (!next) break;
      this.now = next.at;
      next.run();
    }
    this.now = until;
  }

  act(h: Harness, e: Parameters<Harness['event']>[0]): void {
    this.#apply(h, e);
  }

  cut(): void {
    this.linkUp = false;
    this.#inFlight = [];
  }
}

const transitions = (h: Harness) => h.changes.map((c) => `${c.from}>${c.to}/${c.diagnostic}`);

/** Gaps between consecutive packets sent by `h` in [from, to), ms. */
function gaps(h: Harness, from: number, to: number): number[] {
  const times = h.sentLog.filter((s) => s.at >= from && s.at < to && !s.packet.final).map((s) => s.at);
  return times.slice(1).map((t, i) => t - times[i]!);
}

describe('two machines over a simulated link', () => {
  test('come Up within milliseconds, settle at 300 ms with jitter, and stay Up for a minute', () => {
    const lab = new Lab(FAST, FAST, 400);
    lab.run(60_000);
    // B boots at 400 ms (A's earlier packets find it not started): B's Down takes A to Init, A's Init takes B
    // straight to Up, all within a few link delays.
    expect(transitions(lab.a)).toEqual(['Down>Init/0', 'Init>Up/0']);
    expect(transitions(lab.b)).toEqual(['Down>Up/0']);
    const upAt = (h: Harness) => h.sentLog.find((s) => s.packet.state === 'Up')!.at;
    expect(Math.max(upAt(lab.a), upAt(lab.b))).toBeLessThanOrEqual(400 + 3 * lab.delayMs);
    expect(lab.a.m.status()).toMatchObject({
      state: 'Up',
      pollActive: false,
      transmitInterval: 300_000,
      detectionTime: 900_000,
    });
    expect(lab.b.m.status()).toMatchObject({ state: 'Up', pollActive: false, transmitInterval: 300_000 });
    // Steady state: every gap between 75 % and 100 % of 300 ms (§6.8.7).
    for (const h of [lab.a, lab.b]) {
      const g = gaps(h, 5_000, 60_000);
      expect(g.length).toBeGreaterThan(180);
      expect(Math.min(...g)).toBeGreaterThanOrEqual(225);
      expect(Math.max(...g)).toBeLessThanOrEqual(300);
    }
    // Only the Poll Sequences of going Up ever set P.
    expect(lab.a.sentLog.filter((s) => s.packet.poll && s.at > 5_000)).toEqual([]);
  });

  test('a cut link is detected within the Detection Time, and the session comes back when it heals', () => {
    const lab = new Lab(FAST, FAST);
    lab.run(10_000);
    const lastHeardByA = Math.max(...lab.b.sentLog.map((s) => s.at)) + lab.delayMs;
    lab.cut();
    lab.run(12_000);
    const downA = lab.a.changes.find((c) => c.to === 'Down');
    expect(downA).toMatchObject({ from: 'Up', diagnostic: 1, peerAdminDown: false });
    const aDownAt = lab.a.sentLog.find((s) => s.packet.state === 'Down' && s.at > 10_000)!.at;
    expect(aDownAt).toBeCloseTo(lastHeardByA + 900, 6); // 3 × 300 ms after the last packet, to the ms
    expect(lab.b.changes.find((c) => c.to === 'Down')).toMatchObject({ diagnostic: 1 });
    lab.linkUp = true;
    lab.run(20_000);
    expect(lab.a.m.state).toBe('Up');
    expect(lab.b.m.state).toBe('Up');
  });

  test('AdminDown: the peer goes Down with diag 3 flagged peerAdminDown, never diag 1; adminUp restores', () => {
    const lab = new Lab(FAST, FAST);
    lab.run(10_000);
    lab.act(lab.a, { type: 'adminDown', now: 10_000 });
    lab.run(30_000);
    expect(lab.b.changes.slice(2)).toEqual([
      { type: 'stateChange', from: 'Up', to: 'Down', diagnostic: 3, peerAdminDown: true },
    ]);
    expect(lab.b.m.state).toBe('Down');
    expect(lab.a.m.state).toBe('AdminDown');
    // The peer stays reachable: A keeps hearing B and B keeps hearing A's AdminDown at 1 s.
    expect(lab.a.m.status().remoteDiscriminator).toBe(0xb);
    expect(gaps(lab.a, 15_000, 30_000).every((g) => g >= 750 && g <= 1000)).toBe(true);
    lab.act(lab.a, { type: 'adminUp', now: 30_000 });
    lab.run(35_000);
    expect([lab.a.m.state, lab.b.m.state]).toEqual(['Up', 'Up']);
  });

  test('different timers: each side sends at the slower of its TX and the peer RX; detection uses the peer multiplier', () => {
    const slow = { desiredMinTxInterval: 1_000_000, requiredMinRxInterval: 1_000_000, detectMult: 5 };
    const lab = new Lab(FAST, slow);
    lab.run(20_000);
    expect(lab.a.m.status()).toMatchObject({
      state: 'Up',
      transmitInterval: 1_000_000,
      detectionTime: 5_000_000,
    });
    expect(lab.b.m.status()).toMatchObject({
      state: 'Up',
      transmitInterval: 1_000_000,
      detectionTime: 3_000_000,
    });
  });

  test('changing timers on a live session never flaps it', () => {
    const lab = new Lab(FAST, FAST);
    lab.run(5_000);
    lab.act(lab.a, {
      type: 'setParameters',
      parameters: { desiredMinTxInterval: 50_000, requiredMinRxInterval: 50_000 },
      now: 5_000,
    });
    lab.act(lab.b, {
      type: 'setParameters',
      parameters: { desiredMinTxInterval: 50_000, requiredMinRxInterval: 50_000 },
      now: 5_000,
    });
    lab.run(10_000);
    expect(lab.a.m.status()).toMatchObject({
      transmitInterval: 50_000,
      detectionTime: 150_000,
      pollActive: false,
    });
    lab.act(lab.a, {
      type: 'setParameters',
      parameters: { desiredMinTxInterval: 2_000_000, requiredMinRxInterval: 2_000_000 },
      now: 10_000,
    });
    lab.run(30_000);
    expect(lab.a.m.status()).toMatchObject({ transmitInterval: 2_000_000, detectionTime: 6_000_000 });
    expect(lab.b.m.status()).toMatchObject({ transmitInterval: 2_000_000, detectionTime: 6_000_000 });
    expect(lab.a.changes).toHaveLength(2);
    expect(lab.b.changes).toHaveLength(2);
  });
});
