import { constants } from 'node:os';
import { NativeSocketError, NativeUnavailableError } from './errors.ts';
import { platformProblem } from './libc.ts';

const { EPERM, ENODEV, ENOPROTOOPT, EADDRNOTAVAIL, ECONNRESET } = constants.errno;

describe('NativeSocketError', () => {
  it('names the call, the errno and what to fix', () => {
    const err = new NativeSocketError('setsockopt(SO_BINDTODEVICE "eth9")', EPERM);
    expect(err.message).toBe(
      'setsockopt(SO_BINDTODEVICE "eth9") failed: EPERM (operation not permitted): the process needs CAP_NET_RAW (on kernels before 5.7, or to change an existing binding)',
    );
    expect({ code: err.code, errno: err.errno, syscall: err.syscall, name: err.name }).toEqual({
      code: 'EPERM',
      errno: EPERM,
      syscall: 'setsockopt(SO_BINDTODEVICE "eth9")',
      name: 'NativeSocketError',
    });
  });

  it.each([
    ['socket(AF_PACKET on eth0)', EPERM, 'EPERM (operation not permitted): the process needs CAP_NET_RAW'],
    [
      'if_nametoindex("eth9")',
      ENODEV,
      'ENODEV (no such device): no such network interface in this network namespace',
    ],
    [
      'setsockopt(TCP_MD5SIG peer 203.0.113.2)',
      ENOPROTOOPT,
      'ENOPROTOOPT (protocol not available): the kernel was built without TCP-MD5 support (CONFIG_TCP_MD5SIG)',
    ],
    [
      'bind(203.0.113.9:179)',
      EADDRNOTAVAIL,
      'EADDRNOTAVAIL (address not available): the local address is not configured on this host (or not in the bound device/VRF)',
    ],
    ['recvmsg(UDP port 3784)', ECONNRESET, 'ECONNRESET (connection reset by peer)'],
  ])('%s, errno %i', (operation, errno, expected) => {
    expect(new NativeSocketError(operation, errno).message).toBe(`${operation} failed: ${expected}`);
  });
});

describe('nativeSupport reasons', () => {
  it('NativeUnavailableError carries the probe reason behind one fixed prefix', () => {
    const err = new NativeUnavailableError('Linux is required, this is darwin');
    expect(err.message).toBe('native socket support is unavailable: Linux is required, this is darwin');
    expect(err.reason).toBe('Linux is required, this is darwin');
  });

  it('refuses other systems, architectures and byte orders before loading anything', () => {
    expect(platformProblem('linux', 'x64', 'LE')).toBeUndefined();
    expect(platformProblem('linux', 'arm64', 'LE')).toBeUndefined();
    expect(platformProblem('darwin', 'arm64', 'LE')).toBe('Linux is required, this is darwin');
    expect(platformProblem('linux', 'riscv64', 'LE')).toBe(
      'only x64 and arm64 are supported (socket constants and struct layouts are verified for those), this is riscv64',
    );
    expect(platformProblem('linux', 'arm64', 'BE')).toBe('a little-endian machine is required');
  });
});
