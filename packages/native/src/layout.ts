/**
 * The C structures this package hands to the kernel, as pure encoders and decoders over Buffers (no FFI,
 * no privileges: unit-tested byte for byte). Layouts are those of the Linux LP64 ABI on little-endian
 * x86-64 and arm64 — the only targets `nativeSupport()` accepts. "Host order" below therefore means
 * little-endian; "network order" is big-endian. Sizes and offsets are from the headers named at each
 * structure and were checked with `sizeof`/`offsetof` in C (gcc, glibc 2.36 and Linux UAPI headers, x86-64);
 * arm64 uses the same generic LP64 layouts.
 */
import {
  AF_INET,
  AF_INET6,
  AF_PACKET,
  PACKET_TYPES,
  type PacketType,
  TCP_MD5SIG_MAXKEYLEN,
} from './linux.ts';

/** An IP endpoint in binary form: 4 or 16 address bytes, a port, and an IPv6 scope (interface index). */
export interface BinaryEndpoint {
  address: Uint8Array;
  port: number;
  /** IPv6 only: sin6_scope_id, the interface index of a link-local address (0 = none). */
  scopeId?: number;
}

/**
 * struct sockaddr_in (<linux/in.h>), 16 bytes:
 *   0  u16 sin_family   AF_INET, host order
 *   2  u16 sin_port     network order
 *   4  u8[4] sin_addr   network order
 *   8  u8[8] sin_zero
 */
export const SOCKADDR_IN_SIZE = 16;
/**
 * struct sockaddr_in6 (<linux/in6.h>), 28 bytes:
 *   0  u16 sin6_family   AF_INET6, host order
 *   2  u16 sin6_port     network order
 *   4  u32 sin6_flowinfo network order (always 0 here)
 *   8  u8[16] sin6_addr
 *  24  u32 sin6_scope_id host order (interface index for link-local addresses)
 */
export const SOCKADDR_IN6_SIZE = 28;
/** struct sockaddr_storage: the largest socket address, what recvmsg may write into msg_name. */
export const SOCKADDR_STORAGE_SIZE = 128;

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new RangeError(`port ${port} is not 0–65535`);
}

/** sockaddr_in or sockaddr_in6, chosen by the address length (4 or 16 bytes). */
export function encodeSockaddrIn(endpoint: BinaryEndpoint): Buffer {
  checkPort(endpoint.port);
  if (endpoint.address.length === 4) {
    const out = Buffer.alloc(SOCKADDR_IN_SIZE);
    out.writeUInt16LE(AF_INET, 0);
    out.writeUInt16BE(endpoint.port, 2);
    out.set(endpoint.address, 4);
    return out;
  }
  if (endpoint.address.length !== 16) {
    throw new RangeError(`an IP address has 4 or 16 bytes, not ${endpoint.address.length}`);
  }
  const out = Buffer.alloc(SOCKADDR_IN6_SIZE);
  out.writeUInt16LE(AF_INET6, 0);
  out.writeUInt16BE(endpoint.port, 2);
  out.set(endpoint.address, 8);
  out.writeUInt32LE(endpoint.scopeId ?? 0, 24);
  return out;
}

/** The inverse of encodeSockaddrIn, for what recvmsg wrote into msg_name (`length` = msg_namelen). */
export function decodeSockaddrIn(bytes: Uint8Array, length = bytes.length): BinaryEndpoint {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, length);
  const family = length >= 2 ? view.readUInt16LE(0) : -1;
  if (family === AF_INET && length >= SOCKADDR_IN_SIZE) {
    return { address: Uint8Array.from(view.subarray(4, 8)), port: view.readUInt16BE(2) };
  }
  if (family === AF_INET6 && length >= SOCKADDR_IN6_SIZE) {
    return {
      address: Uint8Array.from(view.subarray(8, 24)),
      port: view.readUInt16BE(2),
      scopeId: view.readUInt32LE(24),
    };
  }
  throw new RangeError(`not a sockaddr_in/sockaddr_in6: family ${family}, ${length} bytes`);
}

