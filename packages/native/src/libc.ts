/**
 * The one place that talks to libc: loads koffi (an FFI with prebuilt binaries shipped in npm packages, no
 * compiler at install) and glibc, binds the few system calls this package needs, and turns failures into
 * NativeSocketError / NativeUnavailableError. Loading is lazy and happens once per thread (a worker_thread
 * loads its own copy), so importing this package never fails: `nativeSupport()` says whether it works.
 */
import { createRequire } from 'node:module';
import { endianness } from 'node:os';
import { addressFamily, addressToBytes, bytesToAddress } from '@herald/inet';
import type KoffiModule from 'koffi';
import { NativeSocketError, NativeUnavailableError } from './errors.ts';

type Koffi = typeof KoffiModule;
/** A pointer to native memory as koffi represents it (an opaque external value). */
export type NativePointer = object;
export interface PollHandle {
  close(): void;
}

export interface Libc {
  readonly koffi: Koffi;
  socket(domain: number, type: number, protocol: number): number;
  setsockopt(fd: number, level: number, name: number, value: Uint8Array, length: number): number;
  /** `length` is a 4-byte buffer holding socklen_t: the value's size in, the bytes written out. */
  getsockopt(fd: number, level: number, name: number, value: Uint8Array, length: Uint8Array): number;
  bind(fd: number, address: Uint8Array, length: number): number;
  /** `length` is a socklen_t (u32, host order) in and out: the buffer size, then the address size. */
  getsockname(fd: number, address: Uint8Array, length: Uint8Array): number;
  listen(fd: number, backlog: number): number;
  close(fd: number): number;
  send(fd: number, data: Uint8Array, length: number, flags: number): number;
  sendto(
    fd: number,
    data: Uint8Array,
    length: number,
    flags: number,
    to: Uint8Array,
    toLength: number,
  ): number;
  recvmsg(fd: number, msghdr: NativePointer, flags: number): number;
  if_nametoindex(name: string): number;
  open(path: string, flags: number): number;
  setns(fd: number, nstype: number): number;
}

export type NativeSupport = { ok: true } | { ok: false; reason: string };

/**
 * Why this platform is refused before anything is loaded, or undefined. Socket option numbers and the
 * struct layouts in layout.ts are those of Linux on little-endian LP64 x86-64 and arm64.
 */
