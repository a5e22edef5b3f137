/**
 * The socket rules of one session, decided once from its config (pure): the TTL its segments are sent with,
 * the lowest TTL it accepts (GTSM), its TCP-MD5 key and the interface it is bound to. The driver applies
 * them to every connection of the session, dialled or accepted.
 *
 * TTL defaults are those of the routers Herald peers with, read in their sources:
 * - eBGP: TTL 1 unless `ebgpMultihop: N` (then N). FRR sets `peer->ttl` (1 by default, the
 *   `ebgp-multihop` count otherwise) on eBGP sockets only (bgp_network.c, bgp_set_socket_ttl); BIRD sends
 *   `multihop ? : 1` hops and makes eBGP direct by default (bgp.c, bgp_connect; config: `multihop = internal
 *   ? 64 : 0`); GoBGP sets 1 for external peers unless ebgp-multihop is enabled (SetPeerConnTTL).
 * - iBGP: left at the system's default, 64 on Linux (net.ipv4.ip_default_ttl), as FRR and GoBGP do; BIRD
 *   sets 64 explicitly. iBGP sessions routinely span several hops.
 * - GTSM (RFC 5082 §3, directly connected peers): send 255 and accept only 255, as FRR `ttl-security hops 1`
 *   (minimum 256 − 1), BIRD `ttl security on` on a direct session (256 − 1) and GoBGP `ttl-min = 255` do.
 *   A router on the way lowers it to 254, so a peer one router away is refused. Mutually exclusive with
 *   ebgpMultihop, as in FRR and GoBGP.
 */
import { inspect } from 'node:util';

/** A TCP-MD5 key (RFC 2385) that never shows up in logs, JSON or inspection: only its bytes leave. */
export class TcpMd5Key {
  readonly #bytes: Buffer;

  constructor(key: string | Uint8Array) {
    this.#bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
  }

  /** The key, for the one place that hands it to the kernel. */
  get bytes(): Buffer {
    return this.#bytes;
  }

  get length(): number {
    return this.#bytes.length;
  }

  equals(other: TcpMd5Key | undefined): boolean {
    return other !== undefined && this.#bytes.equals(other.#bytes);
  }

  toJSON(): string {
    return '[redacted]';
  }

  toString(): string {
    return '[redacted TCP-MD5 key]';
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

export interface TransportPolicy {
  /** TTL / hop limit of every segment sent; undefined: the system's default (64 on Linux). */
  readonly ttl: number | undefined;
  /** Segments arriving with a lower TTL / hop limit are dropped, the SYN of an accepted connection too. */
  readonly minTtl: number | undefined;
  readonly md5Key: TcpMd5Key | undefined;
  /** SO_BINDTODEVICE: the session's connections use only this interface or VRF device. */
  readonly device: string | undefined;
  /**
   * What the config asked for explicitly (password, ttlSecurity, ebgpMultihop, bindInterface): these can
   * never be dropped. The eBGP TTL 1 default is not explicit.
   */
  readonly explicit: readonly ('password' | 'ttlSecurity' | 'ebgpMultihop' | 'bindInterface')[];
}

/** GTSM for a directly connected peer (RFC 5082 §3): 255 out, only 255 in. */
export const GTSM_TTL = 255;

export interface TransportInput {
  readonly ebgp: boolean;
  readonly ebgpMultihop: number | undefined;
  readonly ttlSecurity: boolean;
  readonly md5Key: TcpMd5Key | undefined;
  readonly bindInterface: string | undefined;
}

export function transportPolicy(c: TransportInput): TransportPolicy {
  const explicit: TransportPolicy['explicit'][number][] = [];
  if (c.md5Key) explicit.push('password');
  if (c.ttlSecurity) explicit.push('ttlSecurity');
  if (c.ebgpMultihop !== undefined) explicit.push('ebgpMultihop');
  if (c.bindInterface !== undefined) explicit.push('bindInterface');
  const ttl = c.ttlSecurity ? GTSM_TTL : c.ebgp ? (c.ebgpMultihop ?? 1) : undefined;
  return {
    ttl,
    minTtl: c.ttlSecurity ? GTSM_TTL : undefined,
    md5Key: c.md5Key,
    device: c.bindInterface,
    explicit,
  };
}

/** Whether the session needs socket options node:net cannot set. */
export function needsNativeSockets(p: TransportPolicy): boolean {
  return p.ttl !== undefined || p.minTtl !== undefined || p.md5Key !== undefined || p.device !== undefined;
}

/** The policy without its key, for status pages and events. */
export interface TransportSummary {
  /** null: the system's default TTL. */
  readonly ttl: number | null;
  readonly minTtl: number | null;
  readonly tcpMd5: boolean;
  readonly bindInterface: string | null;
  /** Set when the session runs weaker than its defaults would have it (never weaker than configured). */
  readonly warning?: string;
}

export function summarizeTransport(p: TransportPolicy, warning?: string): TransportSummary {
  return {
    ttl: p.ttl ?? null,
    minTtl: p.minTtl ?? null,
    tcpMd5: p.md5Key !== undefined,
    bindInterface: p.device ?? null,
    ...(warning !== undefined ? { warning } : {}),
  };
}
