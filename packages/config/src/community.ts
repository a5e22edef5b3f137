// RFC 1997 standard and RFC 8092 large community text forms. Parsers return undefined on bad syntax so the
// validator can say which entry is wrong.
import type { LargeCommunity } from './types.ts';

/** Well-known communities accepted by name (IANA "BGP Well-known Communities" registry). */
export const wellKnownCommunities: Readonly<Record<string, number>> = {
  'graceful-shutdown': 0xffff0000, // RFC 8326
  'accept-own': 0xffff0001, // RFC 7611
  blackhole: 0xffff029a, // RFC 7999
  'no-export': 0xffffff01, // RFC 1997
  'no-advertise': 0xffffff02, // RFC 1997
  'no-export-subconfed': 0xffffff03, // RFC 1997 (a.k.a. local-AS)
  'no-peer': 0xffffff04, // RFC 3765
};

const DEC = /^(0|[1-9]\d*)$/;

function uint(text: string, max: number): number | undefined {
  if (!DEC.test(text) || text.length > 10) return undefined;
  const n = Number(text);
  return n <= max ? n : undefined;
}

/** "64500:100" or a well-known name → 32-bit value. */
export function parseStandardCommunity(text: string): number | undefined {
  const named = wellKnownCommunities[text];
  if (named !== undefined) return named;
  const parts = text.split(':');
  if (parts.length !== 2) return undefined;
  const high = uint(parts[0]!, 0xffff);
  const low = uint(parts[1]!, 0xffff);
  if (high === undefined || low === undefined) return undefined;
  return high * 0x10000 + low;
}

/** "64500:1:2" → [global, local1, local2], each 0..4294967295. */
export function parseLargeCommunity(text: string): LargeCommunity | undefined {
  const parts = text.split(':');
  if (parts.length !== 3) return undefined;
  const v = parts.map((p) => uint(p, 0xffffffff));
  if (v[0] === undefined || v[1] === undefined || v[2] === undefined) return undefined;
  return [v[0], v[1], v[2]];
}

/** "asn:value" text of a standard community (numeric form, also for well-known ones). */
export function formatStandardCommunity(value: number): string {
  return `${Math.floor(value / 0x10000)}:${value % 0x10000}`;
}

export function formatLargeCommunity(value: LargeCommunity): string {
  return value.join(':');
}
