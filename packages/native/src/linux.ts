/**
 * Linux UAPI constants used by this package, with the header each comes from. The values are those of the
 * generic Linux ABI shared by x86-64 and arm64 (the two architectures `nativeSupport()` accepts); a few
 * architectures (alpha, mips, parisc, sparc) number socket options differently, which is one reason the
 * probe refuses them instead of guessing.
 */

// <bits/socket.h>, <linux/socket.h>: address families
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_PACKET = 17;

// <linux/net.h>: socket types and the flags or-ed into the type argument of socket(2)
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_NONBLOCK = 0o4000; // = O_NONBLOCK
export const SOCK_CLOEXEC = 0o2000000; // = O_CLOEXEC

// <asm-generic/socket.h>
export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const SO_BINDTODEVICE = 25;
export const SO_ATTACH_FILTER = 26;

// <linux/in.h>, <linux/in6.h>: protocol levels
export const IPPROTO_IP = 0;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;

// <linux/in.h>: IPv4 options (level IPPROTO_IP)
export const IP_TOS = 1;
export const IP_TTL = 2; // also the cmsg type that carries a received TTL
export const IP_PKTINFO = 8; // also the cmsg type of struct in_pktinfo
export const IP_RECVTTL = 12;
export const IP_MINTTL = 21;

// <linux/in6.h>: IPv6 options (level IPPROTO_IPV6)
export const IPV6_UNICAST_HOPS = 16;
export const IPV6_V6ONLY = 26;
export const IPV6_RECVPKTINFO = 49;
export const IPV6_PKTINFO = 50; // cmsg type of struct in6_pktinfo
export const IPV6_RECVHOPLIMIT = 51;
export const IPV6_HOPLIMIT = 52; // cmsg type that carries a received hop limit
export const IPV6_TCLASS = 67;
export const IPV6_MINHOPCOUNT = 73;

// <linux/tcp.h>
export const TCP_MD5SIG = 14;
export const TCP_SAVE_SYN = 27; // a listener keeps each SYN's IP and TCP headers for its accepted socket
export const TCP_SAVED_SYN = 28; // getsockopt on the accepted socket: those headers (read once)
export const TCP_MD5SIG_MAXKEYLEN = 80;

// <linux/if_packet.h>, <linux/socket.h>
export const SOL_PACKET = 263;
export const PACKET_ADD_MEMBERSHIP = 1;
export const PACKET_DROP_MEMBERSHIP = 2;
export const PACKET_MR_MULTICAST = 0;

/** sll_pkttype values of a received frame (<linux/if_packet.h>). */
export const PACKET_TYPES = ['host', 'broadcast', 'multicast', 'otherhost', 'outgoing'] as const;
export type PacketType = (typeof PACKET_TYPES)[number];

// <linux/if_ether.h>: EtherTypes (sll_protocol, network byte order on the wire and in sockaddr_ll)
export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_IPV6 = 0x86dd;

// <sys/socket.h>: flags of recvmsg(2) / msg_flags
export const MSG_TRUNC = 0x20;
export const MSG_CTRUNC = 0x08;

// <fcntl.h>, <sched.h>: for entering a network namespace with setns(2)
export const O_RDONLY = 0;
export const O_CLOEXEC = 0o2000000;
export const CLONE_NEWNET = 0x40000000;

// <net/if.h>
export const IFNAMSIZ = 16; // including the terminating NUL
