/**
 * IPv6 Neighbor Discovery (RFC 4861) Neighbor Solicitation and Advertisement messages, inside their IPv6
 * header (RFC 8200) and Ethernet frame, with the validity checks of §7.1.1 and §7.1.2. Decoding never
 * throws: a message that fails a check is a named discard.
 *
 *   IPv6 header (40)        version 6, payload length, next header 58 (ICMPv6), hop limit 255, src, dst
 *   ICMPv6 (RFC 4443)   0   type (135 NS, 136 NA)  1 code (0)  2 checksum (pseudo-header, RFC 8200 §8.1)
 *                       4   NS: reserved (4)  |  NA: R S O flags in the top bits, reserved
 *                       8   target address (16)
 *                      24   options: type (1), length in units of 8 octets (1), value
 *                           1 source link-layer address, 2 target link-layer address (Ethernet: 6 bytes)
 *
 * Extension headers are not followed: ND messages are sent without them, and the kernel filter in
 * @herald/native (neighborDiscoveryProgram) makes the same assumption.
 */
import { IPPROTO_ICMPV6, icmpv6Checksum } from './checksum.ts';
import {
  decodeEthernet,
  ETHERNET_HEADER_LENGTH,
  ETHERTYPE_IPV6,
  ethernetFrame,
  isUnicastMac,
  MAC_LENGTH,
} from './ethernet.ts';
import type { WireDiscard } from './types.ts';

export const IPV6_HEADER_LENGTH = 40;
export const ICMPV6_NEIGHBOR_SOLICITATION = 135;
export const ICMPV6_NEIGHBOR_ADVERTISEMENT = 136;
/** RFC 4861 §7.1: a Neighbor Discovery message is only valid with hop limit 255 (it was not routed). */
export const ND_HOP_LIMIT = 255;
/** Fixed part of an NS or NA: type, code, checksum, flags/reserved, target. */
const ND_MESSAGE_LENGTH = 24;
const OPTION_SOURCE_LINK_LAYER = 1;
const OPTION_TARGET_LINK_LAYER = 2;
const FLAG_ROUTER = 0x80;
const FLAG_SOLICITED = 0x40;
const FLAG_OVERRIDE = 0x20;

/** ff02::1, all nodes on the link: where unsolicited advertisements go (RFC 4861 §7.2.6). */
export const ALL_NODES_ADDRESS: Uint8Array = Uint8Array.of(0xff, 0x02, ...new Array<number>(13).fill(0), 1);
/** The unspecified address ::, the source of a Duplicate Address Detection probe. */
export const UNSPECIFIED_ADDRESS: Uint8Array = new Uint8Array(16);

export type NeighborMessageType = 'solicitation' | 'advertisement';

export interface NeighborMessage {
  readonly type: NeighborMessageType;
  /** IPv6 source and destination of the packet (16 bytes each). */
  readonly source: Uint8Array;
  readonly destination: Uint8Array;
  /** The address being resolved (NS) or advertised (NA). */
  readonly target: Uint8Array;
  /** NA flags (§4.4); false in an NS. */
  readonly router: boolean;
  readonly solicited: boolean;
  readonly override: boolean;
  /** Source Link-Layer Address option (NS), Target Link-Layer Address option (NA), when present. */
  readonly sourceLinkLayerAddress?: Uint8Array;
  readonly targetLinkLayerAddress?: Uint8Array;
}

export type NeighborDecodeResult =
  | { readonly ok: true; readonly message: NeighborMessage }
  | { readonly ok: false; readonly discard: WireDiscard };

const discard = (reason: WireDiscard['reason'], detail: string): NeighborDecodeResult => ({
  ok: false,
  discard: { reason, detail },
});

export function isMulticastIpv6(address: Uint8Array): boolean {
  return address[0] === 0xff;
}

export function isUnspecifiedIpv6(address: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (address[i] !== 0) return false;
  return true;
}

/** The solicited-node multicast address of `address`: ff02::1:ff00:0/104 plus its low 24 bits (RFC 4291 §2.7.1). */
export function solicitedNodeAddress(address: Uint8Array): Uint8Array {
  const group = new Uint8Array(16);
  group[0] = 0xff;
  group[1] = 0x02;
  group[11] = 0x01;
  group[12] = 0xff;
  group.set(address.subarray(13, 16), 13);
  return group;
}

function isSolicitedNodeAddress(address: Uint8Array): boolean {
  const prefix = solicitedNodeAddress(address);
  for (let i = 0; i < 13; i++) if (address[i] !== prefix[i]) return false;
  return true;
}

/** The Ethernet MAC of an IPv6 multicast address: 33:33 and its low 32 bits (RFC 2464 §7). */
export function multicastMac(address: Uint8Array): Uint8Array {
  return Uint8Array.of(0x33, 0x33, address[12]!, address[13]!, address[14]!, address[15]!);
}

