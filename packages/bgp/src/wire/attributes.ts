/**
 * Path attributes: ONE table keyed by type code (the BIRD attrs.c idea, GoBGP's DecodeFromBytes/Serialize
 * pairs). Each entry holds the flags it must carry and is sent with, the decoder, the encoder and the RFC 7606
 * error action that applies when that attribute is malformed, so adding an attribute is one entry and its error
 * handling sits next to its parser. `decodeUpdate` (update.ts) and `encodePathAttributes` below both walk it.
 */
import { bytesToAddress, formatCommunity, formatExtendedCommunity, formatLargeCommunity } from '@herald/inet';
import { BgpError, ErrorCode, UpdateSubcode } from '../errors.ts';
import type { Afi, AsPathSegment, ReceivedAttributes } from '../types.ts';
import { AS_TRANS, type CodecContext } from './messages.ts';
import { checkNlri, type NlriRun } from './nlri.ts';
import { afiFromCode } from './route-refresh.ts';
import { Writer } from './writer.ts';

export const AttrFlag = { Optional: 0x80, Transitive: 0x40, Partial: 0x20, ExtendedLength: 0x10 } as const;

export const AttrType = {
  Origin: 1,
  AsPath: 2,
  NextHop: 3,
  MultiExitDisc: 4,
  LocalPref: 5,
  AtomicAggregate: 6,
  Aggregator: 7,
  Communities: 8,
  MpReachNlri: 14,
  MpUnreachNlri: 15,
  ExtendedCommunities: 16,
  As4Path: 17,
  As4Aggregator: 18,
  LargeCommunities: 32,
} as const;

/** RFC 7606 §2 error-handling approaches. */
export type ErrorAction = 'treat-as-withdraw' | 'attribute-discard' | 'session-reset';

type Mutable<T> = { -readonly [K in keyof T]?: T[K] };

/** Mutable accumulator filled by the decoders while one UPDATE is parsed. */
export interface AttributeParseState {
  readonly ctx: CodecContext;
  /** What the caller will see (ReceivedAttributes), filled attribute by attribute. */
  readonly received: Mutable<ReceivedAttributes>;
  /** RFC 6793 attributes from a 2-octet peer, merged into `received` by `receivedAttributes`. */
  as4Path?: AsPathSegment[];
  as4Aggregator?: { asn: number; address: string };
  readonly unknown: { typeCode: number; flags: number; value: Buffer }[];
  mpReach?: { afi: Afi | undefined; nextHop?: string; nextHopLinkLocal?: string; nlri?: NlriRun };
  mpUnreach?: { afi: Afi | undefined; withdrawn?: NlriRun };
}

/** Normalised attributes of an outgoing route, in wire-ready form (rib/outgoing-attributes.ts builds them). */
export interface OutgoingAttributes {
  readonly origin: 0 | 1 | 2;
  /** One AS_SEQUENCE; empty for iBGP. */
  readonly asPath: readonly number[];
  /** IPv4 NEXT_HOP; only for routes carried in the IPv4 NLRI field. */
  readonly nextHop?: Buffer;
  readonly med?: number;
  readonly localPref?: number;
  readonly communities: readonly number[];
  readonly extendedCommunities: readonly Buffer[];
  readonly largeCommunities: readonly (readonly [number, number, number])[];
}

export interface PathAttribute {
  readonly code: number;
  readonly name: string;
  /** The Optional and Transitive bits this attribute carries: checked on receipt (RFC 4271 §6.3), sent as is. */
  readonly flags: number;
  readonly errorAction: ErrorAction;
  /**
   * Well-known mandatory (RFC 4271 §5): must be present when the UPDATE carries reachable NLRI (`'nlri'`), or
   * only when it carries NLRI in the IPv4 NLRI field (`'ipv4-nlri'`: NEXT_HOP, RFC 4760 §3).
   */
  readonly mandatory?: 'nlri' | 'ipv4-nlri';
  /** The ReceivedAttributes field the decoder fills (present, maybe undefined, in every decoded UPDATE). */
  readonly received?: keyof ReceivedAttributes;
  /** Decode `value` into `state`; return a BgpError if malformed. `raw` is the whole attribute (for data). */
  decode(value: Buffer, state: AttributeParseState, raw: Buffer): BgpError | undefined;
  /**
   * The value to send for an outgoing route, or undefined when the route does not carry this attribute.
   * Absent for MP_REACH_NLRI / MP_UNREACH_NLRI, which the UPDATE builders write around the NLRI.
   */
  encode?(a: OutgoingAttributes, fourOctetAsn: boolean): Uint8Array | undefined;
}

