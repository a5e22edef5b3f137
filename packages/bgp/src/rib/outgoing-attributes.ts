/**
 * Turns caller-facing RouteAttributes into the wire-ready OutgoingAttributes for one session, and gives the
 * stable grouping key the Adj-RIB-Out uses to put prefixes with identical attributes into the same UPDATE.
 */
import {
  addressToBytes,
  canonicalAddress,
  parseCommunity,
  parseExtendedCommunity,
  parseLargeCommunity,
} from '@herald/inet';
import type { Afi, RouteAttributes } from '../types.ts';
import type { OutgoingAttributes } from '../wire/attributes.ts';

const ORIGIN_CODE = { igp: 0, egp: 1, incomplete: 2 } as const;

/** Session facts that change how the same RouteAttributes are encoded. */
export interface EncodeSession {
  readonly localAsn: number;
  readonly ebgp: boolean;
  readonly fourOctetAsn: boolean;
  readonly maxMessageSize: number;
  readonly families: readonly Afi[];
}

/**
 * Canonical, order-preserving key of the attributes (afi included). Two announcements share an UPDATE exactly
 * when their keys are equal. Built by hand (not JSON.stringify of the input) so key order and address spelling
 * in the caller's objects cannot split groups.
 */
export function attributeGroupKey(afi: Afi, a: RouteAttributes): string {
  return [
    afi,
    canonicalAddress(a.nextHop) ?? a.nextHop,
    a.nextHopLinkLocal ? (canonicalAddress(a.nextHopLinkLocal) ?? a.nextHopLinkLocal) : '',
    a.origin ?? 'igp',
    a.med ?? '',
    a.localPref ?? '',
    (a.communities ?? []).map((c) => parseCommunity(c)).join(','),
    (a.largeCommunities ?? []).map((c) => parseLargeCommunity(c)?.join(':')).join(','),
    (a.extendedCommunities ?? []).map((c) => parseExtendedCommunity(c)?.toString('hex')).join(','),
    a.asPathPrepend ?? 0,
  ].join('|');
}

/** Wire form for this session. Inputs were validated by `validateRoute` when announced. */
export function toOutgoingAttributes(afi: Afi, a: RouteAttributes, s: EncodeSession): OutgoingAttributes {
  // RFC 4271 §5.1.2: eBGP prepends our AS; iBGP advertises locally originated routes with an empty AS_PATH.
  const asPath = s.ebgp ? new Array<number>(1 + (a.asPathPrepend ?? 0)).fill(s.localAsn) : [];
  return {
    origin: ORIGIN_CODE[a.origin ?? 'igp'],
    asPath,
    nextHop: afi === 'ipv4' ? addressToBytes(a.nextHop) : undefined,
    med: a.med,
    // RFC 4271 §5.1.5: LOCAL_PREF is never sent to an external peer.
    localPref: s.ebgp ? undefined : (a.localPref ?? 100),
    communities: (a.communities ?? []).map((c) => parseCommunity(c)!),
    extendedCommunities: (a.extendedCommunities ?? []).map((c) => parseExtendedCommunity(c)!),
    largeCommunities: (a.largeCommunities ?? []).map((c) => parseLargeCommunity(c)!),
  };
}

/** MP_REACH next hop field: global, or global + link-local (RFC 2545 §3). */
export function mpNextHop(a: RouteAttributes): Buffer {
  const global = addressToBytes(a.nextHop);
  return a.nextHopLinkLocal ? Buffer.concat([global, addressToBytes(a.nextHopLinkLocal)]) : global;
}
