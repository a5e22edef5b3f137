/**
 * Text forms of BGP communities: RFC 1997 standard ("64500:100" or a well-known name), RFC 8092 large
 * ("64500:1:2") and RFC 4360 extended ("rt:64500:100", and the link bandwidth community "lb:64500:125000" of
 * draft-ietf-idr-link-bandwidth, now RFC 10005). One parser and one formatter per form. Parsers are
 * strict (decimal without leading zeros, no blanks, names in lower case) and return undefined on bad input,
 * so validation can report every error with its path; callers that accept looser input (a command line)
 * normalise it first.
 */
import { bytesToAddress, parseIp } from './address.ts';
import { AS_TRANS } from './peer.ts';

/**
 * Well-known communities accepted and shown by name: the values of the IANA "BGP Well-known Communities"
 * registry that an RFC defines for routes a speaker originates. Names as routers spell them (FRR, BIRD).
 * Left out: ROUTE_FILTER_* and accept-own-nexthop (drafts), Standby PE (RFC 9026, EVPN), LLGR_STALE and
 * NO_LLGR (RFC 9494: set by long-lived graceful restart itself, which Herald does not implement).
 * The order is the one operators see in error messages.
 */
export const WELL_KNOWN_COMMUNITIES: Readonly<Record<string, number>> = {
  'graceful-shutdown': 0xffff0000, // RFC 8326
  'accept-own': 0xffff0001, // RFC 7611
  blackhole: 0xffff029a, // RFC 7999
  'no-export': 0xffffff01, // RFC 1997
  'no-advertise': 0xffffff02, // RFC 1997
  'no-export-subconfed': 0xffffff03, // RFC 1997 (a.k.a. local-AS)
  'no-peer': 0xffffff04, // RFC 3765
};

const NAME_BY_VALUE: ReadonlyMap<number, string> = new Map(
  Object.entries(WELL_KNOWN_COMMUNITIES).map(([name, value]) => [value, name]),
);

export function isWellKnownCommunityName(name: string): boolean {
  return Object.hasOwn(WELL_KNOWN_COMMUNITIES, name);
}

const DECIMAL = /^(0|[1-9]\d{0,9})$/;

function uint(text: string, max: number): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const n = Number(text);
  return n <= max ? n : undefined;
}

/** RFC 8092 large community: [Global Administrator, Local Data 1, Local Data 2]. */
export type LargeCommunity = readonly [number, number, number];

/** "64500:100" or a well-known name → the 32-bit value. */
export function parseCommunity(text: string): number | undefined {
  if (isWellKnownCommunityName(text)) return WELL_KNOWN_COMMUNITIES[text];
  const parts = text.split(':');
  if (parts.length !== 2) return undefined;
  const high = uint(parts[0]!, 0xffff);
  const low = uint(parts[1]!, 0xffff);
  if (high === undefined || low === undefined) return undefined;
  return high * 0x10000 + low;
}

/** 32-bit value → its well-known name, else "asn:value". */
export function formatCommunity(value: number): string {
  return NAME_BY_VALUE.get(value) ?? `${Math.floor(value / 0x10000)}:${value % 0x10000}`;
}

/** "64500:1:2" → [global, local1, local2], each 0..4294967295. */
export function parseLargeCommunity(text: string): LargeCommunity | undefined {
  const parts = text.split(':');
  if (parts.length !== 3) return undefined;
  const v = parts.map((p) => uint(p, 0xffffffff));
  if (v[0] === undefined || v[1] === undefined || v[2] === undefined) return undefined;
  return [v[0], v[1], v[2]];
}

export function formatLargeCommunity(value: LargeCommunity): string {
  return `${value[0]}:${value[1]}:${value[2]}`;
}

// Extended communities (RFC 4360 §3): type, sub-type, then 6 octets whose layout the type decides.
const TYPE_TWO_OCTET_AS = 0x00; // RFC 4360 §3.1
const TYPE_IPV4_ADDRESS = 0x01; // RFC 4360 §3.2
const TYPE_FOUR_OCTET_AS = 0x02; // RFC 5668 §2
const SUBTYPE_BY_KIND = { rt: 0x02, ro: 0x03 } as const; // route target, route origin (RFC 4360 §4, §5)
// Link bandwidth: Non-Transitive Two-Octet AS-Specific type (0x40 = RFC 4360's T bit over type 0x00), sub-type
// 0x04; the Global Administrator is an AS number, the Local Administrator the bandwidth in bytes per second as
// an IEEE 754 single-precision float (draft-ietf-idr-link-bandwidth §2).
const TYPE_NON_TRANSITIVE_TWO_OCTET_AS = 0x40;
const SUBTYPE_LINK_BANDWIDTH = 0x04;
/** Bytes per second: a decimal number without sign or leading zeros (fraction and exponent allowed). */
const BANDWIDTH = /^(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * "lb:64500:125000" → the link bandwidth community (8 bytes, non-transitive): AS 64500, 125,000 bytes/s. The
 * value is rounded to the nearest float32, as the wire carries it.
 */
function parseLinkBandwidth(admin: string, value: string): Buffer | undefined {
  const asn = uint(admin, 0xffff);
  if (asn === undefined || !BANDWIDTH.test(value)) return undefined;
  const bytesPerSecond = Math.fround(Number(value));
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond > FLOAT32_MAX) return undefined;
  const out = Buffer.alloc(8);
  out[0] = TYPE_NON_TRANSITIVE_TWO_OCTET_AS;
  out[1] = SUBTYPE_LINK_BANDWIDTH;
  out.writeUInt16BE(asn, 2);
  out.writeFloatBE(bytesPerSecond, 4);
  return out;
}

