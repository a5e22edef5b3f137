import {
  canonicalIp,
  formatCidr,
  formatIp,
  isBuggyIp,
  parseAddressRange,
  parseCidr,
  parseIp,
  rangeSize,
  rangeToCidrs,
} from './ip.ts';

describe('parseIp / formatIp', () => {
  test.each([
    ['0.0.0.0', 'IPv4', 0n],
    ['255.255.255.255', 'IPv4', 0xffffffffn],
    ['198.51.100.7', 'IPv4', 0xc6336407n],
    ['::', 'IPv6', 0n],
    ['::1', 'IPv6', 1n],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'IPv6', (1n << 128n) - 1n],
    ['2001:db8:100::', 'IPv6', 0x20010db8010000000000000000000000n],
    ['::ffff:198.51.100.1', 'IPv6', 0xffffc6336401n],
    ['1:2:3:4:5:6:198.51.100.1', 'IPv6', 0x000100020003000400050006c6336401n],
  ] as const)('%s', (text, family, value) => {
    expect(parseIp(text)).toEqual({ family, value });
  });

  test.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.0.0.1',
    '01.2.3.4',
    '1.2.3.-1',
    ':::',
    '1::2::3',
    '12345::',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    'fe80::1%eth0',
    '::ffff:1.2.3',
    '1.2.3.4::',
    ' 1.2.3.4',
    'g::1',
  ])('rejects %j', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });

  test.each([
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['198.51.100.7', '198.51.100.7'],
  ])('canonical %s → %s (RFC 5952)', (input, out) => {
    expect(canonicalIp(input)).toBe(out);
  });

  test('round-trips random addresses', () => {
    for (let i = 0; i < 500; i++) {
      let v = 0n;
      for (let j = 0; j < 8; j++)
        v = (v << 16n) | BigInt(Math.floor(Math.random() * 3) === 0 ? 0 : Math.floor(Math.random() * 65536));
      const ip = { family: 'IPv6' as const, value: v };
      expect(parseIp(formatIp(ip))).toEqual(ip);
    }
  });
});

describe('parseCidr', () => {
  test('host bits set → canonical suggestion', () => {
    expect(parseCidr('198.51.100.7/24')).toEqual({
      ok: false,
      reason: '"198.51.100.7/24" has host bits set; did you mean "198.51.100.0/24"?',
    });
    expect(parseCidr('2001:db8:100::1/64')).toEqual({
      ok: false,
      reason: '"2001:db8:100::1/64" has host bits set; did you mean "2001:db8:100::/64"?',
    });
  });
  test('prefix length bounds', () => {
    expect(parseCidr('198.51.100.0/33').ok).toBe(false);
    expect(parseCidr('2001:db8::/129').ok).toBe(false);
    expect(parseCidr('2001:db8::/128').ok).toBe(true);
    expect(parseCidr('0.0.0.0/0').ok).toBe(true);
    expect(parseCidr('::/0').ok).toBe(true);
    expect(parseCidr('198.51.100.0/024').ok).toBe(false);
    expect(parseCidr('198.51.100.0/').ok).toBe(false);
  });
});

describe('parseAddressRange', () => {
  test('v6 /64 is two numbers, 2^64 addresses', () => {
    const r = parseAddressRange('2001:db8:100::/64');
    if (!r.ok) throw new Error(r.reason);
    expect(rangeSize(r.range)).toBe(1n << 64n);
    expect(r.range).toMatchObject({ kind: 'cidr', prefixLength: 64, family: 'IPv6' });
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
    expect(parseAddressRange('198.51.100.7')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('"198.51.100.7/32"'),
    });
    expect(parseAddressRange('pool')).toMatchObject({ ok: false });
    expect(parseAddressRange('198.51.100.5-198.51.100.5')).toMatchObject({ ok: true });
  });
});

test('rangeToCidrs covers exactly', () => {
  expect(rangeToCidrs({ family: 'IPv4', start: 0xc6336401n, end: 0xc633640an }).map(formatCidr)).toEqual([
    '198.51.100.1/32',
    '198.51.100.2/31',
    '198.51.100.4/30',
    '198.51.100.8/31',
    '198.51.100.10/32',
  ]);
  expect(rangeToCidrs({ family: 'IPv6', start: 0n, end: (1n << 128n) - 1n }).map(formatCidr)).toEqual([
    '::/0',
  ]);
});

test('isBuggyIp', () => {
  expect(isBuggyIp(parseIp('198.51.100.0')!)).toBe(true);
  expect(isBuggyIp(parseIp('198.51.100.255')!)).toBe(true);
  expect(isBuggyIp(parseIp('198.51.100.1')!)).toBe(false);
  expect(isBuggyIp(parseIp('2001:db8::ff')!)).toBe(false);
});
