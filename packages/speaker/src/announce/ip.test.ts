import { formatIp, intervalContains, parseInterval, parseIp, prefixOf } from './ip.ts';

describe('ip', () => {
  it('round-trips v4 and v6 in canonical form', () => {
    for (const t of [
      '198.51.100.7',
      '2001:db8:100::7',
      '::',
      '2001:db8::1:0:0:1',
      '::ffff:c633:6407',
      '1::',
    ]) {
      expect(formatIp(parseIp(t)!)).toBe(t);
    }
    expect(formatIp(parseIp('2001:0db8:0100:0000:0000:0000:0000:0007')!)).toBe('2001:db8:100::7');
    expect(formatIp(parseIp('::ffff:198.51.100.7')!)).toBe('::ffff:c633:6407');
    expect(parseIp('nope')).toBeUndefined();
  });
  it('computes aggregate prefixes', () => {
    expect(prefixOf(parseIp('198.51.100.77')!, 24)).toBe('198.51.100.0/24');
    expect(prefixOf(parseIp('198.51.100.77')!, 32)).toBe('198.51.100.77/32');
    expect(prefixOf(parseIp('2001:db8:100::abcd')!, 64)).toBe('2001:db8:100::/64');
    expect(prefixOf(parseIp('2001:db8:100::abcd')!, 128)).toBe('2001:db8:100::abcd/128');
  });
  it('parses pool entries and tests membership by family', () => {
    const r = parseInterval('198.51.100.10-198.51.100.20')!;
    expect(intervalContains(r, parseIp('198.51.100.10')!)).toBe(true);
    expect(intervalContains(r, parseIp('198.51.100.21')!)).toBe(false);
    const c = parseInterval('2001:db8:100::/64')!;
    expect(intervalContains(c, parseIp('2001:db8:100::ffff')!)).toBe(true);
    expect(intervalContains(c, parseIp('198.51.100.10')!)).toBe(false);
    expect(parseInterval('198.51.100.0/33')).toBeUndefined();
    expect(parseInterval('198.51.100.9-198.51.100.1')).toBeUndefined();
  });
});