const WELL_KNOWN = AttrFlag.Transitive;
const OPTIONAL_TRANSITIVE = AttrFlag.Optional | AttrFlag.Transitive;
const OPTIONAL = AttrFlag.Optional;

const lengthError = (raw: Buffer, detail: string) =>
  new BgpError(ErrorCode.UpdateMessage, UpdateSubcode.AttributeLengthError, Buffer.from(raw), detail);
const optionalError = (raw: Buffer, detail: string) =>
  new BgpError(ErrorCode.UpdateMessage, UpdateSubcode.OptionalAttributeError, Buffer.from(raw), detail);

const SEGMENT_TYPES: Readonly<Record<number, AsPathSegment['type']>> = {
  1: 'set',
  2: 'sequence',
  3: 'confed-sequence',
  4: 'confed-set',
};
const AS_SEQUENCE = 2;

/**
 * AS_PATH / AS4_PATH segments; undefined when malformed (RFC 7606 §7.2: bad type, zero length, overrun;
 * RFC 7607 §2: AS 0 anywhere in the path).
 */
function decodeSegments(value: Buffer, asnSize: 2 | 4): AsPathSegment[] | undefined {
  const out: AsPathSegment[] = [];
  let i = 0;
  while (i < value.length) {
    if (i + 2 > value.length) return undefined;
    const type = SEGMENT_TYPES[value[i]!];
    const count = value[i + 1]!;
    i += 2;
    if (type === undefined || count === 0 || i + count * asnSize > value.length) return undefined;
    const asns: number[] = [];
    for (let k = 0; k < count; k++, i += asnSize) {
      const asn = asnSize === 4 ? value.readUInt32BE(i) : value.readUInt16BE(i);
      if (asn === 0) return undefined;
      asns.push(asn);
    }
    out.push({ type, asns });
  }
  return out;
}

/** One AS_SEQUENCE as AS_PATH / AS4_PATH value; toward a 2-octet peer 4-octet ASNs become AS_TRANS. */
function encodeSequence(asns: readonly number[], asnSize: 2 | 4): Buffer {
  if (asns.length === 0) return Buffer.alloc(0);
  // A segment holds at most 255 ASNs; split longer paths (only reachable with huge prepends).
  const parts: Buffer[] = [];
  for (let i = 0; i < asns.length; i += 255) {
    const chunk = asns.slice(i, i + 255);
    const b = Buffer.alloc(2 + chunk.length * asnSize);
    b[0] = AS_SEQUENCE;
    b[1] = chunk.length;
    chunk.forEach((asn, k) => {
      if (asnSize === 4) b.writeUInt32BE(asn, 2 + k * 4);
      else b.writeUInt16BE(asn > 0xffff ? AS_TRANS : asn, 2 + k * 2);
    });
    parts.push(b);
  }
  return Buffer.concat(parts);
}

function decodeAggregator(value: Buffer, asnSize: 2 | 4): { asn: number; address: string } {
  const asn = asnSize === 4 ? value.readUInt32BE(0) : value.readUInt16BE(0);
  return { asn, address: bytesToAddress(value.subarray(asnSize, asnSize + 4)) };
}

const u32 = (v: number) => {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(v >>> 0, 0);
  return b;
};

