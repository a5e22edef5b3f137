/**
 * UPDATE (RFC 4271 §4.3) decoding with RFC 7606 revised error handling, and the builders the Adj-RIB-Out
 * uses to pack many prefixes into one message.
 */
import { BgpError, type Decoded, ErrorCode, fail, ok, UpdateSubcode } from '../errors.ts';
import type { Afi } from '../types.ts';
import {
  ATTRIBUTES,
  AttrFlag,
  AttrType,
  missingMandatory,
  newParseState,
  receivedAttributes,
  writeTableAttribute,
} from './attributes.ts';
import { type CodecContext, MessageType, type UpdateMessage } from './messages.ts';
import { checkNlri, lazyRoutes, type NlriRun } from './nlri.ts';
import { AFI_CODE, SAFI_UNICAST } from './route-refresh.ts';
import { Writer } from './writer.ts';

const malformedList = (detail: string) =>
  fail<UpdateMessage>(ErrorCode.UpdateMessage, UpdateSubcode.MalformedAttributeList, undefined, detail);

/**
 * Decode an UPDATE body (after the header). Returns an error only when RFC 7606 prescribes a session reset;
 * treat-as-withdraw and attribute-discard outcomes are reported inside the message.
 */
export function decodeUpdate(body: Buffer, ctx: CodecContext): Decoded<UpdateMessage> {
  if (body.length < 4) return malformedList('UPDATE shorter than 4 bytes');
  const withdrawnLength = body.readUInt16BE(0);
  // RFC 7606 §5.3 / RFC 4271 §6.3: inconsistent lengths mean the NLRI cannot be located → session reset.
  if (2 + withdrawnLength + 2 > body.length) return malformedList('withdrawn routes length overruns message');
  const attrStart = 2 + withdrawnLength + 2;
  const attrLength = body.readUInt16BE(2 + withdrawnLength);
  if (attrStart + attrLength > body.length)
    return malformedList('total path attribute length overruns message');

  const withdrawnV4 = checkNlri(body.subarray(2, 2 + withdrawnLength), 'ipv4');
  if (withdrawnV4 instanceof BgpError) return { ok: false, error: withdrawnV4 };
  const nlriV4 = checkNlri(body.subarray(attrStart + attrLength), 'ipv4');
  if (nlriV4 instanceof BgpError) return { ok: false, error: nlriV4 };

  const state = newParseState(ctx);
  const seen = new Set<number>();
  const discarded: { typeCode: number; error: BgpError }[] = [];
  let treatAsWithdraw: BgpError | undefined;
  const attrs = body.subarray(attrStart, attrStart + attrLength);
  let i = 0;
  while (i < attrs.length) {
    // RFC 7606 §4: too few bytes for an attribute header, or a value overrunning the attribute field →
    // treat-as-withdraw, relying on Total Path Attribute Length to find the NLRI.
    if (attrs.length - i < 3) {
      treatAsWithdraw ??= new BgpError(
        ErrorCode.UpdateMessage,
        UpdateSubcode.MalformedAttributeList,
        undefined,
        'truncated attribute header',
      );
      break;
    }
    const flags = attrs[i]!;
    const type = attrs[i + 1]!;
    const extended = (flags & AttrFlag.ExtendedLength) !== 0;
    const headLen = extended ? 4 : 3;
    if (attrs.length - i < headLen) {
      treatAsWithdraw ??= new BgpError(
        ErrorCode.UpdateMessage,
        UpdateSubcode.MalformedAttributeList,
        undefined,
        'truncated attribute header',
      );
      break;
    }
    const len = extended ? attrs.readUInt16BE(i + 2) : attrs[i + 2]!;
    const handler = ATTRIBUTES.get(type);
    if (i + headLen + len > attrs.length) {
      // An overrunning MP_REACH/MP_UNREACH (the session-reset attributes) hides NLRI: it cannot be withdrawn.
      if (handler?.errorAction === 'session-reset') {
        return {
          ok: false,
          error: new BgpError(
            ErrorCode.UpdateMessage,
            UpdateSubcode.AttributeLengthError,
            Buffer.from(attrs.subarray(i)),
            'MP attribute overruns',
          ),
        };
      }
      treatAsWithdraw ??= new BgpError(
        ErrorCode.UpdateMessage,
        UpdateSubcode.AttributeLengthError,
        Buffer.from(attrs.subarray(i)),
        `attribute ${type} overruns attribute field`,
      );
      break;
    }
    const raw = attrs.subarray(i, i + headLen + len);
    const value = attrs.subarray(i + headLen, i + headLen + len);
    i += headLen + len;

    if (seen.has(type)) {
      // RFC 7606 §3g: a repeated MP_REACH/MP_UNREACH is a session reset; other repeats are discarded.
      if (handler?.errorAction === 'session-reset') {
        return malformedList(`duplicate attribute ${type}`);
      }
      discarded.push({
        typeCode: type,
        error: new BgpError(
          ErrorCode.UpdateMessage,
          UpdateSubcode.MalformedAttributeList,
          undefined,
          `duplicate attribute ${type}`,
        ),
      });
      continue;
    }
    seen.add(type);
    if (!handler) {
      if ((flags & AttrFlag.Optional) === 0) {
        // RFC 4271 §6.3: unrecognized well-known attribute; data is the attribute. Not softened by RFC 7606.
        return {
          ok: false,
          error: new BgpError(
            ErrorCode.UpdateMessage,
            UpdateSubcode.UnrecognizedWellKnownAttribute,
            Buffer.from(raw),
            `type ${type}`,
          ),
        };
      }
      // A view, not a copy: a large unknown attribute on every UPDATE must cost nothing beyond the message
      // it arrived in (nothing keeps it; a caller that wants to keep it copies it).
      state.unknown.push({ typeCode: type, flags, value });
      continue;
    }
    let error: BgpError | undefined;
    if ((flags & (AttrFlag.Optional | AttrFlag.Transitive)) !== handler.flags) {
      // RFC 7606 §3c: a flags conflict makes the attribute malformed; its own error action applies.
      error = new BgpError(
        ErrorCode.UpdateMessage,
        UpdateSubcode.AttributeFlagsError,
        Buffer.from(raw),
        `${handler.name} flags 0x${flags.toString(16)}`,
      );
    } else {
      error = handler.decode(value, state, raw);
    }
    if (!error) continue;
    switch (handler.errorAction) {
      case 'session-reset':
        return { ok: false, error };
      case 'treat-as-withdraw':
        treatAsWithdraw ??= error;
        break;
      case 'attribute-discard':
        discarded.push({ typeCode: type, error });
        break;
    }
  }

  const runs = (...candidates: (NlriRun | undefined)[]) =>
    candidates.filter((r): r is NlriRun => r !== undefined && r.bytes.length > 0);
  const announcedNlri = runs(nlriV4, state.mpReach?.nlri);
  const withdrawnNlri = runs(withdrawnV4, state.mpUnreach?.withdrawn);
  const hasNlriV4 = nlriV4.bytes.length > 0;

  // End-of-RIB (RFC 4724 §2): an empty UPDATE for IPv4, or only an empty MP_UNREACH_NLRI for other families.
  let endOfRib: Afi | undefined;
  if (body.length === 4) endOfRib = 'ipv4';
  else if (
    withdrawnLength === 0 &&
    attrs.length > 0 &&
    announcedNlri.length === 0 &&
    withdrawnNlri.length === 0 &&
    seen.size === 1 &&
    state.mpUnreach?.afi !== undefined
  ) {
    endOfRib = state.mpUnreach.afi;
  }

  // RFC 7606 §3d: missing well-known mandatory attributes, only checked when there is reachable NLRI.
  if (!treatAsWithdraw) {
    const missing = missingMandatory(seen, { any: announcedNlri.length > 0, ipv4: hasNlriV4 });
    if (missing.length > 0) {
      treatAsWithdraw = new BgpError(
        ErrorCode.UpdateMessage,
        UpdateSubcode.MissingWellKnownAttribute,
        Buffer.from([missing[0]!]),
        `missing attribute ${missing.join(',')}`,
      );
    }
  }

  const attributes = receivedAttributes(state);
  // IPv4 NLRI use NEXT_HOP even when the same UPDATE also carries MP_REACH for IPv6, so the MP next hop
  // travels separately and the FSM applies it to the MP_REACH prefixes only.
  const mp = state.mpReach;
  // Objects only when someone asks (nlri.ts: a flood must not be held as a million objects at once). The
  // getters must survive: build on the lazy object rather than spreading it.
  const update = Object.assign(lazyRoutes(announcedNlri, withdrawnNlri), {
    type: 'update' as const,
    announcedNlri,
    withdrawnNlri,
    attributes,
    ...(mp?.afi
      ? { mpReach: { afi: mp.afi, nextHop: mp.nextHop, nextHopLinkLocal: mp.nextHopLinkLocal } }
      : {}),
    ...(endOfRib ? { endOfRib } : {}),
    ...(treatAsWithdraw ? { treatAsWithdraw } : {}),
    discardedAttributes: discarded,
  });
  return ok<UpdateMessage>(update);
}

