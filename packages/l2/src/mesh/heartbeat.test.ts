import { prng } from '@herald/inet';
import { describe, expect, test } from '@jest/globals';
import {
  decodeHeartbeat,
  encodeHeartbeat,
  type Heartbeat,
  HMAC_LENGTH,
  MAX_HEARTBEAT_LENGTH,
  newIncarnation,
} from './heartbeat.ts';

const key = Buffer.from('0123456789abcdef0123456789abcdef');
const other = Buffer.from('fedcba9876543210fedcba9876543210');
const hb: Heartbeat = {
  sender: 'node-0',
  receiver: 'worker-17.example.internal',
  ready: true,
  leaving: false,
  incarnation: newIncarnation(1_764_600_000_000, 0xbeef),
  sequence: 4_000_000_000,
  echoIncarnation: (1n << 64n) - 1n,
  echoSequence: 7,
};

describe('heartbeat codec', () => {
  test('round trip, every field', () => {
    const bytes = encodeHeartbeat(hb, key);
    expect(bytes.length).toBe(32 + 6 + 26 + HMAC_LENGTH);
    expect(decodeHeartbeat(bytes, [key])).toEqual({ ok: true, heartbeat: hb });
    const flags = decodeHeartbeat(encodeHeartbeat({ ...hb, ready: false, leaving: true }, key), [key]);
    expect(flags.ok && [flags.heartbeat.ready, flags.heartbeat.leaving]).toEqual([false, true]);
  });

  test('the layout is the documented one', () => {
    const b = encodeHeartbeat(hb, key);
    expect([
      b.subarray(0, 4).toString('hex'),
      b[4],
      b[6],
      b[7],
      b.readUInt32BE(16),
      b.readUInt32BE(28),
    ]).toEqual(['484c3201', 0x01, 6, 26, 4_000_000_000, 7]);
    expect(b.readBigUInt64BE(8) >> 16n).toBe(1_764_600_000_000n);
  });

  test('a different key, or any changed byte, fails authentication', () => {
    const bytes = encodeHeartbeat(hb, key);
    expect(decodeHeartbeat(bytes, [other])).toMatchObject({ ok: false, reason: 'authentication' });
    for (let i = 4; i < bytes.length; i++) {
      if (i === 6 || i === 7) continue; // the lengths: a framing error, tested below
      const c = Buffer.from(bytes);
      c[i] ^= 0x01;
      expect([i, decodeHeartbeat(c, [key])]).toEqual([
        i,
        expect.objectContaining({ reason: 'authentication' }),
      ]);
    }
  });

  test('strangers are refused by name before any MAC is computed', () => {
    const admitted: string[] = [];
    const r = decodeHeartbeat(encodeHeartbeat(hb, other), [key], (s, r) => {
      admitted.push(`${s}→${r}`);
      return false;
    });
    expect(r).toMatchObject({ ok: false, reason: 'not-member' });
    expect(admitted).toEqual(['node-0→worker-17.example.internal']);
  });

  test('during a key rotation either key verifies', () => {
    expect(decodeHeartbeat(encodeHeartbeat(hb, other), [key, other]).ok).toBe(true);
    expect(decodeHeartbeat(encodeHeartbeat(hb, key), [key, other]).ok).toBe(true);
  });

  test.each([
    ['truncated', (b: Buffer) => b.subarray(0, 63)],
    ['magic', (b: Buffer) => Buffer.concat([Buffer.from('XL2'), b.subarray(3)])],
    ['version', (b: Buffer) => Buffer.concat([b.subarray(0, 3), Buffer.from([2]), b.subarray(4)])],
    ['length', (b: Buffer) => b.subarray(0, b.length - 1)],
    ['length', (b: Buffer) => Buffer.concat([b, Buffer.from([0])])],
    ['length', (b: Buffer) => Buffer.concat([b.subarray(0, 6), Buffer.from([0]), b.subarray(7)])],
  ])('framing errors: %s', (reason, mutate) => {
    expect(decodeHeartbeat(mutate(encodeHeartbeat(hb, key)), [key])).toMatchObject({ ok: false, reason });
  });

  test('names are bounded and ASCII: the largest heartbeat fits MAX_HEARTBEAT_LENGTH', () => {
    const long = 'n'.repeat(253);
    expect(encodeHeartbeat({ ...hb, sender: long, receiver: long }, key).length).toBe(MAX_HEARTBEAT_LENGTH);
    expect(() => encodeHeartbeat({ ...hb, sender: 'n'.repeat(254) }, key)).toThrow(/1–253 ASCII/);
    expect(() => encodeHeartbeat({ ...hb, sender: 'nœud' }, key)).toThrow(/ASCII/);
    expect(() => encodeHeartbeat({ ...hb, sender: '' }, key)).toThrow(/1–253/);
  });

  test('random bytes never throw and never authenticate', () => {
    const r = prng(7);
    for (let i = 0; i < 20_000; i++) {
      const b = Buffer.from(Array.from({ length: Math.floor(r() * 200) }, () => Math.floor(r() * 256)));
      if (r() < 0.5 && b.length > 4) b.set([0x48, 0x4c, 0x32, 1], 0);
      const d = decodeHeartbeat(b, [key]);
      if (d.ok) throw new Error(`random bytes authenticated: ${b.toString('hex')}`);
    }
  });
});