/** The table, in ascending type code. Type codes not listed are "unrecognized" (RFC 4271 §5, §6.3). */
const TABLE: readonly PathAttribute[] = [
  {
    code: AttrType.Origin,
    name: 'ORIGIN',
    received: 'origin',
    flags: WELL_KNOWN,
    errorAction: 'treat-as-withdraw', // RFC 7606 §7.1
    mandatory: 'nlri',
    decode(value, state, raw) {
      if (value.length !== 1) return lengthError(raw, 'ORIGIN length must be 1');
      const origin = (['igp', 'egp', 'incomplete'] as const)[value[0]!];
      if (origin === undefined) {
        return new BgpError(ErrorCode.UpdateMessage, UpdateSubcode.InvalidOriginAttribute, Buffer.from(raw));
      }
      state.received.origin = origin;
      return undefined;
    },
    encode: (a) => Buffer.from([a.origin]),
  },
  {
    code: AttrType.AsPath,
    name: 'AS_PATH',
    received: 'asPath',
    flags: WELL_KNOWN,
    errorAction: 'treat-as-withdraw', // RFC 7606 §7.2; RFC 7607 §2 for AS 0, as FRR does
    mandatory: 'nlri',
    decode(value, state) {
      const segments = decodeSegments(value, state.ctx.fourOctetAsn ? 4 : 2);
      if (!segments) return new BgpError(ErrorCode.UpdateMessage, UpdateSubcode.MalformedAsPath);
      state.received.asPath = segments;
      return undefined;
    },
    encode: (a, fourOctetAsn) => encodeSequence(a.asPath, fourOctetAsn ? 4 : 2),
  },
  {
    code: AttrType.NextHop,
    name: 'NEXT_HOP',
    received: 'nextHop',
    flags: WELL_KNOWN,
    errorAction: 'treat-as-withdraw', // RFC 7606 §7.3
    mandatory: 'ipv4-nlri',
    decode(value, state, raw) {
      if (value.length !== 4) return lengthError(raw, 'NEXT_HOP length must be 4');
      // RFC 4271 §6.3: 0.0.0.0 and multicast/reserved (>= 224) are not a valid unicast next hop.
      if (value[0] === 0 || value[0]! >= 224) {
        return new BgpError(ErrorCode.UpdateMessage, UpdateSubcode.InvalidNextHopAttribute, Buffer.from(raw));
      }
      state.received.nextHop = bytesToAddress(value);
      return undefined;
    },
    encode: (a) => a.nextHop,
  },
  {
    code: AttrType.MultiExitDisc,
    name: 'MULTI_EXIT_DISC',
    received: 'med',
    flags: OPTIONAL,
    errorAction: 'treat-as-withdraw', // RFC 7606 §7.4
    decode(value, state, raw) {
      if (value.length !== 4) return lengthError(raw, 'MED length must be 4');
      state.received.med = value.readUInt32BE(0);
      return undefined;
    },
    encode: (a) => (a.med === undefined ? undefined : u32(a.med)),
  },
  {
    code: AttrType.LocalPref,
    name: 'LOCAL_PREF',
    received: 'localPref',
    flags: WELL_KNOWN,
    errorAction: 'treat-as-withdraw', // RFC 7606 §7.5
    decode(value, state, raw) {
      // RFC 7606 §7.5: from an external peer it is discarded, whatever its form.
      if (state.ctx.ebgp) return undefined;
      if (value.length !== 4) return lengthError(raw, 'LOCAL_PREF length must be 4');
      state.received.localPref = value.readUInt32BE(0);
      return undefined;
    },
    encode: (a) => (a.localPref === undefined ? undefined : u32(a.localPref)),
  },
  {
    code: AttrType.AtomicAggregate,
    name: 'ATOMIC_AGGREGATE',
    received: 'atomicAggregate',
    flags: WELL_KNOWN,
    errorAction: 'attribute-discard', // RFC 7606 §7.6
    decode(value, state, raw) {
      if (value.length !== 0) return lengthError(raw, 'ATOMIC_AGGREGATE length must be 0');
      state.received.atomicAggregate = true;
      return undefined;
    },
  },
  {
    code: AttrType.Aggregator,
    name: 'AGGREGATOR',
    received: 'aggregator',
    flags: OPTIONAL_TRANSITIVE,
    errorAction: 'attribute-discard', // RFC 7606 §7.7
    decode(value, state, raw) {
      const size = state.ctx.fourOctetAsn ? 4 : 2;
      if (value.length !== size + 4) return lengthError(raw, `AGGREGATOR length must be ${size + 4}`);
      const aggregator = decodeAggregator(value, size);
      // RFC 7607 §2: AS 0 makes it malformed; RFC 7606 §7.7's action (discard) applies.
      if (aggregator.asn === 0) return optionalError(raw, 'AGGREGATOR AS 0 (RFC 7607)');
      state.received.aggregator = aggregator;
      return undefined;
    },
  },
  {
    code: AttrType.Communities,
    name: 'COMMUNITIES',
    received: 'communities',
    flags: OPTIONAL_TRANSITIVE,
    errorAction: 'treat-as-withdraw', // RFC 7606 §7.8
    decode(value, state, raw) {
      if (value.length === 0 || value.length % 4 !== 0) return optionalError(raw, 'COMMUNITIES length % 4');
      const out: string[] = [];
      for (let i = 0; i < value.length; i += 4) out.push(formatCommunity(value.readUInt32BE(i)));
      state.received.communities = out;
      return undefined;
    },
    encode(a) {
      if (a.communities.length === 0) return undefined;
      const v = Buffer.allocUnsafe(a.communities.length * 4);
      a.communities.forEach((c, i) => {
        v.writeUInt32BE(c, i * 4);
      });
      return v;
    },
  },
  {
    code: AttrType.MpReachNlri,
    name: 'MP_REACH_NLRI',
    flags: OPTIONAL,
    // RFC 7606 §7.11: when MP_REACH_NLRI is malformed its NLRI cannot be trusted, so the session is reset.
    errorAction: 'session-reset',
    decode(value, state, raw) {
      if (value.length < 5) return optionalError(raw, 'MP_REACH_NLRI too short');
      const afi = afiFromCode(value.readUInt16BE(0), value[2]!);
      const nhLen = value[3]!;
      if (5 + nhLen > value.length) return optionalError(raw, 'MP_REACH_NLRI next hop overruns attribute');
      const nh = value.subarray(4, 4 + nhLen);
      const nlriBytes = value.subarray(5 + nhLen);
      if (afi === undefined) {
        // A family we did not negotiate: RFC 4760 §7 lets us ignore it rather than reset.
        state.mpReach = { afi };
        return undefined;
      }
      let nextHop: string | undefined;
      let nextHopLinkLocal: string | undefined;
      if (afi === 'ipv6' && (nhLen === 16 || nhLen === 32)) {
        nextHop = bytesToAddress(nh.subarray(0, 16));
        if (nhLen === 32) nextHopLinkLocal = bytesToAddress(nh.subarray(16, 32));
      } else if (afi === 'ipv4' && nhLen === 4) {
        nextHop = bytesToAddress(nh);
      } else if (afi === 'ipv4' && (nhLen === 16 || nhLen === 32)) {
        nextHop = bytesToAddress(nh.subarray(0, 16)); // RFC 8950 IPv6 next hop for IPv4 NLRI
      } else {
        return optionalError(raw, `MP_REACH_NLRI next hop length ${nhLen} invalid for ${afi}`);
      }
      const nlri = checkNlri(nlriBytes, afi, UpdateSubcode.OptionalAttributeError);
      if (nlri instanceof BgpError) return optionalError(raw, nlri.message);
      state.mpReach = { afi, nextHop, nextHopLinkLocal, nlri };
      return undefined;
    },
  },
  {
    code: AttrType.MpUnreachNlri,
    name: 'MP_UNREACH_NLRI',
    flags: OPTIONAL,
    errorAction: 'session-reset', // RFC 7606 §7.11
    decode(value, state, raw) {
      if (value.length < 3) return optionalError(raw, 'MP_UNREACH_NLRI too short');
      const afi = afiFromCode(value.readUInt16BE(0), value[2]!);
      if (afi === undefined) {
        state.mpUnreach = { afi };
        return undefined;
      }
      const withdrawn = checkNlri(value.subarray(3), afi, UpdateSubcode.OptionalAttributeError);
      if (withdrawn instanceof BgpError) return optionalError(raw, withdrawn.message);
      state.mpUnreach = { afi, withdrawn };
      return undefined;
    },
  },
  {
    code: AttrType.ExtendedCommunities,
    name: 'EXTENDED_COMMUNITIES',
    received: 'extendedCommunities',
    flags: OPTIONAL_TRANSITIVE,
    errorAction: 'treat-as-withdraw', // RFC 7606 §7.14
    decode(value, state, raw) {
      if (value.length === 0 || value.length % 8 !== 0)
        return optionalError(raw, 'EXTENDED_COMMUNITIES length % 8');
      const out: string[] = [];
      for (let i = 0; i < value.length; i += 8) out.push(formatExtendedCommunity(value.subarray(i, i + 8)));
      state.received.extendedCommunities = out;
      return undefined;
    },
    encode: (a) => (a.extendedCommunities.length > 0 ? Buffer.concat(a.extendedCommunities) : undefined),
  },
  {
    code: AttrType.As4Path,
    name: 'AS4_PATH',
    flags: OPTIONAL_TRANSITIVE,
    errorAction: 'attribute-discard', // RFC 6793 §6
    decode(value, state, raw) {
      const segments = decodeSegments(value, 4);
      if (!segments) return optionalError(raw, 'malformed AS4_PATH (or AS 0 in it, RFC 7607)');
      // RFC 6793 §4.1: a NEW speaker pair never uses AS4_PATH; one received from a 4-octet peer is ignored.
      if (!state.ctx.fourOctetAsn) state.as4Path = segments;
      return undefined;
    },
    // RFC 6793 §4.2.2: toward a 2-octet peer, send the real path in AS4_PATH when it contains a 4-octet ASN.
    encode: (a, fourOctetAsn) =>
      !fourOctetAsn && a.asPath.some((asn) => asn > 0xffff) ? encodeSequence(a.asPath, 4) : undefined,
  },
  {
    code: AttrType.As4Aggregator,
    name: 'AS4_AGGREGATOR',
    flags: OPTIONAL_TRANSITIVE,
    errorAction: 'attribute-discard', // RFC 6793 §6
    decode(value, state, raw) {
      if (value.length !== 8) return lengthError(raw, 'AS4_AGGREGATOR length must be 8');
      const aggregator = decodeAggregator(value, 4);
      // RFC 7607 §2: AS 0 makes it malformed, handled as RFC 6793 says (discard).
      if (aggregator.asn === 0) return optionalError(raw, 'AS4_AGGREGATOR AS 0 (RFC 7607)');
      if (!state.ctx.fourOctetAsn) state.as4Aggregator = aggregator;
      return undefined;
    },
  },
  {
    code: AttrType.LargeCommunities,
    name: 'LARGE_COMMUNITY',
    received: 'largeCommunities',
    flags: OPTIONAL_TRANSITIVE,
    errorAction: 'treat-as-withdraw', // RFC 8092 §5
    decode(value, state, raw) {
      if (value.length === 0 || value.length % 12 !== 0)
        return optionalError(raw, 'LARGE_COMMUNITY length % 12');
      const out: string[] = [];
      for (let i = 0; i < value.length; i += 12) {
        out.push(
          formatLargeCommunity([value.readUInt32BE(i), value.readUInt32BE(i + 4), value.readUInt32BE(i + 8)]),
        );
      }
      state.received.largeCommunities = out;
      return undefined;
    },
    encode(a) {
      if (a.largeCommunities.length === 0) return undefined;
      const v = Buffer.allocUnsafe(a.largeCommunities.length * 12);
      a.largeCommunities.forEach((c, i) => {
        v.writeUInt32BE(c[0], i * 12);
        v.writeUInt32BE(c[1], i * 12 + 4);
        v.writeUInt32BE(c[2], i * 12 + 8);
      });
      return v;
    },
  },
];

