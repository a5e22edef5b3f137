// The announce decision's view of IP addresses: @herald/config's parser and arithmetic (one implementation
// for controller, speaker and validation), spelled in BGP's lower-case AFI names ('ipv4' / 'ipv6') that
// @herald/bgp and the routes the speaker builds use.
import {
  formatIp as formatConfigIp,
  type IpFamily,
  maskIp,
  parseAddressRange,
  parseIp as parseConfigIp,
} from '@herald/config';

export type Family = 'ipv4' | 'ipv6';

export interface ParsedIp {
  readonly family: Family;
  readonly value: bigint;
}

export const familyBits = { ipv4: 32, ipv6: 128 } as const;

const toFamily = (f: IpFamily): Family => (f === 'IPv4' ? 'ipv4' : 'ipv6');
const fromFamily = (f: Family): IpFamily => (f === 'ipv4' ? 'IPv4' : 'IPv6');

/** An address from a Service's status; undefined when it is not one (the controller wrote something odd). */
export function parseIp(text: string): ParsedIp | undefined {
  const ip = parseConfigIp(text);
  return ip && { family: toFamily(ip.family), value: ip.value };
}

/** Canonical text: dotted quad, or RFC 5952 IPv6. */
export function formatIp(ip: ParsedIp): string {
  return formatConfigIp({ family: fromFamily(ip.family), value: ip.value });
}

/** The network address of `ip` masked to `length` bits. */
export function maskTo(ip: ParsedIp, length: number): ParsedIp {
  return {
    family: ip.family,
    value: maskIp({ family: fromFamily(ip.family), value: ip.value }, length).value,
  };
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

/** Parses a pool entry ("198.51.100.0/24" or "198.51.100.10-198.51.100.20") with the config's rules. */
export function parseInterval(text: string): IpInterval | undefined {
  const r = parseAddressRange(text);
  return r.ok ? { family: toFamily(r.range.family), first: r.range.start, last: r.range.end } : undefined;
}

export function intervalContains(interval: IpInterval, ip: ParsedIp): boolean {
  return interval.family === ip.family && ip.value >= interval.first && ip.value <= interval.last;
}