/** Decodes an NS or NA from a whole Ethernet frame and applies RFC 4861 §7.1.1 / §7.1.2. Never throws. */
export function decodeNeighborFrame(frame: Uint8Array): NeighborDecodeResult {
  const eth = decodeEthernet(frame);
  if (!eth) return discard('truncated', `${frame.length}-byte frame, shorter than an Ethernet header`);
  if (eth.etherType !== ETHERTYPE_IPV6)
    return discard('ethertype', `EtherType 0x${eth.etherType.toString(16).padStart(4, '0')} is not IPv6`);
  return decodeNeighborPacket(frame.subarray(ETHERNET_HEADER_LENGTH));
}

/** Decodes an NS or NA from an IPv6 packet (header included). Never throws; the result holds views. */
export function decodeNeighborPacket(ip: Uint8Array): NeighborDecodeResult {
  if (ip.length < IPV6_HEADER_LENGTH)
    return discard('truncated', `${ip.length}-byte packet, shorter than an IPv6 header`);
  if (ip[0]! >> 4 !== 6) return discard('invalid', `IP version ${ip[0]! >> 4}, expected 6`);
  const payloadLength = (ip[4]! << 8) | ip[5]!;
  if (IPV6_HEADER_LENGTH + payloadLength > ip.length)
    return discard(
      'truncated',
      `payload length ${payloadLength} exceeds the ${ip.length - IPV6_HEADER_LENGTH} bytes received`,
    );
  if (ip[6] !== IPPROTO_ICMPV6) return discard('ethertype', `next header ${ip[6]} is not ICMPv6`);
  const hopLimit = ip[7]!;
  const message = ip.subarray(IPV6_HEADER_LENGTH, IPV6_HEADER_LENGTH + payloadLength);
  const type = message[0];
  if (message.length < 1 || (type !== ICMPV6_NEIGHBOR_SOLICITATION && type !== ICMPV6_NEIGHBOR_ADVERTISEMENT))
    return discard('ethertype', `ICMPv6 type ${type ?? 'missing'} is neither NS (135) nor NA (136)`);
  // §7.1.1 / §7.1.2, in the RFC's order.
  if (hopLimit !== ND_HOP_LIMIT) return discard('hop-limit', `hop limit ${hopLimit}, must be 255`);
  if (message.length < ND_MESSAGE_LENGTH)
    return discard(
      'truncated',
      `ICMPv6 length ${message.length}, an NS/NA has at least ${ND_MESSAGE_LENGTH}`,
    );
  const source = ip.subarray(8, 24);
  const destination = ip.subarray(24, 40);
  if (icmpv6Checksum(source, destination, message) !== 0)
    return discard('checksum', 'ICMPv6 checksum mismatch');
  if (message[1] !== 0) return discard('invalid', `ICMP code ${message[1]}, must be 0`);
  const target = message.subarray(8, 24);
  if (isMulticastIpv6(target)) return discard('invalid', 'the target address is multicast');
  let sourceLinkLayerAddress: Uint8Array | undefined;
  let targetLinkLayerAddress: Uint8Array | undefined;
  for (let at = ND_MESSAGE_LENGTH; at < message.length; ) {
    if (at + 2 > message.length) return discard('truncated', 'an option header is cut off');
    const optionType = message[at]!;
    const length = message[at + 1]! * 8;
    if (length === 0) return discard('invalid', `option ${optionType} has length 0`);
    if (at + length > message.length) return discard('truncated', `option ${optionType} is cut off`);
    // Ethernet's link-layer address options are exactly 8 octets (RFC 2464 §6); others are not ours to read.
    if (length === 8 && optionType === OPTION_SOURCE_LINK_LAYER)
      sourceLinkLayerAddress ??= message.subarray(at + 2, at + 2 + MAC_LENGTH);
    if (length === 8 && optionType === OPTION_TARGET_LINK_LAYER)
      targetLinkLayerAddress ??= message.subarray(at + 2, at + 2 + MAC_LENGTH);
    at += length;
  }
  const flags = message[4]!;
  if (type === ICMPV6_NEIGHBOR_SOLICITATION) {
    if (isUnspecifiedIpv6(source)) {
      if (!isSolicitedNodeAddress(destination))
        return discard('invalid', 'a DAD probe (source ::) must go to a solicited-node multicast address');
      if (sourceLinkLayerAddress)
        return discard('invalid', 'a DAD probe (source ::) must not carry a source link-layer address');
    }
    if (sourceLinkLayerAddress && !isUnicastMac(sourceLinkLayerAddress))
      return discard('invalid', 'the source link-layer address is not a unicast MAC');
    return {
      ok: true,
      message: {
        type: 'solicitation',
        source,
        destination,
        target,
        router: false,
        solicited: false,
        override: false,
        sourceLinkLayerAddress,
      },
    };
  }
  const solicited = (flags & FLAG_SOLICITED) !== 0;
  if (isMulticastIpv6(destination) && solicited)
    return discard('invalid', 'a multicast advertisement must not have the Solicited flag');
  return {
    ok: true,
    message: {
      type: 'advertisement',
      source,
      destination,
      target,
      router: (flags & FLAG_ROUTER) !== 0,
      solicited,
      override: (flags & FLAG_OVERRIDE) !== 0,
      targetLinkLayerAddress,
    },
  };
}

