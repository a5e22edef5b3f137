// Minimal IP arithmetic for the announce decision: parse an address, test pool membership and compute the
// aggregate prefix covering an address. BigInt keeps v4 and v6 on one code path; a /64 pool costs nothing.
import { isIPv4, isIPv6 } from 'node:net';

export type Family = 'ipv4' | 'ipv6';

export interface ParsedIp {
  readonly family: Family;
  readonly value: bigint;
}

export const familyBits = { ipv4: 32, ipv6: 128 } as const;

export function parseIp(text: string): ParsedIp | undefined {
  if (isIPv4(text)) return { family: 'ipv4', value: v4ToBigInt(text) };
  if (isIPv6(text)) {
    const v = v6ToBigInt(text);
    return v === undefined ? undefined : { family: 'ipv6', value: v };
  }
  return undefined;
}

function v4ToBigInt(text: string): bigint {
  let v = 0n;
  for (const octet of text.split('.')) v = (v << 8n) | BigInt(Number(octet));
  return v;
}

function v6ToBigInt(text: string): bigint | undefined {
  let addr = text.split('%')[0]!;
  // Embedded IPv4 tail (::ffff:198.51.100.1) becomes two hextets.
  const lastColon = addr.lastIndexOf(':');
  const tail = addr.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = v4ToBigInt(tail);
    addr = `${addr.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = addr.split('::');
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const rest = halves.length > 1 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : [];
  const zeros = 8 - head.length - rest.length;
  if (zeros < 0 || (halves.length === 1 && zeros !== 0)) return undefined;
  const groups = [...head, ...Array<string>(zeros).fill('0'), ...rest];
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(Number.parseInt(g, 16));
  return v;
}

export function formatIp(ip: ParsedIp): string {
  if (ip.family === 'ipv4') {
    const v = ip.value;
    return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
  }
  const groups: number[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(Number((ip.value >> s) & 0xffffn));
  // RFC 5952: compress the longest run (length >= 2) of zero groups, the first one on ties.
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

/** The network address of `ip` masked to `length` bits. */
export function maskTo(ip: ParsedIp, length: number): ParsedIp {
  const bits = BigInt(familyBits[ip.family]);
  const hostBits = bits - BigInt(length);
  const mask = ((1n << bits) - 1n) ^ ((1n << hostBits) - 1n);
  return { family: ip.family, value: ip.value & mask };
}

/** The canonical prefix text ("198.51.100.0/24") of the `length`-bit network holding `ip`. */
export function prefixOf(ip: ParsedIp, length: number): string {
  return `${formatIp(maskTo(ip, length))}/${length}`;
}

/** An inclusive address interval: a pool entry (CIDR or start-end range) reduced to numbers. */
export interface IpInterval {
  readonly family: Family;
  readonly first: bigint;
  readonly last: bigint;
}

/** Parses "198.51.100.0/24", "198.51.100.10-198.51.100.20" or a single address into an interval. */
export function parseInterval(text: string): IpInterval | undefined {
  const dash = text.indexOf('-');
  if (dash > 0) {
    const a = parseIp(text.slice(0, dash).trim());
    const b = parseIp(text.slice(dash + 1).trim());
    if (!a || !b || a.family !== b.family || a.value > b.value) return undefined;
    return { family: a.family, first: a.value, last: b.value };
  }
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text.trim() : text.slice(0, slash).trim());
  if (!ip) return undefined;
  const bits = familyBits[ip.family];
  const length = slash < 0 ? bits : Number(text.slice(slash + 1));
  if (!Number.isInteger(length) || length < 0 || length > bits) return undefined;
  const first = maskTo(ip, length).value;
  return { family: ip.family, first, last: first + (1n << BigInt(bits - length)) - 1n };
}

export function intervalContains(interval: IpInterval, ip: ParsedIp): boolean {
  return interval.family === ip.family && ip.value >= interval.first && ip.value <= interval.last;
}
