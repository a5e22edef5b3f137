/**
 * Top-level message decoding: dispatch on type after the header check. The single place where an unexpected
 * exception from a decoder (a bug, or a case we failed to bounds-check) is turned into a BgpError, so
 * malformed input can never throw out of the codec.
 */
import { BgpError, type Decoded, ErrorCode } from '../errors.ts';
import { checkRouteRefreshLength } from './header.ts';
import { type BgpMessage, type CodecContext, HEADER_LENGTH, MessageType } from './messages.ts';
import { decodeNotification } from './notification.ts';
import { decodeOpen } from './open.ts';
import { decodeRouteRefresh } from './route-refresh.ts';
import { decodeUpdate } from './update.ts';

/** Decode one whole message (header already validated by the framer or `decodeHeader`). */
export function decodeMessage(message: Buffer, type: number, ctx: CodecContext): Decoded<BgpMessage> {
  const body = message.subarray(HEADER_LENGTH);
  try {
    switch (type) {
      case MessageType.Open:
        return decodeOpen(body);
      case MessageType.Update:
        return decodeUpdate(body, ctx);
      case MessageType.Notification:
        return decodeNotification(body);
      case MessageType.Keepalive:
        return { ok: true, value: { type: 'keepalive' } };
      case MessageType.RouteRefresh: {
        const lengthError = checkRouteRefreshLength(message);
        if (lengthError) return { ok: false, error: lengthError };
        return decodeRouteRefresh(body);
      }
      default:
        return { ok: false, error: new BgpError(ErrorCode.MessageHeader, 3, Buffer.from([type])) };
    }
  } catch (err) {
    // Defence in depth: report as the error class of the message type rather than crash the session.
    const code =
      type === MessageType.Open
        ? ErrorCode.OpenMessage
        : type === MessageType.Update
          ? ErrorCode.UpdateMessage
          : ErrorCode.MessageHeader;
    return {
      ok: false,
      error: new BgpError(code, 0, undefined, `decoder failure: ${(err as Error).message}`),
    };
  }
}
