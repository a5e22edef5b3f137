/**
 * UDP sockets for BFD (RFC 5880/5881/5883): a chosen TTL / hop limit on every datagram sent, and a minimum
 * TTL on receive enforced in the kernel, plus the arrival interface, destination address and TTL of every
 * datagram received.
 *
 * Receive TTL: IP_MINTTL / IPV6_MINHOPCOUNT do not apply to UDP (Linux checks them in TCP only; a UDP
 * socket with IP_MINTTL 255 still receives TTL-64 datagrams). The choice here is a classic BPF socket
 * filter reading the TTL from the IP header (SKF_NET_OFF): the kernel drops a wrong-TTL datagram before
 * it is queued, so a flood of spoofed off-link packets never wakes the process, and the drop is counted in
 * the socket's `drops` (/proc/net/udp). It is attached before bind(2), so not one datagram is ever queued
 * unfiltered. The TTL of each accepted datagram is still reported (IP_RECVTTL / IPV6_RECVHOPLIMIT) so a
 * caller can see what arrived; IP_PKTINFO / IPV6_RECVPKTINFO give the interface, which RFC 5881 single-hop
 * sessions are bound to.
 *
 * node:dgram is not used: it cannot attach a filter and exposes its fd only through a deprecated internal
 * (DEP0112), so I/O is native too (sendto, recvmsg on a uv_poll-watched non-blocking fd; see receiver.ts).
 * Works in a worker_thread as well (each thread loads its own libc binding), for timers that must not
 * wait behind the main thread's garbage collection.
 */
import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { constants } from 'node:os';
import { dropAllProgram, minimumTtlProgram } from './bpf.ts';
import { NativeSocketError } from './errors.ts';
import {
  decodeIn6Pktinfo,
  decodeInPktinfo,
  decodeSockaddrIn,
  encodeSockaddrIn,
  type PacketInfo,
} from './layout.ts';
import { check, formatAddress, libc, parseAddress } from './libc.ts';
import {
  AF_INET,
  AF_INET6,
  IP_PKTINFO,
  IP_RECVTTL,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_HOPLIMIT,
  IPV6_PKTINFO,
  IPV6_RECVHOPLIMIT,
  IPV6_RECVPKTINFO,
  IPV6_V6ONLY,
  SOCK_DGRAM,
} from './linux.ts';
import {
  attachFilter,
  bindAddress,
  bindToDevice,
  checkDevice,
  checkPort,
  checkTrafficClass,
  checkTtl,
  configured,
  type LocalAddress,
  localAddress,
  openSocket,
  setIntOption,
  setTrafficClass,
  setTtl,
} from './options.ts';
import { SocketHandle } from './receiver.ts';

/** An inclusive port range; bind picks a free port in it, starting at a random one. */
export interface PortRange {
  from: number;
  to: number;
}

export interface UdpSocketOptions {
  family: 4 | 6;
  /** Local address to bind (default: any). */
  local?: string;
  /** A fixed port (3784 single-hop BFD, 4784 multihop) or a range (49152–65535 for BFD source ports). */
  port: number | PortRange;
  /** SO_BINDTODEVICE: only this interface or VRF device (no capability needed since Linux 5.7). */
  device?: string;
  /** TTL / hop limit of every datagram sent (BFD: 255). */
  ttl?: number;
  /**
   * IPv4 TOS / IPv6 Traffic Class of every datagram sent (0–255; DSCP is the upper six bits). BFD control
   * packets go out as CS6 (0xc0), network control, like FRR's and BIRD's, so QoS queues treat them alike.
   */
  trafficClass?: number;
  /** Datagrams with a lower TTL / hop limit are dropped in the kernel (BFD single hop: 255). */
  minReceiveTtl?: number;
  /** false: a send-only socket; a drop-all filter keeps its receive queue empty. Default true. */
  receive?: boolean;
}

export interface UdpMessageInfo {
  /** The sender; a link-local IPv6 source carries its interface index as zone (`fe80::1%3`). */
  address: string;
  port: number;
  family: 4 | 6;
  /** TTL / hop limit the datagram arrived with. */
  ttl: number | undefined;
  /** Interface it arrived on, and the destination address it was sent to. */
  ifindex: number | undefined;
  localAddress: string | undefined;
  truncated: boolean;
}

/** Largest UDP payload; the receive buffer holds any datagram whole. */
const MAX_DATAGRAM = 65535;

const { EADDRINUSE } = constants.errno;

interface UdpEvents {
  message: [data: Buffer, info: UdpMessageInfo];
  error: [err: Error];
}

export class UdpSocket extends EventEmitter<UdpEvents> {
  readonly family: 4 | 6;
  readonly localPort: number;
  readonly #handle: SocketHandle;
  /** The last destination's sockaddr: a BFD session sends to one peer, so this saves a parse per packet. */
  #lastTo: { address: string; port: number; sockaddr: Buffer } | undefined;

