import { formatIP, parseIP, parseRange } from './ip.ts';

describe('parseIP / formatIP', () => {
  it.each([
    ['198.51.100.7', '198.51.100.7'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['2001:db8:100::', '2001:db8:100::'],
    ['2001:DB8:100:0:0:0:0:1', '2001:db8:100::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::', '::'],
    ['::1', '::1'],
    ['::ffff:198.51.100.1', '::ffff:c633:6401'],
  ])('%s → %s', (input, canonical) => {
    const ip = parseIP(input);
    expect(ip).not.toBeNull();
    expect(formatIP(ip!)).toBe(canonical);
    expect(parseIP(canonical)).toEqual(ip);
  });

  it.each([
    '',
    '198.51.100',
    '198.51.100.256',
    '198.51.100.07',
    '198.51.100.1/32',
    ' 198.51.100.1',
    '2001:db8::1::1',
    '2001:db8:1:2:3:4:5:6:7',
    '2001:db8::g',
    'fe80::1%eth0',
    'not-an-ip',
  ])('rejects %j', (input) => {
    expect(parseIP(input)).toBeNull();
  });
});

describe('parseRange', () => {
  it('parses CIDRs and inclusive ranges', () => {
    expect(parseRange('198.51.100.0/24')).toEqual({ family: 'IPv4', start: 0xc6336400n, end: 0xc63364ffn });
    expect(parseRange('198.51.100.10-198.51.100.20')).toEqual({
      family: 'IPv4',
      start: 0xc633640an,
      end: 0xc6336414n,
    });
    const v6 = parseRange('2001:db8:100::/64')!;
    expect(v6.end - v6.start + 1n).toBe(1n << 64n);
  });

  it.each([
    '198.51.100.1/24',
    '198.51.100.0/33',
    '198.51.100.20-198.51.100.10',
    '198.51.100.1-2001:db8::1',
    'x',
  ])('rejects %j', (input) => {
    expect(parseRange(input)).toBeNull();
  });
});
