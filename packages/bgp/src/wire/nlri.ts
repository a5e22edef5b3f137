/**
 * NLRI prefix encoding (RFC 4271 §4.3, RFC 4760 §5): one length octet (bits) followed by the minimum
 * number of address octets. Decoding masks trailing bits, as the RFC says they are irrelevant.
 *
 * A received run of prefixes is validated once (`checkNlri`) and kept as bytes (`NlriRun`); prefixes are
 * produced from it one at a time (`forEachNlri`) or as a list on demand (`nlriPrefixes`). A router can send a
 * million prefixes: a speaker that only counts them must never hold them all as objects at once — objects
 * alive across a garbage collection are promoted, and the heap would balloon by hundreds of MB.
 */

import { addressToBytes, bytesToAddress, maxLength } from '@herald/inet';
import { BgpError, ErrorCode, UpdateSubcode } from '../errors.ts';
import type { Afi, Prefix } from '../types.ts';

/** Validated prefixes of one family, still in wire form. */
export interface NlriRun {
  readonly afi: Afi;
  readonly bytes: Buffer;
}

/** The wire form of one prefix; cached by the Adj-RIB-Out so packing does no per-send encoding. */
export function encodeNlriPrefix(prefix: Prefix): Buffer {
  const n = (prefix.length + 7) >> 3;
  const out = Buffer.allocUnsafe(1 + n);
  out[0] = prefix.length;
  addressToBytes(prefix.address).copy(out, 1, 0, n);
  return out;
}

/**
 * Check that `buf` is a well-formed run of `afi` prefixes. `subcode` lets MP_REACH/MP_UNREACH report Optional
 * Attribute Error while the UPDATE's own NLRI fields report Invalid Network Field (RFC 4271 §6.3, RFC 4760 §7).
 */
export function checkNlri(
  buf: Buffer,
  afi: Afi,
  subcode: number = UpdateSubcode.InvalidNetworkField,
): NlriRun | BgpError {
  const max = maxLength(afi);
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
    i += 1 + n;
  }
  return { afi, bytes: buf };
}

/**
 * Calls `fn` for each prefix of a validated run with its length and its address bytes, host bits cleared, in
 * a scratch buffer that is reused for the next prefix (copy what must outlive the call).
 */
export function forEachNlri(run: NlriRun, fn: (length: number, address: Buffer) => void): void {
  const buf = run.bytes;
  const address = run.afi === 'ipv4' ? SCRATCH_V4 : SCRATCH_V6;
  for (let i = 0; i < buf.length; ) {
    const length = buf[i]!;
    const n = (length + 7) >> 3;
    address.fill(0);
    buf.copy(address, 0, i + 1, i + 1 + n);
    if (length & 7) address[n - 1] = address[n - 1]! & (0xff << (8 - (length & 7)));
    fn(length, address);
    i += 1 + n;
  }
}

const SCRATCH_V4 = Buffer.alloc(4);
const SCRATCH_V6 = Buffer.alloc(16);

/**
 * `announced` and `withdrawn` as prefix objects, built from the runs on first read and kept: for a decoded
 * UPDATE and for the report of what it carried, whose readers usually never look.
 */
export interface LazyRoutes {
  readonly announced: readonly Prefix[];
  readonly withdrawn: readonly Prefix[];
}

export function lazyRoutes(announcedNlri: readonly NlriRun[], withdrawnNlri: readonly NlriRun[]): LazyRoutes {
  let announced: Prefix[] | undefined;
  let withdrawn: Prefix[] | undefined;
  return {
    get announced(): Prefix[] {
      announced ??= nlriPrefixes(announcedNlri);
      return announced;
    },
    get withdrawn(): Prefix[] {
      withdrawn ??= nlriPrefixes(withdrawnNlri);
      return withdrawn;
    },
  };
}

/** The prefixes of validated runs, as objects. */
export function nlriPrefixes(runs: readonly NlriRun[]): Prefix[] {
  const out: Prefix[] = [];
  for (const run of runs) {
    forEachNlri(run, (length, address) =>
      out.push({ afi: run.afi, address: bytesToAddress(address), length }),
    );
  }
  return out;
}
