/**
 * Opening the TCP connection of an active session, and saying in an operator's words why it did not open.
 * Sockets that need options node:net cannot set (TTL, minimum TTL, TCP-MD5, device) are made by the socket
 * layer (sockets.ts); the others by node:net. An abandoned attempt (timeout, the peer's own connection won,
 * stop) is destroyed through its AbortSignal, so no half-open socket outlives the session's interest in it.
 */
import { connect as netConnect, type Socket } from 'node:net';
import type { ResolvedPeerConfig } from '../config.ts';
import { needsNativeSockets } from '../transport.ts';
import { socketTransport } from './socket-transport.ts';
import type { BgpSockets } from './sockets.ts';
import type { BgpTransport } from './transport.ts';

/** Why a connect attempt failed, as counted in metrics. */
export type ConnectFailureKind = 'timeout' | 'refused' | 'unreachable' | 'other';

export const CONNECT_FAILURE_KINDS: readonly ConnectFailureKind[] = [
  'timeout',
  'refused',
  'unreachable',
  'other',
];

export class ConnectError extends Error {
  readonly kind: ConnectFailureKind;
  constructor(kind: ConnectFailureKind, message: string) {
    super(message);
    this.name = 'ConnectError';
    this.kind = kind;
  }
}

function kindOf(code: string | undefined): ConnectFailureKind {
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'unreachable';
  if (code === 'ETIMEDOUT') return 'timeout';
  return 'other';
}

/** The explanation of a failed attempt: what happened, then what to check, for this session's settings. */
export function explainConnectFailure(
  kind: ConnectFailureKind,
  detail: string,
  config: ResolvedPeerConfig,
): string {
  const t = config.transport;
  const where = `${config.peerAddress} port ${config.peerPort}`;
  switch (kind) {
    case 'timeout': {
      const check = t.md5Key
        ? 'check the TCP-MD5 password on both sides: a router drops a SYN signed with another key without answering'
        : 'check that the router can be reached and has this node as a neighbor, and whether it expects a TCP-MD5 password: a router with a key drops an unsigned SYN without answering';
      const gtsm =
        t.minTtl !== undefined
          ? `; with ttlSecurity the router must use GTSM too: its answer is dropped here unless it arrives with TTL ${t.minTtl}`
          : '';
      return `no answer to the TCP handshake with ${where} (${detail}) — ${check}${gtsm}`;
    }
    case 'refused':
      return `connection refused by ${where}: nothing accepts BGP there for this address — is this node configured as a neighbor on the router?`;
    case 'unreachable': {
      const singleHop =
        config.ebgp && t.ttl === 1
          ? ' — a single-hop eBGP session is sent with TTL 1, which the first router on the way discards: if the router is more than one hop away, set ebgpMultihop'
          : '';
      const device = t.device !== undefined ? ` through ${t.device}` : '';
      return `${where} is not reachable${device} (${detail})${singleHop}`;
    }
    case 'other':
      return `connecting to ${where} failed: ${detail}`;
  }
}

/**
 * Connects to the peer; rejects with a ConnectError. A session that needs the socket layer and cannot have it
 * was refused when it was created; one that runs without its default TTL was warned about.
 */
export function openConnection(
  config: ResolvedPeerConfig,
  signal: AbortSignal,
  sockets: BgpSockets,
): Promise<BgpTransport> {
  return new Promise((resolve, reject) => {
    const t = config.transport;
    let socket: Socket;
    try {
      socket =
        needsNativeSockets(t) && sockets.support().ok
          ? sockets.connect({
              remote: config.peerAddress,
              port: config.peerPort,
              ...(config.localAddress !== undefined ? { local: config.localAddress } : {}),
              ...(t.md5Key !== undefined ? { md5Key: t.md5Key.bytes } : {}),
              ...(t.ttl !== undefined ? { ttl: t.ttl } : {}),
              ...(t.minTtl !== undefined ? { minTtl: t.minTtl } : {}),
              ...(t.device !== undefined ? { device: t.device } : {}),
            })
          : netConnect({
              host: config.peerAddress,
              port: config.peerPort,
              ...(config.localAddress ? { localAddress: config.localAddress } : {}),
            });
    } catch (err) {
      // A socket option the kernel refused (a missing interface, no TCP-MD5 in the kernel): nothing was sent.
      reject(new ConnectError('other', (err as Error).message));
      return;
    }
    const onAbort = () => {
      socket.destroy();
      reject(new ConnectError('other', 'abandoned'));
    };
    const onError = (err: NodeJS.ErrnoException) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      const kind = kindOf(err.code);
      reject(new ConnectError(kind, kind !== 'other' && err.code ? err.code : err.message));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once('connect', () => {
      signal.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      resolve(socketTransport(socket, config.tcpKeepaliveTime));
    });
  });
}