export interface NeighborMessageFields {
  readonly source: Uint8Array;
  readonly destination: Uint8Array;
  readonly target: Uint8Array;
  readonly router?: boolean;
  readonly solicited?: boolean;
  readonly override?: boolean;
  /** The link-layer address option: source (NS) or target (NA). Omitted from an NS when absent (DAD). */
  readonly linkLayerAddress?: Uint8Array;
}

/** A whole Ethernet frame carrying an NS or NA with hop limit 255 and a correct checksum. */
export function encodeNeighborFrame(
  type: NeighborMessageType,
  ethernetDestination: Uint8Array,
  ethernetSource: Uint8Array,
  m: NeighborMessageFields,
): Buffer {
  const length = ND_MESSAGE_LENGTH + (m.linkLayerAddress ? 8 : 0);
  const frame = ethernetFrame(
    ethernetDestination,
    ethernetSource,
    ETHERTYPE_IPV6,
    IPV6_HEADER_LENGTH + length,
  );
  const ip = frame.subarray(ETHERNET_HEADER_LENGTH);
  ip.writeUInt32BE(0x60000000, 0);
  ip.writeUInt16BE(length, 4);
  ip[6] = IPPROTO_ICMPV6;
  ip[7] = ND_HOP_LIMIT;
  ip.set(m.source, 8);
  ip.set(m.destination, 24);
  const message = ip.subarray(IPV6_HEADER_LENGTH);
  message[0] = type === 'solicitation' ? ICMPV6_NEIGHBOR_SOLICITATION : ICMPV6_NEIGHBOR_ADVERTISEMENT;
  if (type === 'advertisement')
    message[4] =
      (m.router ? FLAG_ROUTER : 0) | (m.solicited ? FLAG_SOLICITED : 0) | (m.override ? FLAG_OVERRIDE : 0);
  message.set(m.target, 8);
  if (m.linkLayerAddress) {
    message[24] = type === 'solicitation' ? OPTION_SOURCE_LINK_LAYER : OPTION_TARGET_LINK_LAYER;
    message[25] = 1;
    message.set(m.linkLayerAddress, 26);
  }
  message.writeUInt16BE(icmpv6Checksum(m.source, m.destination, message), 2);
  return frame;
}

/**
 * The advertisement answering `solicitation` for its target, from `mac` (RFC 4861 §7.2.4): to the
 * solicitor's unicast address and link-layer address (its option, else the frame's source), Solicited and
 * Override set; for a DAD probe (source ::) to all nodes, Solicited clear. The IPv6 source is the target
 * itself — the address this node answers for, as Linux does for its own addresses (§7.2.4: "an address
 * assigned to the interface"; Herald assigns nothing, and the §7.1.2 receive checks do not look at the source).
 */
export function neighborAdvertisementFor(
  solicitation: NeighborMessage,
  frameSource: Uint8Array,
  mac: Uint8Array,
): Buffer {
  if (isUnspecifiedIpv6(solicitation.source))
    return unsolicitedNeighborAdvertisement(solicitation.target, mac);
  return encodeNeighborFrame('advertisement', solicitation.sourceLinkLayerAddress ?? frameSource, mac, {
    source: solicitation.target,
    destination: solicitation.source,
    target: solicitation.target,
    solicited: true,
    override: true,
    linkLayerAddress: mac,
  });
}

/**
 * An unsolicited Neighbor Advertisement (RFC 4861 §7.2.6) to all nodes with the Override flag: every node
 * that has `address` in its neighbour cache replaces the link-layer address with `mac` (§7.2.5) — the IPv6
 * counterpart of a gratuitous ARP.
 */
export function unsolicitedNeighborAdvertisement(address: Uint8Array, mac: Uint8Array): Buffer {
  return encodeNeighborFrame('advertisement', multicastMac(ALL_NODES_ADDRESS), mac, {
    source: address,
    destination: ALL_NODES_ADDRESS,
    target: address,
    solicited: false,
    override: true,
    linkLayerAddress: mac,
  });
}

/** A Neighbor Solicitation for `target` from `source` (a client asking, in tests and lab tools). */
export function neighborSolicitation(target: Uint8Array, source: Uint8Array, mac: Uint8Array): Buffer {
  const group = solicitedNodeAddress(target);
  return encodeNeighborFrame('solicitation', multicastMac(group), mac, {
    source,
    destination: group,
    target,
    linkLayerAddress: isUnspecifiedIpv6(source) ? undefined : mac,
  });
}
