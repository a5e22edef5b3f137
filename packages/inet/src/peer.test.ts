import {
  AS_TRANS,
  interfaceNameProblem,
  isAsn,
  isConnectRetryTime,
  isHoldTime,
  isPort,
  isReservedAsn,
  isRestartTime,
  isTtl,
  keepaliveProblem,
  routerIdProblem,
  tcpMd5KeyProblem,
} from './peer.ts';

test('AS numbers: 4 octets, not 0; AS_TRANS and the RFC 7300 reserved ones are told apart', () => {
  expect([0, 1, 65535, 4294967295, 4294967296, 1.5, '1'].map(isAsn)).toEqual([
    false,
    true,
    true,
    true,
    false,
    false,
    false,
  ]);
  expect(AS_TRANS).toBe(23456);
  expect([65535, 4294967295, 65534, 23456].map(isReservedAsn)).toEqual([true, true, false, false]);
});

test('hold time: 0 or 3..65535 (RFC 4271 §4.2)', () => {
  expect([0, 1, 2, 3, 90, 65535, 65536, -1, 3.5].map(isHoldTime)).toEqual([
    true,
    false,
    false,
    true,
    true,
    true,
    false,
    false,
    false,
  ]);
});

test('keepalive against hold time', () => {
  expect(keepaliveProblem(0, 0)).toBeUndefined();
  expect(keepaliveProblem(30, 0)).toBe('hold-time-zero');
  expect(keepaliveProblem(0, 90)).toBe('zero');
  expect(keepaliveProblem(91, 90)).toBe('longer-than-hold-time');
  expect(keepaliveProblem(30, 90)).toBeUndefined();
  // Beyond a third of the hold time is allowed: the negotiation takes min(keepalive, hold/3).
  expect(keepaliveProblem(30000, 65535)).toBeUndefined();
});

test('timers, port and TTL ranges', () => {
  expect([0, 4095, 4096].map(isRestartTime)).toEqual([true, true, false]);
  expect([0, 1, 65535, 65536].map(isConnectRetryTime)).toEqual([false, true, true, false]);
  expect([0, 179, 65535, 65536].map(isPort)).toEqual([false, true, true, false]);
  expect([0, 1, 255, 256].map(isTtl)).toEqual([false, true, true, false]);
});

test('router id: a non-zero dotted quad (RFC 6286)', () => {
  expect(routerIdProblem('198.51.100.1')).toBeUndefined();
  expect(routerIdProblem('0.0.0.0')).toBe('zero');
  expect(routerIdProblem('2001:db8::1')).toBe('not-ipv4');
  expect(routerIdProblem('01.2.3.4')).toBe('not-ipv4');
  expect(routerIdProblem('router1')).toBe('not-ipv4');
});

test('TCP-MD5 key length: 1..80 bytes (TCP_MD5SIG_MAXKEYLEN)', () => {
  expect([1, 80].map(tcpMd5KeyProblem)).toEqual([undefined, undefined]);
  expect(tcpMd5KeyProblem(0)).toBe('is empty');
  expect(tcpMd5KeyProblem(81)).toBe(
    "has 81 bytes; a TCP-MD5 key has at most 80 (the kernel's TCP_MD5SIG_MAXKEYLEN)",
  );
});

test('interface names as the kernel takes them (dev_valid_name, IFNAMSIZ)', () => {
  for (const ok of ['eth0', 'vrf-blue', 'bond0.100', 'x'.repeat(15)])
    expect(interfaceNameProblem(ok)).toBeUndefined();
  expect(interfaceNameProblem('')).toBe('is empty');
  expect(interfaceNameProblem('x'.repeat(16))).toBe('has 16 bytes; an interface name has at most 15');
  for (const bad of ['eth/0', 'eth0:1', 'eth 0', '.', '..'])
    expect(interfaceNameProblem(bad)).toBe(
      'is not an interface name (no "/", ":" or spaces, not "." or "..")',
    );
});
