/**
 * Errors of the native layer. A failed system call becomes a NativeSocketError shaped like Node's own
 * system errors (`code` 'EPERM', `errno`, `syscall`), with the errno name in the message and, for the
 * failures an operator can fix, what to fix. When the layer cannot load at all, every entry point throws
 * NativeUnavailableError with the reason `nativeSupport()` reports.
 */
import { getSystemErrorMessage, getSystemErrorName } from 'node:util';

/** Why an errno is likely to have happened, for the operations this package performs. */
function hintFor(code: string, operation: string): string | undefined {
  if (code === 'EPERM' || code === 'EACCES') {
    if (operation.includes('AF_PACKET')) return 'the process needs CAP_NET_RAW';
    if (operation.includes('SO_BINDTODEVICE')) {
      return 'the process needs CAP_NET_RAW (on kernels before 5.7, or to change an existing binding)';
    }
    if (operation.includes('setns')) return 'entering a network namespace needs CAP_SYS_ADMIN';
  }
  if (code === 'ENODEV') return 'no such network interface in this network namespace';
  if (code === 'ENOPROTOOPT' && operation.includes('TCP_MD5SIG')) {
    return 'the kernel was built without TCP-MD5 support (CONFIG_TCP_MD5SIG)';
  }
  if (code === 'EADDRNOTAVAIL' && operation.startsWith('bind')) {
    return 'the local address is not configured on this host (or not in the bound device/VRF)';
  }
  if (code === 'EADDRINUSE') return 'another socket already uses this address and port';
  return undefined;
}

export class NativeSocketError extends Error {
  /** errno name, e.g. 'EPERM'. */
  readonly code: string;
  /** Positive errno number as the kernel returned it. */
  readonly errno: number;
  /** The call and option that failed, e.g. 'setsockopt(SO_BINDTODEVICE "eth9")'. */
  readonly syscall: string;

  constructor(operation: string, errno: number) {
    const code = errno > 0 ? getSystemErrorName(-errno) : `errno ${errno}`;
    const text = errno > 0 ? getSystemErrorMessage(-errno) : 'unknown error';
    const hint = hintFor(code, operation);
    super(`${operation} failed: ${code} (${text})${hint ? `: ${hint}` : ''}`);
    this.name = 'NativeSocketError';
    this.code = code;
    this.errno = errno;
    this.syscall = operation;
  }
}

export const UNAVAILABLE_PREFIX = 'native socket support is unavailable: ';

export class NativeUnavailableError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(`${UNAVAILABLE_PREFIX}${reason}`);
    this.name = 'NativeUnavailableError';
    this.reason = reason;
  }
}
