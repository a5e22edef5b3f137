// IP arithmetic on bigint: one code path for IPv4 and IPv6, so a /64 pool is two numbers, never a list.
// Parsing is strict (no zone ids, no leading zeros in IPv4 octets, no IPv4-mapped tricks beyond RFC 4291
// text forms) because these strings come from operators' config and must mean exactly one thing.

/** Address family, spelled as in the Kubernetes API (`spec.ipFamilies`, EndpointSlice `addressType`). */
export type IpFamily = 'IPv4' | 'IPv6';

export const familyBits: { readonly IPv4: 32; readonly IPv6: 128 } = { IPv4: 32, IPv6: 128 };

export interface IpAddress {
  readonly family: IpFamily;
  /** The address as an unsigned integer (0 .. 2^32-1 or 0 .. 2^128-1). */
  readonly value: bigint;
}

/** An inclusive interval of addresses of one family. */
export interface IpRange {
  readonly family: IpFamily;
  readonly start: bigint;
  readonly end: bigint;
}

export interface Cidr {
  readonly family: IpFamily;
  /** Network address (host bits zero). */
  readonly network: bigint;
  readonly prefixLength: number;
}

const V4_OCTET = /^(0|[1-9]\d{0,2})$/;
const HEXTET = /^[0-9a-fA-F]{1,4}$/;

function parseV4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!V4_OCTET.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(text: string): bigint | undefined {
  if (text.length === 0 || text.length > 45) return undefined;
  let body = text;
  let tail: bigint[] = [];
  // Embedded IPv4 in the last 32 bits (::ffff:198.51.100.1, RFC 4291 §2.2 form 3).
  const lastColon = body.lastIndexOf(':');
  if (lastColon < 0) return undefined;
  const last = body.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = parseV4(last);
    if (v4 === undefined) return undefined;
    tail = [v4 >> 16n, v4 & 0xffffn];
    body = `${body.slice(0, lastColon + 1)}0`; // placeholder group, dropped below
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const split = (s: string): string[] | undefined => (s === '' ? [] : s.split(':'));
  const head = split(halves[0]!);
  let rest = halves.length === 2 ? split(halves[1]!) : [];
  if (head === undefined || rest === undefined) return undefined;
  let headGroups = head;
  if (tail.length > 0) {
    // Drop the placeholder "0" we appended in place of the dotted tail.
    if (halves.length === 2) rest = rest.slice(0, -1);
    else headGroups = head.slice(0, -1);
  }
  const groups = [...headGroups, ...rest];
  for (const g of groups) if (!HEXTET.test(g)) return undefined;
  const explicit = groups.length + tail.length;
  if (halves.length === 1 && explicit !== 8) return undefined;
  if (halves.length === 2 && explicit > 7) return undefined;
  const zeros = 8 - explicit;
  const values: bigint[] = [
    ...headGroups.map((g) => BigInt(Number.parseInt(g, 16))),
    ...Array.from({ length: halves.length === 2 ? zeros : 0 }, () => 0n),
    ...rest.map((g) => BigInt(Number.parseInt(g, 16))),
    ...tail,
  ];
  let v = 0n;
  for (const g of values) v = (v << 16n) | g;
  return v;
}

/** Parses an IPv4 dotted quad or an RFC 4291 IPv6 text address; undefined when it is neither. */
export function parseIp(text: string): IpAddress | undefined {
  if (typeof text !== 'string') return undefined;
  if (text.includes(':')) {
    const v = parseV6(text);
    return v === undefined ? undefined : { family: 'IPv6', value: v };
  }
  const v = parseV4(text);
  return v === undefined ? undefined : { family: 'IPv4', value: v };
}

/** The family of an address text, or undefined when it is not an address. */
export function ipFamilyOf(text: string): IpFamily | undefined {
  return parseIp(text)?.family;
}

/** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run compressed). */
export function formatIp(ip: IpAddress): string {
  if (ip.family === 'IPv4') {
    // Number arithmetic: bigint shifts and bigint-to-string are ~3x slower, and the allocator formats every
    // address it hands out (bench:allocator).
    const v = Number(ip.value);
    return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  const groups: number[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(Number((ip.value >> s) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Canonical text of an address, or undefined when the input is not an address. */
export function canonicalIp(text: string): string | undefined {
  const ip = parseIp(text);
  return ip === undefined ? undefined : formatIp(ip);
}

function hostMask(family: IpFamily, prefixLength: number): bigint {
  return (1n << BigInt(familyBits[family] - prefixLength)) - 1n;
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIp({ family: cidr.family, value: cidr.network })}/${cidr.prefixLength}`;
}

export function cidrToRange(cidr: Cidr): IpRange {
  return {
    family: cidr.family,
    start: cidr.network,
    end: cidr.network | hostMask(cidr.family, cidr.prefixLength),
  };
}

export type CidrParseResult =
  | { readonly ok: true; readonly cidr: Cidr }
  | { readonly ok: false; readonly reason: string };

/**
 * Parses "198.51.100.0/26" or "2001:db8:100::/64". Host bits set is an error (with the canonical network
 * as suggestion): "198.51.100.7/24" almost always means a typo, and silently masking it would hand out
 * addresses the operator did not intend.
 */
export function parseCidr(text: string): CidrParseResult {
  const slash = text.indexOf('/');
  if (slash < 0) return { ok: false, reason: `"${text}" is not a CIDR (expected address/prefix-length)` };
  const ip = parseIp(text.slice(0, slash));
  if (ip === undefined) return { ok: false, reason: `"${text}" is not a valid CIDR: bad address` };
  const lenText = text.slice(slash + 1);
  const bits = familyBits[ip.family];
  if (!/^(0|[1-9]\d{0,2})$/.test(lenText) || Number(lenText) > bits)
    return {
      ok: false,
      reason: `"${text}" is not a valid CIDR: prefix length must be 0..${bits} for ${ip.family}`,
    };
  const prefixLength = Number(lenText);
  const network = ip.value & ~hostMask(ip.family, prefixLength);
  if (network !== ip.value) {
    const canonical = formatCidr({ family: ip.family, network, prefixLength });
    return { ok: false, reason: `"${text}" has host bits set; did you mean "${canonical}"?` };
  }
  return { ok: true, cidr: { family: ip.family, network, prefixLength } };
}

/** One entry of a pool's `addresses`, parsed. */
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

/** Parses a pool entry: a CIDR ("198.51.100.0/26") or an inclusive range ("198.51.100.10-198.51.100.20"). */
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
        reason: `"${text}" mixes families (${start.family} start, ${end.family} end); a range is one family`,
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
    if (ip !== undefined) {
      const bits = familyBits[ip.family];
      return {
        ok: false,
        reason: `"${text}" is a single address; write it as a CIDR ("${formatIp(ip)}/${bits}") or a range`,
      };
    }
    return {
      ok: false,
      reason: `"${text}" is neither a CIDR ("198.51.100.0/26") nor a range ("a.b.c.d-e.f.g.h")`,
    };
  }
  const c = parseCidr(t);
  if (!c.ok) return { ok: false, reason: c.reason };
  const r = cidrToRange(c.cidr);
  return { ok: true, range: { ...r, text, kind: 'cidr', prefixLength: c.cidr.prefixLength } };
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

/** The smallest list of CIDRs that exactly covers an interval (in order). */
export function rangeToCidrs(r: IpRange): Cidr[] {
  const bits = familyBits[r.family];
  const out: Cidr[] = [];
  let cur = r.start;
  while (cur <= r.end) {
    // Largest aligned block starting at cur that does not pass r.end.
    let size = bits;
    while (size > 0) {
      const block = 1n << BigInt(bits - size + 1);
      if ((cur & (block - 1n)) !== 0n || cur + block - 1n > r.end) break;
      size--;
    }
    out.push({ family: r.family, network: cur, prefixLength: size });
    cur += 1n << BigInt(bits - size);
  }
  return out;
}

/** Masks an address to the network of the given prefix length. */
export function maskIp(ip: IpAddress, prefixLength: number): IpAddress {
  return { family: ip.family, value: ip.value & ~hostMask(ip.family, prefixLength) };
}

/**
 * True when an IPv4 address ends in .0 or .255: the "buggy" addresses that some old client stacks treat as
 * network/broadcast even inside a larger prefix (`avoidBuggyIPs`). IPv6 has no such addresses.
 */
export function isBuggyIp(ip: IpAddress): boolean {
  if (ip.family !== 'IPv4') return false;
  const last = ip.value & 0xffn;
  return last === 0n || last === 255n;
}
