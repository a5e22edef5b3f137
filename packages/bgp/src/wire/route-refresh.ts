/** ROUTE-REFRESH (RFC 2918; RFC 7313 subtype byte, which RFC 2918 calls Reserved). */
import { type Decoded, ok } from '../errors.ts';
import type { Afi } from '../types.ts';
import { MessageType, type RouteRefreshMessage } from './messages.ts';
import { Writer } from './writer.ts';

export const AFI_CODE: Readonly<Record<Afi, number>> = { ipv4: 1, ipv6: 2 };
export const SAFI_UNICAST = 1;

export function afiFromCode(afi: number, safi: number): Afi | undefined {
  if (safi !== SAFI_UNICAST) return undefined;
  return afi === 1 ? 'ipv4' : afi === 2 ? 'ipv6' : undefined;
}

export function encodeRouteRefresh(afi: Afi, subtype = 0): Buffer {
  const w = new Writer(23);
  w.u16(AFI_CODE[afi]).u8(subtype).u8(SAFI_UNICAST);
  return w.finishMessage(MessageType.RouteRefresh);
}

/** Body is exactly 4 bytes (length checked by the caller per RFC 7313 §5). */
export function decodeRouteRefresh(body: Buffer): Decoded<RouteRefreshMessage> {
  const rawAfi = body.readUInt16BE(0);
  const safi = body[3]!;
  return ok({ type: 'route-refresh', afi: afiFromCode(rawAfi, safi), rawAfi, safi, subtype: body[2]! });
}
