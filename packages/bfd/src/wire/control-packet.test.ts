import { describe, expect, test } from '@jest/globals';
import { peer, withAuthSection, withByte } from '../testing.ts';
import type { DiscardReason } from '../types.ts';
import { type ControlPacket, decodeControlPacket, encodeControlPacket } from './control-packet.ts';
import { interopVectors } from './interop-vectors.ts';

const base: ControlPacket = peer({
  state: 'Up',
  myDiscriminator: 0x11223344,
  yourDiscriminator: 0x55667788,
  desiredMinTxInterval: 300_000,
  requiredMinRxInterval: 300_000,
});

const bytes = (p: Partial<ControlPacket> = {}) => encodeControlPacket({ ...base, ...p });

function discardReason(payload: Uint8Array): DiscardReason | undefined {
  const d = decodeControlPacket(payload);
  return d.ok ? undefined : d.discard.reason;
}

describe('encodeControlPacket', () => {
  test('lays out the RFC 5880 §4.1 mandatory section bit for bit', () => {
    const b = bytes({
      diagnostic: 7,
      state: 'AdminDown',
      poll: true,
      controlPlaneIndependent: true,
      demand: true,
    });
    expect(b.toString('hex')).toBe(
      [
        '27', // Vers 1, Diag 7
        '2a', // Sta 0, P, C, D
        '03', // Detect Mult
        '18', // Length 24
        '11223344',
        '55667788',
        '000493e0', // 300 ms
        '000493e0',
        '00000000',
      ].join(''),
    );
    expect(bytes({ state: 'Init', final: true })[1]).toBe(0x90);
  });

  test('round-trips every state and flag combination it may send', () => {
    for (const state of ['AdminDown', 'Down', 'Init', 'Up'] as const) {
      for (const [poll, final] of [
        [false, false],
        [true, false],
        [false, true],
      ] as const) {
        const p = {
          ...base,
          state,
          poll,
          final,
          diagnostic: 31,
          detectMult: 255,
          desiredMinTxInterval: 0xffffffff,
        };
        const d = decodeControlPacket(encodeControlPacket(p));
        expect(d).toEqual({ ok: true, packet: p });
      }
    }
  });

  test('refuses to build a packet the wire cannot carry', () => {
    expect(() => bytes({ detectMult: 0 })).toThrow(RangeError);
    expect(() => bytes({ detectMult: 256 })).toThrow(RangeError);
    expect(() => bytes({ myDiscriminator: 0 })).toThrow(RangeError);
    expect(() => bytes({ diagnostic: 32 })).toThrow(RangeError);
    expect(() => bytes({ desiredMinTxInterval: 2 ** 32 })).toThrow(RangeError);
    expect(() => bytes({ poll: true, final: true })).toThrow(RangeError);
  });
});

describe('decodeControlPacket: RFC 5880 §6.8.6 packet checks, one named outcome each', () => {
  const good = bytes();

  test('a well-formed packet is accepted', () => {
    expect(decodeControlPacket(good)).toEqual({ ok: true, packet: base });
  });

  test('truncated: shorter than the mandatory section', () => {
    expect(discardReason(good.subarray(0, 23))).toBe('truncated');
    expect(discardReason(new Uint8Array(0))).toBe('truncated');
  });

  test('version: anything but 1', () => {
    for (const v of [0, 2, 7]) expect(discardReason(withByte(good, 0, (v << 5) | 0))).toBe('version');
  });

  test('length: Length below 24, below 26 with the A bit, or beyond the UDP payload', () => {
    expect(discardReason(withByte(good, 3, 23))).toBe('length');
    expect(discardReason(withByte(good, 3, 0))).toBe('length');
    expect(discardReason(withByte(good, 3, 25))).toBe('length');
    const withAuthBit = withByte(good, 1, good[1]! | 0x04);
    expect(discardReason(withAuthBit)).toBe('length'); // Length 24 < 26
    // Bytes after Length are ignored: §6.8.6 only discards a Length greater than the payload.
    expect(decodeControlPacket(Buffer.concat([good, Buffer.from([1, 2, 3])])).ok).toBe(true);
  });

  test('detect-mult-zero', () => {
    expect(discardReason(withByte(good, 2, 0))).toBe('detect-mult-zero');
  });

  test('multipoint: the M bit', () => {
    expect(discardReason(withByte(good, 1, good[1]! | 0x01))).toBe('multipoint');
  });

  test('my-discriminator-zero', () => {
    const b = Buffer.from(good);
    b.writeUInt32BE(0, 4);
    expect(discardReason(b)).toBe('my-discriminator-zero');
  });

  test('your-discriminator-zero: only in Init and Up; Down and AdminDown may not know it yet', () => {
    for (const state of ['Init', 'Up'] as const) {
      expect(discardReason(bytes({ state, yourDiscriminator: 0 }))).toBe('your-discriminator-zero');
    }
    for (const state of ['Down', 'AdminDown'] as const) {
      expect(decodeControlPacket(bytes({ state, yourDiscriminator: 0 })).ok).toBe(true);
    }
  });

  test('authentication: the A bit with an Authentication Section, since none is configured', () => {
    // Keyed SHA1 (type 4, Auth Len 28), as tcpdump's bfd-raw-auth-sha1 sample carries it: 52 bytes.
    const auth = withAuthSection(good);
    const d = decodeControlPacket(auth);
    expect(d.ok).toBe(false);
    if (!d.ok) {
      expect(d.discard.reason).toBe('authentication');
      expect(d.discard.detail).toContain('Keyed SHA1');
    }
    // A malformed section (Auth Len beyond Length) is discarded for the same reason.
    const bad = withByte(auth, 25, 200);
    const d2 = decodeControlPacket(bad);
    expect(!d2.ok && d2.discard.reason).toBe('authentication');
    expect(!d2.ok && d2.discard.detail).toContain('malformed');
  });

  test('poll-and-final: §6.5 forbids both bits at once', () => {
    expect(discardReason(withByte(good, 1, good[1]! | 0x30))).toBe('poll-and-final');
  });

  test('checks run in the RFC order: the first failing check names the discard', () => {
    // Bad version and zero Detect Mult and zero My Discriminator: version is checked first.
    const b = Buffer.from(good);
    b[0] = 0x40;
    b[2] = 0;
    b.writeUInt32BE(0, 4);
    expect(discardReason(b)).toBe('version');
    b[0] = 0x20;
    expect(discardReason(b)).toBe('detect-mult-zero');
    b[2] = 3;
    expect(discardReason(b)).toBe('my-discriminator-zero');
  });
});

