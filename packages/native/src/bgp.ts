/**
 * TCP sockets for BGP with what node:net cannot set: TCP-MD5 keys (RFC 2385), the sent TTL and a minimum
 * received TTL (GTSM, RFC 5082) and binding to an interface or VRF. The socket is created and configured
 * here and then adopted by node:net (`new net.Socket({ fd })`, `server.listen({ fd })`), which keeps every
 * option: from then on it is an ordinary net.Socket / net.Server.
 *
 * Privileges: none. TCP_MD5SIG, IP_TTL, IP_MINTTL and their IPv6 twins never need one; SO_BINDTODEVICE
 * needs CAP_NET_RAW only before Linux 5.7 (proven unprivileged in e2e/src/native-privileges.test.ts).
 */
import net from 'node:net';
import { encodeTcpMd5sig } from './layout.ts';
import { check, libc, nativeSupport, type ParsedAddress, parseAddress } from './libc.ts';
import {
  AF_INET,
  AF_INET6,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPV6_V6ONLY,
  SO_REUSEADDR,
  SOCK_STREAM,
  SOL_SOCKET,
  TCP_MD5SIG,
  TCP_MD5SIG_MAXKEYLEN,
  TCP_SAVE_SYN,
  TCP_SAVED_SYN,
} from './linux.ts';
import {
  bindAddress,
  bindToDevice,
  checkDevice,
  checkPort,
  checkTtl,
  configured,
  type LocalAddress,
  localAddress,
  openSocket,
  setIntOption,
  setMinTtl,
  setTtl,
} from './options.ts';

/** A TCP-MD5 key: bytes, or a string taken as its UTF-8 bytes (what routers do with a configured password). */
export type Md5Key = string | Uint8Array;

/** What both ends of a BGP connection may set on their socket. */
export interface BgpSocketCommon {
  /** Local address to bind. For an active socket the port is `localPort` (default: any). */
  local?: string;
  /** TTL (IPv4) / hop limit (IPv6) of every segment sent: 1 for single-hop eBGP, N for multihop, 255 for GTSM. */
  ttl?: number;
  /** Segments arriving with a lower TTL / hop limit are dropped by the kernel (GTSM: 254). */
  minTtl?: number;
  /** SO_BINDTODEVICE: only this interface or VRF device (no capability needed since Linux 5.7). */
  device?: string;
}

export interface BgpSocketOptions extends BgpSocketCommon {
  /** The peer; its address family is the socket's. `fe80::1%eth0` for a link-local peer. */
  remote: string;
  /** Must match the remote's family when given. */
  family?: 4 | 6;
  localPort?: number;
  /** The session's RFC 2385 key (1–80 bytes); without it, segments are unsigned. */
  md5Key?: Md5Key;
}

export interface BgpListenerOptions extends BgpSocketCommon {
  family: 4 | 6;
  /** Default 179. 0 picks a free port (tests). */
  port?: number;
  backlog?: number;
  /** Initial per-peer keys; change them later with setMd5Key / deleteMd5Key. */
  md5Keys?: Iterable<readonly [peer: string, key: Md5Key]>;
  /**
   * TCP_SAVE_SYN: keep each connection's SYN headers, so `receivedSynTtl(socket)` can tell the TTL the
   * peer's SYN arrived with (per-peer GTSM on a listener shared by peers with different rules).
   */
  saveSyn?: boolean;
}

/** Options set on a connection a listener accepted, before it is used: per-peer rules on a shared listener. */
export interface AcceptedOptions {
  ttl?: number;
  minTtl?: number;
  /** SO_BINDTODEVICE on the connection: from now on it only sends and receives through this interface. */
  device?: string;
}

function keyBytes(key: Md5Key, what: string): Buffer {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
  if (bytes.length === 0 || bytes.length > TCP_MD5SIG_MAXKEYLEN) {
    throw new RangeError(`${what} has ${bytes.length} bytes; a TCP-MD5 key has 1–${TCP_MD5SIG_MAXKEYLEN}`);
  }
  return bytes;
}

/** Sets (key) or deletes (no key: tcpm_keylen 0) the TCP-MD5 key for one peer address. */
function setMd5(fd: number, peer: ParsedAddress, peerText: string, key: Buffer | undefined): void {
  const value = encodeTcpMd5sig(
    { address: peer.bytes, port: 0, scopeId: peer.scopeId },
    key ?? Buffer.alloc(0),
  );
  check(
    libc().setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, value, value.length),
    `setsockopt(TCP_MD5SIG peer ${peerText})`,
  );
}

function applyCommon(fd: number, family: 4 | 6, options: BgpSocketCommon): void {
  if (options.device !== undefined) bindToDevice(fd, options.device);
  if (options.ttl !== undefined) setTtl(fd, family, options.ttl);
  if (options.minTtl !== undefined) setMinTtl(fd, family, options.minTtl);
}

