import { parseIp } from './address.ts';
import {
  formatPrefix,
  InvalidPrefixError,
  parseCidr,
  parsePrefix,
  prefixOf,
  prefixRange,
  tryParsePrefix,
} from './prefix.ts';

describe('parseCidr (config files: full sentences)', () => {
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
  test('every reason quotes the entry', () => {
    expect(parseCidr('198.51.100.0/33')).toEqual({
      ok: false,
      reason: '"198.51.100.0/33" is not a valid CIDR: prefix length must be 0..32 for IPv4',
    });
    expect(parseCidr('2001:db8::/129')).toEqual({
      ok: false,
      reason: '"2001:db8::/129" is not a valid CIDR: prefix length must be 0..128 for IPv6',
    });
    expect(parseCidr('198.51.100.7')).toEqual({
      ok: false,
      reason: '"198.51.100.7" is not a CIDR (expected address/prefix-length)',
    });
    expect(parseCidr('198.51.100.300/24')).toEqual({
      ok: false,
      reason: '"198.51.100.300/24" is not a valid CIDR: "198.51.100.300" is not an IP address',
    });
  });
  test('gives the canonical prefix and its interval', () => {
    expect(parseCidr('2001:DB8:100:0::/64')).toEqual({
      ok: true,
      prefix: { afi: 'ipv6', address: '2001:db8:100::', length: 64 },
      range: {
        family: 'ipv6',
        start: 0x20010db8010000000000000000000000n,
        end: 0x20010db801000000ffffffffffffffffn,
      },
    });
  });
});

describe('parsePrefix (programs and command lines)', () => {
  test('a bare address is its host prefix; blanks around are ignored', () => {
    expect(parsePrefix(' 198.51.100.7 ')).toEqual({ afi: 'ipv4', address: '198.51.100.7', length: 32 });
    expect(parsePrefix('2001:DB8:100::7')).toEqual({ afi: 'ipv6', address: '2001:db8:100::7', length: 128 });
    expect(formatPrefix(parsePrefix('2001:db8:100:0:0::/64'))).toBe('2001:db8:100::/64');
  });
  test.each([
    ['198.51.100.10/24', "invalid prefix or address '198.51.100.10/24': host bits set beyond /24"],
    ['198.51.100.10/33', "invalid prefix or address '198.51.100.10/33': prefix length 33 exceeds 32"],
    ['198.51.100.0/x', "invalid prefix or address '198.51.100.0/x': prefix length is not a number"],
    ['not-a-prefix', "invalid prefix or address 'not-a-prefix': not an IP address"],
    ['fe80::1%eth0/128', "invalid prefix or address 'fe80::1%eth0/128': not an IP address"],
  ])('%s', (text, message) => {
    expect(() => parsePrefix(text)).toThrow(InvalidPrefixError);
    expect(tryParsePrefix(text)).toEqual({ ok: false, reason: message });
  });
});

describe('prefixOf / prefixRange', () => {
  it('computes aggregate prefixes', () => {
    const p = (ip: string, length: number) => formatPrefix(prefixOf(parseIp(ip)!, length));
    expect(p('198.51.100.77', 24)).toBe('198.51.100.0/24');
    expect(p('198.51.100.77', 32)).toBe('198.51.100.77/32');
    expect(p('2001:db8:100::abcd', 64)).toBe('2001:db8:100::/64');
    expect(p('2001:db8:100::abcd', 128)).toBe('2001:db8:100::abcd/128');
  });
  it('covers exactly the prefix', () => {
    expect(prefixRange(parsePrefix('198.51.100.0/24'))).toEqual({
      family: 'ipv4',
      start: 0xc6336400n,
      end: 0xc63364ffn,
    });
    expect(prefixRange(parsePrefix('::/0'))).toEqual({ family: 'ipv6', start: 0n, end: (1n << 128n) - 1n });
  });
});
