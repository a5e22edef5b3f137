import { addressToBytes } from '@herald/inet';
import { describe, expect, test } from '@jest/globals';
import {
  ArpOperation,
  arpAnnouncement,
  arpReply,
  decodeArpFrame,
  encodeArpFrame,
  isArpProbe,
} from './arp.ts';
import { icmpv6Checksum, internetChecksum } from './checksum.ts';
import { BROADCAST_MAC, formatMac, parseMac, ZERO_MAC } from './ethernet.ts';
import { LINUX_A_MAC, LINUX_B_MAC, linuxFrames } from './linux-vectors.ts';
import {
  ALL_NODES_ADDRESS,
  decodeNeighborFrame,
  encodeNeighborFrame,
  multicastMac,
  neighborAdvertisementFor,
  neighborSolicitation,
  solicitedNodeAddress,
  UNSPECIFIED_ADDRESS,
  unsolicitedNeighborAdvertisement,
} from './ndp.ts';

const hex = (s: string) => Buffer.from(s, 'hex');
const macA = parseMac(LINUX_A_MAC)!;
const macB = parseMac(LINUX_B_MAC)!;
const ip = addressToBytes;

describe('checksum', () => {
  test('RFC 1071 §3 worked example: 0001 f203 f4f5 f6f7 sums to ddf2, checksum 220d', () => {
    expect(internetChecksum(hex('0001f203f4f5f6f7'))).toBe(0x220d);
  });
  test('an odd length is padded with a zero byte', () => {
    expect(internetChecksum(hex('0001f203f4f5f6'))).toBe(internetChecksum(hex('0001f203f4f5f600')));
  });
  test("the ICMPv6 checksum over a kernel's NA (checksum field included) is 0", () => {
    const f = hex(linuxFrames.neighborAdvertisement);
    expect(icmpv6Checksum(f.subarray(22, 38), f.subarray(38, 54), f.subarray(54))).toBe(0);
  });
});