/**
 * struct tcp_md5sig (<linux/tcp.h>), 216 bytes, the value of setsockopt(IPPROTO_TCP, TCP_MD5SIG):
 *   0  struct sockaddr_storage tcpm_addr  the peer (a sockaddr_in/in6, port ignored), 128 bytes
 * 128  u8  tcpm_flags      0 (the TCP_MD5SIG_EXT prefix/ifindex flags are not used)
 * 129  u8  tcpm_prefixlen  0 (TCP_MD5SIG_EXT only)
 * 130  u16 tcpm_keylen     host order; 0 deletes the peer's key
 * 132  i32 tcpm_ifindex    0 (TCP_MD5SIG_EXT only)
 * 136  u8[80] tcpm_key
 */
export const TCP_MD5SIG_SIZE = 216;

export function encodeTcpMd5sig(peer: BinaryEndpoint, key: Uint8Array): Buffer {
  if (key.length > TCP_MD5SIG_MAXKEYLEN) {
    throw new RangeError(`a TCP-MD5 key has at most ${TCP_MD5SIG_MAXKEYLEN} bytes, this one ${key.length}`);
  }
  const out = Buffer.alloc(TCP_MD5SIG_SIZE);
  out.set(encodeSockaddrIn({ ...peer, port: 0 }), 0);
  out.writeUInt16LE(key.length, 130);
  out.set(key, 136);
  return out;
}

/**
 * struct sock_filter (<linux/filter.h>), 8 bytes, one classic BPF instruction:
 *   0  u16 code   host order
 *   2  u8  jt     jump offset if true
 *   3  u8  jf     jump offset if false
 *   4  u32 k      host order
 */
export interface BpfInstruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}
export const SOCK_FILTER_SIZE = 8;
/** BPF_MAXINSNS (<linux/bpf_common.h>). */
export const BPF_MAXINSNS = 4096;

export function encodeSockFilters(program: readonly BpfInstruction[]): Buffer {
  if (program.length === 0 || program.length > BPF_MAXINSNS) {
    throw new RangeError(`a BPF program has 1–${BPF_MAXINSNS} instructions, this one ${program.length}`);
  }
  const out = Buffer.alloc(program.length * SOCK_FILTER_SIZE);
  program.forEach((insn, i) => {
    const at = i * SOCK_FILTER_SIZE;
    out.writeUInt16LE(insn.code, at);
    out.writeUInt8(insn.jt, at + 2);
    out.writeUInt8(insn.jf, at + 3);
    out.writeUInt32LE(insn.k >>> 0, at + 4);
  });
  return out;
}

/**
 * struct sock_fprog (<linux/filter.h>), 16 bytes on LP64, the value of setsockopt(SO_ATTACH_FILTER):
 *   0  u16 len                 number of instructions
 *   2  6 bytes padding
 *   8  struct sock_filter *filter  address of the instructions (native memory that outlives the call)
 */
export const SOCK_FPROG_SIZE = 16;

export function encodeSockFprog(instructions: number, filterAddress: bigint): Buffer {
  const out = Buffer.alloc(SOCK_FPROG_SIZE);
  out.writeUInt16LE(instructions, 0);
  out.writeBigUInt64LE(filterAddress, 8);
  return out;
}

/**
 * struct sockaddr_ll (<linux/if_packet.h>), 20 bytes, an AF_PACKET address:
 *   0  u16 sll_family    AF_PACKET, host order
 *   2  u16 sll_protocol  EtherType, network order
 *   4  i32 sll_ifindex   host order
 *   8  u16 sll_hatype    ARPHRD_* (1 = Ethernet), host order; filled in by the kernel on receive
 *  10  u8  sll_pkttype   PACKET_HOST … PACKET_OUTGOING; filled in on receive
 *  11  u8  sll_halen     hardware address length (6 for Ethernet)
 *  12  u8[8] sll_addr    hardware address (the source MAC on receive)
 */
export const SOCKADDR_LL_SIZE = 20;

export interface LinkLayerAddress {
  protocol: number;
  ifindex: number;
  hatype: number;
  pkttype: PacketType;
  address: Uint8Array;
}

/** A sockaddr_ll for bind(2): protocol and interface only. */
export function encodeSockaddrLl(protocol: number, ifindex: number): Buffer {
  const out = Buffer.alloc(SOCKADDR_LL_SIZE);
  out.writeUInt16LE(AF_PACKET, 0);
  out.writeUInt16BE(protocol, 2);
  out.writeInt32LE(ifindex, 4);
  return out;
}