describe('interop vectors: packets FRR bfdd and BIRD send', () => {
  const decode = (hex: string) => {
    const d = decodeControlPacket(Buffer.from(hex, 'hex'));
    if (!d.ok) throw new Error(`${hex}: ${d.discard.detail}`);
    return d.packet;
  };

  test("FRR's first packet: Down, slow 1 s timers, echo RX 50 ms, Your Discriminator unknown", () => {
    expect(decode(interopVectors.frrDown)).toEqual({
      diagnostic: 0,
      state: 'Down',
      poll: false,
      final: false,
      controlPlaneIndependent: false,
      demand: false,
      detectMult: 3,
      myDiscriminator: 0x32a1f0c7,
      yourDiscriminator: 0,
      desiredMinTxInterval: 1_000_000,
      requiredMinRxInterval: 1_000_000,
      requiredMinEchoRxInterval: 50_000,
    });
  });

  test('FRR Init, Up+Poll with its configured 300 ms, Final, AdminDown and Down after expiry all decode', () => {
    expect(decode(interopVectors.frrInit)).toMatchObject({ state: 'Init', yourDiscriminator: 0xbeef });
    expect(decode(interopVectors.frrUpPoll)).toMatchObject({
      state: 'Up',
      poll: true,
      final: false,
      desiredMinTxInterval: 300_000,
      requiredMinRxInterval: 300_000,
    });
    expect(decode(interopVectors.frrUpFinal)).toMatchObject({ state: 'Up', poll: false, final: true });
    expect(decode(interopVectors.frrAdminDown)).toMatchObject({ state: 'AdminDown', diagnostic: 0 });
    expect(decode(interopVectors.frrDownAfterExpiry)).toMatchObject({
      state: 'Down',
      diagnostic: 1,
      yourDiscriminator: 0,
    });
  });

  test("BIRD's packets: multiplier 5, idle 1 s, min rx 10 ms, echo 0; Up+Poll with min tx 100 ms", () => {
    expect(decode(interopVectors.birdDown)).toMatchObject({
      state: 'Down',
      detectMult: 5,
      desiredMinTxInterval: 1_000_000,
      requiredMinRxInterval: 10_000,
      requiredMinEchoRxInterval: 0,
    });
    expect(decode(interopVectors.birdUpPoll)).toMatchObject({
      state: 'Up',
      poll: true,
      desiredMinTxInterval: 100_000,
    });
  });

  test('what FRR and BIRD receive from us decodes under their own rules (Length 24, no A/D/M/C bits)', () => {
    const ours = encodeControlPacket({
      ...base,
      state: 'Down',
      yourDiscriminator: 0,
      desiredMinTxInterval: 1_000_000,
    });
    expect(ours.length).toBe(24);
    expect(ours[3]).toBe(24);
    expect(ours[1]! & 0x0f).toBe(0); // C, A, D, M clear
    expect(ours[0]! >> 5).toBe(1);
    expect(ours.readUInt32BE(20)).toBe(0); // we ask for no Echo packets
  });
});
