/**
 * IP addresses: text ⇄ number ⇄ bytes, and the canonical text (RFC 5952) that makes addresses comparable as
 * strings (Adj-RIB keys, status fields, config diffs).
 *
 * Text is parsed, and text is canonicalised, by `ip-address`. Numbers and bytes are formatted by the small
 * RFC 5952 core below instead, because two hot paths format addresses they already hold as numbers or bytes:
 * the BGP codec (every NLRI prefix of a received UPDATE) and the controller's allocator (every address it
 * hands out). `npm run bench:inet -w bench` compares them: ip-address takes 3-8 µs per IPv6 and 1.6-2 µs per
 * IPv4 address, this core 0.1-0.6 µs. A test checks the core against `ip-address` on random and zero-heavy
 * addresses, so the two cannot drift apart.
 */
import { Address4, Address6 } from 'ip-address';
import type { Family } from './family.ts';

export interface IpAddress {
  readonly family: Family;
  /** The address as an unsigned integer (0 .. 2^32-1 or 0 .. 2^128-1). */
  readonly value: bigint;
}

/**
 * Strict parse (these strings come from operators and from the apiserver and must mean exactly one thing):
 * an IPv4 dotted quad without leading zeros, or RFC 4291 IPv6 text (also with a dotted IPv4 tail). No zone
 * (`%eth0`), no prefix length, no brackets, no surrounding whitespace.
 */
function parseText(text: string): Address4 | Address6 | undefined {
  if (typeof text !== 'string' || text.includes('/')) return undefined;
  try {
    if (!text.includes(':')) return new Address4(text);
    const a = new Address6(text);
    return a.zone === '' ? a : undefined;
  } catch {
    return undefined;
  }
}

/** Parses an IPv4 or IPv6 address; undefined when the text is neither. */
export function parseIp(text: string): IpAddress | undefined {
  const a = parseText(text);
  if (a === undefined) return undefined;
  return { family: a instanceof Address4 ? 'ipv4' : 'ipv6', value: a.bigInt() };
}

/** The family of an address text, or undefined when it is not an address. */
export function addressFamily(text: string): Family | undefined {
  const a = parseText(text);
  return a === undefined ? undefined : a instanceof Address4 ? 'ipv4' : 'ipv6';
}

/**
 * Canonical text of an address (dotted quad; RFC 5952 for IPv6: lower case, no leading zeros, the longest
 * run of two or more zero groups as `::`, the first one on a tie), or undefined when it is not an address.
 * An embedded IPv4 tail comes out as hex groups (`::ffff:c633:6407`): one spelling per address, whatever the
 * input looked like.
 */
export function canonicalAddress(text: string): string | undefined {
  return parseText(text)?.correctForm();
}

// ---- the fast core: numbers and bytes → canonical text ----

/** RFC 5952 §4 text of eight 16-bit groups. */
function formatGroups(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 1; // a single zero group is never compressed (§4.2.2)
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.map((g) => g.toString(16)).join(':');
  const head = groups.slice(0, bestStart).map((g) => g.toString(16));
  const tail = groups.slice(bestStart + bestLen).map((g) => g.toString(16));
  return `${head.join(':')}::${tail.join(':')}`;
}

function formatIPv4(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** Canonical text of a parsed address (the same text `canonicalAddress` gives for any spelling of it). */
export function formatIp(ip: IpAddress): string {
  // Number arithmetic for IPv4: bigint shifts and bigint-to-string are ~3x slower (bench:allocator).
  if (ip.family === 'ipv4') return formatIPv4(Number(ip.value));
  const v = ip.value;
  const w0 = Number(v >> 96n);
  const w1 = Number((v >> 64n) & 0xffffffffn);
  const w2 = Number((v >> 32n) & 0xffffffffn);
  const w3 = Number(v & 0xffffffffn);
  const groups = [
    w0 >>> 16,
    w0 & 0xffff,
    w1 >>> 16,
    w1 & 0xffff,
    w2 >>> 16,
    w2 & 0xffff,
    w3 >>> 16,
    w3 & 0xffff,
  ];
  return formatGroups(groups);
}

/** 4 or 16 bytes (network order, as on the wire) → canonical text. */
export function bytesToAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length !== 16) throw new RangeError(`an address is 4 or 16 bytes, got ${bytes.length}`);
  const groups = new Array<number>(8);
  for (let i = 0; i < 8; i++) groups[i] = (bytes[2 * i]! << 8) | bytes[2 * i + 1]!;
  return formatGroups(groups);
}

/** A parsed address → 4 or 16 bytes in network order. */
export function ipToBytes(ip: IpAddress): Buffer {
  if (ip.family === 'ipv4') {
    const out = Buffer.allocUnsafe(4);
    out.writeUInt32BE(Number(ip.value));
    return out;
  }
  const out = Buffer.allocUnsafe(16);
  out.writeBigUInt64BE(ip.value >> 64n, 0);
  out.writeBigUInt64BE(ip.value & 0xffffffffffffffffn, 8);
  return out;
}

/** Thrown by `addressToBytes` (and the prefix parser) for text that is not an address: a caller's bug. */
export class InvalidAddressError extends Error {
  constructor(text: string) {
    super(`'${text}' is not an IPv4 or IPv6 address`);
    this.name = 'InvalidAddressError';
  }
}

/** Address text → 4 or 16 bytes; throws InvalidAddressError when it is not an address. */
export function addressToBytes(text: string): Buffer {
  const ip = parseIp(text);
  if (ip === undefined) throw new InvalidAddressError(text);
  return ipToBytes(ip);
}

// ---- questions about one address ----

/** All-ones in the bits past `length`: the host part of a `length`-bit prefix. */
export function hostMask(family: Family, length: number): bigint {
  return (1n << BigInt((family === 'ipv4' ? 32 : 128) - length)) - 1n;
}

/** The network address of the `length`-bit prefix holding `ip`. */
export function maskIp(ip: IpAddress, length: number): IpAddress {
  return { family: ip.family, value: ip.value & ~hostMask(ip.family, length) };
}

/** fe80::/10, the only next hop allowed as the second MP_REACH next hop (RFC 2545 §3). */
export function isIPv6LinkLocal(text: string): boolean {
  const ip = parseIp(text);
  return ip !== undefined && ip.family === 'ipv6' && ip.value >> 118n === 0x3fan;
}

/**
 * True when an IPv4 address ends in .0 or .255: the "buggy" addresses that some old client stacks treat as
 * network/broadcast even inside a larger prefix (`avoidBuggyIPs`).
 */
export function isBuggyIPv4(value: bigint): boolean {
  const last = value & 0xffn;
  return last === 0n || last === 255n;
}

/** `isBuggyIPv4` for an address of either family; IPv6 has no such addresses. */
export function isBuggyIp(ip: IpAddress): boolean {
  return ip.family === 'ipv4' && isBuggyIPv4(ip.value);
}
