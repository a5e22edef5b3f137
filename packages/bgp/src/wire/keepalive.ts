/** KEEPALIVE (RFC 4271 §4.4): a bare header. Built fresh per send so callers may hold on to it safely. */
import { MessageType } from './messages.ts';
import { Writer } from './writer.ts';

export function encodeKeepalive(): Buffer {
  return new Writer(19).finishMessage(MessageType.Keepalive);
}
