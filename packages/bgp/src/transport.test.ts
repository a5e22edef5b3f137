import { inspect } from 'node:util';
import { describe, expect, test } from '@jest/globals';
import { resolvePeerConfig } from './config.ts';
import { needsNativeSockets, summarizeTransport, TcpMd5Key } from './transport.ts';
import type { PeerConfig } from './types.ts';

const ebgp: PeerConfig = { localAsn: 64513, peerAsn: 64512, peerAddress: '203.0.113.1' };
const ibgp: PeerConfig = { ...ebgp, peerAsn: 64513 };

function policy(cfg: PeerConfig) {
  const r = resolvePeerConfig(cfg);
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.path}: ${i.reason}`).join('; '));
  return r.config.transport;
}

const issues = (cfg: PeerConfig) => {
  const r = resolvePeerConfig(cfg);
  return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.reason}`);
};

describe('TTL rules: those of FRR, BIRD and GoBGP', () => {
  test('single-hop eBGP is sent with TTL 1, whatever the peer AS is written as', () => {
    expect(policy(ebgp)).toMatchObject({ ttl: 1, minTtl: undefined, explicit: [] });
    expect(policy({ ...ebgp, peerAsn: 'external' }).ttl).toBe(1);
  });

  test('ebgpMultihop N sends TTL N', () => {
    expect(policy({ ...ebgp, ebgpMultihop: 2 })).toMatchObject({ ttl: 2, explicit: ['ebgpMultihop'] });
  });

  test("iBGP keeps the system's TTL and needs no native socket", () => {
    for (const cfg of [ibgp, { ...ebgp, peerAsn: 'internal' as const }]) {
      const p = policy(cfg);
      expect(p.ttl).toBeUndefined();
      expect(needsNativeSockets(p)).toBe(false);
    }
  });

  test('GTSM sends 255 and accepts only 255 (a directly connected router), for eBGP and iBGP', () => {
    expect(policy({ ...ebgp, ttlSecurity: true })).toMatchObject({ ttl: 255, minTtl: 255 });
    expect(policy({ ...ibgp, ttlSecurity: true })).toMatchObject({ ttl: 255, minTtl: 255 });
  });

  test('ttlSecurity and ebgpMultihop exclude each other; multihop is eBGP only', () => {
    expect(issues({ ...ebgp, ttlSecurity: true, ebgpMultihop: 2 })).toEqual([
      'ebgpMultihop: cannot be combined with ttlSecurity: GTSM accepts only a directly connected router (TTL 255)',
    ]);
    expect(issues({ ...ibgp, ebgpMultihop: 2 })).toEqual([
      'ebgpMultihop: applies to eBGP only (iBGP sessions use the system TTL, 64)',
    ]);
  });
});

describe('password and bindInterface', () => {
  test('a key of 1..80 bytes (UTF-8 for text); an interface name the kernel accepts', () => {
    expect(policy({ ...ebgp, password: 'sécret' }).md5Key?.length).toBe(7);
    expect(issues({ ...ebgp, password: '' })).toEqual(['password: is empty']);
    expect(issues({ ...ebgp, password: new Uint8Array(81) })).toEqual([
      "password: has 81 bytes; a TCP-MD5 key has at most 80 (the kernel's TCP_MD5SIG_MAXKEYLEN)",
    ]);
    expect(policy({ ...ibgp, bindInterface: 'eth1' })).toMatchObject({
      device: 'eth1',
      explicit: ['bindInterface'],
    });
    expect(issues({ ...ebgp, bindInterface: 'a-very-long-ifname' })).toEqual([
      'bindInterface: has 18 bytes; an interface name has at most 15',
    ]);
  });

  test('the key never shows in JSON, inspection, string conversion or the summary', () => {
    const key = new TcpMd5Key('hunter2-hunter2');
    const p = policy({ ...ebgp, password: 'hunter2-hunter2', ttlSecurity: true });
    const views = [
      JSON.stringify({ key, p }),
      inspect({ key, p }, { depth: 10 }),
      `${key}`,
      JSON.stringify(summarizeTransport(p)),
    ];
    for (const view of views) expect(view).not.toContain('hunter2');
    expect(key.bytes.toString()).toBe('hunter2-hunter2');
    expect(key.equals(new TcpMd5Key(Buffer.from('hunter2-hunter2')))).toBe(true);
    expect(summarizeTransport(p)).toEqual({ ttl: 255, minTtl: 255, tcpMd5: true, bindInterface: null });
    expect(p.explicit).toEqual(['password', 'ttlSecurity']);
  });
});
