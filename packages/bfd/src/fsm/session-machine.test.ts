import { describe, expect, test } from '@jest/globals';
import {
  armedAt,
  cancelled,
  FAST,
  handshake,
  LOCAL_DISCRIMINATOR,
  PEER_DISCRIMINATOR,
  peer,
  sent,
  started,
  stateChanges,
} from '../testing.ts';
import { Diagnostic } from '../types.ts';
import { BfdSessionMachine, checkSessionParameters } from './session-machine.ts';

describe('start and the Active / Passive roles (§6.1, §6.8.1, §6.8.7)', () => {
  test('an Active session starts Down and sends at once: §6.8.7 contents, slow 1 s rate', () => {
    const { m, first } = started();
    expect(m.state).toBe('Down');
    expect(sent(first)).toEqual([
      {
        diagnostic: 0,
        state: 'Down',
        poll: false,
        final: false,
        controlPlaneIndependent: false, // we share fate with the control plane
        demand: false,
        detectMult: 3,
        myDiscriminator: LOCAL_DISCRIMINATOR,
        yourDiscriminator: 0,
        desiredMinTxInterval: 1_000_000, // §6.8.3: at least 1 s while not Up, though 300 ms is configured
        requiredMinRxInterval: 300_000,
        requiredMinEchoRxInterval: 0, // no Echo packets to us
      },
    ]);
    // random() = 0 → the lowest jitter: 75 % of 1 s.
    expect(armedAt(first, 'TransmitTimer')).toBe(750);
    const encoded = first.find((a) => a.type === 'send');
    expect(encoded?.type === 'send' && encoded.data.toString('hex')).toBe(
      '20400318' + '0000beef' + '00000000' + '000f4240' + '000493e0' + '00000000',
    );
  });

  test('nothing happens before start', () => {
    const m = new BfdSessionMachine({ localDiscriminator: LOCAL_DISCRIMINATOR, parameters: FAST });
    expect(m.handle({ type: 'packetReceived', packet: peer(), now: 0 })).toEqual([]);
    expect(m.handle({ type: 'timerExpired', timer: 'TransmitTimer', now: 5 })).toEqual([]);
    expect(m.state).toBe('Down');
    expect(m.status().remoteDiscriminator).toBe(0);
  });

  test('a Passive session sends nothing until the peer has spoken, then answers at once', () => {
    const { m, first } = started({ passive: true });
    expect(first).toEqual([]);
    expect(m.handle({ type: 'timerExpired', timer: 'TransmitTimer', now: 2000 })).toEqual([]);
    const a = m.handle({ type: 'packetReceived', packet: peer(), now: 3000 });
    expect(m.state).toBe('Init');
    expect(sent(a)).toMatchObject([{ state: 'Init', yourDiscriminator: PEER_DISCRIMINATOR }]);
    expect(armedAt(a, 'TransmitTimer')).toBe(3750);
  });

  test('a Passive session falls silent again when the peer does (Detection Time)', () => {
    const { m } = started({ passive: true });
    const a = m.handle({ type: 'packetReceived', packet: peer(), now: 0 });
    const detectAt = armedAt(a, 'DetectionTimer')!;
    const b = m.handle({ type: 'timerExpired', timer: 'DetectionTimer', now: detectAt });
    expect(cancelled(b, 'TransmitTimer')).toBe(true);
    expect(m.handle({ type: 'timerExpired', timer: 'TransmitTimer', now: detectAt + 1000 })).toEqual([]);
  });
});

