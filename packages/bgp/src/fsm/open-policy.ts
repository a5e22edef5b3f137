/**
 * Pure decisions on a received OPEN: is it acceptable for this peer (RFC 4271 §6.2, RFC 6793, RFC 6286), and
 * what does the session negotiate. Also router-id derivation.
 */
import { addressFamily, addressToBytes } from '@herald/inet';
import type { ResolvedPeerConfig } from '../config.ts';
import { BgpError, ErrorCode, OpenSubcode } from '../errors.ts';
import type { Afi } from '../types.ts';
import { AS_TRANS, EXTENDED_MAX_MESSAGE_SIZE, MAX_MESSAGE_SIZE, type OpenMessage } from '../wire/messages.ts';
import type { NegotiatedSession } from './events.ts';

/** The peer's real ASN: the 4-octet capability when present (RFC 6793 §4.1), else My Autonomous System. */
export function peerAsnOf(open: OpenMessage): number {
  return open.capabilities.fourOctetAsn ?? open.myAsn;
}

export function ipv4ToNumber(address: string): number {
  return addressToBytes(address).readUInt32BE(0);
}

/**
 * BGP Identifier for this session: configured, else the local IPv4 address, else (IPv6-only session) a
 * deterministic 32-bit FNV-1a hash of the local IPv6 address, forced into 1.0.0.0-223.255.255.255 so it is
 * non-zero and looks like a unicast address. Documented in docs/bgp.md; configure routerId to be sure it is
 * unique.
 */
export function chooseRouterId(configured: string | undefined, localAddress: string): string {
  if (configured) return configured;
  if (addressFamily(localAddress) === 'ipv4') return localAddress;
  let h = 0x811c9dc5;
  for (const byte of addressToBytes(localAddress)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const first = 1 + ((h >>> 24) % 223);
  return `${first}.${(h >>> 16) & 0xff}.${(h >>> 8) & 0xff}.${h & 0xff}`;
}

export interface LocalOpenFacts {
  readonly config: ResolvedPeerConfig;
  readonly localRouterId: string;
}

/** Validate and negotiate; a BgpError means answer with that NOTIFICATION. */
export function negotiate(open: OpenMessage, local: LocalOpenFacts): NegotiatedSession | BgpError {
  const { config } = local;
  const peerAsn = peerAsnOf(open);
  const myAsField = Buffer.alloc(2);
  myAsField.writeUInt16BE(open.myAsn);
  const badPeerAs = (detail: string) =>
    new BgpError(ErrorCode.OpenMessage, OpenSubcode.BadPeerAs, myAsField, detail);
  if (open.capabilities.fourOctetAsn !== undefined && peerAsn <= 0xffff && open.myAsn !== peerAsn)
    return badPeerAs(`My AS ${open.myAsn} disagrees with 4-octet capability ${peerAsn}`);
  if (open.capabilities.fourOctetAsn !== undefined && peerAsn > 0xffff && open.myAsn !== AS_TRANS)
    return badPeerAs(`4-octet ASN ${peerAsn} but My AS is ${open.myAsn}, not AS_TRANS`);
  if (peerAsn === 0) return badPeerAs('peer ASN 0');
  if (typeof config.peerAsn === 'number' && peerAsn !== config.peerAsn)
    return badPeerAs(`expected AS ${config.peerAsn}, peer is AS ${peerAsn}`);
  if (config.peerAsn === 'external' && peerAsn === config.localAsn)
    return badPeerAs(`expected an external peer, peer is AS ${peerAsn} (ours)`);
  if (config.peerAsn === 'internal' && peerAsn !== config.localAsn)
    return badPeerAs(`expected an internal peer (AS ${config.localAsn}), peer is AS ${peerAsn}`);
  const ebgp = peerAsn !== config.localAsn;

  if (open.holdTime === 1 || open.holdTime === 2) {
    return new BgpError(
      ErrorCode.OpenMessage,
      OpenSubcode.UnacceptableHoldTime,
      undefined,
      `hold time ${open.holdTime}`,
    );
  }
  // RFC 4271 §6.2: "An implementation MAY reject any proposed Hold Time." Below minHoldTime the session
  // would run without (0) or with needlessly short liveness checks than configured.
  if (open.holdTime < config.minHoldTime) {
    return new BgpError(
      ErrorCode.OpenMessage,
      OpenSubcode.UnacceptableHoldTime,
      undefined,
      `hold time ${open.holdTime} is below minHoldTime ${config.minHoldTime}`,
    );
  }
  // RFC 6286 §2.2: non-zero; unique within the AS (so an iBGP peer must not share ours).
  if (open.bgpIdentifier === '0.0.0.0' || (!ebgp && open.bgpIdentifier === local.localRouterId)) {
    const data = addressToBytes(open.bgpIdentifier);
    return new BgpError(
      ErrorCode.OpenMessage,
      OpenSubcode.BadBgpIdentifier,
      data,
      `identifier ${open.bgpIdentifier}`,
    );
  }

  const holdTime = Math.min(config.holdTime, open.holdTime);
  const keepaliveTime =
    holdTime === 0
      ? 0
      : Math.max(1, Math.min(config.keepaliveTime ?? Number.POSITIVE_INFINITY, Math.floor(holdTime / 3)));
  // RFC 4760 §8: a peer without any multiprotocol capability speaks IPv4 unicast only.
  const peerFamilies: readonly Afi[] =
    open.capabilities.multiprotocol.length > 0 ? open.capabilities.multiprotocol : ['ipv4'];
  const families = config.families.filter((f) => peerFamilies.includes(f));
  const extendedMessages = config.extendedMessages && open.capabilities.extendedMessages;
  const gr = open.capabilities.gracefulRestart;
  return {
    peerAsn,
    peerRouterId: open.bgpIdentifier,
    localRouterId: local.localRouterId,
    holdTime,
    keepaliveTime,
    fourOctetAsn: open.capabilities.fourOctetAsn !== undefined,
    families,
    routeRefresh: open.capabilities.routeRefresh,
    extendedMessages,
    maxMessageSize: extendedMessages ? EXTENDED_MAX_MESSAGE_SIZE : MAX_MESSAGE_SIZE,
    ebgp,
    ...(gr
      ? {
          peerGracefulRestart: {
            restarting: gr.restarting,
            restartTime: gr.restartTime,
            families: gr.families,
          },
        }
      : {}),
  };
}