// ---------------------------------------------------------------- building (outgoing)

/** Bytes of an UPDATE carrying IPv4 NLRI with `attrs` (NEXT_HOP included in `below`). */
export function ipv4AnnounceSize(below: Buffer, above: Buffer): number {
  return 19 + 2 + 2 + below.length + above.length;
}

export function buildIpv4Announce(
  below: Buffer,
  above: Buffer,
  nlri: readonly Buffer[],
  nlriBytes: number,
): Buffer {
  const w = new Writer(ipv4AnnounceSize(below, above) + nlriBytes);
  w.u16(0)
    .u16(below.length + above.length)
    .bytes(below)
    .bytes(above);
  for (const p of nlri) w.bytes(p);
  return w.finishMessage(MessageType.Update);
}

export function ipv4WithdrawOverhead(): number {
  return 19 + 2 + 2;
}

export function buildIpv4Withdraw(nlri: readonly Buffer[], nlriBytes: number): Buffer {
  const w = new Writer(ipv4WithdrawOverhead() + nlriBytes);
  w.u16(nlriBytes);
  for (const p of nlri) w.bytes(p);
  w.u16(0);
  return w.finishMessage(MessageType.Update);
}

/** Fixed bytes of an MP_REACH UPDATE besides the NLRI (conservatively assuming an extended length). */
export function mpAnnounceOverhead(below: Buffer, above: Buffer, nextHop: Buffer): number {
  return 19 + 2 + 2 + below.length + above.length + 4 + 2 + 1 + 1 + nextHop.length + 1;
}