function checkCommon(options: BgpSocketCommon, family: 4 | 6): LocalAddress {
  checkTtl(options.ttl, 'ttl');
  checkTtl(options.minTtl, 'minTtl');
  checkDevice(options.device);
  return localAddress(family, options.local);
}

/**
 * A configured, unconnected, non-blocking TCP socket for an active BGP session. The caller owns the fd:
 * hand it to `new net.Socket({ fd, readable: true, writable: true })` and connect to `remote` (connectBgp
 * does exactly that), or close it with closeFd.
 */
export function openBgpSocket(options: BgpSocketOptions): number {
  const remote = parseAddress(options.remote, 'remote');
  if (options.family !== undefined && options.family !== remote.family) {
    throw new TypeError(`remote '${options.remote}' is not an IPv${options.family} address`);
  }
  const local = checkCommon(options, remote.family);
  checkPort(options.localPort, 'localPort');
  const key = options.md5Key === undefined ? undefined : keyBytes(options.md5Key, 'md5Key');
  const fd = openSocket(remote.family === 4 ? AF_INET : AF_INET6, SOCK_STREAM, 0, `IPv${remote.family} TCP`);
  return configured(fd, () => {
    applyCommon(fd, remote.family, options);
    if (key) setMd5(fd, remote, options.remote, key);
    if (options.local !== undefined || options.localPort) bindAddress(fd, local, options.localPort ?? 0);
    return fd;
  });
}

/**
 * openBgpSocket, adopted by node:net and connecting to `remote` port `port` (default 179). Errors of the
 * connection itself (ECONNREFUSED, timeouts) arrive as the socket's 'error' event, as with net.connect.
 */
export function connectBgp(options: BgpSocketOptions & { port?: number }): net.Socket {
  checkPort(options.port, 'port');
  const fd = openBgpSocket(options);
  let socket: net.Socket;
  try {
    socket = new net.Socket({ fd, readable: true, writable: true });
  } catch (err) {
    libc().close(fd);
    throw err;
  }
  return socket.connect({ port: options.port ?? 179, host: options.remote });
}

/**
 * A listening BGP socket adopted by a net.Server, with per-peer TCP-MD5 keys that can change while it
 * listens. Accepted connections inherit the listener's options and the key their peer had at accept time;
 * a changed key applies to the next connection, not to established ones.
 */
export class BgpListener {
  readonly server: net.Server;
  readonly family: 4 | 6;
  readonly #fd: number;
  readonly #peers = new Set<string>();

  constructor(server: net.Server, fd: number, family: 4 | 6, peersWithKeys: readonly string[]) {
    this.server = server;
    this.#fd = fd;
    this.family = family;
    for (const peer of peersWithKeys) this.#peers.add(peer);
  }

