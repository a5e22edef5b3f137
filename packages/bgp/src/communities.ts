/**
 * Textual forms of RFC 1997 communities, RFC 8092 large communities and RFC 4360 extended communities.
 * Parsers return undefined on bad input so config validation can report every error with its path.
 */
import { isIPv4 } from 'node:net';

/** RFC 1997 / IANA well-known communities. */
export const WELL_KNOWN_COMMUNITIES: Readonly<Record<string, number>> = {
  'graceful-shutdown': 0xffff0000, // RFC 8326
  blackhole: 0xffff029a, // RFC 7999
  'no-export': 0xffffff01,
  'no-advertise': 0xffffff02,
  'no-export-subconfed': 0xffffff03,
  'no-peer': 0xffffff04, // RFC 3765
};

const NAME_BY_VALUE = new Map(Object.entries(WELL_KNOWN_COMMUNITIES).map(([k, v]) => [v, k]));

const U16 = /^\d{1,5}$/;
const U32 = /^\d{1,10}$/;

function u16(text: string): number | undefined {
  if (!U16.test(text)) return undefined;
  const n = Number(text);
  return n <= 0xffff ? n : undefined;
}

function u32(text: string): number | undefined {
  if (!U32.test(text)) return undefined;
  const n = Number(text);
  return n <= 0xffffffff ? n : undefined;
}

/** `'65000:100'` or a well-known name → 32-bit value. */
export function parseCommunity(text: string): number | undefined {
  const named = WELL_KNOWN_COMMUNITIES[text.trim().toLowerCase()];
  if (named !== undefined) return named;
  const parts = text.trim().split(':');
  if (parts.length !== 2) return undefined;
  const high = u16(parts[0]!);
  const low = u16(parts[1]!);
  if (high === undefined || low === undefined) return undefined;
  return high * 0x10000 + low;
}

export function formatCommunity(value: number): string {
  return NAME_BY_VALUE.get(value) ?? `${Math.floor(value / 0x10000)}:${value & 0xffff}`;
}

/** `'65000:1:2'` → [global, local1, local2]. */
export function parseLargeCommunity(text: string): readonly [number, number, number] | undefined {
  const parts = text.trim().split(':');
  if (parts.length !== 3) return undefined;
  const values = parts.map(u32);
  if (values.some((v) => v === undefined)) return undefined;
  return values as [number, number, number];
}

export function formatLargeCommunity(value: readonly [number, number, number]): string {
  return value.join(':');
}

/**
 * `'rt:65000:100'`, `'ro:65000:100'`, `'rt:4200000000:1'`, `'rt:198.51.100.1:5'` → 8 bytes (RFC 4360 §3,
 * RFC 5668 for the 4-octet AS form). The sub-type is 0x02 for route target, 0x03 for route origin.
 */
export function parseExtendedCommunity(text: string): Buffer | undefined {
  const parts = text.trim().split(':');
  if (parts.length !== 3) return undefined;
  const [kind, admin, assigned] = parts as [string, string, string];
  const subType = kind === 'rt' ? 0x02 : kind === 'ro' ? 0x03 : undefined;
  if (subType === undefined) return undefined;
  const out = Buffer.alloc(8);
  if (isIPv4(admin)) {
    const local = u16(assigned);
    if (local === undefined) return undefined;
    out[0] = 0x01; // IPv4-address-specific, transitive
    out[1] = subType;
    Buffer.from(admin.split('.').map(Number)).copy(out, 2);
    out.writeUInt16BE(local, 6);
    return out;
  }
  const asn = u32(admin);
  const local = u32(assigned);
  if (asn === undefined || local === undefined) return undefined;
  if (asn <= 0xffff) {
    out[0] = 0x00; // two-octet AS specific, transitive
    out[1] = subType;
    out.writeUInt16BE(asn, 2);
    out.writeUInt32BE(local, 4);
    return out;
  }
  if (local > 0xffff) return undefined;
  out[0] = 0x02; // four-octet AS specific, transitive (RFC 5668)
  out[1] = subType;
  out.writeUInt32BE(asn, 2);
  out.writeUInt16BE(local, 6);
  return out;
}

/** 8 bytes → textual form; unknown types as `'0xTTSS:hex'` so nothing is hidden. */
export function formatExtendedCommunity(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, 8);
  const type = b[0]! & 0x3f; // ignore the IANA-authority and transitive bits for naming
  const sub = b[1]!;
  const kind = sub === 0x02 ? 'rt' : sub === 0x03 ? 'ro' : undefined;
  if (kind !== undefined) {
    if (type === 0x00) return `${kind}:${b.readUInt16BE(2)}:${b.readUInt32BE(4)}`;
    if (type === 0x01) return `${kind}:${b[2]}.${b[3]}.${b[4]}.${b[5]}:${b.readUInt16BE(6)}`;
    if (type === 0x02) return `${kind}:${b.readUInt32BE(2)}:${b.readUInt16BE(6)}`;
  }
  return `0x${b.subarray(0, 2).toString('hex')}:${b.subarray(2).toString('hex')}`;
}
