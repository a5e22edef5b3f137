/**
 * Capabilities optional parameter (RFC 5492). Known codes are decoded; unknown ones are kept and ignored
 * (RFC 5492 §3), never an error.
 */
import { type Decoded, ErrorCode, fail, OpenSubcode, ok } from '../errors.ts';
import type { Afi } from '../types.ts';
import type { Capabilities, GracefulRestartCapability } from './messages.ts';
import { Reader } from './reader.ts';
import { AFI_CODE, afiFromCode, SAFI_UNICAST } from './route-refresh.ts';
import type { Writer } from './writer.ts';

export const CapabilityCode = {
  Multiprotocol: 1, // RFC 4760
  RouteRefresh: 2, // RFC 2918
  ExtendedMessage: 6, // RFC 8654
  GracefulRestart: 64, // RFC 4724
  FourOctetAsn: 65, // RFC 6793
  RouteRefreshCisco: 128, // pre-standard code some routers still send
} as const;

export interface LocalCapabilities {
  readonly families: readonly Afi[];
  readonly asn: number;
  readonly extendedMessages: boolean;
  readonly gracefulRestart?: {
    readonly restarting: boolean;
    readonly restartTime: number;
    /** Families listed in the GR capability (we preserve no forwarding state: F bit 0). */
    readonly families: readonly Afi[];
  };
}

/** Append each capability TLV (code, length, value). */
export function encodeCapabilities(w: Writer, caps: LocalCapabilities): void {
  for (const afi of caps.families) {
    w.u8(CapabilityCode.Multiprotocol).u8(4).u16(AFI_CODE[afi]).u8(0).u8(SAFI_UNICAST);
  }
  w.u8(CapabilityCode.RouteRefresh).u8(0);
  w.u8(CapabilityCode.FourOctetAsn).u8(4).u32(caps.asn);
  if (caps.extendedMessages) w.u8(CapabilityCode.ExtendedMessage).u8(0);
  const gr = caps.gracefulRestart;
  if (gr) {
    w.u8(CapabilityCode.GracefulRestart).u8(2 + 4 * gr.families.length);
    // R bit (0x8000) tells the peer we restarted and it should keep our routes as stale until End-of-RIB.
    w.u16((gr.restarting ? 0x8000 : 0) | (gr.restartTime & 0x0fff));
    for (const afi of gr.families) w.u16(AFI_CODE[afi]).u8(SAFI_UNICAST).u8(0);
  }
}

interface MutableCaps {
  multiprotocol: Afi[];
  routeRefresh: boolean;
  fourOctetAsn?: number;
  gracefulRestart?: GracefulRestartCapability;
  extendedMessages: boolean;
  unknown: { code: number; value: Buffer }[];
}

export function emptyCapabilities(): MutableCaps {
  return { multiprotocol: [], routeRefresh: false, extendedMessages: false, unknown: [] };
}

const malformed = (detail: string) => fail<void>(ErrorCode.OpenMessage, 0, undefined, detail);

/** Decode the TLVs of one Capabilities parameter into `into`. Malformed TLVs → OPEN Message Error / 0. */
export function decodeCapabilities(value: Buffer, into: MutableCaps): Decoded<void> {
  const r = new Reader(value);
  while (r.remaining > 0) {
    if (r.remaining < 2) return malformed('truncated capability header');
    const code = r.u8();
    const len = r.u8();
    if (len > r.remaining) return malformed(`capability ${code} length ${len} overruns parameter`);
    const v = r.sub(len);
    switch (code) {
      case CapabilityCode.Multiprotocol: {
        if (len !== 4) return malformed('multiprotocol capability length must be 4');
        const afi = v.u16();
        v.u8();
        const fam = afiFromCode(afi, v.u8());
        // Families we do not speak (e.g. VPNv4) are simply not negotiated.
        if (fam && !into.multiprotocol.includes(fam)) into.multiprotocol.push(fam);
        break;
      }
      case CapabilityCode.RouteRefresh:
      case CapabilityCode.RouteRefreshCisco:
        into.routeRefresh = true;
        break;
      case CapabilityCode.FourOctetAsn:
        if (len !== 4) return malformed('4-octet ASN capability length must be 4');
        into.fourOctetAsn = v.u32();
        break;
      case CapabilityCode.ExtendedMessage:
        into.extendedMessages = true;
        break;
      case CapabilityCode.GracefulRestart: {
        if (len < 2 || (len - 2) % 4 !== 0) return malformed('graceful restart capability length');
        const flags = v.u16();
        const families: { afi: Afi; forwardingPreserved: boolean }[] = [];
        while (v.remaining >= 4) {
          const afi = v.u16();
          const fam = afiFromCode(afi, v.u8());
          const f = v.u8();
          if (fam) families.push({ afi: fam, forwardingPreserved: (f & 0x80) !== 0 });
        }
        into.gracefulRestart = {
          restarting: (flags & 0x8000) !== 0,
          notification: (flags & 0x4000) !== 0,
          restartTime: flags & 0x0fff,
          families,
        };
        break;
      }
      default:
        into.unknown.push({ code, value: Buffer.from(v.bytes(v.remaining)) });
    }
  }
  return ok(undefined);
}

export type { Capabilities };
export const UNSUPPORTED_OPTIONAL_PARAMETER = OpenSubcode.UnsupportedOptionalParameter;