  /** Adds or replaces the key for connections from `peer` (an address of the listener's family). */
  setMd5Key(peer: string, key: Md5Key): void {
    const bytes = keyBytes(key, `the key for ${peer}`);
    const address = this.#peerAddress(peer);
    setMd5(this.#fd, address, peer, bytes);
    this.#peers.add(peer);
  }

  /** Removes the key for `peer`: its next connection must be unsigned. */
  deleteMd5Key(peer: string): void {
    const address = this.#peerAddress(peer);
    setMd5(this.#fd, address, peer, undefined);
    this.#peers.delete(peer);
  }

  /** Peers that currently have a key (never the keys themselves). */
  peersWithMd5Keys(): string[] {
    return [...this.#peers].sort();
  }

  #peerAddress(peer: string): ParsedAddress {
    // After close the fd number may already belong to another socket: never touch it again.
    if (!this.server.listening)
      throw new Error(`the BGP listener is closed; cannot change the key for ${peer}`);
    const address = parseAddress(peer, 'peer');
    if (address.family !== this.family) {
      throw new TypeError(
        `peer '${peer}' is not an IPv${this.family} address (the listener is IPv${this.family}-only)`,
      );
    }
    return address;
  }

  /** Stops accepting; resolves when the server has closed (established connections are not touched). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) resolve();
      else this.server.close(() => resolve());
    });
  }
}

/**
 * Opens, configures, binds and listens on a TCP socket (SO_REUSEADDR; IPv6 sockets IPV6_V6ONLY, so every
 * peer key is of the listener's family), installs the initial keys, and hands it to a new net.Server.
 * Synchronous, so every failure is a NativeSocketError naming the call and errno (listen(2) is done here,
 * before node:net, which would only report it later as an 'error' event). `onConnection` is the server's
 * 'connection' listener.
 */
export function listenBgp(
  options: BgpListenerOptions,
  onConnection?: (socket: net.Socket) => void,
): BgpListener {
  const family = options.family;
  if (family !== 4 && family !== 6) throw new TypeError(`family ${String(family)} is not 4 or 6`);
  const local = checkCommon(options, family);
  checkPort(options.port, 'port');
  const keys = [...(options.md5Keys ?? [])].map(([peer, key]) => {
    const address = parseAddress(peer, 'peer');
    if (address.family !== family) throw new TypeError(`peer '${peer}' is not an IPv${family} address`);
    return { peer, address, key: keyBytes(key, `the key for ${peer}`) };
  });
  const port = options.port ?? 179;
  const backlog = options.backlog ?? 511;
  const fd = openSocket(family === 4 ? AF_INET : AF_INET6, SOCK_STREAM, 0, `IPv${family} TCP listener`);
  configured(fd, () => {
    setIntOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, 'SO_REUSEADDR');
    if (family === 6) setIntOption(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, 'IPV6_V6ONLY');
    applyCommon(fd, family, options);
    if (options.saveSyn) setIntOption(fd, IPPROTO_TCP, TCP_SAVE_SYN, 1, 'TCP_SAVE_SYN');
    for (const { peer, address, key } of keys) setMd5(fd, address, peer, key);
    bindAddress(fd, local, port);
    check(libc().listen(fd, backlog), `listen(${local.text} port ${port})`);
  });
  const server = net.createServer();
  if (onConnection) server.on('connection', onConnection);
  // From here node:net owns the fd: server.close() closes it.
  server.listen({ fd, backlog });
  if (!server.listening) throw new Error(`node:net did not adopt the listening socket on port ${port}`);
  return new BgpListener(
    server,
    fd,
    family,
    keys.map((k) => k.peer),
  );
}

/**
 * The fd under an accepted net.Socket. node:net has no public accessor; `_handle.fd` is the libuv TCP
 * handle's descriptor, present on Linux for every connected TCP socket (checked here, and by the e2e tests
 * under the pinned Node). Only read, never closed: node:net still owns it.
 */
function socketFd(socket: net.Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    throw new Error('this net.Socket exposes no file descriptor (closed, or not a TCP socket)');
  }
  return fd;
}

function socketFamily(socket: net.Socket): 4 | 6 {
  return socket.remoteFamily === 'IPv6' ? 6 : 4;
}

/**
 * Sets per-peer options on a connection a BgpListener accepted (it inherited the listener's): the TTL it
 * sends, the minimum TTL it accepts from now on, the device it is bound to. Segments already queued were
 * received under the listener's options; `receivedSynTtl` checks the SYN itself.
 */
export function configureAccepted(socket: net.Socket, options: AcceptedOptions): void {
  checkTtl(options.ttl, 'ttl');
  checkTtl(options.minTtl, 'minTtl');
  checkDevice(options.device);
  const fd = socketFd(socket);
  const family = socketFamily(socket);
  if (options.device !== undefined) bindToDevice(fd, options.device);
  if (options.ttl !== undefined) setTtl(fd, family, options.ttl);
  if (options.minTtl !== undefined) setMinTtl(fd, family, options.minTtl);
}

/** The TTL (IPv4) or hop limit (IPv6) in saved IP headers, undefined when they are not an IP header. */
export function ipHeaderTtl(headers: Uint8Array): number | undefined {
  const version = (headers[0] ?? 0) >> 4;
  if (version === 4 && headers.length >= 20) return headers[8];
  if (version === 6 && headers.length >= 40) return headers[7];
  return undefined;
}

/**
 * The TTL / hop limit the peer's SYN arrived with, for a connection accepted by a listener opened with
 * `saveSyn`. The kernel hands the saved headers out once: a second call returns undefined.
 */
export function receivedSynTtl(socket: net.Socket): number | undefined {
  const fd = socketFd(socket);
  const headers = Buffer.alloc(256); // IPv6 + TCP headers with every option fit in far less
  const length = Buffer.alloc(4);
  length.writeUInt32LE(headers.length, 0);
  check(libc().getsockopt(fd, IPPROTO_TCP, TCP_SAVED_SYN, headers, length), 'getsockopt(TCP_SAVED_SYN)');
  const n = length.readUInt32LE(0);
  return n === 0 ? undefined : ipHeaderTtl(headers.subarray(0, Math.min(n, headers.length)));
}

/**
 * This module's BGP sockets as one object, the socket layer @herald/bgp's speaker takes
 * (`new BgpSpeaker({ sockets: bgpSockets })`): it has exactly the shape of @herald/bgp's BgpSockets.
 */
export const bgpSockets = {
  support: nativeSupport,
  connect: connectBgp,
  listen: listenBgp,
  configureAccepted,
  receivedSynTtl,
};