export function buildMpAnnounce(
  afi: Afi,
  below: Buffer,
  above: Buffer,
  nextHop: Buffer,
  nlri: readonly Buffer[],
  nlriBytes: number,
): Buffer {
  const value = new Writer(5 + nextHop.length + nlriBytes, false);
  value.u16(AFI_CODE[afi]).u8(SAFI_UNICAST).u8(nextHop.length).bytes(nextHop).u8(0);
  for (const p of nlri) value.bytes(p);
  const mp = new Writer(value.length + 4, false);
  writeTableAttribute(mp, AttrType.MpReachNlri, value.view());
  const w = new Writer(mpAnnounceOverhead(below, above, nextHop) + nlriBytes);
  w.u16(0)
    .u16(below.length + mp.length + above.length)
    .bytes(below)
    .bytes(mp.view())
    .bytes(above);
  return w.finishMessage(MessageType.Update);
}

export function mpWithdrawOverhead(): number {
  return 19 + 2 + 2 + 4 + 3;
}

/** MP_UNREACH_NLRI withdrawal; with no NLRI it is the End-of-RIB marker for `afi` (RFC 4724 §2). */
export function buildMpWithdraw(afi: Afi, nlri: readonly Buffer[], nlriBytes: number): Buffer {
  const value = new Writer(3 + nlriBytes, false);
  value.u16(AFI_CODE[afi]).u8(SAFI_UNICAST);
  for (const p of nlri) value.bytes(p);
  const mp = new Writer(value.length + 4, false);
  writeTableAttribute(mp, AttrType.MpUnreachNlri, value.view());
  const w = new Writer(mpWithdrawOverhead() + nlriBytes);
  w.u16(0).u16(mp.length).bytes(mp.view());
  return w.finishMessage(MessageType.Update);
}

/** End-of-RIB for a family: an empty UPDATE for IPv4 unicast, an empty MP_UNREACH_NLRI otherwise. */
export function buildEndOfRib(afi: Afi): Buffer {
  if (afi === 'ipv4') return new Writer(23).u16(0).u16(0).finishMessage(MessageType.Update);
  return buildMpWithdraw(afi, [], 0);
}
