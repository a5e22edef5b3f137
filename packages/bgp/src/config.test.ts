import { parsePrefix } from '@herald/inet';
import { describe, expect, test } from '@jest/globals';
import { resolvePeerConfig, validateRoute } from './config.ts';
import type { PeerConfig } from './types.ts';

const base: PeerConfig = { localAsn: 64512, peerAsn: 65000, peerAddress: '203.0.113.1' };
const issues = (over: Partial<PeerConfig>) => {
  const r = resolvePeerConfig({ ...base, ...over });
  return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.reason}`);
};

describe('resolvePeerConfig: the peer number rules (shared with config validation and heraldctl)', () => {
  test('AS numbers: range, and AS_TRANS on either side', () => {
    expect(issues({ localAsn: 0 })).toEqual(['localAsn: must be an integer 1..4294967295']);
    expect(issues({ localAsn: 23456 })).toEqual([
      'localAsn: AS_TRANS (23456) cannot be used as a local ASN (RFC 6793)',
    ]);
    expect(issues({ peerAsn: 23456 })).toEqual([
      "peerAsn: AS_TRANS (23456) is not a real AS number (RFC 6793); use the peer's 4-octet ASN",
    ]);
    expect(issues({ peerAsn: 4294967295 })).toEqual([]);
  });

  test('hold time 0 or 3..65535; keepalive within it, 0 exactly when hold time is 0', () => {
    expect(issues({ holdTime: 2 })).toEqual(['holdTime: must be 0 or 3..65535 seconds (RFC 4271 §4.2)']);
    // What config validation accepts for holdTime: 0s / keepaliveTime: 0s, the library accepts too.
    expect(issues({ holdTime: 0, keepaliveTime: 0 })).toEqual([]);
    expect(issues({ holdTime: 0, keepaliveTime: 30 })).toEqual([
      'keepaliveTime: must be 0 when holdTime is 0 (keepalives are disabled)',
    ]);
    expect(issues({ keepaliveTime: 0 })).toEqual([
      'keepaliveTime: must be at least 1 second when holdTime is not 0',
    ]);
    expect(issues({ holdTime: 90, keepaliveTime: 91 })).toEqual([
      'keepaliveTime: must not be longer than holdTime',
    ]);
    expect(issues({ holdTime: 65535, keepaliveTime: 30000 })).toEqual([]);
  });

  test('router id, restart time, port, TTL', () => {
    expect(issues({ routerId: '0.0.0.0' })).toEqual([
      'routerId: must be a non-zero dotted-quad IPv4 address (RFC 6286)',
    ]);
    expect(issues({ routerId: '2001:db8::1' })).toHaveLength(1);
    expect(issues({ gracefulRestart: { restartTime: 4096 } })).toEqual([
      'gracefulRestart.restartTime: must be 0..4095 seconds (12-bit field, RFC 4724)',
    ]);
    expect(issues({ peerPort: 0, ebgpMultihop: 256, connectRetryTime: 70000 })).toEqual([
      'peerPort: must be 1..65535',
      'connectRetryTime: must be 1..65535 seconds',
      'ebgpMultihop: must be a TTL 1..255',
    ]);
  });
});

describe('resolvePeerConfig: hardening limits', () => {
  test('minHoldTime: 3 by default, 0 with holdTime 0, never above holdTime', () => {
    const resolved = (over: Partial<PeerConfig>) => {
      const r = resolvePeerConfig({ ...base, ...over });
      if (!r.ok) throw new Error(JSON.stringify(r.issues));
      return r.config;
    };
    expect(resolved({}).minHoldTime).toBe(3);
    expect(resolved({ holdTime: 0, keepaliveTime: 0 }).minHoldTime).toBe(0);
    expect(issues({ minHoldTime: 2 })).toEqual(['minHoldTime: must be 0 or 3..65535 seconds']);
    expect(issues({ holdTime: 30, minHoldTime: 31 })).toEqual([
      'minHoldTime: must not be longer than holdTime (30)',
    ]);
    expect(issues({ holdTime: 0, keepaliveTime: 0, minHoldTime: 3 })).toEqual([
      'minHoldTime: must be 0 when holdTime is 0 (the session has no hold timer)',
    ]);
  });

  test('maxPrefixes: a 32-bit limit, restart or block, a restart time in seconds', () => {
    expect(issues({ maxPrefixes: { limit: 0 } })).toEqual([
      'maxPrefixes.limit: must be 1..4294967295 (the 32-bit upper bound of RFC 4486)',
    ]);
    expect(issues({ maxPrefixes: { limit: 10, action: 'drop' as 'block', restartTime: 0 } })).toEqual([
      "maxPrefixes.action: must be 'restart' or 'block'",
      'maxPrefixes.restartTime: must be 1..65535 seconds',
    ]);
    const r = resolvePeerConfig({ ...base, maxPrefixes: { limit: 10 } });
    expect(r.ok && r.config.maxPrefixes).toEqual({ limit: 10, action: 'restart', restartTime: 60 });
  });

  test('incomingOpenHoldTime and tcpKeepaliveTime', () => {
    expect(issues({ incomingOpenHoldTime: 0, tcpKeepaliveTime: -1 })).toEqual([
      'incomingOpenHoldTime: must be 1..65535 seconds',
      'tcpKeepaliveTime: must be 0..65535 seconds',
    ]);
  });
});

describe('validateRoute: community text forms are @herald/inet’s', () => {
  const prefix = parsePrefix('198.51.100.7/32');
  test('every well-known name, accept-own included', () => {
    expect(
      validateRoute(prefix, {
        nextHop: '203.0.113.2',
        communities: ['accept-own', 'graceful-shutdown', 'blackhole', 'no-peer', '64512:100'],
        largeCommunities: ['64512:1:2'],
        extendedCommunities: ['rt:64512:100'],
      }),
    ).toEqual([]);
  });
  test('strict spelling: names in lower case, no blanks', () => {
    expect(
      validateRoute(prefix, { nextHop: '203.0.113.2', communities: ['NO-EXPORT', ' 64512:100'] }).map(
        (i) => i.path,
      ),
    ).toEqual(['communities[0]', 'communities[1]']);
  });
});