export function platformProblem(platform: string, arch: string, byteOrder: string): string | undefined {
  if (platform !== 'linux') return `Linux is required, this is ${platform}`;
  if (arch !== 'x64' && arch !== 'arm64') {
    return `only x64 and arm64 are supported (socket constants and struct layouts are verified for those), this is ${arch}`;
  }
  if (byteOrder !== 'LE') return 'a little-endian machine is required';
  return undefined;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

function load(): Libc | NativeUnavailableError {
  const problem = platformProblem(process.platform, process.arch, endianness());
  if (problem) return new NativeUnavailableError(problem);
  let koffi: Koffi;
  try {
    // require, not import: koffi throws while loading when its prebuilt binary is missing, and a static
    // import would make this whole package fail to import instead of reporting why.
    koffi = createRequire(import.meta.url)('koffi') as Koffi;
  } catch (err) {
    return new NativeUnavailableError(
      `the koffi module (FFI) cannot be loaded (${message(err)}); its prebuilt binary comes from the optional package @koromix/koffi-${process.platform}-${process.arch}, which npm installs only on the platform it runs on`,
    );
  }
  let lib: ReturnType<Koffi['load']>;
  try {
    lib = koffi.load('libc.so.6');
  } catch (err) {
    return new NativeUnavailableError(
      `glibc (libc.so.6) cannot be loaded: ${message(err)}; musl-based systems such as Alpine are not supported`,
    );
  }
  try {
    const fn = <T>(signature: string) => lib.func(signature) as unknown as T;
    return {
      koffi,
      socket: fn('int socket(int, int, int)'),
      setsockopt: fn('int setsockopt(int, int, int, const void *, uint32_t)'),
      getsockopt: fn('int getsockopt(int, int, int, void *, void *)'),
      bind: fn('int bind(int, const void *, uint32_t)'),
      getsockname: fn('int getsockname(int, void *, void *)'),
      listen: fn('int listen(int, int)'),
      close: fn('int close(int)'),
      send: fn('intptr_t send(int, const void *, size_t, int)'),
      sendto: fn('intptr_t sendto(int, const void *, size_t, int, const void *, uint32_t)'),
      recvmsg: fn('intptr_t recvmsg(int, void *, int)'),
      if_nametoindex: fn('unsigned int if_nametoindex(const char *)'),
      open: fn('int open(const char *, int)'),
      setns: fn('int setns(int, int)'),
    };
  } catch (err) {
    return new NativeUnavailableError(`a libc function cannot be bound: ${message(err)}`);
  }
}

let loaded: Libc | NativeUnavailableError | undefined;

/** Loads on first use; the answer is cached for the life of the thread. */
export function nativeSupport(): NativeSupport {
  loaded ??= load();
  return loaded instanceof NativeUnavailableError ? { ok: false, reason: loaded.reason } : { ok: true };
}

/** The bound libc, or throws NativeUnavailableError ("native socket support is unavailable: …"). */
export function libc(): Libc {
  loaded ??= load();
  if (loaded instanceof NativeUnavailableError) throw loaded;
  return loaded;
}

/** Throws NativeSocketError for a failed call (result < 0), naming `operation` and the errno. */
export function check(result: number, operation: string): number {
  if (result < 0) throw new NativeSocketError(operation, libc().koffi.errno());
  return result;
}

export function closeFd(fd: number): void {
  check(libc().close(fd), 'close');
}

/** An IP address in binary form, as this package passes it to the kernel. */
export interface ParsedAddress {
  family: 4 | 6;
  bytes: Uint8Array;
  /** IPv6 scope (interface index) from a `%zone` suffix, 0 without one. */
  scopeId: number;
}

/**
 * Address text → bytes (through @herald/inet, the one address parser); `fe80::1%eth0` (or `%3`) carries its
 * zone as scope id. A zone name is looked up in the calling thread's network namespace. `what` names the
 * option in errors.
 */
export function parseAddress(text: string, what: string): ParsedAddress {
  const zoneAt = text.indexOf('%');
  const bare = zoneAt < 0 ? text : text.slice(0, zoneAt);
  const family = addressFamily(bare);
  if (family === undefined || (family === 'ipv4' && zoneAt >= 0)) {
    throw new TypeError(`${what} '${text}' is not an IPv4 or IPv6 address`);
  }
  let scopeId = 0;
  if (zoneAt >= 0) {
    const zone = text.slice(zoneAt + 1);
    scopeId = /^\d+$/.test(zone) ? Number(zone) : interfaceIndex(zone);
  }
  return { family: family === 'ipv4' ? 4 : 6, bytes: addressToBytes(bare), scopeId };
}

/**
 * Bytes → canonical text (@herald/inet's RFC 5952 form); a nonzero scope id is appended as
 * `%<interface index>` (numeric: an index means the same in every thread, while a name lookup would use the
 * calling thread's namespace).
 */
export function formatAddress(bytes: Uint8Array, scopeId = 0): string {
  const text = bytesToAddress(bytes);
  return scopeId === 0 ? text : `${text}%${scopeId}`;
}

/** if_nametoindex(3); throws ENODEV naming the interface when it does not exist. */
export function interfaceIndex(name: string): number {
  const c = libc();
  const index = c.if_nametoindex(name);
  if (index === 0) throw new NativeSocketError(`if_nametoindex("${name}")`, c.koffi.errno());
  return index;
}

/** Native memory that outlives a call (the receive arena, a BPF program): a Buffer view and its address. */
export interface NativeBlock {
  readonly pointer: NativePointer;
  readonly address: bigint;
  readonly view: Buffer;
  free(): void;
}

export function allocate(size: number): NativeBlock {
  const { koffi } = libc();
  const pointer = koffi.alloc('uint8_t', size) as NativePointer;
  const view = Buffer.from(koffi.view(pointer, size));
  view.fill(0);
  let freed = false;
  return {
    pointer,
    address: koffi.address(pointer),
    view,
    free() {
      if (freed) return;
      freed = true;
      koffi.free(pointer);
    },
  };
}

/** Calls `onReadable` on the event loop whenever `fd` is readable (libuv uv_poll; no thread is held). */
export function pollReadable(fd: number, onReadable: () => void): PollHandle {
  return libc().koffi.node.poll(fd, { readable: true }, onReadable);
}