  constructor(fd: number, family: 4 | 6, localPort: number, receive: boolean) {
    super();
    this.#handle = new SocketHandle(fd, `IPv${family} UDP socket on port ${localPort}`);
    this.family = family;
    this.localPort = localPort;
    if (!receive) return;
    this.#handle.receive(
      MAX_DATAGRAM,
      (packet) => {
        const from = decodeSockaddrIn(packet.name);
        let ttl: number | undefined;
        let info: PacketInfo | undefined;
        for (const m of packet.control) {
          if (m.level === IPPROTO_IP && m.type === IP_TTL) ttl = m.data.readInt32LE(0);
          else if (m.level === IPPROTO_IPV6 && m.type === IPV6_HOPLIMIT) ttl = m.data.readInt32LE(0);
          else if (m.level === IPPROTO_IP && m.type === IP_PKTINFO) info = decodeInPktinfo(m.data);
          else if (m.level === IPPROTO_IPV6 && m.type === IPV6_PKTINFO) info = decodeIn6Pktinfo(m.data);
        }
        this.emit('message', packet.data, {
          address: formatAddress(from.address, from.scopeId),
          port: from.port,
          family,
          ttl,
          ifindex: info?.ifindex,
          localAddress: info ? formatAddress(info.destination) : undefined,
          truncated: packet.truncated,
        });
      },
      (err) => this.emit('error', err),
    );
  }

  /** sendto(2), non-blocking. Throws NativeSocketError (e.g. ENETUNREACH, EAGAIN when the send buffer is full). */
  send(data: Uint8Array, address: string, port: number): void {
    const fd = this.#handle.fd();
    let to = this.#lastTo;
    if (to?.address !== address || to.port !== port) {
      checkPort(port, 'port');
      const parsed = parseAddress(address, 'destination');
      if (parsed.family !== this.family)
        throw new TypeError(`destination '${address}' is not an IPv${this.family} address`);
      to = {
        address,
        port,
        sockaddr: encodeSockaddrIn({ address: parsed.bytes, port, scopeId: parsed.scopeId }),
      };
      this.#lastTo = to;
    }
    check(
      libc().sendto(fd, data, data.length, 0, to.sockaddr, to.sockaddr.length),
      `sendto(${address} port ${port})`,
    );
  }

  /** Stops receiving and closes the socket. Idempotent. */
  close(): void {
    this.#handle.close();
  }
}

function checkRange(port: number | PortRange): PortRange {
  if (typeof port === 'number') {
    checkPort(port, 'port');
    return { from: port, to: port };
  }
  checkPort(port.from, 'port.from');
  checkPort(port.to, 'port.to');
  if (port.from < 1 || port.from > port.to)
    throw new RangeError(`port range ${port.from}–${port.to} is empty`);
  return port;
}

/** Binds to a free port of the range: a random start, then upwards with wrap-around, skipping EADDRINUSE. */
function bindInRange(fd: number, local: LocalAddress, range: PortRange): number {
  const size = range.to - range.from + 1;
  const start = size === 1 ? 0 : randomInt(size);
  for (let i = 0; i < size; i++) {
    const port = range.from + ((start + i) % size);
    try {
      bindAddress(fd, local, port);
      return port;
    } catch (err) {
      if (!(err instanceof NativeSocketError) || err.errno !== EADDRINUSE || size === 1) throw err;
    }
  }
  throw new NativeSocketError(`bind(${local.text} to any port ${range.from}–${range.to})`, EADDRINUSE);
}

/** Opens, filters, configures and binds a UDP socket, then starts receiving unless `receive` is false. */
export function openUdpSocket(options: UdpSocketOptions): UdpSocket {
  const family = options.family;
  if (family !== 4 && family !== 6) throw new TypeError(`family ${String(family)} is not 4 or 6`);
  checkTtl(options.ttl, 'ttl');
  checkTtl(options.minReceiveTtl, 'minReceiveTtl');
  checkTrafficClass(options.trafficClass);
  checkDevice(options.device);
  const range = checkRange(options.port);
  const local = localAddress(family, options.local);
  const receive = options.receive ?? true;
  const fd = openSocket(family === 4 ? AF_INET : AF_INET6, SOCK_DGRAM, 0, `IPv${family} UDP`);
  const port = configured(fd, () => {
    // The filter comes first: a datagram that arrives between bind and a later attach would bypass it.
    if (!receive) attachFilter(fd, dropAllProgram(), 'drop all (send-only)');
    else if (options.minReceiveTtl !== undefined) {
      attachFilter(fd, minimumTtlProgram(family, options.minReceiveTtl), `TTL >= ${options.minReceiveTtl}`);
    }
    if (family === 6) setIntOption(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, 'IPV6_V6ONLY');
    if (options.device !== undefined) bindToDevice(fd, options.device);
    if (options.ttl !== undefined) setTtl(fd, family, options.ttl);
    if (options.trafficClass !== undefined) setTrafficClass(fd, family, options.trafficClass);
    if (receive && family === 4) {
      setIntOption(fd, IPPROTO_IP, IP_RECVTTL, 1, 'IP_RECVTTL');
      setIntOption(fd, IPPROTO_IP, IP_PKTINFO, 1, 'IP_PKTINFO');
    } else if (receive) {
      setIntOption(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, 'IPV6_RECVHOPLIMIT');
      setIntOption(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, 'IPV6_RECVPKTINFO');
    }
    return bindInRange(fd, local, range);
  });
  try {
    return new UdpSocket(fd, family, port, receive);
  } catch (err) {
    libc().close(fd);
    throw err;
  }
}