export function decodeSockaddrLl(bytes: Uint8Array, length = bytes.length): LinkLayerAddress {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, length);
  if (length < 12 || view.readUInt16LE(0) !== AF_PACKET) {
    throw new RangeError(`not a sockaddr_ll: ${length} bytes`);
  }
  const pkttype = view.readUInt8(10);
  const halen = Math.min(view.readUInt8(11), 8, Math.max(0, length - 12));
  return {
    protocol: view.readUInt16BE(2),
    ifindex: view.readInt32LE(4),
    hatype: view.readUInt16LE(8),
    pkttype: PACKET_TYPES[pkttype] ?? 'otherhost',
    address: Uint8Array.from(view.subarray(12, 12 + halen)),
  };
}

/**
 * struct packet_mreq (<linux/if_packet.h>), 16 bytes, for PACKET_ADD_MEMBERSHIP / PACKET_DROP_MEMBERSHIP:
 *   0  i32 mr_ifindex
 *   4  u16 mr_type     PACKET_MR_MULTICAST, PACKET_MR_PROMISC, PACKET_MR_ALLMULTI …
 *   6  u16 mr_alen     address length (6)
 *   8  u8[8] mr_address
 */
export const PACKET_MREQ_SIZE = 16;

export function encodePacketMreq(ifindex: number, type: number, address: Uint8Array): Buffer {
  if (address.length > 8)
    throw new RangeError(`a hardware address has at most 8 bytes, not ${address.length}`);
  const out = Buffer.alloc(PACKET_MREQ_SIZE);
  out.writeInt32LE(ifindex, 0);
  out.writeUInt16LE(type, 4);
  out.writeUInt16LE(address.length, 6);
  out.set(address, 8);
  return out;
}

/**
 * The receive arena: one block of native memory per socket holding a struct msghdr, its single struct
 * iovec, the msg_name and msg_control buffers and the data buffer, so recvmsg(2) needs no allocation.
 *
 * struct msghdr (<sys/socket.h>), 56 bytes on LP64:
 *   0  void *msg_name         8  u32 msg_namelen (value-result)   12 padding
 *  16  struct iovec *msg_iov  24  size_t msg_iovlen
 *  32  void *msg_control      40  size_t msg_controllen (value-result)
 *  48  i32 msg_flags (result: MSG_TRUNC, MSG_CTRUNC)               52 padding
 * struct iovec (<sys/uio.h>), 16 bytes: 0 void *iov_base, 8 size_t iov_len.
 */
export const MSGHDR_SIZE = 56;
export const IOVEC_SIZE = 16;
/** Room for the control messages this package asks for (pktinfo + TTL/hop limit) with ample slack. */
export const CONTROL_SIZE = 256;

export interface ArenaLayout {
  msghdr: number;
  iovec: number;
  name: number;
  control: number;
  data: number;
  dataSize: number;
  size: number;
}

export function arenaLayout(dataSize: number): ArenaLayout {
  const msghdr = 0;
  const iovec = msghdr + MSGHDR_SIZE;
  const name = iovec + IOVEC_SIZE;
  const control = name + SOCKADDR_STORAGE_SIZE;
  const data = control + CONTROL_SIZE;
  return { msghdr, iovec, name, control, data, dataSize, size: data + dataSize };
}

/**
 * Writes msghdr and iovec into the arena whose first byte is at native address `base`. The pointers never
 * change, so this runs once per socket; resetRecvMsghdr runs before every recvmsg.
 */
export function writeRecvMsghdr(arena: Buffer, base: bigint, layout: ArenaLayout): void {
  const at = (offset: number) => base + BigInt(offset);
  arena.writeBigUInt64LE(at(layout.name), layout.msghdr + 0);
  arena.writeBigUInt64LE(at(layout.iovec), layout.msghdr + 16);
  arena.writeBigUInt64LE(1n, layout.msghdr + 24);
  arena.writeBigUInt64LE(at(layout.control), layout.msghdr + 32);
  arena.writeBigUInt64LE(at(layout.data), layout.iovec + 0);
  arena.writeBigUInt64LE(BigInt(layout.dataSize), layout.iovec + 8);
  resetRecvMsghdr(arena, layout);
}

/**
 * Resets the value-result fields the kernel overwrites (msg_namelen, msg_controllen, msg_flags). The
 * 64-bit msg_controllen is written as two 32-bit halves: no BigInt on the per-packet path.
 */