/** The table by type code. */
export const ATTRIBUTES: ReadonlyMap<number, PathAttribute> = new Map(TABLE.map((a) => [a.code, a]));

/** Every field a decoder may fill, undefined until it does. */
const RECEIVED_FIELDS: Mutable<ReceivedAttributes> = Object.fromEntries(
  TABLE.flatMap((a) => (a.received ? [[a.received, undefined]] : [])),
);

export function newParseState(ctx: CodecContext): AttributeParseState {
  return { ctx, received: { ...RECEIVED_FIELDS }, unknown: [] };
}

/** Table entry of an attribute this module knows (a programming error otherwise). */
function known(code: number): PathAttribute {
  const entry = ATTRIBUTES.get(code);
  if (!entry) throw new Error(`path attribute ${code} is not in the table`);
  return entry;
}

/**
 * RFC 4271 §5 / RFC 7606 §3d: the well-known mandatory attributes missing from an UPDATE, in type-code order
 * (the first one's code is the NOTIFICATION data). Only checked when the UPDATE carries reachable NLRI.
 */
export function missingMandatory(
  seen: ReadonlySet<number>,
  nlri: { readonly any: boolean; readonly ipv4: boolean },
): number[] {
  const missing: number[] = [];
  if (!nlri.any) return missing;
  for (const a of TABLE) {
    if (a.mandatory === undefined || seen.has(a.code)) continue;
    if (a.mandatory === 'nlri' || nlri.ipv4) missing.push(a.code);
  }
  return missing;
}

