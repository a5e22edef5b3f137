/**
 * IP addresses and prefixes: parsing, canonical formatting and byte conversion. Self-contained (node builtins
 * only) because the wire codec needs raw bytes, and canonical text is what makes Adj-RIB keys stable.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Afi, Prefix } from './types.ts';

/** Thrown by `parsePrefix`/`parseAddress` for bad caller input (config, CLI); never by wire decoding. */
export class InvalidPrefixError extends Error {
  constructor(input: string, reason: string) {
    super(`invalid prefix or address '${input}': ${reason}`);
    this.name = 'InvalidPrefixError';
  }
}

export function addressFamily(address: string): Afi | undefined {
  if (isIPv4(address)) return 'ipv4';
  if (isIPv6(address)) return 'ipv6';
  return undefined;
}

/** Address text → 4 or 16 bytes. */
export function addressToBytes(address: string): Buffer {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  if (!isIPv6(address)) throw new InvalidPrefixError(address, 'not an IPv4 or IPv6 address');
  let text = address;
  const out = Buffer.alloc(16);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const [head, rest] = text.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups =
    rest === undefined
      ? headGroups
      : [
          ...headGroups,
          ...new Array<string>(8 - headGroups.length - tailGroups.length).fill('0'),
          ...tailGroups,
        ];
  for (let i = 0; i < 8; i++) out.writeUInt16BE(Number.parseInt(groups[i] ?? '0', 16), i * 2);
  return out;
}

/** 4 or 16 bytes → canonical text (RFC 5952 for IPv6: lowercase, longest zero run compressed). */
export function bytesToAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Canonical text of an address, or undefined if it is not an IP address. */
export function canonicalAddress(address: string): string | undefined {
  if (addressFamily(address) === undefined) return undefined;
  return bytesToAddress(addressToBytes(address));
}

export function maxLength(afi: Afi): number {
  return afi === 'ipv4' ? 32 : 128;
}

/**
 * Parse `198.51.100.7/32`, `2001:db8:100::1/128`, or a bare address (host prefix).
 * Host bits must be zero: `198.51.100.7/24` is rejected rather than silently masked, because announcing a
 * different prefix than the operator wrote is the kind of silent fallback we refuse.
 */
export function parsePrefix(text: string): Prefix {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const addressText = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const afi = addressFamily(addressText);
  if (afi === undefined || addressText.includes('%')) throw new InvalidPrefixError(text, 'not an IP address');
  const max = maxLength(afi);
  let length = max;
  if (slash >= 0) {
    const lengthText = trimmed.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lengthText)) throw new InvalidPrefixError(text, 'prefix length is not a number');
    length = Number(lengthText);
    if (length > max) throw new InvalidPrefixError(text, `prefix length ${length} exceeds ${max}`);
  }
  const bytes = addressToBytes(addressText);
  if (!hostBitsZero(bytes, length)) throw new InvalidPrefixError(text, `host bits set beyond /${length}`);
  return { afi, address: bytesToAddress(bytes), length };
}

/** Non-throwing variant of `parsePrefix` for validation code that collects errors. */
export function tryParsePrefix(text: string): { ok: true; prefix: Prefix } | { ok: false; reason: string } {
  try {
    return { ok: true, prefix: parsePrefix(text) };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

export function formatPrefix(prefix: Prefix): string {
  return `${prefix.address}/${prefix.length}`;
}

export function hostBitsZero(bytes: Uint8Array, length: number): boolean {
  for (let bit = length; bit < bytes.length * 8; bit++) {
    if ((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1) return false;
  }
  return true;
}

/** A link-local IPv6 address (fe80::/10), required for the second MP_REACH next hop (RFC 2545). */
export function isIPv6LinkLocal(address: string): boolean {
  if (!isIPv6(address)) return false;
  const b = addressToBytes(address);
  return b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
}