export function resetRecvMsghdr(arena: Buffer, layout: ArenaLayout): void {
  arena.writeUInt32LE(SOCKADDR_STORAGE_SIZE, layout.msghdr + 8);
  arena.writeUInt32LE(CONTROL_SIZE, layout.msghdr + 40);
  arena.writeUInt32LE(0, layout.msghdr + 44);
  arena.writeInt32LE(0, layout.msghdr + 48);
}

/** What recvmsg left in msghdr: the lengths it wrote (never above what was offered) and msg_flags. */
export function readRecvMsghdr(
  arena: Buffer,
  layout: ArenaLayout,
): { nameLength: number; controlLength: number; flags: number } {
  return {
    nameLength: arena.readUInt32LE(layout.msghdr + 8),
    controlLength: arena.readUInt32LE(layout.msghdr + 40),
    flags: arena.readInt32LE(layout.msghdr + 48),
  };
}

/**
 * Control messages (<sys/socket.h>, CMSG_* macros): a sequence of
 *   0  size_t cmsg_len   header + data, not padded
 *   8  i32 cmsg_level
 *  12  i32 cmsg_type
 *  16  data …
 * each starting at the previous one's offset + CMSG_ALIGN(cmsg_len), CMSG_ALIGN rounding up to 8 bytes.
 */
export const CMSGHDR_SIZE = 16;

export interface ControlMessage {
  level: number;
  type: number;
  data: Buffer;
}

export function encodeControlMessages(messages: readonly ControlMessage[]): Buffer {
  const align = (n: number) => (n + 7) & ~7;
  const out = Buffer.alloc(messages.reduce((sum, m) => sum + align(CMSGHDR_SIZE + m.data.length), 0));
  let at = 0;
  for (const m of messages) {
    out.writeBigUInt64LE(BigInt(CMSGHDR_SIZE + m.data.length), at);
    out.writeInt32LE(m.level, at + 8);
    out.writeInt32LE(m.type, at + 12);
    m.data.copy(out, at + CMSGHDR_SIZE);
    at += align(CMSGHDR_SIZE + m.data.length);
  }
  return out;
}

/** Parses `length` bytes of msg_control; stops at a malformed header rather than reading past it. */
export function parseControlMessages(control: Buffer, length: number): ControlMessage[] {
  const messages: ControlMessage[] = [];
  let at = 0;
  while (at + CMSGHDR_SIZE <= length) {
    const cmsgLen = Number(control.readBigUInt64LE(at));
    if (cmsgLen < CMSGHDR_SIZE || at + cmsgLen > length) break;
    messages.push({
      level: control.readInt32LE(at + 8),
      type: control.readInt32LE(at + 12),
      data: Buffer.from(control.subarray(at + CMSGHDR_SIZE, at + cmsgLen)),
    });
    at += (cmsgLen + 7) & ~7;
  }
  return messages;
}

/**
 * struct in_pktinfo (<linux/in.h>), 12 bytes, cmsg IPPROTO_IP/IP_PKTINFO:
 *   0  i32 ipi_ifindex   interface the datagram arrived on
 *   4  u8[4] ipi_spec_dst local address (routing)
 *   8  u8[4] ipi_addr     destination address in the IP header
 * struct in6_pktinfo (<linux/ipv6.h>), 20 bytes, cmsg IPPROTO_IPV6/IPV6_PKTINFO:
 *   0  u8[16] ipi6_addr   destination address
 *  16  i32 ipi6_ifindex
 */
export interface PacketInfo {
  ifindex: number;
  destination: Uint8Array;
}

export function decodeInPktinfo(data: Buffer): PacketInfo {
  if (data.length < 12) throw new RangeError(`in_pktinfo has 12 bytes, got ${data.length}`);
  return { ifindex: data.readInt32LE(0), destination: Uint8Array.from(data.subarray(8, 12)) };
}

export function decodeIn6Pktinfo(data: Buffer): PacketInfo {
  if (data.length < 20) throw new RangeError(`in6_pktinfo has 20 bytes, got ${data.length}`);
  return { ifindex: data.readInt32LE(16), destination: Uint8Array.from(data.subarray(0, 16)) };
}

/** An int option value (setsockopt with an `int`), 4 bytes host order. */
export function encodeInt(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeInt32LE(value, 0);
  return out;
}
