import { describe, expect, test } from '@jest/globals';
import { BFD_DEFAULTS, bfdMicroseconds, isBfdInterval, isBfdMultiplier } from './bfd.ts';

describe('BFD numbers', () => {
  test('intervals: whole milliseconds from the floor to one minute', () => {
    expect([49, 50, 300, 60_000, 60_001, 50.5, '300'].map(isBfdInterval)).toEqual([
      false,
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });
  test('multiplier: 1..255 (an 8-bit field, 0 is invalid)', () => {
    expect([0, 1, 3, 255, 256].map(isBfdMultiplier)).toEqual([false, true, true, true, false]);
  });
  test('defaults are valid and convert to microseconds', () => {
    expect(isBfdInterval(BFD_DEFAULTS.minReceiveMs) && isBfdMultiplier(BFD_DEFAULTS.multiplier)).toBe(true);
    expect(bfdMicroseconds(BFD_DEFAULTS.minTransmitMs)).toBe(300_000);
  });
});