describe('the three-way handshake (§6.2, §6.8.6)', () => {
  test('Down + Down → Init, then Init + Init → Up; each change is sent at once', () => {
    const { m } = started();
    let a = m.handle({ type: 'packetReceived', packet: peer(), now: 10 });
    expect(stateChanges(a)).toEqual([
      { type: 'stateChange', from: 'Down', to: 'Init', diagnostic: 0, peerAdminDown: false },
    ]);
    expect(sent(a)).toMatchObject([{ state: 'Init', yourDiscriminator: PEER_DISCRIMINATOR }]);
    a = m.handle({
      type: 'packetReceived',
      packet: peer({ state: 'Init', yourDiscriminator: LOCAL_DISCRIMINATOR }),
      now: 20,
    });
    expect(stateChanges(a)).toEqual([
      { type: 'stateChange', from: 'Init', to: 'Up', diagnostic: 0, peerAdminDown: false },
    ]);
    expect(sent(a)).toMatchObject([{ state: 'Up' }]);
  });

  test('Down + Init → Up directly (the peer saw our Down first)', () => {
    const { m } = started();
    const a = m.handle({
      type: 'packetReceived',
      packet: peer({ state: 'Init', yourDiscriminator: LOCAL_DISCRIMINATOR }),
      now: 1,
    });
    expect(stateChanges(a).map((c) => c.to)).toEqual(['Up']);
  });

  test('Init + Up → Up', () => {
    const { m } = started();
    handshake(m, 1, 'Init');
    const a = m.handle({
      type: 'packetReceived',
      packet: peer({ state: 'Up', yourDiscriminator: LOCAL_DISCRIMINATOR }),
      now: 2,
    });
    expect(m.state).toBe('Up');
    expect(stateChanges(a)).toHaveLength(1);
  });

  test('Down + Up stays Down: the peer must first agree the session is down', () => {
    const { m } = started();
    const a = m.handle({
      type: 'packetReceived',
      packet: peer({ state: 'Up', yourDiscriminator: LOCAL_DISCRIMINATOR }),
      now: 1,
    });
    expect(m.state).toBe('Down');
    expect(stateChanges(a)).toEqual([]);
    expect(sent(a)).toEqual([]); // no state change: wait for the periodic packet
  });

  test('Init + Down stays Init', () => {
    const { m } = started();
    handshake(m, 1, 'Init');
    const a = m.handle({ type: 'packetReceived', packet: peer(), now: 2 });
    expect(m.state).toBe('Init');
    expect(stateChanges(a)).toEqual([]);
  });

  test('Up + Init and Up + Up stay Up', () => {
    const { m } = started();
    handshake(m, 1);
    for (const state of ['Init', 'Up'] as const) {
      const a = m.handle({
        type: 'packetReceived',
        packet: peer({ state, yourDiscriminator: LOCAL_DISCRIMINATOR }),
        now: 2,
      });
      expect(stateChanges(a)).toEqual([]);
      expect(m.state).toBe('Up');
    }
  });

  test('Up + Down → Down with diag 3 Neighbor Signaled Session Down', () => {
    const { m } = started();
    handshake(m, 1);
    const a = m.handle({
      type: 'packetReceived',
      packet: peer({ yourDiscriminator: LOCAL_DISCRIMINATOR }),
      now: 2,
    });
    expect(stateChanges(a)).toEqual([
      { type: 'stateChange', from: 'Up', to: 'Down', diagnostic: 3, peerAdminDown: false },
    ]);
    expect(sent(a)).toMatchObject([{ state: 'Down', diagnostic: 3, yourDiscriminator: PEER_DISCRIMINATOR }]);
  });

  test('a peer that restarted (Your Discriminator 0, Down) takes an Up session Down', () => {
    const { m } = started();
    handshake(m, 1);
    m.handle({ type: 'packetReceived', packet: peer({ myDiscriminator: 0x777 }), now: 2 });
    expect(m.state).toBe('Down');
    expect(m.status().remoteDiscriminator).toBe(0x777);
  });
});

