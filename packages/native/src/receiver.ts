/**
 * The receive loop shared by UDP and AF_PACKET sockets: the fd is non-blocking and watched by libuv
 * (uv_poll through koffi) on the thread that opened it; when it is readable, recvmsg(2) drains it into a
 * preallocated native arena (no allocation per call), and each packet is handed over as its own copy.
 *
 * Why not a blocking read: a blocking recv on the event-loop thread stalls everything until a packet
 * arrives, and a blocking read through fs.read or a koffi async call parks one libuv threadpool thread per
 * socket for as long as the link is quiet (the pool has 4 by default, shared with fs, dns.lookup, zlib and
 * crypto), so a few idle sockets stall file reads and name lookups. uv_poll holds no thread at all.
 */
import { constants } from 'node:os';
import { NativeSocketError } from './errors.ts';
import {
  arenaLayout,
  type ControlMessage,
  parseControlMessages,
  readRecvMsghdr,
  resetRecvMsghdr,
  writeRecvMsghdr,
} from './layout.ts';
import { allocate, libc, type NativeBlock, type PollHandle, pollReadable } from './libc.ts';
import { MSG_CTRUNC, MSG_TRUNC } from './linux.ts';

const { EAGAIN, EINTR } = constants.errno;

/** Packets read per readiness callback; the rest wait for the next loop turn so a flood cannot starve timers. */
export const MAX_PACKETS_PER_WAKEUP = 64;

export interface ReceivedPacket {
  data: Buffer;
  /** msg_name: the sender's sockaddr (sockaddr_in/in6 or sockaddr_ll). */
  name: Buffer;
  control: ControlMessage[];
  /** The packet was larger than the buffer (MSG_TRUNC) or control messages did not fit (MSG_CTRUNC). */
  truncated: boolean;
}

export class Receiver {
  readonly #fd: number;
  readonly #label: string;
  #arena: NativeBlock | undefined;
  #poll: PollHandle | undefined;
  readonly #layout;

  constructor(
    fd: number,
    dataSize: number,
    label: string,
    onPacket: (packet: ReceivedPacket) => void,
    onError: (err: NativeSocketError) => void,
  ) {
    this.#fd = fd;
    this.#label = label;
    this.#layout = arenaLayout(dataSize);
    this.#arena = allocate(this.#layout.size);
    writeRecvMsghdr(this.#arena.view, this.#arena.address, this.#layout);
    this.#poll = pollReadable(fd, () => {
      for (let i = 0; i < MAX_PACKETS_PER_WAKEUP && this.#arena; i++) {
        let packet: ReceivedPacket | undefined;
        try {
          packet = this.#receive();
        } catch (err) {
          onError(err as NativeSocketError);
          return;
        }
        if (!packet) return;
        onPacket(packet);
      }
    });
  }

  /** One recvmsg; undefined when nothing is queued (EAGAIN). */
  #receive(): ReceivedPacket | undefined {
    const arena = this.#arena!;
    const layout = this.#layout;
    const c = libc();
    resetRecvMsghdr(arena.view, layout);
    const length = c.recvmsg(this.#fd, arena.pointer, 0);
    if (length < 0) {
      const errno = c.koffi.errno();
      if (errno === EAGAIN || errno === EINTR) return undefined; // EWOULDBLOCK is EAGAIN on Linux
      throw new NativeSocketError(`recvmsg(${this.#label})`, errno);
    }
    const header = readRecvMsghdr(arena.view, layout);
    const view = arena.view;
    return {
      data: Buffer.from(view.subarray(layout.data, layout.data + Math.min(length, layout.dataSize))),
      name: Buffer.from(view.subarray(layout.name, layout.name + header.nameLength)),
      control:
        header.controlLength === 0
          ? []
          : parseControlMessages(view.subarray(layout.control), header.controlLength),
      truncated: (header.flags & (MSG_TRUNC | MSG_CTRUNC)) !== 0,
    };
  }

  /** Stops polling and frees the arena; the caller closes the fd afterwards. Idempotent. */
  close(): void {
    this.#poll?.close();
    this.#poll = undefined;
    this.#arena?.free();
    this.#arena = undefined;
  }
}

/**
 * A non-blocking socket this package owns, with its optional receive loop. `fd()` refuses once closed, so
 * a closed socket's fd number (which the kernel may already have given to another socket) is never used.
 */
export class SocketHandle {
  #fd: number | undefined;
  #receiver: Receiver | undefined;
  /** e.g. 'UDP socket on port 3784', for messages. */
  readonly what: string;

  constructor(fd: number, what: string) {
    this.#fd = fd;
    this.what = what;
  }

  fd(): number {
    if (this.#fd === undefined) throw new Error(`the ${this.what} is closed`);
    return this.#fd;
  }

  receive(
    dataSize: number,
    onPacket: (packet: ReceivedPacket) => void,
    onError: (err: NativeSocketError) => void,
  ): void {
    this.#receiver = new Receiver(this.fd(), dataSize, this.what, onPacket, onError);
  }

  /** Stops receiving, frees the arena, closes the fd. Idempotent. */
  close(): void {
    if (this.#fd === undefined) return;
    this.#receiver?.close();
    this.#receiver = undefined;
    libc().close(this.#fd);
    this.#fd = undefined;
  }
}
