// The address space of one pool in one family, as a dense sequence of ordinals 0..size-1 over its ranges
// (sorted, merged). With avoidBuggyIPs the IPv4 .0 and .255 addresses are simply not in the sequence, so the
// free-set never sees them and needs no per-address exclusions.

import { type Family, type IpRange, isBuggyIPv4 } from '@herald/inet';

interface Segment {
  first: bigint;
  last: bigint;
  /** ordinal of `first` */
  offset: bigint;
  /** rank(first), cached */
  firstRank: bigint;
}

function rankPlain(a: bigint): bigint {
  return a;
}
function unrankPlain(k: bigint): bigint {
  return k;
}
// Non-buggy IPv4 addresses below `a`: 254 per /24 (.1 .. .254).
function rankBuggy(a: bigint): bigint {
  const r = a & 255n;
  return (a >> 8n) * 254n + (r > 0n ? r - 1n : 0n);
}
function unrankBuggy(k: bigint): bigint {
  return ((k / 254n) << 8n) | ((k % 254n) + 1n);
}

export class PoolSpace {
  readonly family: Family;
  readonly size: bigint;
  private readonly segments: Segment[];
  private readonly skipsBuggy: boolean;
  private readonly rank: (a: bigint) => bigint;
  private readonly unrank: (k: bigint) => bigint;

  constructor(family: Family, ranges: readonly IpRange[], avoidBuggyIPs: boolean) {
    this.family = family;
    this.skipsBuggy = avoidBuggyIPs && family === 'ipv4';
    this.rank = this.skipsBuggy ? rankBuggy : rankPlain;
    this.unrank = this.skipsBuggy ? unrankBuggy : unrankPlain;
    const sorted = ranges.filter((r) => r.family === family).sort((a, b) => (a.start < b.start ? -1 : 1));
    const merged: { first: bigint; last: bigint }[] = [];
    for (const r of sorted) {
      const prev = merged[merged.length - 1];
      if (prev !== undefined && r.start <= prev.last + 1n) {
        if (r.end > prev.last) prev.last = r.end;
      } else merged.push({ first: r.start, last: r.end });
    }
    let offset = 0n;
    this.segments = [];
    for (const m of merged) {
      const firstRank = this.rank(m.first);
      const count = this.rank(m.last + 1n) - firstRank;
      if (count <= 0n) continue; // e.g. a lone .255 with avoidBuggyIPs
      this.segments.push({ first: m.first, last: m.last, offset, firstRank });
      offset += count;
    }
    this.size = offset;
  }

  /** Ordinal of an address, or null when the address is not part of this space. O(log segments). */
  ordinalOf(value: bigint): bigint | null {
    if (this.skipsBuggy && isBuggyIPv4(value)) return null;
    const segments = this.segments;
    let lo = 0;
    let hi = segments.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = segments[mid]!;
      if (value < s.first) hi = mid - 1;
      else if (value > s.last) lo = mid + 1;
      else return s.offset + this.rank(value) - s.firstRank;
    }
    return null;
  }

  /** Address of an ordinal in [0, size). O(log segments). */
  addressOf(ordinal: bigint): bigint {
    const segments = this.segments;
    let lo = 0;
    let hi = segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segments[mid]!.offset <= ordinal) lo = mid;
      else hi = mid - 1;
    }
    const s = segments[lo]!;
    return this.unrank(s.firstRank + ordinal - s.offset);
  }

  contains(value: bigint): boolean {
    return this.ordinalOf(value) !== null;
  }
}
