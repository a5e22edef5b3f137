import { Address6 } from 'ip-address';
import {
  addressFamily,
  addressToBytes,
  bytesToAddress,
  canonicalAddress,
  formatIp,
  InvalidAddressError,
  ipToBytes,
  isBuggyIp,
  isIPv6LinkLocal,
  maskIp,
  parseIp,
} from './address.ts';

describe('parseIp / formatIp', () => {
  test.each([
    ['0.0.0.0', 'ipv4', 0n],
    ['255.255.255.255', 'ipv4', 0xffffffffn],
    ['198.51.100.7', 'ipv4', 0xc6336407n],
    ['::', 'ipv6', 0n],
    ['::1', 'ipv6', 1n],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ipv6', (1n << 128n) - 1n],
    ['2001:db8:100::', 'ipv6', 0x20010db8010000000000000000000000n],
    ['::ffff:198.51.100.1', 'ipv6', 0xffffc6336401n],
    ['1:2:3:4:5:6:198.51.100.1', 'ipv6', 0x000100020003000400050006c6336401n],
  ] as const)('%s', (text, family, value) => {
    expect(parseIp(text)).toEqual({ family, value });
    expect(addressFamily(text)).toBe(family);
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
    // also refused: what ip-address would accept as an address with a prefix length, a zone or brackets
    '198.51.100.0/24',
    '2001:db8::/64',
    '::%eth0',
    '1:2:3:4:5:6:7:8%',
    '[::1]',
    '::ffff:01.2.3.4',
    '1.2.3.4\n',
  ])('rejects %j', (text) => {
    expect(parseIp(text)).toBeUndefined();
    expect(addressFamily(text)).toBeUndefined();
    expect(canonicalAddress(text)).toBeUndefined();
  });

  test.each([
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['198.51.100.7', '198.51.100.7'],
  ])('canonical %s → %s (RFC 5952)', (input, out) => {
    expect(canonicalAddress(input)).toBe(out);
  });

  // RFC 5952 §4: each rule, through both paths (text → canonical text, number → text).
  test.each([
    ['2001:0db8::0001', '2001:db8::1', '§4.1 leading zeros dropped'],
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1', '§4.2.1 the longest zero run is compressed'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1', '§4.2.2 one zero group is not compressed'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1', '§4.2.3 the longest run wins'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', '§4.2.3 on a tie the first run wins'],
    ['2001:DB8::AB:CD', '2001:db8::ab:cd', '§4.3 lower case'],
    ['1:2:3:4:5:6:7:0', '1:2:3:4:5:6:7:0', 'a trailing single zero group stays'],
    ['0:1:2:3:4:5:6:7', '0:1:2:3:4:5:6:7', 'a leading single zero group stays'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0', ':: for one group is accepted on input, not produced'],
    ['0:0:1:0:0:0:0:0', '0:0:1::', 'a run at the end'],
    ['::ffff:198.51.100.7', '::ffff:c633:6407', 'an IPv4 tail comes out in hex: one spelling per address'],
    ['::198.51.100.7', '::c633:6407', 'the deprecated IPv4-compatible form too'],
  ])('%s → %s (%s)', (input, out) => {
    expect(canonicalAddress(input)).toBe(out);
    expect(formatIp(parseIp(input)!)).toBe(out);
    expect(bytesToAddress(addressToBytes(input))).toBe(out);
  });

  test('round-trips random addresses', () => {
    for (let i = 0; i < 500; i++) {
      let v = 0n;
      for (let j = 0; j < 8; j++)
        v = (v << 16n) | BigInt(Math.floor(Math.random() * 3) === 0 ? 0 : Math.floor(Math.random() * 65536));
      const ip = { family: 'ipv6' as const, value: v };
      expect(parseIp(formatIp(ip))).toEqual(ip);
    }
  });

  test('the fast formatter agrees with ip-address on random and zero-heavy addresses', () => {
    for (let i = 0; i < 2000; i++) {
      let v = 0n;
      // Zero groups in every pattern: that is where RFC 5952 has its rules.
      for (let j = 0; j < 8; j++)
        v = (v << 16n) | BigInt(Math.random() < 0.5 ? 0 : Math.floor(Math.random() * 65536));
      const reference = Address6.fromBigInt(v).correctForm();
      const ip = { family: 'ipv6' as const, value: v };
      expect(formatIp(ip)).toBe(reference);
      expect(bytesToAddress(ipToBytes(ip))).toBe(reference);
      expect(canonicalAddress(reference)).toBe(reference);
    }
  });
});

describe('bytes', () => {
  test('text → bytes → text', () => {
    expect(addressToBytes('198.51.100.7')).toEqual(Buffer.from([198, 51, 100, 7]));
    expect(addressToBytes('2001:db8:100::7').toString('hex')).toBe('20010db8010000000000000000000007');
    expect(addressToBytes('::ffff:198.51.100.7').toString('hex')).toBe('00000000000000000000ffffc6336407');
    expect(bytesToAddress(Buffer.from('20010db8000100000000000000000001', 'hex'))).toBe('2001:db8:1::1');
    expect(bytesToAddress(Buffer.from([0, 0, 0, 0]))).toBe('0.0.0.0');
  });
  test('not an address, or the wrong number of bytes, is a caller bug', () => {
    expect(() => addressToBytes('router1')).toThrow(InvalidAddressError);
    expect(() => bytesToAddress(Buffer.alloc(5))).toThrow(RangeError);
  });
});

describe('questions about one address', () => {
  test('maskIp', () => {
    expect(formatIp(maskIp(parseIp('198.51.100.77')!, 24))).toBe('198.51.100.0');
    expect(formatIp(maskIp(parseIp('2001:db8:100::abcd')!, 64))).toBe('2001:db8:100::');
    expect(formatIp(maskIp(parseIp('198.51.100.77')!, 0))).toBe('0.0.0.0');
  });
  test('isIPv6LinkLocal: fe80::/10 only', () => {
    expect(isIPv6LinkLocal('fe80::1')).toBe(true);
    expect(isIPv6LinkLocal('febf:ffff::1')).toBe(true);
    expect(isIPv6LinkLocal('fec0::1')).toBe(false);
    expect(isIPv6LinkLocal('2001:db8::1')).toBe(false);
    expect(isIPv6LinkLocal('169.254.0.1')).toBe(false);
    expect(isIPv6LinkLocal('fe80::1%eth0')).toBe(false);
  });
});

test('isBuggyIp', () => {
  expect(isBuggyIp(parseIp('198.51.100.0')!)).toBe(true);
  expect(isBuggyIp(parseIp('198.51.100.255')!)).toBe(true);
  expect(isBuggyIp(parseIp('198.51.100.1')!)).toBe(false);
  expect(isBuggyIp(parseIp('2001:db8::ff')!)).toBe(false);
});

describe('ip (was the speaker announce view)', () => {
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
});
