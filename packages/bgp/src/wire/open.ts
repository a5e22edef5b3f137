/**
 * OPEN (RFC 4271 §4.2) with RFC 9072 extended optional parameters. Only syntax is checked here; what the
 * values mean for this session (peer AS, hold time, identifier) is the session's decision (fsm/open-policy.ts).
 */

import { addressToBytes, bytesToAddress } from '@herald/inet';
import { type Decoded, ErrorCode, fail, OpenSubcode, ok } from '../errors.ts';
import {
  decodeCapabilities,
  emptyCapabilities,
  encodeCapabilities,
  type LocalCapabilities,
} from './capabilities.ts';
import { AS_TRANS, MessageType, type OpenMessage } from './messages.ts';
import { Reader } from './reader.ts';
import { Writer } from './writer.ts';

const PARAM_CAPABILITIES = 2;
/** RFC 9072: a Non-Ext OP Type of 255 marks the extended optional parameters format. */
const PARAM_EXTENDED_LENGTH = 255;

export interface OpenParams {
  readonly asn: number;
  readonly holdTime: number;
  readonly bgpIdentifier: string;
  readonly capabilities: LocalCapabilities;
}

export function encodeOpen(p: OpenParams): Buffer {
  const w = new Writer(128);
  w.u8(4);
  w.u16(p.asn > 0xffff ? AS_TRANS : p.asn);
  w.u16(p.holdTime);
  for (const byte of addressToBytes(p.bgpIdentifier)) w.u8(byte);
  const caps = new Writer(64, false);
  encodeCapabilities(caps, p.capabilities);
  const capBytes = caps.view();
  if (capBytes.length + 2 <= 255) {
    w.u8(capBytes.length + 2)
      .u8(PARAM_CAPABILITIES)
      .u8(capBytes.length)
      .bytes(capBytes);
  } else {
    // Only reachable with very many capabilities; use RFC 9072 so the OPEN stays well-formed.
    w.u8(255)
      .u8(PARAM_EXTENDED_LENGTH)
      .u16(capBytes.length + 3);
    w.u8(PARAM_CAPABILITIES).u16(capBytes.length).bytes(capBytes);
  }
  return w.finishMessage(MessageType.Open);
}

/** `body` is the message after the 19-byte header (at least 10 bytes, checked by the header). */
export function decodeOpen(body: Buffer): Decoded<OpenMessage> {
  const r = new Reader(body);
  const version = r.u8();
  if (version !== 4) {
    // Data: the largest version we support (2 octets, RFC 4271 §6.2).
    return fail(
      ErrorCode.OpenMessage,
      OpenSubcode.UnsupportedVersionNumber,
      Buffer.from([0, 4]),
      `version ${version}`,
    );
  }
  const myAsn = r.u16();
  const holdTime = r.u16();
  const bgpIdentifier = bytesToAddress(r.bytes(4));
  let optLen = r.u8();
  let extended = false;
  if (r.remaining >= 1 && r.buf[r.offset] === PARAM_EXTENDED_LENGTH && optLen > 0) {
    // RFC 9072 §2: [255][255][2-octet length], then parameters with 2-octet lengths.
    r.u8();
    if (r.remaining < 2)
      return fail(ErrorCode.OpenMessage, 0, undefined, 'truncated extended parameters length');
    optLen = r.u16();
    extended = true;
  }
  if (optLen !== r.remaining) {
    return fail(
      ErrorCode.OpenMessage,
      0,
      undefined,
      `optional parameters length ${optLen} != ${r.remaining}`,
    );
  }
  const caps = emptyCapabilities();
  while (r.remaining > 0) {
    const headLen = extended ? 3 : 2;
    if (r.remaining < headLen)
      return fail(ErrorCode.OpenMessage, 0, undefined, 'truncated optional parameter');
    const type = r.u8();
    const len = extended ? r.u16() : r.u8();
    if (len > r.remaining)
      return fail(ErrorCode.OpenMessage, 0, undefined, 'optional parameter overruns message');
    const value = r.bytes(len);
    if (type !== PARAM_CAPABILITIES) {
      return fail(
        ErrorCode.OpenMessage,
        OpenSubcode.UnsupportedOptionalParameter,
        undefined,
        `parameter type ${type}`,
      );
    }
    const res = decodeCapabilities(value, caps);
    if (!res.ok) return res;
  }
  return ok({ type: 'open', version, myAsn, holdTime, bgpIdentifier, capabilities: caps });
}
