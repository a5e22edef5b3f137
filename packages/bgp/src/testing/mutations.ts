/**
 * Deterministic inputs for the mutation fuzz tests (wire/fuzz.test.ts drives the decoder with them,
 * fsm/peer-machine.fuzz.test.ts the peer machine): one valid message of every kind, and mutations of them —
 * bit flips, truncations, length-field edits and byte insertions — from a seeded PRNG, so a failure reproduces.
 */
import { parsePrefix } from '@herald/inet';
import { encodePathAttributes } from '../wire/attributes.ts';
import { encodeKeepalive } from '../wire/keepalive.ts';
import { encodeNlriPrefix } from '../wire/nlri.ts';
import { encodeNotification, encodeShutdownCommunication } from '../wire/notification.ts';
import { encodeOpen } from '../wire/open.ts';
import { encodeRouteRefresh } from '../wire/route-refresh.ts';
import {
  buildEndOfRib,
  buildIpv4Announce,
  buildIpv4Withdraw,
  buildMpAnnounce,
  buildMpWithdraw,
} from '../wire/update.ts';

/** mulberry32: tiny deterministic PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One valid message of each kind: OPEN, UPDATEs (IPv4/IPv6, announce/withdraw, End-of-RIB) and the rest. */
export function corpus(): Buffer[] {
  const v4 = ['198.51.100.7/32', '198.51.100.0/24', '198.18.0.0/15'].map((p) =>
    encodeNlriPrefix(parsePrefix(p)),
  );
  const v6 = ['2001:db8:100::1/128', '2001:db8:100::/64'].map((p) => encodeNlriPrefix(parsePrefix(p)));
  const a = encodePathAttributes(
    {
      origin: 0,
      asPath: [65001, 4200000001],
      nextHop: Buffer.from([203, 0, 113, 1]),
      med: 5,
      localPref: 100,
      communities: [0xfde90064, 0xffffff01],
      extendedCommunities: [Buffer.from('0002fde900000064', 'hex')],
      largeCommunities: [[65001, 1, 2]],
    },
    true,
  );
  const a2 = encodePathAttributes(
    { origin: 2, asPath: [4200000001], communities: [], extendedCommunities: [], largeCommunities: [] },
    false,
  );
  const nh6 = Buffer.from('20010db8000100000000000000000001fe800000000000000000000000000001', 'hex');
  return [
    encodeOpen({
      asn: 4200000001,
      holdTime: 90,
      bgpIdentifier: '203.0.113.1',
      capabilities: {
        families: ['ipv4', 'ipv6'],
        asn: 4200000001,
        extendedMessages: true,
        gracefulRestart: { restarting: true, restartTime: 120, families: ['ipv4', 'ipv6'] },
      },
    }),
    buildIpv4Announce(
      a.below,
      a.above,
      v4,
      v4.reduce((n, b) => n + b.length, 0),
    ),
    buildIpv4Withdraw(
      v4,
      v4.reduce((n, b) => n + b.length, 0),
    ),
    buildMpAnnounce(
      'ipv6',
      a2.below,
      a2.above,
      nh6,
      v6,
      v6.reduce((n, b) => n + b.length, 0),
    ),
    buildMpWithdraw(
      'ipv6',
      v6,
      v6.reduce((n, b) => n + b.length, 0),
    ),
    buildEndOfRib('ipv4'),
    buildEndOfRib('ipv6'),
    encodeNotification(6, 2, encodeShutdownCommunication('bye')),
    encodeKeepalive(),
    encodeRouteRefresh('ipv4'),
  ].map((b) => Buffer.from(b));
}

/** One random mutation of `msg` (a copy); header lengths are kept consistent where that reaches the body. */
export function mutate(msg: Buffer, r: () => number): Buffer {
  const m = Buffer.from(msg);
  const pick = (n: number) => Math.floor(r() * n);
  switch (pick(6)) {
    case 0: // bit flips, biased to the body where the interesting parsing happens
      for (let k = 1 + pick(4); k > 0; k--) {
        const i = 16 + pick(m.length - 16);
        m[i] = m[i]! ^ (1 << pick(8));
      }
      return m;
    case 1: {
      // truncation, keeping the header length consistent so the body parser sees it
      const t = m.subarray(0, Math.max(19, pick(m.length)));
      t.writeUInt16BE(t.length, 16);
      return t;
    }
    case 2: {
      // overwrite a byte with an edge value (length fields, counts)
      const edges = [0, 1, 2, 3, 4, 0x7f, 0x80, 0xfe, 0xff];
      m[19 + pick(Math.max(1, m.length - 19))] = edges[pick(edges.length)]!;
      return m.subarray(0, Math.max(19, m.length));
    }
    case 3: {
      // insert random bytes and fix the header length
      const at = 19 + pick(Math.max(1, m.length - 19));
      const ins = Buffer.from(Array.from({ length: 1 + pick(8) }, () => pick(256)));
      const out = Buffer.concat([m.subarray(0, at), ins, m.subarray(at)]);
      out.writeUInt16BE(out.length, 16);
      return out;
    }
    case 4:
      // header length field edit
      m.writeUInt16BE(pick(0x10000), 16);
      return m;
    default:
      // random 16-bit write anywhere in the body
      if (m.length > 21) m.writeUInt16BE(pick(0x10000), 19 + pick(m.length - 20));
      return m;
  }
}