describe('the peer going AdminDown (§6.8.6, RFC 5882 §3.2)', () => {
  test('Up + AdminDown → Down, diag 3, flagged so clients do not treat it as a failure', () => {
    const { m } = started();
    handshake(m, 1);
    const a = m.handle({
      type: 'packetReceived',
      packet: peer({ state: 'AdminDown', diagnostic: 7, yourDiscriminator: LOCAL_DISCRIMINATOR }),
      now: 2,
    });
    expect(stateChanges(a)).toEqual([
      { type: 'stateChange', from: 'Up', to: 'Down', diagnostic: 3, peerAdminDown: true },
    ]);
    expect(m.status().remoteDiagnostic).toBe(7);
  });

  test('Init + AdminDown → Down; Down + AdminDown stays Down', () => {
    const { m } = started();
    handshake(m, 1, 'Init');
    const a = m.handle({
      type: 'packetReceived',
      packet: peer({ state: 'AdminDown', yourDiscriminator: LOCAL_DISCRIMINATOR }),
      now: 2,
    });
    expect(stateChanges(a).map((c) => [c.to, c.peerAdminDown])).toEqual([['Down', true]]);
    const b = m.handle({
      type: 'packetReceived',
      packet: peer({ state: 'AdminDown', yourDiscriminator: LOCAL_DISCRIMINATOR }),
      now: 3,
    });
    expect(stateChanges(b)).toEqual([]);
    expect(m.state).toBe('Down');
  });

  test('a peer in AdminDown is not brought up by anything: we wait in Down', () => {
    const { m } = started();
    for (let t = 0; t < 5; t++)
      m.handle({ type: 'packetReceived', packet: peer({ state: 'AdminDown' }), now: t });
    expect(m.state).toBe('Down');
    // Only a change out of Init or Up sets diag 3; Down keeps the reason it already had.
    expect(m.status().localDiagnostic).toBe(0);
  });
});

describe('administrative control (§6.8.16)', () => {
  test('adminDown: AdminDown with diag 7, sent at once, then periodic AdminDown packets', () => {
    const { m } = started();
    handshake(m, 1);
    const a = m.handle({ type: 'adminDown', now: 5 });
    expect(stateChanges(a)).toEqual([
      { type: 'stateChange', from: 'Up', to: 'AdminDown', diagnostic: 7, peerAdminDown: false },
    ]);
    expect(sent(a)).toMatchObject([{ state: 'AdminDown', diagnostic: Diagnostic.AdministrativelyDown }]);
    const t = armedAt(a, 'TransmitTimer')!;
    const b = m.handle({ type: 'timerExpired', timer: 'TransmitTimer', now: t });
    expect(sent(b)).toMatchObject([{ state: 'AdminDown', diagnostic: 7 }]);
  });

  test('adminDown may carry diag 5 Path Down; repeating it changes nothing', () => {
    const { m } = started();
    const a = m.handle({ type: 'adminDown', now: 1, diagnostic: 'PathDown' });
    expect(sent(a)).toMatchObject([{ state: 'AdminDown', diagnostic: Diagnostic.PathDown }]);
    expect(m.handle({ type: 'adminDown', now: 2 })).toEqual([]);
  });

  test('in AdminDown received packets change no state and get no Final', () => {
    const { m } = started();
    handshake(m, 1);
    m.handle({ type: 'adminDown', now: 2 });
    for (const state of ['Down', 'Init', 'Up'] as const) {
      const a = m.handle({
        type: 'packetReceived',
        packet: peer({ state, poll: true, yourDiscriminator: LOCAL_DISCRIMINATOR }),
        now: 3,
      });
      expect(stateChanges(a)).toEqual([]);
      expect(sent(a).filter((p) => p.final)).toEqual([]);
    }
    expect(m.state).toBe('AdminDown');
  });

  test('adminUp: AdminDown → Down, announced at once; the handshake can then run again', () => {
    const { m } = started({ adminDown: true });
    expect(m.state).toBe('AdminDown');
    const a = m.handle({ type: 'adminUp', now: 1 });
    expect(stateChanges(a).map((c) => [c.from, c.to])).toEqual([['AdminDown', 'Down']]);
    expect(sent(a)).toMatchObject([{ state: 'Down' }]);
    handshake(m, 2);
    expect(m.state).toBe('Up');
    expect(m.handle({ type: 'adminUp', now: 3 })).toEqual([]);
  });

  test('a session started AdminDown sends AdminDown packets', () => {
    const { first } = started({ adminDown: true });
    expect(sent(first)).toMatchObject([{ state: 'AdminDown' }]);
  });
});