describe('Ethernet addresses', () => {
  test('parse and format', () => {
    expect(formatMac(parseMac('EE:1A:be:BE:ff:5b')!)).toBe('ee:1a:be:be:ff:5b');
    expect([parseMac('ee:1a:be:be:ff'), parseMac('ee-1a-be-be-ff-5b'), parseMac('')]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });
  test('solicited-node group and its MAC (RFC 4291 §2.7.1, RFC 2464 §7)', () => {
    const group = solicitedNodeAddress(ip('2001:db8:1::4:3'));
    expect(Buffer.from(group).toString('hex')).toBe('ff0200000000000000000001ff040003');
    expect(formatMac(multicastMac(group))).toBe('33:33:ff:04:00:03');
    expect(formatMac(multicastMac(ALL_NODES_ADDRESS))).toBe('33:33:00:00:00:01');
  });
});

describe('ARP (RFC 826)', () => {
  test("decodes the kernel's request", () => {
    const r = decodeArpFrame(hex(linuxFrames.arpRequest));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect({
      op: r.packet.operation,
      sha: formatMac(r.packet.senderHardwareAddress),
      spa: [...r.packet.senderProtocolAddress].join('.'),
      tha: formatMac(r.packet.targetHardwareAddress),
      tpa: [...r.packet.targetProtocolAddress].join('.'),
      probe: isArpProbe(r.packet),
    }).toEqual({
      op: ArpOperation.Request,
      sha: LINUX_B_MAC,
      spa: '203.0.113.42',
      tha: '00:00:00:00:00:00',
      tpa: '203.0.113.43',
      probe: false,
    });
  });

  test("answers the kernel's request with exactly the reply the kernel sent", () => {
    const r = decodeArpFrame(hex(linuxFrames.arpRequest));
    if (!r.ok) throw new Error(r.discard.detail);
    expect(arpReply(r.packet, macA).toString('hex')).toBe(linuxFrames.arpReply);
  });

  test('an announcement is a broadcast request from and for the address, target hardware zero (RFC 5227 §3)', () => {
    const frame = arpAnnouncement(ip('198.51.100.7'), macA);
    expect(frame.subarray(0, 6)).toEqual(Buffer.from(BROADCAST_MAC));
    const r = decodeArpFrame(frame);
    if (!r.ok) throw new Error(r.discard.detail);
    expect(r.packet).toEqual({
      operation: ArpOperation.Request,
      senderHardwareAddress: frame.subarray(22, 28),
      senderProtocolAddress: ip('198.51.100.7'),
      targetHardwareAddress: Buffer.from(ZERO_MAC),
      targetProtocolAddress: ip('198.51.100.7'),
    });
    expect(formatMac(r.packet.senderHardwareAddress)).toBe(LINUX_A_MAC);
  });

  test('a probe (sender 0.0.0.0, RFC 5227 §2.1.1) is recognised', () => {
    const probe = encodeArpFrame(BROADCAST_MAC, macB, {
      operation: ArpOperation.Request,
      senderHardwareAddress: macB,
      senderProtocolAddress: ip('0.0.0.0'),
      targetHardwareAddress: ZERO_MAC,
      targetProtocolAddress: ip('198.51.100.7'),
    });
    const r = decodeArpFrame(probe);
    expect(r.ok && isArpProbe(r.packet)).toBe(true);
  });

  test('padding after the 28 bytes is ignored (Ethernet minimum frame)', () => {
    const padded = Buffer.concat([hex(linuxFrames.arpRequest), Buffer.alloc(18)]);
    expect(decodeArpFrame(padded).ok).toBe(true);
  });

  test.each([
    ['truncated', 'a short frame', hex(linuxFrames.arpRequest).subarray(0, 40)],
    [
      'ethertype',
      'IPv6 EtherType',
      Buffer.concat([hex('ffffffffffff061330362190' + '86dd'), Buffer.alloc(28)]),
    ],
    ['unsupported', 'hardware type 6', withBytes(linuxFrames.arpRequest, 14, [0, 6])],
    ['unsupported', 'protocol type IPv6', withBytes(linuxFrames.arpRequest, 16, [0x86, 0xdd])],
    ['unsupported', 'hardware length 8', withBytes(linuxFrames.arpRequest, 18, [8])],
    ['unsupported', 'operation 3 (RARP)', withBytes(linuxFrames.arpRequest, 20, [0, 3])],
    [
      'invalid',
      'a broadcast sender',
      withBytes(linuxFrames.arpRequest, 22, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    ],
    ['invalid', 'an all-zero sender', withBytes(linuxFrames.arpRequest, 22, [0, 0, 0, 0, 0, 0])],
  ])('discards as %s: %s', (reason, _what, frame) => {
    const r = decodeArpFrame(frame);
    expect(r.ok ? 'accepted' : r.discard.reason).toBe(reason);
  });
});

describe('Neighbor Discovery (RFC 4861)', () => {
  test("decodes the kernel's solicitation with its source link-layer address", () => {
    const r = decodeNeighborFrame(hex(linuxFrames.neighborSolicitation));
    if (!r.ok) throw new Error(r.discard.detail);
    expect({
      type: r.message.type,
      source: Buffer.from(r.message.source).toString('hex'),
      target: Buffer.from(r.message.target).toString('hex'),
      sll: formatMac(r.message.sourceLinkLayerAddress!),
    }).toEqual({
      type: 'solicitation',
      source: ip('2001:db8:1::4:2').toString('hex'),
      target: ip('2001:db8:1::4:3').toString('hex'),
      sll: LINUX_B_MAC,
    });
  });

  test("answers the kernel's solicitation with exactly the advertisement the kernel sent", () => {
    const frame = hex(linuxFrames.neighborSolicitation);
    const r = decodeNeighborFrame(frame);
    if (!r.ok) throw new Error(r.discard.detail);
    expect(neighborAdvertisementFor(r.message, frame.subarray(6, 12), macA).toString('hex')).toBe(
      linuxFrames.neighborAdvertisement,
    );
  });

  test("builds the kernel's unsolicited advertisement byte for byte (RFC 4861 §7.2.6, Override set)", () => {
    expect(unsolicitedNeighborAdvertisement(ip('2001:db8:1::4:3'), macA).toString('hex')).toBe(
      linuxFrames.unsolicitedNeighborAdvertisement,
    );
    const r = decodeNeighborFrame(hex(linuxFrames.unsolicitedNeighborAdvertisement));
    expect(r.ok && [r.message.type, r.message.solicited, r.message.override, r.message.router]).toEqual([
      'advertisement',
      false,
      true,
      false,
    ]);
  });

  test("builds the kernel's solicitation from the same inputs", () => {
    expect(neighborSolicitation(ip('2001:db8:1::4:3'), ip('2001:db8:1::4:2'), macB).toString('hex')).toBe(
      linuxFrames.neighborSolicitation,
    );
  });

  test('a DAD probe (source ::) is answered to all nodes, not solicited (§7.2.4)', () => {
    const frame = hex(linuxFrames.duplicateAddressDetection);
    const r = decodeNeighborFrame(frame);
    if (!r.ok) throw new Error(r.discard.detail);
    expect(r.message.sourceLinkLayerAddress).toBeUndefined();
    const answer = neighborAdvertisementFor(r.message, frame.subarray(6, 12), macB);
    const a = decodeNeighborFrame(answer);
    if (!a.ok) throw new Error(a.discard.detail);
    expect({
      to: formatMac(answer.subarray(0, 6)),
      destination: Buffer.from(a.message.destination).toString('hex'),
      solicited: a.message.solicited,
      override: a.message.override,
      tll: formatMac(a.message.targetLinkLayerAddress!),
    }).toEqual({
      to: '33:33:00:00:00:01',
      destination: Buffer.from(ALL_NODES_ADDRESS).toString('hex'),
      solicited: false,
      override: true,
      tll: LINUX_B_MAC,
    });
  });

  const ns = linuxFrames.neighborSolicitation;
  /** The NS with one byte changed and, unless asked otherwise, its checksum recomputed. */
  const nsWith = (at: number, bytes: number[], fixChecksum = true) => {
    const f = withBytes(ns, at, bytes);
    if (fixChecksum) {
      f.writeUInt16BE(0, 56);
      f.writeUInt16BE(icmpv6Checksum(f.subarray(22, 38), f.subarray(38, 54), f.subarray(54)), 56);
    }
    return f;
  };
  test.each([
    ['truncated', 'shorter than the IPv6 header', hex(ns).subarray(0, 50)],
    ['truncated', 'payload length beyond the frame', withBytes(ns, 18, [0, 0x40])],
    ['invalid', 'IP version 4', withBytes(ns, 14, [0x40])],
    ['ethertype', 'next header UDP', withBytes(ns, 20, [17])],
    ['ethertype', 'ICMPv6 echo request', nsWith(54, [128])],
    ['hop-limit', 'hop limit 254 (routed from elsewhere, §7.1.1)', withBytes(ns, 21, [254])],
    ['checksum', 'a flipped target bit', nsWith(70, [0x20], false)],
    ['invalid', 'code 1', nsWith(55, [1])],
    ['invalid', 'a multicast target', nsWith(62, [0xff])],
    ['invalid', 'an option of length 0', nsWith(79, [0])],
    ['truncated', 'an option longer than the message', nsWith(79, [2])],
    [
      'invalid',
      'source :: with a source link-layer address',
      encodeNeighborFrame('solicitation', macA, macB, {
        source: UNSPECIFIED_ADDRESS,
        destination: solicitedNodeAddress(ip('2001:db8:1::4:3')),
        target: ip('2001:db8:1::4:3'),
        linkLayerAddress: macB,
      }),
    ],
    [
      'invalid',
      'source :: to a unicast destination',
      encodeNeighborFrame('solicitation', macA, macB, {
        source: UNSPECIFIED_ADDRESS,
        destination: ip('2001:db8:1::4:3'),
        target: ip('2001:db8:1::4:3'),
      }),
    ],
    [
      'invalid',
      'a multicast advertisement with the Solicited flag',
      encodeNeighborFrame('advertisement', macA, macB, {
        source: ip('2001:db8:1::4:3'),
        destination: ALL_NODES_ADDRESS,
        target: ip('2001:db8:1::4:3'),
        solicited: true,
        linkLayerAddress: macB,
      }),
    ],
  ])('discards as %s: %s', (reason, _what, frame) => {
    const r = decodeNeighborFrame(frame);
    expect(r.ok ? 'accepted' : r.discard.reason).toBe(reason);
  });
});

function withBytes(frameHex: string, at: number, bytes: number[]): Buffer {
  const f = Buffer.from(frameHex, 'hex');
  f.set(bytes, at);
  return f;
}
