import { describe, expect, test } from '@jest/globals';
import { FAST, Harness, handshake, LOCAL_DISCRIMINATOR, peer, sent, started } from '../testing.ts';
import type { ControlPacket } from '../wire/control-packet.ts';
import type { SessionParameters } from './events.ts';
import { BfdSessionMachine } from './session-machine.ts';

/** A packet from a peer that is Up with 300 ms timers. */
const up = (over: Partial<ControlPacket> = {}) =>
  peer({
    state: 'Up',
    yourDiscriminator: LOCAL_DISCRIMINATOR,
    desiredMinTxInterval: 300_000,
    requiredMinRxInterval: 300_000,
    ...over,
  });

/** A harness around a fresh machine, started at t = 0. */
function fresh(parameters: SessionParameters = FAST, random: () => number = () => 0): Harness {
  const h = new Harness(
    new BfdSessionMachine({ localDiscriminator: LOCAL_DISCRIMINATOR, parameters, random }),
  );
  h.event({ type: 'start', now: 0 });
  return h;
}

/** Up at t = 0, the Up-Poll answered at t = 10, one ordinary packet at t = 20: timers settled at 300 ms. */
function settledUp(parameters: SessionParameters = FAST, random: () => number = () => 0): Harness {
  const h = fresh(parameters, random);
  h.receive(peer(), 0);
  h.receive(peer({ state: 'Init', yourDiscriminator: LOCAL_DISCRIMINATOR }), 0);
  h.receive(up({ final: true }), 10);
  h.receive(up(), 20);
  expect(h.m.status()).toMatchObject({
    state: 'Up',
    pollActive: false,
    transmitInterval: 300_000,
    detectionTime: 900_000,
  });
  return h;
}

describe('Poll Sequence on going Up (§6.5, §6.8.3)', () => {
  test('the Up packet carries P and the configured 300 ms; P stays on periodic packets until a Final', () => {
    const h = fresh();
    h.receive(peer(), 0);
    h.receive(peer({ state: 'Init', yourDiscriminator: LOCAL_DISCRIMINATOR }), 0);
    expect(h.lastSent).toMatchObject({
      state: 'Up',
      poll: true,
      final: false,
      desiredMinTxInterval: 300_000,
    });
    expect(h.m.status().pollActive).toBe(true);
    h.fire('TransmitTimer');
    expect(h.lastSent).toMatchObject({ poll: true });
    h.receive(up({ final: true }));
    expect(h.m.status().pollActive).toBe(false);
    h.fire('TransmitTimer');
    expect(h.lastSent).toMatchObject({ poll: false, desiredMinTxInterval: 300_000 });
  });

  test('a faster rate applies at once, within what the peer allows (its Required Min RX)', () => {
    const { m } = started();
    handshake(m, 0);
    // FRR still advertises its 1 s slow Required Min RX: we may not send faster than that.
    expect(m.status().transmitInterval).toBe(1_000_000);
    // Its own Poll lowers it: honoured at once (§6.8.3), and answered with a Final.
    const a = m.handle({ type: 'packetReceived', packet: up({ poll: true }), now: 50 });
    expect(sent(a)).toMatchObject([{ final: true, poll: false, state: 'Up' }]);
    expect(m.status().transmitInterval).toBe(300_000);
  });

  test('a Final when no Poll is outstanding changes nothing', () => {
    const h = settledUp();
    const before = h.m.status();
    h.receive(up({ final: true }), 30);
    expect(h.m.status()).toEqual(before);
  });
});

