/**
 * What the BFD engine needs from the network: receive sockets per (family, single hop | multihop) and one
 * send socket per session. udp-transport.ts opens real UDP sockets through the socket layer the program gives
 * (@herald/native); tests plug in an in-memory network, so the engine's behaviour is tested without a kernel.
 */
import type { Family } from '@herald/inet';

/** RFC 5881 §4: single-hop Control packets go to UDP port 3784. */
export const SINGLE_HOP_PORT = 3784;
/** RFC 5883 §5: multihop Control packets go to UDP port 4784. */
export const MULTIHOP_PORT = 4784;
/** RFC 5881 §4: the source port MUST be in 49152–65535, the same for all packets of a session. */
export const SOURCE_PORTS = { from: 49152, to: 65535 } as const;
/** DSCP CS6 (network control), as FRR and BIRD send BFD. */
export const TRAFFIC_CLASS_CS6 = 0xc0;

/** One received datagram and where it came from, as the socket layer reports it. */
export interface Datagram {
  readonly data: Buffer;
  /** Sender address (canonical text; IPv6 link-local with a %zone). */
  readonly address: string;
  readonly port: number;
  /** The destination address it was sent to (IP_PKTINFO), when known. */
  readonly localAddress: string | undefined;
  /** IP TTL / IPv6 Hop Limit it arrived with, when known. */
  readonly ttl: number | undefined;
}

export interface Receiver {
  close(): void;
}

export interface Sender {
  /** The source port in use (49152–65535). */
  readonly localPort: number;
  /** Sends one datagram to the peer; throws on a socket error (the engine counts it and carries on). */
  send(data: Uint8Array): void;
  close(): void;
}

export interface SenderSpec {
  readonly family: Family;
  readonly peerAddress: string;
  readonly multihop: boolean;
  /** Bind to this source address; undefined: the kernel chooses by route. */
  readonly localAddress: string | undefined;
}

export interface BfdTransport {
  /**
   * Listen on 3784 (single hop, only TTL 255 delivered) or 4784 (multihop) for the family. `onError` reports
   * a receive failure after the socket was opened; opening failures throw.
   */
  openReceiver(
    family: Family,
    multihop: boolean,
    onDatagram: (d: Datagram) => void,
    onError: (err: Error) => void,
  ): Receiver;
  /** A socket bound to a source port in 49152–65535, TTL 255, CS6, connected in spirit to one peer. */
  openSender(spec: SenderSpec): Sender;
}
