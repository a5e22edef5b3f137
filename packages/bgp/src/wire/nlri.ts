/**
 * NLRI prefix encoding (RFC 4271 §4.3, RFC 4760 §5): one length octet (bits) followed by the minimum
 * number of address octets. Decoding masks trailing bits, as the RFC says they are irrelevant.
 */
import { BgpError, ErrorCode, UpdateSubcode } from '../errors.ts';
import { addressToBytes, bytesToAddress, maxLength } from '../prefix.ts';
import type { Afi, Prefix } from '../types.ts';

/** The wire form of one prefix; cached by the Adj-RIB-Out so packing does no per-send encoding. */
export function encodeNlriPrefix(prefix: Prefix): Buffer {
  const n = (prefix.length + 7) >> 3;
  const out = Buffer.allocUnsafe(1 + n);
  out[0] = prefix.length;
  addressToBytes(prefix.address).copy(out, 1, 0, n);
  return out;
}

/**
 * Decode a run of prefixes. `subcode` lets MP_REACH/MP_UNREACH report Optional Attribute Error while the
 * UPDATE's own NLRI fields report Invalid Network Field (RFC 4271 §6.3, RFC 4760 §7).
 */
export function decodeNlri(
  buf: Buffer,
  afi: Afi,
  subcode: number = UpdateSubcode.InvalidNetworkField,
): Prefix[] | BgpError {
  const out: Prefix[] = [];
  const max = maxLength(afi);
  const size = max / 8;
  let i = 0;
  while (i < buf.length) {
    const length = buf[i]!;
    const n = (length + 7) >> 3;
    if (length > max || i + 1 + n > buf.length) {
      return new BgpError(
        ErrorCode.UpdateMessage,
        subcode,
        undefined,
        `bad ${afi} NLRI length ${length} at ${i}`,
      );
    }
    const bytes = Buffer.alloc(size);
    buf.copy(bytes, 0, i + 1, i + 1 + n);
    if (length & 7) bytes[n - 1] = bytes[n - 1]! & (0xff << (8 - (length & 7)));
    out.push({ afi, address: bytesToAddress(bytes), length });
    i += 1 + n;
  }
  return out;
}
