/**
 * The answering half of layer-2 mode, as pure functions: one received frame in, what to do about it out.
 * An announcer answers ARP requests (IPv4) and Neighbor Solicitations (IPv6) for the addresses it announces
 * on the interface the frame arrived on, exactly as the kernel would for an address of its own — without
 * the address ever being added to the interface. It also notices another host claiming one of those
 * addresses (a second announcer: split brain, or an address conflict on the segment) and says so.
 *
 * Stateless, so nothing a neighbour sends can grow memory; the driver counts the verdicts.
 */
import { bytesToAddress } from '@herald/inet';
import { ArpOperation, arpReply, decodeArpFrame, isArpProbe } from './arp.ts';
import { formatMac, sameMac } from './ethernet.ts';
import { decodeNeighborFrame, isUnspecifiedIpv6, neighborAdvertisementFor } from './ndp.ts';
import type { WireDiscard } from './types.ts';

export type NeighborProtocol = 'arp' | 'ndp';

export type ResponderVerdict =
  /** Send `frame` back on the interface: a reply for `address`. `probe`: the asker checks for a conflict. */
  | {
      readonly kind: 'answer';
      readonly protocol: NeighborProtocol;
      readonly address: string;
      readonly frame: Buffer;
      readonly probe: boolean;
    }
  /** Another host (`mac`) claims `address`, one we announce: a conflict or a second announcer. */
  | {
      readonly kind: 'conflict';
      readonly protocol: NeighborProtocol;
      readonly address: string;
      readonly mac: string;
    }
  /** Valid, but nothing for us: another address, a reply to someone else, our own frame. */
  | { readonly kind: 'ignore' }
  /** Malformed or invalid (the reason says which rule). */
  | { readonly kind: 'discard'; readonly protocol: NeighborProtocol; readonly discard: WireDiscard };

export interface ResponderContext {
  /** The hardware address of the interface the frame arrived on. */
  readonly mac: Uint8Array;
  /** Whether this node announces `address` (canonical text) on that interface right now. */
  readonly announces: (address: string) => boolean;
}

/** Frames the kernel shows a packet socket that it sent itself ('outgoing'): never answered. */
const IGNORED = { kind: 'ignore' } as const;

export function respondToArp(frame: Uint8Array, outgoing: boolean, ctx: ResponderContext): ResponderVerdict {
  if (outgoing) return IGNORED;
  const decoded = decodeArpFrame(frame);
  if (!decoded.ok) return { kind: 'discard', protocol: 'arp', discard: decoded.discard };
  const p = decoded.packet;
  if (sameMac(p.senderHardwareAddress, ctx.mac)) return IGNORED;
  if (!isArpProbe(p)) {
    // Anyone sending from one of our addresses (a reply, an announcement, a request) claims it.
    const sender = bytesToAddress(p.senderProtocolAddress);
    if (ctx.announces(sender))
      return { kind: 'conflict', protocol: 'arp', address: sender, mac: formatMac(p.senderHardwareAddress) };
  }
  if (p.operation !== ArpOperation.Request) return IGNORED;
  const target = bytesToAddress(p.targetProtocolAddress);
  if (!ctx.announces(target)) return IGNORED;
  return {
    kind: 'answer',
    protocol: 'arp',
    address: target,
    frame: arpReply(p, ctx.mac),
    probe: isArpProbe(p),
  };
}

export function respondToNeighborDiscovery(
  frame: Uint8Array,
  outgoing: boolean,
  ctx: ResponderContext,
): ResponderVerdict {
  if (outgoing) return IGNORED;
  const decoded = decodeNeighborFrame(frame);
  if (!decoded.ok) return { kind: 'discard', protocol: 'ndp', discard: decoded.discard };
  const m = decoded.message;
  const frameSource = frame.subarray(6, 12);
  if (sameMac(frameSource, ctx.mac)) return IGNORED;
  const target = bytesToAddress(m.target);
  if (!ctx.announces(target)) return IGNORED;
  if (m.type === 'advertisement') {
    const mac = m.targetLinkLayerAddress ?? frameSource;
    return sameMac(mac, ctx.mac)
      ? IGNORED
      : { kind: 'conflict', protocol: 'ndp', address: target, mac: formatMac(mac) };
  }
  return {
    kind: 'answer',
    protocol: 'ndp',
    address: target,
    frame: neighborAdvertisementFor(m, frameSource, ctx.mac),
    probe: isUnspecifiedIpv6(m.source),
  };
}
