/**
 * BfdTransport over a UDP socket layer the program gives the engine — @herald/native's `openUdpSocket`
 * (RFC 5881 §4–5, RFC 5883 §5). @herald/bfd depends on none of ours but @herald/inet: the layer is an
 * interface here, as BGP's socket layer is in @herald/bgp.
 *  - receive: one socket per family and port, on the wildcard address; single hop gets the kernel BPF filter
 *    that drops anything below TTL 255 before it wakes the thread (IP_MINTTL does not apply to UDP on Linux),
 *    multihop gets no filter (a configured minimum TTL is checked by the session table);
 *  - send: one socket per session, bound to its source address and a source port in 49152–65535 that stays
 *    the same for the session's life, TTL / Hop Limit 255 and DSCP CS6, with a drop-all filter so its
 *    receive queue never fills.
 * node:dgram is not used: it can neither read the TTL of a datagram nor filter on it.
 */
import type { Family } from '@herald/inet';
import {
  type BfdTransport,
  type Datagram,
  MULTIHOP_PORT,
  type Receiver,
  type Sender,
  type SenderSpec,
  SINGLE_HOP_PORT,
  SOURCE_PORTS,
  TRAFFIC_CLASS_CS6,
} from './transport.ts';

/** What BFD needs of a UDP socket (@herald/native's UdpSocket has it). */
export interface BfdUdpSocket {
  readonly localPort: number;
  on(
    event: 'message',
    listener: (
      data: Buffer,
      info: { address: string; port: number; ttl: number | undefined; localAddress: string | undefined },
    ) => void,
  ): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  send(data: Uint8Array, address: string, port: number): void;
  close(): void;
}

/** The UDP socket layer (@herald/native): TTL on send, a kernel TTL-255 filter on receive, the TTL read. */
export interface UdpSocketLayer {
  openUdpSocket(options: {
    family: 4 | 6;
    port: number | { from: number; to: number };
    local?: string;
    ttl?: number;
    trafficClass?: number;
    minReceiveTtl?: number;
    receive?: boolean;
  }): BfdUdpSocket;
}

const familyNumber = (f: Family): 4 | 6 => (f === 'ipv4' ? 4 : 6);

export function udpTransport(layer: UdpSocketLayer): BfdTransport {
  return {
    openReceiver(family, multihop, onDatagram, onError): Receiver {
      const socket = layer.openUdpSocket({
        family: familyNumber(family),
        port: multihop ? MULTIHOP_PORT : SINGLE_HOP_PORT,
        ...(multihop ? {} : { minReceiveTtl: 255 }),
      });
      socket.on('message', (data, info) => {
        const d: Datagram = {
          data,
          address: info.address,
          port: info.port,
          localAddress: info.localAddress,
          ttl: info.ttl,
        };
        onDatagram(d);
      });
      socket.on('error', onError);
      return { close: () => socket.close() };
    },

    openSender(spec: SenderSpec): Sender {
      const socket = layer.openUdpSocket({
        family: familyNumber(spec.family),
        port: { ...SOURCE_PORTS },
        ...(spec.localAddress ? { local: spec.localAddress } : {}),
        ttl: 255,
        trafficClass: TRAFFIC_CLASS_CS6,
        receive: false,
      });
      const port = spec.multihop ? MULTIHOP_PORT : SINGLE_HOP_PORT;
      return {
        localPort: socket.localPort,
        send: (data) => socket.send(data, spec.peerAddress, port),
        close: () => socket.close(),
      };
    },
  };
}

/** Loads the socket layer a worker was given by module URL (a function cannot be sent to a thread). */
export async function importUdpSocketLayer(url: string): Promise<UdpSocketLayer> {
  const mod: unknown = await import(url);
  const open = (mod as Partial<UdpSocketLayer> | null)?.openUdpSocket;
  if (typeof open !== 'function') throw new Error(`${url} exports no openUdpSocket function`);
  return { openUdpSocket: open };
}