/**
 * RFC 6793 §4.2.3: rebuild the real path from AS_PATH (with AS_TRANS placeholders) and AS4_PATH.
 * If AS4_PATH is longer than AS_PATH it is ignored (the RFC's rule for an inconsistent AS4_PATH).
 */
export function mergeAs4Path(
  asPath: readonly AsPathSegment[],
  as4Path: readonly AsPathSegment[] | undefined,
): readonly AsPathSegment[] {
  if (!as4Path) return asPath;
  const count = (segs: readonly AsPathSegment[]) =>
    segs.reduce((n, s) => n + (s.type === 'sequence' ? s.asns.length : s.type === 'set' ? 1 : 0), 0);
  const keep = count(asPath) - count(as4Path);
  if (keep < 0) return asPath;
  const out: AsPathSegment[] = [];
  let left = keep;
  for (const seg of asPath) {
    if (left <= 0) break;
    if (seg.type === 'sequence') {
      const take = seg.asns.slice(0, left);
      out.push({ type: 'sequence', asns: take });
      left -= take.length;
    } else {
      out.push(seg);
      if (seg.type === 'set') left -= 1;
    }
  }
  return [...out, ...as4Path];
}

/** What the decoders gathered, as the caller sees it: AS4_PATH / AS4_AGGREGATOR merged (RFC 6793 §4.2.3). */
export function receivedAttributes(state: AttributeParseState): ReceivedAttributes {
  const r = state.received;
  return {
    ...r,
    asPath: mergeAs4Path(r.asPath ?? [], state.as4Path),
    aggregator: state.as4Aggregator ?? r.aggregator,
    unknown: state.unknown.length > 0 ? state.unknown : undefined,
  };
}

