/**
 * Adj-RIB-Out (RFC 4271 §3.2): the routes we want the peer to have, and what we have actually sent it.
 * UPDATEs are generated lazily (pulled by the driver while the socket can take data), so rapid
 * announce/withdraw flips coalesce into the net change and memory stays bounded by the RIB itself.
 */
import type { Afi, Prefix, RouteAttributes } from '../types.ts';

export class AdjRibOut {
  announce(_prefix: Prefix, _attrs: RouteAttributes): void {
    throw new Error('not implemented yet');
  }
  withdraw(_prefix: Prefix): boolean {
    throw new Error('not implemented yet');
  }
  routes(): { prefix: Prefix; attributes: RouteAttributes }[] {
    return [];
  }
  size(_afi?: Afi): number {
    return 0;
  }
}
