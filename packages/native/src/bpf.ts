/**
 * Classic BPF socket filters (<linux/filter.h>, <linux/bpf_common.h>): the kernel runs them on every
 * packet before it is queued on the socket, so a packet a filter rejects never wakes the process and
 * counts as a socket drop (the `drops` column of /proc/net/udp). Only the few instructions the programs
 * below need are defined.
 */
import type { BpfInstruction } from './layout.ts';

// Instruction classes, sizes, modes and operations (<linux/bpf_common.h>).
const BPF_LD = 0x00;
const BPF_JMP = 0x05;
const BPF_RET = 0x06;
const BPF_W = 0x00;
const BPF_H = 0x08;
const BPF_B = 0x10;
const BPF_ABS = 0x20;
const BPF_JEQ = 0x10;
const BPF_JGE = 0x30;
const BPF_K = 0x00;

/**
 * SKF_NET_OFF (<linux/filter.h>): an absolute load at SKF_NET_OFF + n reads byte n of the network (IP)
 * header. A UDP socket's filter sees the packet from the UDP header on, so the TTL is only reachable this way.
 */
export const SKF_NET_OFF = -0x100000;

/** Accept the whole packet (a socket filter returns how many bytes to keep). */
const ACCEPT = 0xffffffff;
const DROP = 0;

export const bpf = {
  /** A = u8 at [k] (BPF_LD|BPF_B|BPF_ABS). */
  loadByte: (k: number): BpfInstruction => ({ code: BPF_LD | BPF_B | BPF_ABS, jt: 0, jf: 0, k: k >>> 0 }),
  /** A = u16 at [k], network order (BPF_LD|BPF_H|BPF_ABS). */
  loadHalf: (k: number): BpfInstruction => ({ code: BPF_LD | BPF_H | BPF_ABS, jt: 0, jf: 0, k: k >>> 0 }),
  /** A = u32 at [k], network order (BPF_LD|BPF_W|BPF_ABS). */
  loadWord: (k: number): BpfInstruction => ({ code: BPF_LD | BPF_W | BPF_ABS, jt: 0, jf: 0, k: k >>> 0 }),
  /** pc += (A == k) ? jt : jf, counted from the next instruction. */
  jumpIfEqual: (k: number, jt: number, jf: number): BpfInstruction => ({
    code: BPF_JMP | BPF_JEQ | BPF_K,
    jt,
    jf,
    k,
  }),
  /** pc += (A >= k) ? jt : jf (unsigned). */
  jumpIfAtLeast: (k: number, jt: number, jf: number): BpfInstruction => ({
    code: BPF_JMP | BPF_JGE | BPF_K,
    jt,
    jf,
    k,
  }),
  accept: (): BpfInstruction => ({ code: BPF_RET | BPF_K, jt: 0, jf: 0, k: ACCEPT }),
  drop: (): BpfInstruction => ({ code: BPF_RET | BPF_K, jt: 0, jf: 0, k: DROP }),
} as const;

/**
 * For a UDP (or any IP) socket: keep only packets whose IPv4 TTL / IPv6 hop limit is at least `minimum`.
 * RFC 5881 §5 (BFD single hop) wants exactly 255, i.e. minimum 255; RFC 5082 (GTSM) 255 − hops.
 *   ldb [SKF_NET_OFF + 8]     IPv4 TTL is byte 8 of the header (IPv6 hop limit: byte 7)
 *   jge #minimum, 0, 1
 *   ret #-1
 *   ret #0
 */
export function minimumTtlProgram(family: 4 | 6, minimum: number): BpfInstruction[] {
  if (!Number.isInteger(minimum) || minimum < 1 || minimum > 255) {
    throw new RangeError(`minimum TTL ${minimum} is not 1–255`);
  }
  return [
    bpf.loadByte(SKF_NET_OFF + (family === 4 ? 8 : 7)),
    bpf.jumpIfAtLeast(minimum, 0, 1),
    bpf.accept(),
    bpf.drop(),
  ];
}

/** Keeps nothing: for a send-only socket, so nothing addressed to its port piles up in its receive queue. */
export function dropAllProgram(): BpfInstruction[] {
  return [bpf.drop()];
}

/**
 * For an AF_PACKET socket (offsets from the Ethernet header): keep only IPv6 Neighbor Solicitations (135)
 * and Advertisements (136) with hop limit 255 (RFC 4861 §7.1: anything else did not come from the link),
 * and drop every other IPv6 frame in the kernel, so a busy interface costs the process nothing.
 * Assumes ICMPv6 directly after the fixed IPv6 header, as ND messages are sent.
 *   ldh [12]; jeq #0x86dd      EtherType IPv6
 *   ldb [20]; jeq #58          Next Header ICMPv6
 *   ldb [21]; jeq #255         Hop Limit
 *   ldb [54]; jeq #135 / #136  ICMPv6 type (14 + 40)
 */
export function neighborDiscoveryProgram(): BpfInstruction[] {
  return [
    bpf.loadHalf(12),
    bpf.jumpIfEqual(0x86dd, 0, 8), // → drop
    bpf.loadByte(20),
    bpf.jumpIfEqual(58, 0, 6), // → drop
    bpf.loadByte(21),
    bpf.jumpIfEqual(255, 0, 4), // → drop
    bpf.loadByte(54),
    bpf.jumpIfEqual(135, 1, 0), // → accept
    bpf.jumpIfEqual(136, 0, 1), // → accept : drop
    bpf.accept(),
    bpf.drop(),
  ];
}
