/**
 * The speaker's listening sockets for incoming BGP connections. With the socket layer: one IPv4-only and one
 * IPv6-only listener for the wildcard address (one for a specific address), each sending TTL 255 until a
 * connection is handed to its session (as FRR's listener does, so a GTSM router accepts our SYN-ACK),
 * keeping each SYN's headers so a session can check the TTL its peer's SYN arrived with, and holding a
 * TCP-MD5 key per peer that has one: the kernel drops a SYN with a wrong or missing signature before
 * anything reaches this process. Without the socket layer: one node:net server, which can hold no key (a
 * session that needs one cannot be created then).
 */
import { existsSync } from 'node:fs';
import { type AddressInfo, createServer, isIPv4, type Server, type Socket } from 'node:net';
import { addressFamily } from '@herald/inet';
import { GTSM_TTL, type TcpMd5Key } from '../transport.ts';
import type { BgpSockets, SocketListener } from './sockets.ts';

export interface ListenerOptions {
  /** '::' listens on every IPv4 and IPv6 address. */
  readonly address: string;
  /** 0 picks a free port (both families then share it). */
  readonly port: number;
  readonly sockets: BgpSockets;
  /** The keys of the peers that have one, installed before the first connection can arrive. */
  readonly keys: Iterable<readonly [peer: string, key: TcpMd5Key]>;
  readonly onConnection: (socket: Socket) => void;
  readonly onError: (err: Error) => void;
}

export interface SpeakerListener {
  address(): AddressInfo | undefined;
  /** Adds or replaces the TCP-MD5 key of a peer: its next connection must be signed with it. */
  setKey(peer: string, key: TcpMd5Key): void;
  deleteKey(peer: string): void;
  close(): Promise<void>;
}

/** Opens the listener(s); rejects when the address or port cannot be had (EADDRINUSE, EACCES …). */
export async function openListener(o: ListenerOptions): Promise<SpeakerListener> {
  return o.sockets.support().ok ? nativeListener(o) : netListener(o);
}

function nativeListener(o: ListenerOptions): SpeakerListener {
  const wildcard = o.address === '::';
  const plan: { family: 4 | 6; local: string }[] = wildcard
    ? [
        { family: 4, local: '0.0.0.0' },
        { family: 6, local: '::' },
      ]
    : [{ family: isIPv4(o.address) ? 4 : 6, local: o.address }];
  const keys = [...o.keys];
  const listeners: SocketListener[] = [];
  let port = o.port;
  try {
    for (const { family, local } of plan) {
      // A node booted with IPv6 disabled has no AF_INET6: the wildcard then means IPv4 only (as node:net does).
      if (family === 6 && wildcard && !ipv6Available()) continue;
      const listener = o.sockets.listen(
        {
          family,
          local,
          port,
          ttl: GTSM_TTL,
          saveSyn: true,
          md5Keys: keys
            .filter(([peer]) => familyNumber(peer) === family)
            .map(([peer, key]) => [peer, key.bytes] as const),
        },
        o.onConnection,
      );
      listener.server.on('error', o.onError);
      listeners.push(listener);
      port = (listener.server.address() as AddressInfo).port;
    }
  } catch (err) {
    for (const l of listeners) void l.close();
    throw err;
  }
  const forPeer = (peer: string) => listeners.find((l) => l.family === familyNumber(peer));
  return {
    address: () => listeners[listeners.length - 1]?.server.address() as AddressInfo | undefined,
    setKey: (peer, key) => forPeer(peer)?.setMd5Key(peer, key.bytes),
    deleteKey: (peer) => {
      const listener = forPeer(peer);
      if (listener?.peersWithMd5Keys().includes(peer)) listener.deleteMd5Key(peer);
    },
    close: async () => {
      await Promise.all(listeners.map((l) => l.close()));
    },
  };
}

async function netListener(o: ListenerOptions): Promise<SpeakerListener> {
  const server: Server = createServer({ noDelay: true }, o.onConnection);
  server.on('error', o.onError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: o.address, port: o.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const support = o.sockets.support();
  const noKeys = () => {
    throw new Error(`TCP-MD5 keys need native socket support: ${support.ok ? '' : support.reason}`);
  };
  if ([...o.keys].length > 0) noKeys();
  return {
    address: () => {
      const a = server.address();
      return a && typeof a === 'object' ? a : undefined;
    },
    setKey: noKeys,
    deleteKey: () => undefined,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function ipv6Available(): boolean {
  return existsSync('/proc/net/if_inet6');
}

function familyNumber(address: string): 4 | 6 {
  return addressFamily(address) === 'ipv6' ? 6 : 4;
}
