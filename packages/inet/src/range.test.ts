import { parseIp } from './address.ts';
import { formatPrefix } from './prefix.ts';
import { parseAddressRange, rangeContains, rangeSize, rangesOverlap, rangeToCidrs } from './range.ts';

describe('parseAddressRange', () => {
  test('v6 /64 is two numbers, 2^64 addresses', () => {
    const r = parseAddressRange('2001:db8:100::/64');
    if (!r.ok) throw new Error(r.reason);
    expect(rangeSize(r.range)).toBe(1n << 64n);
    expect(r.range).toMatchObject({ kind: 'cidr', prefixLength: 64, family: 'ipv6' });
  });
  test('full ranges', () => {
    const v4 = parseAddressRange('0.0.0.0/0');
    const v6 = parseAddressRange('::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
    if (!v4.ok || !v6.ok) throw new Error('parse');
    expect(rangeSize(v4.range)).toBe(1n << 32n);
    expect(rangeSize(v6.range)).toBe(1n << 128n);
    expect(v6.range.kind).toBe('range');
  });
  test('range forms and errors', () => {
    expect(parseAddressRange('198.51.100.10 - 198.51.100.20')).toMatchObject({
      ok: true,
      range: { start: 0xc633640an, end: 0xc6336414n },
    });
    expect(parseAddressRange('198.51.100.20-198.51.100.10')).toEqual({
      ok: false,
      reason:
        '"198.51.100.20-198.51.100.10" is not a valid range: start 198.51.100.20 is after end 198.51.100.10',
    });
    expect(parseAddressRange('198.51.100.1-2001:db8::1')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('mixes families'),
    });
    expect(parseAddressRange('198.51.100.1-2001:db8::1')).toEqual({
      ok: false,
      reason: '"198.51.100.1-2001:db8::1" mixes families (IPv4 start, IPv6 end); a range is one family',
    });
    expect(parseAddressRange('198.51.100.7')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('"198.51.100.7/32"'),
    });
    expect(parseAddressRange('pool')).toMatchObject({ ok: false });
    expect(parseAddressRange('198.51.100.5-198.51.100.5')).toMatchObject({ ok: true });
  });
});

test('rangeToCidrs covers exactly', () => {
  expect(rangeToCidrs({ family: 'ipv4', start: 0xc6336401n, end: 0xc633640an }).map(formatPrefix)).toEqual([
    '198.51.100.1/32',
    '198.51.100.2/31',
    '198.51.100.4/30',
    '198.51.100.8/31',
    '198.51.100.10/32',
  ]);
  expect(rangeToCidrs({ family: 'ipv6', start: 0n, end: (1n << 128n) - 1n }).map(formatPrefix)).toEqual([
    '::/0',
  ]);
});

describe('membership', () => {
  it('tests membership by family (was the speaker announce view)', () => {
    const range = (text: string) => {
      const r = parseAddressRange(text);
      if (!r.ok) throw new Error(r.reason);
      return r.range;
    };
    const r = range('198.51.100.10-198.51.100.20');
    expect(rangeContains(r, parseIp('198.51.100.10')!)).toBe(true);
    expect(rangeContains(r, parseIp('198.51.100.21')!)).toBe(false);
    const c = range('2001:db8:100::/64');
    expect(rangeContains(c, parseIp('2001:db8:100::ffff')!)).toBe(true);
    expect(rangeContains(c, parseIp('198.51.100.10')!)).toBe(false);
    expect(parseAddressRange('198.51.100.0/33').ok).toBe(false);
    expect(parseAddressRange('198.51.100.9-198.51.100.1').ok).toBe(false);
  });
  it('overlap needs the same family', () => {
    const a = { family: 'ipv4' as const, start: 10n, end: 20n };
    expect(rangesOverlap(a, { family: 'ipv4', start: 20n, end: 30n })).toBe(true);
    expect(rangesOverlap(a, { family: 'ipv4', start: 21n, end: 30n })).toBe(false);
    expect(rangesOverlap(a, { family: 'ipv6', start: 10n, end: 20n })).toBe(false);
  });
});
