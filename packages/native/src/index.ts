/**
 * @herald/native — the native socket layer (a leaf: depends on nothing of ours, only on koffi). Socket
 * options node:net and node:dgram cannot set, through libc: TCP-MD5, GTSM and device binding for BGP
 * (bgp.ts), TTL-secured UDP for BFD (udp.ts), AF_PACKET for ARP and NDP (packet.ts). Call
 * `nativeSupport()` before relying on any of it: where koffi or glibc cannot load, every function throws
 * "native socket support is unavailable: <reason>" and the probe reports the same reason.
 */
export {
  type AcceptedOptions,
  BgpListener,
  type BgpListenerOptions,
  type BgpSocketOptions,
  bgpSockets,
  configureAccepted,
  connectBgp,
  ipHeaderTtl,
  listenBgp,
  type Md5Key,
  openBgpSocket,
  receivedSynTtl,
} from './bgp.ts';
export { bpf, dropAllProgram, minimumTtlProgram, neighborDiscoveryProgram, SKF_NET_OFF } from './bpf.ts';
export { NativeSocketError, NativeUnavailableError } from './errors.ts';
export type { BpfInstruction } from './layout.ts';
export { closeFd, type NativeSupport, nativeSupport } from './libc.ts';
export { ETH_P_ARP, ETH_P_IPV6, type PacketType } from './linux.ts';
export { inNetworkNamespace } from './netns.ts';
export { type FrameInfo, openPacketSocket, PacketSocket, type PacketSocketOptions } from './packet.ts';
export {
  openUdpSocket,
  type PortRange,
  type UdpMessageInfo,
  UdpSocket,
  type UdpSocketOptions,
} from './udp.ts';
