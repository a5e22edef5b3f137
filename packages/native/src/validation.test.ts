// Bad options are refused with the option's name before any socket exists (these calls reach libc only
// for interface names), and nothing is left open.
import { readdirSync } from 'node:fs';
import {
  connectBgp,
  ipHeaderTtl,
  listenBgp,
  nativeSupport,
  openBgpSocket,
  openPacketSocket,
  openUdpSocket,
} from './index.ts';

const openFds = () => readdirSync('/proc/self/fd').length;

describe('option validation', () => {
  let before = 0;
  beforeAll(() => {
    expect(nativeSupport()).toEqual({ ok: true });
  });
  beforeEach(() => {
    before = openFds();
  });
  afterEach(() => {
    expect(openFds()).toBe(before);
  });

  it('BGP sockets: addresses, families, TTLs, device names and keys', () => {
    expect(() => openBgpSocket({ remote: '203.0.113.300' })).toThrow(
      "remote '203.0.113.300' is not an IPv4 or IPv6 address",
    );
    expect(() => openBgpSocket({ remote: '203.0.113.2%eth0' })).toThrow('is not an IPv4 or IPv6 address');
    expect(() => openBgpSocket({ remote: '203.0.113.2', family: 6 })).toThrow(
      "remote '203.0.113.2' is not an IPv6 address",
    );
    expect(() => openBgpSocket({ remote: '203.0.113.2', local: '2001:db8:1::1' })).toThrow(
      "local '2001:db8:1::1' is not an IPv4 address",
    );
    expect(() => openBgpSocket({ remote: '203.0.113.2', ttl: 0 })).toThrow('ttl 0 is not an integer 1–255');
    expect(() => openBgpSocket({ remote: '203.0.113.2', minTtl: 256 })).toThrow(
      'minTtl 256 is not an integer 1–255',
    );
    expect(() => openBgpSocket({ remote: '203.0.113.2', device: 'a-very-long-name0' })).toThrow(
      "device 'a-very-long-name0' is not an interface name",
    );
    expect(() => openBgpSocket({ remote: '203.0.113.2', md5Key: '' })).toThrow(
      'md5Key has 0 bytes; a TCP-MD5 key has 1–80',
    );
    expect(() => openBgpSocket({ remote: '203.0.113.2', md5Key: 'x'.repeat(81) })).toThrow(
      'md5Key has 81 bytes',
    );
    expect(() => openBgpSocket({ remote: '2001:db8:1::2%nosuchif0' })).toThrow(
      'if_nametoindex("nosuchif0") failed: ENODEV',
    );
    expect(() => connectBgp({ remote: '203.0.113.2', port: 70000 })).toThrow(
      'port 70000 is not an integer 0–65535',
    );
  });

  it('BGP listeners: family and per-peer keys', () => {
    expect(() => listenBgp({ family: 6, md5Keys: [['203.0.113.2', 'k']] })).toThrow(
      "peer '203.0.113.2' is not an IPv6 address",
    );
    expect(() => listenBgp({ family: 4, md5Keys: [['203.0.113.2', Buffer.alloc(81)]] })).toThrow(
      'the key for 203.0.113.2 has 81 bytes',
    );
    expect(() => listenBgp({ family: 5 as 4 })).toThrow('family 5 is not 4 or 6');
  });

  it('UDP sockets: ports, ranges and TTLs', () => {
    expect(() => openUdpSocket({ family: 4, port: { from: 50000, to: 49999 } })).toThrow(
      'port range 50000–49999 is empty',
    );
    expect(() => openUdpSocket({ family: 4, port: -1 })).toThrow('port -1 is not an integer 0–65535');
    expect(() => openUdpSocket({ family: 6, port: 3784, minReceiveTtl: 0 })).toThrow(
      'minReceiveTtl 0 is not an integer 1–255',
    );
    expect(() => openUdpSocket({ family: 4, port: 0, trafficClass: 256 })).toThrow(
      'trafficClass 256 is not an integer 0–255',
    );
    expect(() => openUdpSocket({ family: 6, port: 3784, local: '127.0.0.1' })).toThrow(
      "local '127.0.0.1' is not an IPv6 address",
    );
  });

  it('AF_PACKET sockets: EtherType and interface', () => {
    expect(() => openPacketSocket({ device: 'lo', protocol: 0x10000 })).toThrow(
      'protocol 65536 is not an EtherType',
    );
    expect(() => openPacketSocket({ device: 'nosuchif0', protocol: 0x0806 })).toThrow(
      'if_nametoindex("nosuchif0") failed: ENODEV (no such device): no such network interface in this network namespace',
    );
  });
});

describe('ipHeaderTtl: the TTL of a saved SYN (TCP_SAVED_SYN starts at the IP header)', () => {
  test('IPv4: byte 8; IPv6: the hop limit, byte 7; anything else: undefined', () => {
    const v4 = Buffer.alloc(40);
    v4[0] = 0x45;
    v4[8] = 254;
    const v6 = Buffer.alloc(60);
    v6[0] = 0x60;
    v6[7] = 255;
    expect(ipHeaderTtl(v4)).toBe(254);
    expect(ipHeaderTtl(v6)).toBe(255);
    expect(ipHeaderTtl(v4.subarray(0, 19))).toBeUndefined();
    expect(ipHeaderTtl(Buffer.from([0x00, 1, 2, 3]))).toBeUndefined();
    expect(ipHeaderTtl(Buffer.alloc(0))).toBeUndefined();
  });
});
