/**
 * AF_PACKET sockets bound to one interface: whole Ethernet frames in and out, for answering ARP (IPv4) and
 * Neighbor Discovery (IPv6) without adding the address to the interface. Needs CAP_NET_RAW.
 *
 * The socket is created with protocol 0, which receives nothing; the optional BPF filter is attached, and
 * only then does bind(2) with the EtherType start delivery — so no frame is ever queued unfiltered and no
 * frame from another interface slips in between socket(2) and bind(2). Receiving is the shared uv_poll
 * loop (receiver.ts): no thread is held while the link is quiet.
 */
import { EventEmitter } from 'node:events';
import type { BpfInstruction } from './layout.ts';
import {
  decodeSockaddrLl,
  encodePacketMreq,
  encodeSockaddrLl,
  type LinkLayerAddress,
  SOCKADDR_LL_SIZE,
} from './layout.ts';
import { check, interfaceIndex, libc } from './libc.ts';
import {
  AF_PACKET,
  PACKET_ADD_MEMBERSHIP,
  PACKET_DROP_MEMBERSHIP,
  PACKET_MR_MULTICAST,
  type PacketType,
  SOCK_RAW,
  SOL_PACKET,
} from './linux.ts';
import { attachFilter, checkDevice, configured, openSocket } from './options.ts';
import { SocketHandle } from './receiver.ts';

export interface PacketSocketOptions {
  /** The interface (e.g. 'eth0'). */
  device: string;
  /** EtherType to receive: 0x0806 ARP (ETH_P_ARP), 0x86dd IPv6 (ETH_P_IPV6). */
  protocol: number;
  /** A classic BPF program over the frame (offsets from the Ethernet header), e.g. neighborDiscoveryProgram(). */
  filter?: readonly BpfInstruction[];
}

export interface FrameInfo {
  /** Who the frame was for: 'host', 'broadcast', 'multicast', 'otherhost', or 'outgoing'. */
  pkttype: PacketType;
  /** The sender's hardware address (source MAC). */
  source: Uint8Array;
  protocol: number;
  ifindex: number;
  truncated: boolean;
}

/** Largest frame kept whole: a 9000-byte jumbo payload plus headers fits with room to spare. */
const MAX_FRAME = 16384;

interface PacketEvents {
  frame: [frame: Buffer, info: FrameInfo];
  error: [err: Error];
}

export class PacketSocket extends EventEmitter<PacketEvents> {
  readonly device: string;
  readonly ifindex: number;
  readonly protocol: number;
  readonly #handle: SocketHandle;

  constructor(fd: number, device: string, ifindex: number, protocol: number) {
    super();
    this.#handle = new SocketHandle(fd, `AF_PACKET socket on ${device}`);
    this.device = device;
    this.ifindex = ifindex;
    this.protocol = protocol;
    this.#handle.receive(
      MAX_FRAME,
      (packet) => {
        const from: LinkLayerAddress = decodeSockaddrLl(packet.name);
        this.emit('frame', packet.data, {
          pkttype: from.pkttype,
          source: from.address,
          protocol: from.protocol,
          ifindex: from.ifindex,
          truncated: packet.truncated,
        });
      },
      (err) => this.emit('error', err),
    );
  }

  /**
   * The interface's hardware type (ARPHRD_*, 1 = Ethernet) and address (its MAC), as the kernel reports
   * them for the bound socket (getsockname(2) fills sll_hatype, sll_halen and sll_addr from the device).
   * Read afresh on every call: an interface's MAC can be changed while the socket is open.
   */
  linkLayerAddress(): { hatype: number; address: Uint8Array } {
    const name = Buffer.alloc(SOCKADDR_LL_SIZE);
    const length = Buffer.alloc(4);
    length.writeUInt32LE(name.length);
    check(libc().getsockname(this.#handle.fd(), name, length), `getsockname(AF_PACKET ${this.device})`);
    const address = decodeSockaddrLl(name, Math.min(length.readUInt32LE(), name.length));
    return { hatype: address.hatype, address: address.address };
  }

  /** Sends one whole frame (Ethernet header included) on the interface. Non-blocking; throws NativeSocketError. */
  send(frame: Uint8Array): void {
    check(
      libc().send(this.#handle.fd(), frame, frame.length, 0),
      `send(AF_PACKET ${this.device}, ${frame.length} bytes)`,
    );
  }

  /**
   * Makes the interface accept frames for a multicast MAC (PACKET_ADD_MEMBERSHIP), e.g. the solicited-node
   * group 33:33:ff:xx:xx:xx of an IPv6 address answered here, which a real NIC would otherwise filter out.
   * The membership ends with dropMulticast or when the socket closes.
   */
  joinMulticast(mac: Uint8Array): void {
    this.#membership(PACKET_ADD_MEMBERSHIP, mac, 'PACKET_ADD_MEMBERSHIP');
  }

  dropMulticast(mac: Uint8Array): void {
    this.#membership(PACKET_DROP_MEMBERSHIP, mac, 'PACKET_DROP_MEMBERSHIP');
  }

  #membership(option: number, mac: Uint8Array, label: string): void {
    if (mac.length !== 6 || (mac[0]! & 1) === 0)
      throw new TypeError('a multicast MAC has 6 bytes and the group bit set');
    const mreq = encodePacketMreq(this.ifindex, PACKET_MR_MULTICAST, mac);
    const text = [...mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
    check(
      libc().setsockopt(this.#handle.fd(), SOL_PACKET, option, mreq, mreq.length),
      `setsockopt(${label} ${text} on ${this.device})`,
    );
  }

  /** Stops receiving and closes the socket. Idempotent. */
  close(): void {
    this.#handle.close();
  }
}

export function openPacketSocket(options: PacketSocketOptions): PacketSocket {
  checkDevice(options.device);
  if (!Number.isInteger(options.protocol) || options.protocol < 1 || options.protocol > 0xffff) {
    throw new RangeError(`protocol ${options.protocol} is not an EtherType (1–0xffff)`);
  }
  const ifindex = interfaceIndex(options.device);
  const fd = openSocket(AF_PACKET, SOCK_RAW, 0, `AF_PACKET on ${options.device}`);
  configured(fd, () => {
    if (options.filter) attachFilter(fd, options.filter, `on ${options.device}`);
    const address = encodeSockaddrLl(options.protocol, ifindex);
    check(
      libc().bind(fd, address, address.length),
      `bind(AF_PACKET ${options.device} protocol 0x${options.protocol.toString(16).padStart(4, '0')})`,
    );
  });
  try {
    return new PacketSocket(fd, options.device, ifindex, options.protocol);
  } catch (err) {
    libc().close(fd);
    throw err;
  }
}