describe('Detection Time (§6.8.4) and bfd.RemoteDiscr (§6.8.1)', () => {
  test('Up: Detection Time = peer Detect Mult × max(our Required Min RX, peer Desired Min TX)', () => {
    const { m } = started();
    handshake(m, 0);
    // After the Poll for 300 ms completes, a peer packet at 300 ms × 5 gives 1.5 s.
    m.handle({
      type: 'packetReceived',
      packet: peer({
        state: 'Up',
        final: true,
        yourDiscriminator: LOCAL_DISCRIMINATOR,
        desiredMinTxInterval: 300_000,
        requiredMinRxInterval: 300_000,
      }),
      now: 100,
    });
    const a = m.handle({
      type: 'packetReceived',
      packet: peer({
        state: 'Up',
        detectMult: 5,
        yourDiscriminator: LOCAL_DISCRIMINATOR,
        desiredMinTxInterval: 300_000,
        requiredMinRxInterval: 300_000,
      }),
      now: 200,
    });
    expect(armedAt(a, 'DetectionTimer')).toBe(200 + 1500);
    expect(m.status().detectionTime).toBe(1_500_000);
    // A slower peer (1 s) sets the agreed interval.
    const b = m.handle({
      type: 'packetReceived',
      packet: peer({
        state: 'Up',
        yourDiscriminator: LOCAL_DISCRIMINATOR,
        desiredMinTxInterval: 1_000_000,
        requiredMinRxInterval: 300_000,
      }),
      now: 300,
    });
    expect(armedAt(b, 'DetectionTimer')).toBe(300 + 3000);
  });

  test('expiry in Up → Down, diag 1; bfd.RemoteDiscr zeroed; the slow rate again', () => {
    const { m } = started();
    const a = handshake(m, 0);
    const at = armedAt(a, 'DetectionTimer')!;
    const b = m.handle({ type: 'timerExpired', timer: 'DetectionTimer', now: at });
    expect(stateChanges(b)).toEqual([
      { type: 'stateChange', from: 'Up', to: 'Down', diagnostic: 1, peerAdminDown: false },
    ]);
    expect(sent(b)).toMatchObject([
      { state: 'Down', diagnostic: 1, yourDiscriminator: 0, desiredMinTxInterval: 1_000_000, poll: false },
    ]);
    expect(m.status()).toMatchObject({
      remoteDiscriminator: 0,
      remoteState: 'Down',
      remoteMinRxInterval: 1,
      pollActive: false,
    });
  });

  test('expiry in Init → Down, diag 1', () => {
    const { m } = started();
    const a = handshake(m, 0, 'Init');
    const b = m.handle({ type: 'timerExpired', timer: 'DetectionTimer', now: armedAt(a, 'DetectionTimer')! });
    expect(stateChanges(b).map((c) => [c.to, c.diagnostic])).toEqual([['Down', 1]]);
  });

  test('expiry in Down only forgets the peer (Your Discriminator 0 from then on)', () => {
    const { m } = started();
    const a = m.handle({ type: 'packetReceived', packet: peer({ state: 'AdminDown' }), now: 0 });
    expect(m.status().remoteDiscriminator).toBe(PEER_DISCRIMINATOR);
    const b = m.handle({ type: 'timerExpired', timer: 'DetectionTimer', now: armedAt(a, 'DetectionTimer')! });
    expect(stateChanges(b)).toEqual([]);
    expect(m.status().remoteDiscriminator).toBe(0);
    const c = m.handle({ type: 'timerExpired', timer: 'TransmitTimer', now: 10_000 });
    expect(sent(c)).toMatchObject([{ state: 'Down', yourDiscriminator: 0 }]);
  });

  test('an early or cancelled expiry changes nothing: the machine re-checks `now`', () => {
    const { m } = started();
    const a = handshake(m, 0);
    const at = armedAt(a, 'DetectionTimer')!;
    expect(m.handle({ type: 'timerExpired', timer: 'DetectionTimer', now: at - 1 })).toEqual([
      { type: 'armTimer', timer: 'DetectionTimer', at },
    ]);
    expect(m.state).toBe('Up');
    // A packet moves the deadline; the old expiry arriving late is now early.
    const b = m.handle({
      type: 'packetReceived',
      packet: peer({ state: 'Up', yourDiscriminator: LOCAL_DISCRIMINATOR }),
      now: at - 10,
    });
    const later = armedAt(b, 'DetectionTimer')!;
    expect(later).toBeGreaterThan(at);
    expect(stateChanges(m.handle({ type: 'timerExpired', timer: 'DetectionTimer', now: at }))).toEqual([]);
    expect(m.state).toBe('Up');
    // With no deadline armed an expiry is ignored.
    const { m: fresh } = started();
    expect(fresh.handle({ type: 'timerExpired', timer: 'DetectionTimer', now: 99 })).toEqual([]);
  });
});

