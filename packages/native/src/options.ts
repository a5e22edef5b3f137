/**
 * Socket creation and the options every socket kind here shares (TTL, minimum TTL, device binding, BPF
 * filters, bind), each a single setsockopt with the option named in its error. Input is validated before
 * any system call so a bad value says which option is wrong instead of surfacing as EINVAL.
 */
import type { BpfInstruction } from './layout.ts';
import {
  encodeInt,
  encodeSockaddrIn,
  encodeSockFilters,
  encodeSockFprog,
  SOCK_FPROG_SIZE,
} from './layout.ts';
import { allocate, check, libc, type ParsedAddress, parseAddress } from './libc.ts';
import {
  IFNAMSIZ,
  IP_MINTTL,
  IP_TOS,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_MINHOPCOUNT,
  IPV6_TCLASS,
  IPV6_UNICAST_HOPS,
  SO_ATTACH_FILTER,
  SO_BINDTODEVICE,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOL_SOCKET,
} from './linux.ts';

/** Throws RangeError unless `value` is undefined or an integer 1–255 (a TTL or hop limit). */
export function checkTtl(value: number | undefined, what: string): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 1 || value > 255) {
    throw new RangeError(`${what} ${value} is not an integer 1–255`);
  }
}

/** Throws unless `device` is undefined or a possible interface name (1–15 bytes, no '/', no NUL). */
/** Throws RangeError unless `value` is undefined or an integer 0–255 (a TOS / Traffic Class byte). */
export function checkTrafficClass(value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 0 || value > 255) {
    throw new RangeError(`trafficClass ${value} is not an integer 0–255`);
  }
}

export function checkDevice(device: string | undefined): void {
  if (device === undefined) return;
  const bytes = Buffer.byteLength(device);
  if (bytes === 0 || bytes >= IFNAMSIZ || /[/\s\0]/.test(device)) {
    throw new TypeError(
      `device '${device}' is not an interface name (1–${IFNAMSIZ - 1} bytes, no '/' or spaces)`,
    );
  }
}

export function checkPort(value: number | undefined, what: string): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new RangeError(`${what} ${value} is not an integer 0–65535`);
  }
}

/** socket(2) with SOCK_NONBLOCK | SOCK_CLOEXEC: never blocks the event loop, never leaks into children. */
export function openSocket(domain: number, type: number, protocol: number, label: string): number {
  return check(libc().socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol), `socket(${label})`);
}

/** Runs `configure(fd)`; closes the fd if it throws, so a half-configured socket never leaks. */
export function configured<T>(fd: number, configure: (fd: number) => T): T {
  try {
    return configure(fd);
  } catch (err) {
    libc().close(fd);
    throw err;
  }
}

export function setIntOption(fd: number, level: number, name: number, value: number, label: string): void {
  check(libc().setsockopt(fd, level, name, encodeInt(value), 4), `setsockopt(${label} ${value})`);
}

/**
 * SO_BINDTODEVICE: the socket only sends and receives through this interface or VRF. Since Linux 5.7 an
 * unprivileged process may bind a socket that is not yet bound to a device (only changing a binding, and
 * older kernels, need CAP_NET_RAW); sockets here are bound once, right after socket(2).
 */
export function bindToDevice(fd: number, device: string): void {
  const name = Buffer.alloc(IFNAMSIZ);
  name.write(device, 'utf8');
  check(
    libc().setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, IFNAMSIZ),
    `setsockopt(SO_BINDTODEVICE "${device}")`,
  );
}

/** The TTL (IPv4) or hop limit (IPv6) of every unicast packet sent. */
export function setTtl(fd: number, family: 4 | 6, ttl: number): void {
  if (family === 4) setIntOption(fd, IPPROTO_IP, IP_TTL, ttl, 'IP_TTL');
  else setIntOption(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl, 'IPV6_UNICAST_HOPS');
}

/** IPv4 TOS / IPv6 Traffic Class of every packet sent: DSCP in the upper six bits (CS6 = 0xc0). */
export function setTrafficClass(fd: number, family: 4 | 6, value: number): void {
  if (family === 4) setIntOption(fd, IPPROTO_IP, IP_TOS, value, 'IP_TOS');
  else setIntOption(fd, IPPROTO_IPV6, IPV6_TCLASS, value, 'IPV6_TCLASS');
}

/** TCP (and raw IP) only: drop received packets whose TTL / hop limit is below `minTtl` (GTSM, RFC 5082). */
export function setMinTtl(fd: number, family: 4 | 6, minTtl: number): void {
  if (family === 4) setIntOption(fd, IPPROTO_IP, IP_MINTTL, minTtl, 'IP_MINTTL');
  else setIntOption(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, minTtl, 'IPV6_MINHOPCOUNT');
}

/** SO_ATTACH_FILTER. The kernel copies the program, so the native copy is freed right after the call. */
export function attachFilter(fd: number, program: readonly BpfInstruction[], label: string): void {
  const instructions = encodeSockFilters(program);
  const block = allocate(instructions.length);
  try {
    instructions.copy(block.view);
    check(
      libc().setsockopt(
        fd,
        SOL_SOCKET,
        SO_ATTACH_FILTER,
        encodeSockFprog(program.length, block.address),
        SOCK_FPROG_SIZE,
      ),
      `setsockopt(SO_ATTACH_FILTER ${label})`,
    );
  } finally {
    block.free();
  }
}

/** A local address to bind: parsed, with its text for messages. */
export interface LocalAddress {
  address: ParsedAddress;
  text: string;
}

/** `text` parsed and checked against the socket's family, or the family's wildcard (0.0.0.0 / ::). */
export function localAddress(family: 4 | 6, text: string | undefined): LocalAddress {
  if (text === undefined) {
    const bytes = new Uint8Array(family === 4 ? 4 : 16);
    return { address: { family, bytes, scopeId: 0 }, text: family === 4 ? '0.0.0.0' : '::' };
  }
  const address = parseAddress(text, 'local');
  if (address.family !== family) throw new TypeError(`local '${text}' is not an IPv${family} address`);
  return { address, text };
}

export function bindAddress(fd: number, local: LocalAddress, port: number): void {
  const { address, text } = local;
  const sockaddr = encodeSockaddrIn({ address: address.bytes, port, scopeId: address.scopeId });
  check(
    libc().bind(fd, sockaddr, sockaddr.length),
    `bind(${address.family === 6 ? `[${text}]` : text}:${port})`,
  );
}