describe('changing our intervals while Up (§6.8.3: new values only take effect after the Final)', () => {
  test('a larger Desired Min TX is advertised with P, but the old rate holds until the Final', () => {
    const h = settledUp();
    h.event({ type: 'setParameters', parameters: { desiredMinTxInterval: 600_000 }, now: 100 });
    let t = h.fire('TransmitTimer');
    expect(sent(t)).toMatchObject([{ poll: true, desiredMinTxInterval: 600_000 }]);
    expect(h.timers.get('TransmitTimer')! - h.now).toBe(225); // still 75 % of 300 ms
    t = h.fire('TransmitTimer');
    expect(h.timers.get('TransmitTimer')! - h.now).toBe(225);
    const lastTx = h.now;
    h.receive(up({ final: true }), lastTx + 50);
    // Now 600 ms, redrawn from the last transmission.
    expect(h.timers.get('TransmitTimer')).toBe(lastTx + 450);
    expect(h.m.status()).toMatchObject({ pollActive: false, transmitInterval: 600_000 });
    t = h.fire('TransmitTimer');
    expect(sent(t)).toMatchObject([{ poll: false, desiredMinTxInterval: 600_000 }]);
  });

  test('a smaller Required Min RX keeps the old Detection Time until the Final', () => {
    const h = settledUp();
    // The peer would send every 100 ms, but our Required Min RX (300 ms) is the agreed interval so far.
    h.receive(up({ desiredMinTxInterval: 100_000 }), 30);
    h.receive(up({ desiredMinTxInterval: 100_000 }), 40);
    expect(h.timers.get('DetectionTimer')).toBe(40 + 900);
    h.event({ type: 'setParameters', parameters: { requiredMinRxInterval: 100_000 }, now: 100 });
    // We must not expect 100 ms before the peer has seen our Poll.
    h.receive(up({ desiredMinTxInterval: 100_000 }), 110);
    expect(h.timers.get('DetectionTimer')).toBe(110 + 900);
    h.fire('TransmitTimer');
    expect(h.lastSent).toMatchObject({ poll: true, requiredMinRxInterval: 100_000 });
    h.receive(up({ final: true, desiredMinTxInterval: 100_000 }), h.now + 5);
    expect(h.timers.get('DetectionTimer')).toBe(h.now + 300);
    expect(h.m.status().detectionTime).toBe(300_000);
  });

  test('a larger Required Min RX lengthens the Detection Time at once (the peer may slow down at once)', () => {
    const h = settledUp();
    h.event({ type: 'setParameters', parameters: { requiredMinRxInterval: 1_000_000 }, now: 100 });
    expect(h.timers.get('DetectionTimer')).toBe(20 + 3000);
    expect(h.m.status().pollActive).toBe(true);
  });

  test('a smaller Desired Min TX speeds transmission up at once', () => {
    const h = settledUp();
    h.receive(up({ requiredMinRxInterval: 50_000 }), 30); // the peer would take 50 ms
    const lastTx = h.sentLog.at(-1)!.at;
    h.event({ type: 'setParameters', parameters: { desiredMinTxInterval: 100_000 }, now: 40 });
    expect(h.timers.get('TransmitTimer')).toBe(Math.max(40, lastTx + 75));
    expect(h.m.status().transmitInterval).toBe(100_000);
  });

  test('a change made during a Poll waits for the Final and one packet without F, then gets its own Poll', () => {
    const h = settledUp();
    h.event({ type: 'setParameters', parameters: { desiredMinTxInterval: 600_000 }, now: 100 });
    h.event({ type: 'setParameters', parameters: { requiredMinRxInterval: 500_000 }, now: 110 });
    h.fire('TransmitTimer');
    // The outstanding Poll's values only: the Final must not be ambiguous.
    expect(h.lastSent).toMatchObject({
      poll: true,
      desiredMinTxInterval: 600_000,
      requiredMinRxInterval: 300_000,
    });
    h.receive(up({ final: true }), h.now + 5);
    expect(h.m.status()).toMatchObject({ pollActive: false, requiredMinRxInterval: 300_000 });
    h.fire('TransmitTimer');
    expect(h.lastSent).toMatchObject({ poll: false, requiredMinRxInterval: 300_000 });
    h.receive(up(), h.now + 5); // F clear: now the next Poll may start
    expect(h.m.status()).toMatchObject({ pollActive: true, requiredMinRxInterval: 500_000 });
    h.fire('TransmitTimer');
    expect(h.lastSent).toMatchObject({
      poll: true,
      desiredMinTxInterval: 600_000,
      requiredMinRxInterval: 500_000,
    });
  });

  test('no Poll without a peer: values change at once and show in the next packet', () => {
    const h = fresh();
    h.event({ type: 'setParameters', parameters: { requiredMinRxInterval: 700_000 }, now: 10 });
    expect(h.m.status()).toMatchObject({ pollActive: false, requiredMinRxInterval: 700_000 });
  });
});