describe('discriminators (§6.3, §6.8.6)', () => {
  test("a packet naming another session's discriminator is discarded without effect", () => {
    const { m } = started();
    handshake(m, 0);
    const before = m.status();
    const a = m.handle({ type: 'packetReceived', packet: peer({ yourDiscriminator: 0x1234 }), now: 1 });
    expect(a).toEqual([{ type: 'discarded', discard: { reason: 'no-session', detail: expect.any(String) } }]);
    expect(m.status()).toEqual(before);
  });

  test('bfd.RemoteDiscr follows the peer and our packets carry it', () => {
    const { m } = started();
    handshake(m, 0);
    const t = m.handle({ type: 'timerExpired', timer: 'TransmitTimer', now: 10_000 });
    expect(sent(t)[0]).toMatchObject({
      myDiscriminator: LOCAL_DISCRIMINATOR,
      yourDiscriminator: PEER_DISCRIMINATOR,
    });
  });
});

describe('parameters', () => {
  test('checkSessionParameters names every problem', () => {
    expect(checkSessionParameters(FAST)).toEqual([]);
    expect(
      checkSessionParameters({ desiredMinTxInterval: 0, requiredMinRxInterval: 1.5, detectMult: 256 }),
    ).toHaveLength(3);
    expect(
      () => new BfdSessionMachine({ localDiscriminator: 1, parameters: { ...FAST, detectMult: 0 } }),
    ).toThrow(RangeError);
    expect(() => new BfdSessionMachine({ localDiscriminator: 0, parameters: FAST })).toThrow(RangeError);
  });

  test('invalid setParameters is rejected and changes nothing', () => {
    const { m } = started();
    handshake(m, 0);
    const before = m.status();
    const a = m.handle({ type: 'setParameters', parameters: { detectMult: 0 }, now: 1 });
    expect(a).toEqual([
      { type: 'parametersRejected', issues: ['detectMult must be an integer 1..255, got 0'] },
    ]);
    expect(m.status()).toEqual(before);
    expect(m.parameters).toEqual(FAST);
  });

  test('a new Detect Mult is carried by the next packet (it needs no Poll)', () => {
    const { m } = started();
    m.handle({ type: 'setParameters', parameters: { detectMult: 5 }, now: 1 });
    const a = m.handle({ type: 'timerExpired', timer: 'TransmitTimer', now: 1000 });
    expect(sent(a)).toMatchObject([{ detectMult: 5, poll: false }]);
  });
});
