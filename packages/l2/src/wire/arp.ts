/**
 * ARP for IPv4 over Ethernet (RFC 826), and the announcement form of RFC 5227 §3. Only the one hardware and
 * protocol pair Herald answers for is accepted; anything else is a named discard, never an exception.
 *
 *     0      hardware type (1 = Ethernet)        2      protocol type (0x0800 = IPv4)
 *     4      hardware length (6)  5 protocol length (4)   6 operation (1 request, 2 reply)
 *     8      sender hardware address (6)        14      sender protocol address (4)
 *    18      target hardware address (6)        24      target protocol address (4)
 *
 * The packet is 28 bytes; a frame may carry padding after it (Ethernet's 60-byte minimum), which is ignored.
 */
import {
  BROADCAST_MAC,
  decodeEthernet,
  ETHERNET_HEADER_LENGTH,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ethernetFrame,
  isUnicastMac,
  ZERO_MAC,
} from './ethernet.ts';
import type { WireDiscard } from './types.ts';

export const ARP_PACKET_LENGTH = 28;
export const ARP_HARDWARE_ETHERNET = 1;
export const ArpOperation = { Request: 1, Reply: 2 } as const;
export type ArpOperation = (typeof ArpOperation)[keyof typeof ArpOperation];

export interface ArpPacket {
  readonly operation: ArpOperation;
  readonly senderHardwareAddress: Uint8Array;
  /** 4 bytes, network order. */
  readonly senderProtocolAddress: Uint8Array;
  readonly targetHardwareAddress: Uint8Array;
  readonly targetProtocolAddress: Uint8Array;
}

export type ArpDecodeResult =
  | { readonly ok: true; readonly packet: ArpPacket }
  | { readonly ok: false; readonly discard: WireDiscard };

const discard = (reason: WireDiscard['reason'], detail: string): ArpDecodeResult => ({
  ok: false,
  discard: { reason, detail },
});

/** Decodes the ARP packet of a whole Ethernet frame (header included). Never throws. */
export function decodeArpFrame(frame: Uint8Array): ArpDecodeResult {
  const eth = decodeEthernet(frame);
  if (!eth) return discard('truncated', `${frame.length}-byte frame, shorter than an Ethernet header`);
  if (eth.etherType !== ETHERTYPE_ARP)
    return discard('ethertype', `EtherType 0x${eth.etherType.toString(16).padStart(4, '0')} is not ARP`);
  return decodeArp(frame.subarray(ETHERNET_HEADER_LENGTH));
}

/** Decodes an ARP packet (the Ethernet payload). Never throws; the result holds views into `p`. */
export function decodeArp(p: Uint8Array): ArpDecodeResult {
  if (p.length < ARP_PACKET_LENGTH)
    return discard('truncated', `${p.length}-byte ARP packet, Ethernet/IPv4 ARP has ${ARP_PACKET_LENGTH}`);
  const htype = (p[0]! << 8) | p[1]!;
  const ptype = (p[2]! << 8) | p[3]!;
  if (htype !== ARP_HARDWARE_ETHERNET || ptype !== ETHERTYPE_IPV4 || p[4] !== 6 || p[5] !== 4)
    return discard(
      'unsupported',
      `hardware type ${htype}/length ${p[4]}, protocol type 0x${ptype.toString(16)}/length ${p[5]}: only Ethernet/IPv4`,
    );
  const op = (p[6]! << 8) | p[7]!;
  if (op !== ArpOperation.Request && op !== ArpOperation.Reply)
    return discard('unsupported', `operation ${op} (only request 1 and reply 2)`);
  const senderHardwareAddress = p.subarray(8, 14);
  // RFC 826 learns the sender's mapping from every packet: a broadcast or multicast sender is no host.
  if (!isUnicastMac(senderHardwareAddress))
    return discard('invalid', 'the sender hardware address is not a unicast MAC');
  return {
    ok: true,
    packet: {
      operation: op,
      senderHardwareAddress,
      senderProtocolAddress: p.subarray(14, 18),
      targetHardwareAddress: p.subarray(18, 24),
      targetProtocolAddress: p.subarray(24, 28),
    },
  };
}

/** A whole frame carrying `packet`, from `source` to `destination`. */
export function encodeArpFrame(destination: Uint8Array, source: Uint8Array, packet: ArpPacket): Buffer {
  const frame = ethernetFrame(destination, source, ETHERTYPE_ARP, ARP_PACKET_LENGTH);
  const o = ETHERNET_HEADER_LENGTH;
  frame.writeUInt16BE(ARP_HARDWARE_ETHERNET, o);
  frame.writeUInt16BE(ETHERTYPE_IPV4, o + 2);
  frame[o + 4] = 6;
  frame[o + 5] = 4;
  frame.writeUInt16BE(packet.operation, o + 6);
  frame.set(packet.senderHardwareAddress, o + 8);
  frame.set(packet.senderProtocolAddress, o + 14);
  frame.set(packet.targetHardwareAddress, o + 18);
  frame.set(packet.targetProtocolAddress, o + 24);
  return frame;
}

/**
 * The reply to `request` saying `address` is at `mac`, sent straight back to the asker (RFC 826: swap the
 * sender and target fields, put our hardware address in, set the operation to reply).
 */
export function arpReply(request: ArpPacket, mac: Uint8Array): Buffer {
  return encodeArpFrame(request.senderHardwareAddress, mac, {
    operation: ArpOperation.Reply,
    senderHardwareAddress: mac,
    senderProtocolAddress: request.targetProtocolAddress,
    targetHardwareAddress: request.senderHardwareAddress,
    targetProtocolAddress: request.senderProtocolAddress,
  });
}

/**
 * An ARP Announcement (RFC 5227 §3, "gratuitous ARP"): a broadcast request whose sender and target protocol
 * addresses are both `address` and whose target hardware address is zero. Every host that already maps the
 * address updates its entry to `mac` (RFC 826's merge step; Linux overrides its lock time for it), so
 * clients and switches follow a takeover at once. A request rather than a reply, as RFC 5227 recommends.
 */
export function arpAnnouncement(address: Uint8Array, mac: Uint8Array): Buffer {
  return encodeArpFrame(BROADCAST_MAC, mac, {
    operation: ArpOperation.Request,
    senderHardwareAddress: mac,
    senderProtocolAddress: address,
    targetHardwareAddress: ZERO_MAC,
    targetProtocolAddress: address,
  });
}

/** An ARP Probe (RFC 5227 §2.1.1) asks with sender protocol address 0.0.0.0: someone checking for a conflict. */
export function isArpProbe(packet: ArpPacket): boolean {
  const s = packet.senderProtocolAddress;
  return packet.operation === ArpOperation.Request && s[0] === 0 && s[1] === 0 && s[2] === 0 && s[3] === 0;
}

/** An IPv4 address in 4 bytes → its number (for map keys without allocating a string). */
export function ipv4Number(bytes: Uint8Array): number {
  return ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
}
