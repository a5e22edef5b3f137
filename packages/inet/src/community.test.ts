import {
  formatCommunity,
  formatExtendedCommunity,
  formatLargeCommunity,
  isWellKnownCommunityName,
  linkBandwidthCommunity,
  parseCommunity,
  parseExtendedCommunity,
  parseLargeCommunity,
  WELL_KNOWN_COMMUNITIES,
} from './community.ts';

describe('RFC 1997 standard communities', () => {
  test('the well-known table is the IANA values an RFC defines, in the order operators see', () => {
    expect(Object.entries(WELL_KNOWN_COMMUNITIES).map(([n, v]) => `${n}=${v.toString(16)}`)).toEqual([
      'graceful-shutdown=ffff0000', // RFC 8326
      'accept-own=ffff0001', // RFC 7611
      'blackhole=ffff029a', // RFC 7999
      'no-export=ffffff01',
      'no-advertise=ffffff02',
      'no-export-subconfed=ffffff03',
      'no-peer=ffffff04', // RFC 3765
    ]);
  });
  test.each(Object.entries(WELL_KNOWN_COMMUNITIES))('%s parses and formats by name', (name, value) => {
    expect(isWellKnownCommunityName(name)).toBe(true);
    expect(parseCommunity(name)).toBe(value);
    expect(formatCommunity(value)).toBe(name);
    // The numeric spelling means the same community.
    expect(parseCommunity(`${value >>> 16}:${value & 0xffff}`)).toBe(value);
  });
  test('accept-own is 65535:1', () => {
    expect(parseCommunity('accept-own')).toBe(0xffff0001);
    expect(formatCommunity(parseCommunity('65535:1')!)).toBe('accept-own');
  });
  test('asn:value, each 0..65535', () => {
    expect(parseCommunity('64500:100')).toBe(64500 * 65536 + 100);
    expect(parseCommunity('0:0')).toBe(0);
    expect(parseCommunity('65535:65535')).toBe(0xffffffff);
    expect(formatCommunity(64500 * 65536 + 100)).toBe('64500:100');
    expect(formatCommunity(0xffffffff)).toBe('65535:65535');
  });
  test.each(['65536:1', '1:65536', '1:2:3', '1', '', 'a:b', '01:2', ' 1:2', 'NO-EXPORT', 'internet', '-1:2'])(
    'rejects %j',
    (text) => {
      expect(parseCommunity(text)).toBeUndefined();
    },
  );
  test('names are not found through the prototype', () => {
    expect(isWellKnownCommunityName('constructor')).toBe(false);
    expect(parseCommunity('constructor')).toBeUndefined();
  });
});

describe('RFC 8092 large communities', () => {
  test('global:local1:local2, each 0..4294967295', () => {
    expect(parseLargeCommunity('4200000000:1:4294967295')).toEqual([4200000000, 1, 4294967295]);
    expect(formatLargeCommunity([64500, 1, 2])).toBe('64500:1:2');
  });
  test.each(['1:2', '1:2:3:4', '4294967296:1:1', '1:2:x', '01:2:3', ''])('rejects %j', (text) => {
    expect(parseLargeCommunity(text)).toBeUndefined();
  });
});

describe('RFC 4360 extended communities', () => {
  test.each([
    ['rt:65001:100', '0002fde900000064'], // two-octet AS specific
    ['ro:65001:100', '0003fde900000064'],
    ['rt:4200000000:7', '0202fa56ea000007'], // four-octet AS specific (RFC 5668)
    ['rt:198.51.100.1:5', '0102c63364010005'], // IPv4 address specific
  ])('%s ⇄ %s', (text, hex) => {
    expect(parseExtendedCommunity(text)?.toString('hex')).toBe(hex);
    expect(formatExtendedCommunity(Buffer.from(hex, 'hex'))).toBe(text);
  });
  test('types without a text form are shown in hex, not hidden', () => {
    expect(formatExtendedCommunity(Buffer.from('8006000000000000', 'hex'))).toBe('0x8006:000000000000');
  });
  test.each([
    'rt:65001',
    'xx:65001:100',
    'rt:4200000000:65536', // 4-octet AS leaves 2 octets for the value
    'rt:198.51.100.1:65536',
    'rt:2001:db8::1:5',
    'rt:198.51.100.256:5',
  ])('rejects %j', (text) => {
    expect(parseExtendedCommunity(text)).toBeUndefined();
  });
});

describe('link bandwidth extended community (draft-ietf-idr-link-bandwidth)', () => {
  test.each([
    ['lb:64600:125000', '4004fc5847f42400'], // 1 Mbit/s: type 0x40 (non-transitive 2-octet AS), sub-type 0x04
    ['lb:65001:125000000', '4004fde94cee6b28'], // FRR shows this as "LB:65001:125000000 (1000.000 Mbps)"
    ['lb:0:0', '4004000000000000'],
    ['lb:64600:0.5', '4004fc583f000000'],
  ])('%s ⇄ %s', (text, hex) => {
    expect(parseExtendedCommunity(text)?.toString('hex')).toBe(hex);
    expect(formatExtendedCommunity(Buffer.from(hex, 'hex'))).toBe(text);
  });
  test('the value is what the wire carries: rounded to the nearest float32, printed in the shortest form', () => {
    const b = parseExtendedCommunity('lb:1:16777217')!; // 2^24 + 1 has no float32
    expect(b.readFloatBE(4)).toBe(16777216);
    expect(formatExtendedCommunity(b)).toBe('lb:1:16777216');
    expect(formatExtendedCommunity(parseExtendedCommunity('lb:1:0.1')!)).toBe('lb:1:0.1');
    expect(formatExtendedCommunity(parseExtendedCommunity('lb:1:1e30')!)).toBe('lb:1:1e+30');
    expect(parseExtendedCommunity('lb:1:1e+30')?.toString('hex')).toBe(
      parseExtendedCommunity('lb:1:1e30')?.toString('hex'),
    );
  });
  test('the transitive form and malformed values stay in hex, so the text never claims what is not there', () => {
    expect(formatExtendedCommunity(Buffer.from('0004fc3847f42400', 'hex'))).toBe('0x0004:fc3847f42400');
    expect(formatExtendedCommunity(Buffer.from('4004fc38bf800000', 'hex'))).toBe('0x4004:fc38bf800000'); // -1
    expect(formatExtendedCommunity(Buffer.from('4004fc3880000000', 'hex'))).toBe('0x4004:fc3880000000'); // -0
    expect(formatExtendedCommunity(Buffer.from('4004fc387f800000', 'hex'))).toBe('0x4004:fc387f800000'); // +Inf
    expect(formatExtendedCommunity(Buffer.from('4004fc387fc00000', 'hex'))).toBe('0x4004:fc387fc00000'); // NaN
  });
  test.each([
    'lb:65536:1',
    'lb:64600:-1',
    'lb:64600:01',
    'lb:64600:',
    'lb:64600:1e39',
    'lb:64600:x',
    'lb:64600',
  ])('rejects %j', (text) => {
    expect(parseExtendedCommunity(text)).toBeUndefined();
  });
  test('linkBandwidthCommunity carries a 4-octet AS as AS_TRANS and refuses what cannot be sent', () => {
    expect(linkBandwidthCommunity(64600, 3 * 125_000)).toBe('lb:64600:375000');
    expect(linkBandwidthCommunity(4_200_000_000, 125_000)).toBe('lb:23456:125000');
    expect(() => linkBandwidthCommunity(64600, -1)).toThrow(RangeError);
    expect(() => linkBandwidthCommunity(64600, Number.NaN)).toThrow(RangeError);
  });
});
