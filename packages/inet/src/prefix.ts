/**
 * IP prefixes ("198.51.100.0/24"): one parser, two ways to say what is wrong. Host bits must be zero:
 * `198.51.100.7/24` is rejected rather than silently masked, because announcing or allocating a different
 * prefix than the one written is the kind of silent fallback Herald refuses.
 */
import { formatIp, hostMask, type IpAddress, parseIp } from './address.ts';
import { type Family, familyBits, toIPFamily } from './family.ts';
import type { IpRange } from './range.ts';

/**
 * A prefix in canonical text form: `address` has its host bits zero and is canonical (RFC 5952), so
 * `formatPrefix` gives one string per prefix, fit as a map key. The family field is named after BGP's AFI
 * (RFC 4760) because the BGP codec and RIBs are its main users.
 */
export interface Prefix {
  readonly afi: Family;
  readonly address: string;
  readonly length: number;
}

export function formatPrefix(prefix: Prefix): string {
  return `${prefix.address}/${prefix.length}`;
}

/** The `length`-bit prefix that holds `ip` (its host bits cleared). */
export function prefixOf(ip: IpAddress, length: number): Prefix {
  return {
    afi: ip.family,
    address: formatIp({ family: ip.family, value: ip.value & ~hostMask(ip.family, length) }),
    length,
  };
}

/** The inclusive address interval a prefix covers. */
export function prefixRange(prefix: Prefix): IpRange {
  const network = parseIp(prefix.address)!.value;
  return { family: prefix.afi, start: network, end: network | hostMask(prefix.afi, prefix.length) };
}

/** Why a text is not a prefix, as data: each caller words it for its readers. */
export type PrefixProblem =
  | { readonly kind: 'no-length' }
  | { readonly kind: 'address'; readonly address: string }
  | { readonly kind: 'length'; readonly family: Family; readonly length: string }
  | { readonly kind: 'host-bits'; readonly network: Prefix };

type Scan =
  | { readonly ok: true; readonly ip: IpAddress; readonly length: number }
  | { readonly ok: false; readonly problem: PrefixProblem };

const LENGTH = /^(0|[1-9]\d{0,2})$/;

/** The one prefix parser. `bareAddress`: an address without "/len" is its host prefix (/32, /128). */
function scan(text: string, bareAddress: boolean): Scan {
  const slash = text.indexOf('/');
  if (slash < 0 && !bareAddress) return { ok: false, problem: { kind: 'no-length' } };
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const ip = parseIp(addressText);
  if (ip === undefined) return { ok: false, problem: { kind: 'address', address: addressText } };
  const bits = familyBits[ip.family];
  if (slash < 0) return { ok: true, ip, length: bits };
  const lengthText = text.slice(slash + 1);
  if (!LENGTH.test(lengthText) || Number(lengthText) > bits)
    return { ok: false, problem: { kind: 'length', family: ip.family, length: lengthText } };
  const length = Number(lengthText);
  if ((ip.value & hostMask(ip.family, length)) !== 0n)
    return { ok: false, problem: { kind: 'host-bits', network: prefixOf(ip, length) } };
  return { ok: true, ip, length };
}

const toPrefix = (ip: IpAddress, length: number): Prefix => ({
  afi: ip.family,
  address: formatIp(ip),
  length,
});

// ---- for programs and the command line: "198.51.100.7/32" or a bare address, surrounding blanks ignored ----

/** Thrown by `parsePrefix`; never by wire decoding. */
export class InvalidPrefixError extends Error {
  readonly problem: PrefixProblem;
  constructor(input: string, problem: PrefixProblem) {
    super(`invalid prefix or address '${input}': ${shortReason(problem)}`);
    this.name = 'InvalidPrefixError';
    this.problem = problem;
  }
}

function shortReason(p: PrefixProblem): string {
  switch (p.kind) {
    case 'no-length':
    case 'address':
      return 'not an IP address';
    case 'length':
      return LENGTH.test(p.length)
        ? `prefix length ${p.length} exceeds ${familyBits[p.family]}`
        : 'prefix length is not a number';
    case 'host-bits':
      return `host bits set beyond /${p.network.length}`;
  }
}

/** `198.51.100.7/32`, `2001:db8:100::1/128`, or a bare address (its host prefix). */
export function parsePrefix(text: string): Prefix {
  const r = scan(text.trim(), true);
  if (!r.ok) throw new InvalidPrefixError(text, r.problem);
  return toPrefix(r.ip, r.length);
}

/** Non-throwing `parsePrefix` for code that collects errors. */
export function tryParsePrefix(text: string): { ok: true; prefix: Prefix } | { ok: false; reason: string } {
  try {
    return { ok: true, prefix: parsePrefix(text) };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

// ---- for config files: "address/length" exactly, reasons as full sentences that quote the entry ----

export type CidrParseResult =
  | { readonly ok: true; readonly prefix: Prefix; readonly range: IpRange }
  | { readonly ok: false; readonly reason: string };

function cidrReason(text: string, p: PrefixProblem): string {
  switch (p.kind) {
    case 'no-length':
      return `"${text}" is not a CIDR (expected address/prefix-length)`;
    case 'address':
      return `"${text}" is not a valid CIDR: "${p.address}" is not an IP address`;
    case 'length':
      return `"${text}" is not a valid CIDR: prefix length must be 0..${familyBits[p.family]} for ${toIPFamily(p.family)}`;
    case 'host-bits':
      return `"${text}" has host bits set; did you mean "${formatPrefix(p.network)}"?`;
  }
}

/** "198.51.100.0/26" or "2001:db8:100::/64"; host bits set is an error that suggests the network. */
export function parseCidr(text: string): CidrParseResult {
  const r = scan(text, false);
  if (!r.ok) return { ok: false, reason: cidrReason(text, r.problem) };
  const prefix = toPrefix(r.ip, r.length);
  return {
    ok: true,
    prefix,
    range: { family: r.ip.family, start: r.ip.value, end: r.ip.value | hostMask(r.ip.family, r.length) },
  };
}