// ---------------------------------------------------------------- encoding (outgoing)

/** Write one attribute TLV, choosing the extended-length form only when the value exceeds 255 bytes. */
export function writeAttribute(w: Writer, flags: number, type: number, value: Uint8Array): void {
  if (value.length > 255)
    w.u8(flags | AttrFlag.ExtendedLength)
      .u8(type)
      .u16(value.length);
  else
    w.u8(flags & ~AttrFlag.ExtendedLength)
      .u8(type)
      .u8(value.length);
  w.bytes(value);
}

/** Write attribute `code` with the flags its table entry carries. */
export function writeTableAttribute(w: Writer, code: number, value: Uint8Array): void {
  writeAttribute(w, known(code).flags, code, value);
}

/**
 * Encode the attributes in ascending type order, split around MP_REACH/MP_UNREACH (14, 15) so the UPDATE
 * builder can insert those in order (RFC 4271 §5: SHOULD be ascending).
 */
export function encodePathAttributes(
  a: OutgoingAttributes,
  fourOctetAsn: boolean,
): { below: Buffer; above: Buffer } {
  const below = new Writer(64, false);
  const above = new Writer(64, false);
  for (const entry of TABLE) {
    const value = entry.encode?.(a, fourOctetAsn);
    if (value === undefined) continue;
    writeAttribute(entry.code < AttrType.MpReachNlri ? below : above, entry.flags, entry.code, value);
  }
  return { below: Buffer.from(below.view()), above: Buffer.from(above.view()) };
}
