// For tests: a pool entry ("198.51.100.0/24", "198.51.100.10-198.51.100.20") as the speaker view holds it.
import { type IpRange, parseAddressRange } from '@herald/inet';

export function poolRange(text: string): IpRange {
  const r = parseAddressRange(text);
  if (!r.ok) throw new Error(r.reason);
  return { family: r.range.family, start: r.range.start, end: r.range.end };
}
