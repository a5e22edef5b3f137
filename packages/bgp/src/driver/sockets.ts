/**
 * The socket layer the driver needs for what node:net cannot do (TTL, minimum TTL, TCP-MD5 keys, device
 * binding), as an interface: @herald/bgp depends on nothing of ours but @herald/inet, so the programs hand it
 * @herald/native's `bgpSockets`, which has exactly this shape. Without one, sessions run over node:net and a
 * session that asks for any of these options is refused (nothing runs weaker than configured).
 */
import type { Server, Socket } from 'node:net';

export type SocketSupport = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface SocketConnectOptions {
  readonly remote: string;
  readonly port?: number;
  readonly local?: string;
  readonly md5Key?: Uint8Array;
  readonly ttl?: number;
  readonly minTtl?: number;
  readonly device?: string;
}

export interface SocketListenOptions {
  readonly family: 4 | 6;
  readonly local?: string;
  readonly port?: number;
  readonly ttl?: number;
  /** Keep each SYN's headers, for `receivedSynTtl`. */
  readonly saveSyn?: boolean;
  readonly md5Keys?: Iterable<readonly [peer: string, key: Uint8Array]>;
}

export interface SocketListener {
  readonly server: Server;
  readonly family: 4 | 6;
  setMd5Key(peer: string, key: Uint8Array): void;
  deleteMd5Key(peer: string): void;
  peersWithMd5Keys(): string[];
  close(): Promise<void>;
}

export interface BgpSockets {
  /** Whether the layer works on this machine, and why not. */
  support(): SocketSupport;
  /** A configured socket connecting to `remote`; errors of the connection arrive as its 'error' event. */
  connect(options: SocketConnectOptions): Socket;
  /** A listening socket adopted by a net.Server; throws when it cannot listen. */
  listen(options: SocketListenOptions, onConnection?: (socket: Socket) => void): SocketListener;
  /** Per-peer TTL, minimum TTL and device on an accepted connection. */
  configureAccepted(
    socket: Socket,
    options: { readonly ttl?: number; readonly minTtl?: number; readonly device?: string },
  ): void;
  /** The TTL the accepted connection's SYN arrived with (listener opened with `saveSyn`). */
  receivedSynTtl(socket: Socket): number | undefined;
}

/** No socket layer was given: node:net only. */
export const NO_SOCKET_LAYER: BgpSockets = {
  support: () => ({
    ok: false,
    reason:
      "the BGP speaker was given no native socket layer (BgpSpeakerOptions.sockets: @herald/native's bgpSockets)",
  }),
  connect: () => {
    throw new Error('no native socket layer');
  },
  listen: () => {
    throw new Error('no native socket layer');
  },
  configureAccepted: () => {
    throw new Error('no native socket layer');
  },
  receivedSynTtl: () => undefined,
};