/**
 * The text of a link bandwidth community for AS `asn` (a 4-octet ASN is carried as AS_TRANS, RFC 6793 §5.2.1,
 * as the community has two octets for it) and `bytesPerSecond` (a non-negative, finite number).
 */
export function linkBandwidthCommunity(asn: number, bytesPerSecond: number): string {
  if (!(bytesPerSecond >= 0) || !Number.isFinite(bytesPerSecond))
    throw new RangeError(`link bandwidth must be a finite number >= 0, got ${bytesPerSecond}`);
  return `lb:${asn > 0xffff ? AS_TRANS : asn}:${formatBandwidth(Math.fround(bytesPerSecond))}`;
}

/** A float32 in the shortest decimal that reads back as the same float32 (9 significant digits always do). */
function formatBandwidth(value: number): string {
  for (let digits = 1; digits < 9; digits++) {
    const text = String(Number(value.toPrecision(digits)));
    if (Math.fround(Number(text)) === value) return text;
  }
  return String(Number(value.toPrecision(9)));
}

/**
 * "rt:64500:100", "ro:64500:100", "rt:4200000000:1" (4-octet AS, RFC 5668), "rt:198.51.100.1:5" (IPv4
 * administrator) → 8 bytes, transitive; "lb:64500:125000" → the non-transitive link bandwidth community.
 */
export function parseExtendedCommunity(text: string): Buffer | undefined {
  const parts = text.split(':');
  if (parts.length !== 3) return undefined;
  const [kind, admin, assigned] = parts as [string, string, string];
  if (kind === 'lb') return parseLinkBandwidth(admin, assigned);
  if (kind !== 'rt' && kind !== 'ro') return undefined;
  const out = Buffer.alloc(8);
  out[1] = SUBTYPE_BY_KIND[kind];
  const ip = admin.includes('.') ? parseIp(admin) : undefined;
  if (ip !== undefined) {
    const local = uint(assigned, 0xffff);
    if (ip.family !== 'ipv4' || local === undefined) return undefined;
    out[0] = TYPE_IPV4_ADDRESS;
    out.writeUInt32BE(Number(ip.value), 2);
    out.writeUInt16BE(local, 6);
    return out;
  }
  const asn = uint(admin, 0xffffffff);
  const local = uint(assigned, 0xffffffff);
  if (asn === undefined || local === undefined) return undefined;
  if (asn <= 0xffff) {
    out[0] = TYPE_TWO_OCTET_AS;
    out.writeUInt16BE(asn, 2);
    out.writeUInt32BE(local, 4);
    return out;
  }
  if (local > 0xffff) return undefined;
  out[0] = TYPE_FOUR_OCTET_AS;
  out.writeUInt32BE(asn, 2);
  out.writeUInt16BE(local, 6);
  return out;
}

/** 8 bytes → text; types without a text form as "0xTTSS:hex" so nothing is hidden. */
export function formatExtendedCommunity(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, 8);
  // Only the non-transitive form is "lb": the transitive one some routers send stays in hex, so the text reads
  // back as the same bytes. A negative or non-finite bandwidth is malformed and shown in hex too.
  if (b[0] === TYPE_NON_TRANSITIVE_TWO_OCTET_AS && b[1] === SUBTYPE_LINK_BANDWIDTH) {
    const bandwidth = b.readFloatBE(4);
    if (bandwidth >= 0 && Number.isFinite(bandwidth) && !Object.is(bandwidth, -0))
      return `lb:${b.readUInt16BE(2)}:${formatBandwidth(bandwidth)}`;
  }
  const type = b[0]! & 0x3f; // the IANA-authority and transitive bits do not change the name
  const sub = b[1]!;
  const kind = sub === SUBTYPE_BY_KIND.rt ? 'rt' : sub === SUBTYPE_BY_KIND.ro ? 'ro' : undefined;
  if (kind !== undefined) {
    if (type === TYPE_TWO_OCTET_AS) return `${kind}:${b.readUInt16BE(2)}:${b.readUInt32BE(4)}`;
    if (type === TYPE_IPV4_ADDRESS) return `${kind}:${bytesToAddress(b.subarray(2, 6))}:${b.readUInt16BE(6)}`;
    if (type === TYPE_FOUR_OCTET_AS) return `${kind}:${b.readUInt32BE(2)}:${b.readUInt16BE(6)}`;
  }
  return `0x${b.subarray(0, 2).toString('hex')}:${b.subarray(2).toString('hex')}`;
}
