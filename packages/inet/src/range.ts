/**
 * Address intervals on bigint: one code path for IPv4 and IPv6, so a /64 pool is two numbers, never a list.
 */
import { formatIp, type IpAddress, parseIp } from './address.ts';
import { type Family, familyBits, toIPFamily } from './family.ts';
import { type Prefix, parseCidr, prefixOf } from './prefix.ts';

/** An inclusive interval of addresses of one family. */
export interface IpRange {
  readonly family: Family;
  readonly start: bigint;
  readonly end: bigint;
}

/** Number of addresses in an interval (bigint: a /64 has 2^64). */
export function rangeSize(r: IpRange): bigint {
  return r.end - r.start + 1n;
}

export function rangesOverlap(a: IpRange, b: IpRange): boolean {
  return a.family === b.family && a.start <= b.end && b.start <= a.end;
}

export function rangeContains(r: IpRange, ip: IpAddress): boolean {
  return r.family === ip.family && ip.value >= r.start && ip.value <= r.end;
}

/** The smallest list of prefixes that exactly covers an interval, in order. */
export function rangeToCidrs(r: IpRange): Prefix[] {
  const bits = familyBits[r.family];
  const out: Prefix[] = [];
  let cur = r.start;
  while (cur <= r.end) {
    // Largest aligned block starting at cur that does not pass r.end.
    let size = bits;
    while (size > 0) {
      const block = 1n << BigInt(bits - size + 1);
      if ((cur & (block - 1n)) !== 0n || cur + block - 1n > r.end) break;
      size--;
    }
    out.push(prefixOf({ family: r.family, value: cur }, size));
    cur += 1n << BigInt(bits - size);
  }
  return out;
}

/** One entry of an address list as written by an operator (a pool's `addresses`), parsed. */
export interface AddressRange extends IpRange {
  /** The entry as the operator wrote it. */
  readonly text: string;
  readonly kind: 'cidr' | 'range';
  /** Prefix length of a CIDR entry; undefined for a start-end range. */
  readonly prefixLength: number | undefined;
}

export type AddressRangeParseResult =
  | { readonly ok: true; readonly range: AddressRange }
  | { readonly ok: false; readonly reason: string };

/** Parses a CIDR ("198.51.100.0/26") or an inclusive range ("198.51.100.10-198.51.100.20"). */
export function parseAddressRange(text: string): AddressRangeParseResult {
  if (typeof text !== 'string') return { ok: false, reason: 'must be a string' };
  const t = text.trim();
  const dash = t.indexOf('-');
  if (dash >= 0) {
    const a = t.slice(0, dash).trim();
    const b = t.slice(dash + 1).trim();
    const start = parseIp(a);
    const end = parseIp(b);
    if (start === undefined)
      return { ok: false, reason: `"${text}" is not a valid range: "${a}" is not an IP address` };
    if (end === undefined)
      return { ok: false, reason: `"${text}" is not a valid range: "${b}" is not an IP address` };
    if (start.family !== end.family)
      return {
        ok: false,
        reason: `"${text}" mixes families (${toIPFamily(start.family)} start, ${toIPFamily(end.family)} end); a range is one family`,
      };
    if (start.value > end.value)
      return { ok: false, reason: `"${text}" is not a valid range: start ${a} is after end ${b}` };
    return {
      ok: true,
      range: {
        family: start.family,
        start: start.value,
        end: end.value,
        text,
        kind: 'range',
        prefixLength: undefined,
      },
    };
  }
  if (!t.includes('/')) {
    const ip = parseIp(t);
    if (ip !== undefined)
      return {
        ok: false,
        reason: `"${text}" is a single address; write it as a CIDR ("${formatIp(ip)}/${familyBits[ip.family]}") or a range`,
      };
    return {
      ok: false,
      reason: `"${text}" is neither a CIDR ("198.51.100.0/26") nor a range ("a.b.c.d-e.f.g.h")`,
    };
  }
  const c = parseCidr(t);
  if (!c.ok) return c;
  return { ok: true, range: { ...c.range, text, kind: 'cidr', prefixLength: c.prefix.length } };
}
