/**
 * Mutation fuzzing of the decoder: bit flips, truncations, length-field edits and byte insertions applied to
 * valid messages, with a fixed seed and a fixed count so the run is deterministic. Every input must decode or
 * fail with a BgpError carrying a valid NOTIFICATION code — never throw, never hang.
 */
import { describe, expect, test } from '@jest/globals';
import { BgpError } from '../errors.ts';
import { parsePrefix } from '../prefix.ts';
import { encodePathAttributes } from './attributes.ts';
import { MessageFramer } from './header.ts';
import { encodeKeepalive } from './keepalive.ts';
import { decodeMessage } from './message.ts';
import type { CodecContext } from './messages.ts';
import { encodeNlriPrefix } from './nlri.ts';
import { encodeNotification, encodeShutdownCommunication } from './notification.ts';
import { encodeOpen } from './open.ts';
import { encodeRouteRefresh } from './route-refresh.ts';
import {
  buildEndOfRib,
  buildIpv4Announce,
  buildIpv4Withdraw,
  buildMpAnnounce,
  buildMpWithdraw,
} from './update.ts';

/** mulberry32: tiny deterministic PRNG. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function corpus(): Buffer[] {
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

function mutate(msg: Buffer, r: () => number): Buffer {
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

describe('decoder mutation fuzz', () => {
  test('20,000 mutated messages: no exception, every error a valid NOTIFICATION', () => {
    const r = rng(0x5eed);
    const seeds = corpus();
    const contexts: CodecContext[] = [
      { fourOctetAsn: true, maxMessageSize: 4096, ebgp: true },
      { fourOctetAsn: false, maxMessageSize: 65535, ebgp: false },
    ];
    let decodedOk = 0;
    let errors = 0;
    const codes = new Set<string>();
    for (let n = 0; n < 20_000; n++) {
      const input = mutate(seeds[n % seeds.length]!, r);
      const ctx = contexts[n & 1]!;
      const framer = new MessageFramer(ctx.maxMessageSize);
      framer.push(input);
      let next: ReturnType<MessageFramer['next']>;
      try {
        next = framer.next();
        if (next === undefined) continue; // incomplete message: the real session waits (hold timer bounds it)
        if (!next.ok) {
          expect(next.error).toBeInstanceOf(BgpError);
          expect(next.error.code).toBe(1);
          errors++;
          codes.add(`${next.error.code}/${next.error.subcode}`);
          continue;
        }
        const d = decodeMessage(next.value.message, next.value.header.type, ctx);
        if (d.ok) decodedOk++;
        else {
          expect(d.error).toBeInstanceOf(BgpError);
          expect(d.error.code >= 1 && d.error.code <= 7).toBe(true);
          expect(d.error.message).not.toMatch(/decoder failure/);
          errors++;
          codes.add(`${d.error.code}/${d.error.subcode}`);
        }
      } catch (err) {
        throw new Error(`decoder threw on ${input.toString('hex')}: ${(err as Error).stack}`);
      }
    }
    // The mutations must actually exercise both outcomes and many distinct error paths.
    expect(decodedOk).toBeGreaterThan(1000);
    expect(errors).toBeGreaterThan(1000);
    expect(codes.size).toBeGreaterThan(10);
  });
});
