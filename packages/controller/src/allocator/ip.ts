// IP addresses as (family, bigint) pairs. The allocator does arithmetic on addresses (ranges, ordinals,
// "next free"), so it keeps them as integers and only formats them at the edges. Parsing is strict:
// no zone ids, no leading zeros in IPv4 octets (they are octal to some tools), no prefix length.

export type IPFamily = 'IPv4' | 'IPv6';

export interface IPAddress {
  readonly family: IPFamily;
  readonly value: bigint;
}

export const IPV4_MAX = (1n << 32n) - 1n;
export const IPV6_MAX = (1n << 128n) - 1n;

export function familyBits(family: IPFamily): bigint {
  return family === 'IPv4' ? 32n : 128n;
}

const V4_OCTET = /^(0|[1-9][0-9]{0,2})$/;
const V6_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseV4Value(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!V4_OCTET.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseV6Value(text: string): bigint | null {
  if (text.length === 0 || text.length > 45) return null;
  let head = text;
  let tailV4: bigint | null = null;
  // An embedded IPv4 tail (::ffff:198.51.100.1) counts as the last two groups.
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.indexOf('.', lastColon) > lastColon) {
    tailV4 = parseV4Value(text.slice(lastColon + 1));
    if (tailV4 === null) return null;
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const doubleColon = head.indexOf('::');
  if (doubleColon !== head.lastIndexOf('::')) return null;
  let groups: string[];
  if (doubleColon >= 0) {
    const left = head.slice(0, doubleColon);
    const right = head.slice(doubleColon + 2);
    const leftGroups = left === '' ? [] : left.split(':');
    const rightGroups = right === '' ? [] : right.split(':');
    const missing = 8 - leftGroups.length - rightGroups.length;
    if (missing < 1) return null;
    groups = [...leftGroups, ...new Array<string>(missing).fill('0'), ...rightGroups];
  } else {
    groups = head.split(':');
  }
  if (groups.length !== 8) return null;
  let value = 0n;
  for (const group of groups) {
    if (!V6_GROUP.test(group)) return null;
    value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  }
  if (tailV4 !== null) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

/** Parses one IPv4 or IPv6 address; null when the text is not exactly one address. */
export function parseIP(text: string): IPAddress | null {
  if (text.includes(':')) {
    const value = parseV6Value(text);
    return value === null ? null : { family: 'IPv6', value };
  }
  const value = parseV4Value(text);
  return value === null ? null : { family: 'IPv4', value };
}

/** Canonical text form: dotted quad, or RFC 5952 for IPv6 (lower case, longest zero run compressed). */
export function formatIP(address: IPAddress): string {
  if (address.family === 'IPv4') {
    // Number arithmetic: BigInt-to-string conversion is several times slower and this is on the hot path.
    const v = Number(address.value);
    return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((address.value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1; // RFC 5952 4.2.2: a single zero group is not compressed
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** An inclusive interval of one family; the same shape as @herald/config's IpRange. */
export interface AddressRange {
  readonly family: IPFamily;
  readonly start: bigint;
  readonly end: bigint;
}

/** Parses `198.51.100.0/24`, `2001:db8:100::/64` or `198.51.100.10-198.51.100.20` (host bits must be zero). */
export function parseRange(text: string): AddressRange | null {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  if (slash >= 0) {
    const base = parseIP(trimmed.slice(0, slash));
    const lengthText = trimmed.slice(slash + 1);
    if (base === null || !/^(0|[1-9][0-9]{0,2})$/.test(lengthText)) return null;
    const length = BigInt(lengthText);
    const bits = familyBits(base.family);
    if (length > bits) return null;
    const hostMask = (1n << (bits - length)) - 1n;
    if ((base.value & hostMask) !== 0n) return null;
    return { family: base.family, start: base.value, end: base.value | hostMask };
  }
  const dash = trimmed.indexOf('-');
  if (dash < 0) return null;
  const first = parseIP(trimmed.slice(0, dash).trim());
  const last = parseIP(trimmed.slice(dash + 1).trim());
  if (first === null || last === null || first.family !== last.family || first.value > last.value)
    return null;
  return { family: first.family, start: first.value, end: last.value };
}