describe("the peer's intervals", () => {
  test('a reduced Required Min RX from the peer is honoured at once (§6.8.3)', () => {
    const h = settledUp();
    h.receive(up({ requiredMinRxInterval: 1_000_000 }), 30);
    const lastTx = h.sentLog.at(-1)!.at;
    expect(h.timers.get('TransmitTimer')).toBe(Math.max(30, lastTx + 750));
    h.receive(up({ requiredMinRxInterval: 300_000 }), 40);
    expect(h.timers.get('TransmitTimer')).toBe(Math.max(40, lastTx + 225));
  });

  test('a raised Required Min RX postpones our next packet: never faster than the slower side', () => {
    const h = settledUp();
    const t = h.fire('TransmitTimer');
    expect(sent(t)).toHaveLength(1);
    const lastTx = h.now;
    h.receive(up({ requiredMinRxInterval: 2_000_000 }), lastTx + 10);
    expect(h.timers.get('TransmitTimer')).toBe(lastTx + 1500);
  });

  test('a lower Desired Min TX counts for the Detection Time from the next packet on', () => {
    // We accept 100 ms; the peer sends at 300 ms, so the agreed interval is its 300 ms.
    const h = settledUp({ ...FAST, requiredMinRxInterval: 100_000 });
    // It announces 100 ms in a Poll. FRR keeps its old rate until our Final arrives: if that Final were
    // lost, its next packet could come 300 ms later, so this packet still gets 3 × 300 ms.
    h.receive(up({ poll: true, desiredMinTxInterval: 100_000 }), 30);
    expect(h.timers.get('DetectionTimer')).toBe(30 + 900);
    h.receive(up({ desiredMinTxInterval: 100_000 }), 60);
    expect(h.timers.get('DetectionTimer')).toBe(60 + 300);
  });

  test('a higher Desired Min TX lengthens the Detection Time at once', () => {
    const h = settledUp();
    h.receive(up({ desiredMinTxInterval: 2_000_000 }), 30);
    expect(h.timers.get('DetectionTimer')).toBe(30 + 6000);
  });

  test('Required Min RX 0 stops periodic transmission; a Poll is still answered', () => {
    const h = settledUp();
    h.receive(up({ requiredMinRxInterval: 0 }), 30);
    expect(h.timers.has('TransmitTimer')).toBe(false);
    expect(h.m.status().transmitInterval).toBe(0);
    const a = h.receive(up({ requiredMinRxInterval: 0, poll: true }), 40);
    expect(sent(a)).toMatchObject([{ final: true }]);
    expect(h.timers.has('TransmitTimer')).toBe(false);
    h.receive(up(), 50);
    expect(h.timers.has('TransmitTimer')).toBe(true);
  });

  test("the peer's Demand mode stops our periodic packets while both are Up, except during our Poll (§6.8.7)", () => {
    const h = settledUp();
    h.receive(up({ demand: true }), 30);
    expect(h.timers.has('TransmitTimer')).toBe(false);
    const a = h.event({ type: 'setParameters', parameters: { desiredMinTxInterval: 200_000 }, now: 40 });
    expect(sent(a)).toMatchObject([{ poll: true, demand: false }]);
    h.fire('TransmitTimer');
    expect(h.lastSent).toMatchObject({ poll: true });
    h.receive(up({ demand: true, final: true }), h.now + 1);
    expect(h.timers.has('TransmitTimer')).toBe(false);
    expect(h.m.status()).toMatchObject({ remoteDemandMode: true, desiredMinTxInterval: 200_000 });
  });
});

describe('transmit jitter (§6.8.7)', () => {
  const firstGap = (random: number, detectMult: number) => {
    const { first } = started({ parameters: { ...FAST, detectMult } }, () => random);
    const arm = first.find((a) => a.type === 'armTimer');
    return arm?.type === 'armTimer' ? arm.at : Number.NaN;
  };

  test('each interval is reduced by 0–25 %: 75 % to just under 100 % of 1 s', () => {
    expect(firstGap(0, 3)).toBe(750);
    expect(firstGap(0.5, 3)).toBe(875);
    expect(firstGap(0.999999, 3)).toBeLessThan(1000);
    expect(firstGap(0.999999, 3)).toBeGreaterThan(999);
  });

  test('with Detect Mult 1, 75–90 %, so the peer never times out between two packets', () => {
    expect(firstGap(0, 1)).toBe(750);
    expect(firstGap(0.999999, 1)).toBeLessThan(900);
    expect(firstGap(0.999999, 1)).toBeGreaterThan(899);
  });

  test('every gap is a fresh draw', () => {
    let i = 0;
    const draws = [0, 1 / 5, 2 / 5, 3 / 5, 4 / 5];
    const { m } = started({}, () => draws[i++ % draws.length]!);
    const h = new Harness(m);
    h.timers.set('TransmitTimer', 750);
    const gaps: number[] = [];
    for (let k = 0; k < 4; k++) {
      const before = h.timers.get('TransmitTimer')!;
      h.fire('TransmitTimer');
      gaps.push(h.timers.get('TransmitTimer')! - before);
    }
    expect(gaps).toEqual([800, 850, 900, 950]);
  });
});

describe('leaving Up: back to the slow rate (§6.8.3)', () => {
  test('after a neighbor Down the slow 1 s is advertised with a Poll; the old fast rate holds until the Final', () => {
    const h = settledUp();
    h.receive(up({ state: 'Down' }), 30);
    expect(h.m.status()).toMatchObject({
      state: 'Down',
      desiredMinTxInterval: 1_000_000,
      pollActive: true,
      transmitInterval: 300_000,
    });
    expect(h.lastSent).toMatchObject({ state: 'Down', poll: true, desiredMinTxInterval: 1_000_000 });
    h.receive(up({ state: 'Down', final: true }), 40);
    expect(h.m.status()).toMatchObject({ pollActive: false, transmitInterval: 1_000_000 });
  });

  test('AdminDown: sent at once, repeated at the fast rate until the peer acknowledges, and how long the peer waits', () => {
    const h = settledUp();
    h.event({ type: 'adminDown', now: 30 });
    expect(h.lastSent).toMatchObject({ state: 'AdminDown', diagnostic: 7, poll: true });
    expect(h.timers.get('TransmitTimer')).toBe(30 + 225);
    // The peer's Detection Time for us: our Detect Mult × max(its Required Min RX, our old and new TX).
    expect(h.m.status().remoteDetectionTime).toBe(3 * 1_000_000);
    h.receive(up({ state: 'Down', final: true, diagnostic: 3 }), 35);
    expect(h.m.status()).toMatchObject({
      state: 'AdminDown',
      remoteState: 'Down',
      transmitInterval: 1_000_000,
    });
  });
});
