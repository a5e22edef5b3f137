/**
 * The Internet checksum (RFC 1071) and the ICMPv6 checksum over the IPv6 pseudo-header (RFC 8200 §8.1,
 * RFC 4443 §2.3): the one's-complement of the one's-complement sum of 16-bit words.
 */

/** One's-complement sum of `bytes` added to `sum` (not folded); an odd last byte is padded with zero. */
function add(sum: number, bytes: Uint8Array): number {
  let s = sum;
  const even = bytes.length & ~1;
  for (let i = 0; i < even; i += 2) s += (bytes[i]! << 8) | bytes[i + 1]!;
  if (even < bytes.length) s += bytes[even]! << 8;
  return s;
}

function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** RFC 1071 checksum of the concatenation of `parts` (each part starting on an even offset). */
export function internetChecksum(...parts: readonly Uint8Array[]): number {
  let s = 0;
  for (const p of parts) s = add(s, p);
  return ~fold(s) & 0xffff;
}

/** Next Header value of ICMPv6. */
export const IPPROTO_ICMPV6 = 58;

/**
 * The ICMPv6 checksum of `message` (with its checksum field as it is) between `source` and `destination`.
 * Computing it over a message whose checksum field is already set gives 0 when the checksum is right.
 */
export function icmpv6Checksum(source: Uint8Array, destination: Uint8Array, message: Uint8Array): number {
  const pseudo = new Uint8Array(8);
  const length = message.length;
  pseudo[0] = (length >>> 24) & 0xff;
  pseudo[1] = (length >>> 16) & 0xff;
  pseudo[2] = (length >>> 8) & 0xff;
  pseudo[3] = length & 0xff;
  pseudo[7] = IPPROTO_ICMPV6;
  return internetChecksum(source, destination, pseudo, message);
}
