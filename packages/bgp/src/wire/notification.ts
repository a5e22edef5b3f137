/** NOTIFICATION (RFC 4271 §4.5) with the RFC 8203/9003 shutdown communication for Cease 2 and 4. */
import { printable } from '@herald/inet';
import { CeaseSubcode, type Decoded, ErrorCode, errorCodeName, errorSubcodeName, ok } from '../errors.ts';
import { MessageType, type NotificationMessage } from './messages.ts';
import { Writer } from './writer.ts';

/** A NOTIFICATION as seen in events and logs (sent or received). */
export interface NotificationInfo {
  readonly code: number;
  readonly subcode: number;
  readonly codeName: string;
  readonly subcodeName: string;
  readonly data: Buffer;
  /** RFC 8203/9003 shutdown communication, when the NOTIFICATION is Cease 2 or 4 and carries one. */
  readonly communication?: string;
}

export function encodeNotification(
  code: number,
  subcode: number,
  data: Uint8Array = Buffer.alloc(0),
): Buffer {
  // RFC 4271 §4.5 allows data up to the message size; callers pass RFC-defined data, which is small.
  const w = new Writer(21 + data.length);
  w.u8(code).u8(subcode).bytes(data);
  return w.finishMessage(MessageType.Notification);
}

/**
 * Cease with an RFC 9003 shutdown communication: one length octet, then up to 255 bytes of UTF-8. Longer text
 * is cut at a character boundary rather than producing invalid UTF-8.
 */
export function encodeShutdownCommunication(text: string): Buffer {
  let bytes = Buffer.from(text, 'utf8');
  if (bytes.length > 255) {
    let end = 255;
    while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
    bytes = bytes.subarray(0, end);
  }
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

export function decodeNotification(body: Buffer): Decoded<NotificationMessage> {
  // The header check guarantees at least 2 bytes.
  return ok({ type: 'notification', code: body[0]!, subcode: body[1]!, data: Buffer.from(body.subarray(2)) });
}

/** Human-oriented view used in events and logs. */
export function describeNotification(code: number, subcode: number, data: Buffer): NotificationInfo {
  const info: NotificationInfo = {
    code,
    subcode,
    codeName: errorCodeName(code),
    subcodeName: errorSubcodeName(code, subcode),
    data,
  };
  if (
    code === ErrorCode.Cease &&
    (subcode === CeaseSubcode.AdministrativeShutdown || subcode === CeaseSubcode.AdministrativeReset) &&
    data.length >= 1 &&
    data[0]! > 0 &&
    data[0]! <= data.length - 1
  ) {
    // RFC 9003 §2: a malformed communication is ignored, not an error; decoding replaces bad UTF-8. The
    // text is the peer's: control characters are escaped before anyone logs or prints it.
    return { ...info, communication: printable(data.subarray(1, 1 + data[0]!).toString('utf8')) };
  }
  return info;
}
