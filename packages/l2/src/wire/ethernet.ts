/**
 * Ethernet II framing (IEEE 802.3 with an EtherType) and MAC addresses: what an AF_PACKET socket bound with
 * SOCK_RAW hands us and takes back — the 14-byte header, then the payload. No FCS (the NIC adds and strips
 * it). VLAN tags never appear here: the kernel strips them before a packet socket bound to a (VLAN)
 * interface sees the frame, so an operator who announces on a VLAN selects the VLAN interface.
 */

export const ETHERNET_HEADER_LENGTH = 14;
export const MAC_LENGTH = 6;
/** EtherTypes (IEEE Registration Authority). */
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;

/** ff:ff:ff:ff:ff:ff. */
export const BROADCAST_MAC: Uint8Array = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
/** 00:00:00:00:00:00, the "unknown" target hardware address of an ARP request. */
export const ZERO_MAC: Uint8Array = new Uint8Array(MAC_LENGTH);

const MAC_TEXT = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** "aa:bb:cc:dd:ee:ff" (either case) → 6 bytes; undefined for anything else. */
export function parseMac(text: string): Uint8Array | undefined {
  if (!MAC_TEXT.test(text)) return undefined;
  return Uint8Array.from(text.split(':').map((h) => Number.parseInt(h, 16)));
}

/** 6 bytes → "aa:bb:cc:dd:ee:ff" (lower case, as `ip link` prints it). */
export function formatMac(mac: Uint8Array): string {
  let out = '';
  for (let i = 0; i < mac.length; i++) {
    if (i > 0) out += ':';
    out += mac[i]!.toString(16).padStart(2, '0');
  }
  return out;
}

export function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== MAC_LENGTH || b.length !== MAC_LENGTH) return false;
  for (let i = 0; i < MAC_LENGTH; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The group bit (I/G, the least significant bit of the first octet): multicast and broadcast. */
export function isGroupMac(mac: Uint8Array): boolean {
  return (mac[0]! & 1) === 1;
}

/** A unicast MAC that can be a sender: 6 bytes, group bit clear, not all zero. */
export function isUnicastMac(mac: Uint8Array): boolean {
  return mac.length === MAC_LENGTH && !isGroupMac(mac) && mac.some((b) => b !== 0);
}

export interface EthernetHeader {
  readonly destination: Uint8Array;
  readonly source: Uint8Array;
  readonly etherType: number;
}

/** The header of a received frame; undefined when the frame is shorter than a header. No copies: views. */
export function decodeEthernet(frame: Uint8Array): EthernetHeader | undefined {
  if (frame.length < ETHERNET_HEADER_LENGTH) return undefined;
  return {
    destination: frame.subarray(0, 6),
    source: frame.subarray(6, 12),
    etherType: (frame[12]! << 8) | frame[13]!,
  };
}

/** One Buffer holding the header and room for `payloadLength` bytes after it (filled by the caller). */
export function ethernetFrame(
  destination: Uint8Array,
  source: Uint8Array,
  etherType: number,
  payloadLength: number,
): Buffer {
  const frame = Buffer.alloc(ETHERNET_HEADER_LENGTH + payloadLength);
  frame.set(destination, 0);
  frame.set(source, 6);
  frame.writeUInt16BE(etherType, 12);
  return frame;
}
