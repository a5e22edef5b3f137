import { addressToBytes, prng } from '@herald/inet';
import { describe, expect, test } from '@jest/globals';
import { ArpOperation, arpAnnouncement, decodeArpFrame, encodeArpFrame } from './arp.ts';
import { BROADCAST_MAC, formatMac, parseMac, ZERO_MAC } from './ethernet.ts';
import { LINUX_A_MAC, LINUX_B_MAC, linuxFrames } from './linux-vectors.ts';
import { decodeNeighborFrame, neighborSolicitation, unsolicitedNeighborAdvertisement } from './ndp.ts';
import { type ResponderContext, respondToArp, respondToNeighborDiscovery } from './responder.ts';
import { WIRE_DISCARD_REASONS } from './types.ts';

const hex = (s: string) => Buffer.from(s, 'hex');
const ours = parseMac(LINUX_A_MAC)!;
const theirs = parseMac(LINUX_B_MAC)!;
const ctx = (...addresses: string[]): ResponderContext => ({
  mac: ours,
  announces: (a) => addresses.includes(a),
});

describe('ARP responder', () => {
  test('answers a request for an announced address, straight to the asker', () => {
    const v = respondToArp(hex(linuxFrames.arpRequest), false, ctx('203.0.113.43'));
    expect(v.kind === 'answer' && [v.address, v.probe, v.frame.toString('hex')]).toEqual([
      '203.0.113.43',
      false,
      linuxFrames.arpReply,
    ]);
  });

  test('ignores requests for other addresses, replies, our own frames and outgoing copies', () => {
    expect(respondToArp(hex(linuxFrames.arpRequest), false, ctx('203.0.113.44')).kind).toBe('ignore');
    expect(respondToArp(hex(linuxFrames.arpReply), false, ctx('203.0.113.42')).kind).toBe('ignore');
    expect(respondToArp(hex(linuxFrames.arpRequest), true, ctx('203.0.113.43')).kind).toBe('ignore');
    const own = arpAnnouncement(addressToBytes('203.0.113.43'), ours);
    expect(respondToArp(own, false, ctx('203.0.113.43')).kind).toBe('ignore');
  });

  test('answers a probe (sender 0.0.0.0): the prober must learn the address is taken', () => {
    const probe = encodeArpFrame(BROADCAST_MAC, theirs, {
      operation: ArpOperation.Request,
      senderHardwareAddress: theirs,
      senderProtocolAddress: addressToBytes('0.0.0.0'),
      targetHardwareAddress: ZERO_MAC,
      targetProtocolAddress: addressToBytes('198.51.100.7'),
    });
    const v = respondToArp(probe, false, ctx('198.51.100.7'));
    expect(v.kind === 'answer' && v.probe).toBe(true);
  });

  test('another MAC announcing or answering for our address is a conflict', () => {
    const garp = arpAnnouncement(addressToBytes('198.51.100.7'), theirs);
    expect(respondToArp(garp, false, ctx('198.51.100.7'))).toEqual({
      kind: 'conflict',
      protocol: 'arp',
      address: '198.51.100.7',
      mac: LINUX_B_MAC,
    });
    expect(
      respondToArp(hex(linuxFrames.arpReply), false, { mac: theirs, announces: (a) => a === '203.0.113.43' }),
    ).toMatchObject({ kind: 'conflict', mac: LINUX_A_MAC });
  });

  test('a malformed frame is a named discard', () => {
    const v = respondToArp(hex(linuxFrames.arpRequest).subarray(0, 30), false, ctx('203.0.113.43'));
    expect(v.kind === 'discard' && v.discard.reason).toBe('truncated');
  });
});

describe('Neighbor Discovery responder', () => {
  test('answers a solicitation for an announced address with the solicited advertisement', () => {
    const v = respondToNeighborDiscovery(
      hex(linuxFrames.neighborSolicitation),
      false,
      ctx('2001:db8:1::4:3'),
    );
    expect(v.kind === 'answer' && [v.protocol, v.address, v.frame.toString('hex')]).toEqual([
      'ndp',
      '2001:db8:1::4:3',
      linuxFrames.neighborAdvertisement,
    ]);
  });

  test('answers a DAD probe for an announced address to all nodes', () => {
    const v = respondToNeighborDiscovery(hex(linuxFrames.duplicateAddressDetection), false, {
      mac: theirs,
      announces: (a) => a === '2001:db8:1::4:3',
    });
    expect(v.kind === 'answer' && [v.probe, formatMac(v.frame.subarray(0, 6))]).toEqual([
      true,
      '33:33:00:00:00:01',
    ]);
  });

  test('ignores other targets and outgoing copies; another advertiser is a conflict', () => {
    const ns = hex(linuxFrames.neighborSolicitation);
    expect(respondToNeighborDiscovery(ns, false, ctx('2001:db8:1::4:9')).kind).toBe('ignore');
    expect(respondToNeighborDiscovery(ns, true, ctx('2001:db8:1::4:3')).kind).toBe('ignore');
    const theirNa = unsolicitedNeighborAdvertisement(addressToBytes('2001:db8:100::7'), theirs);
    expect(respondToNeighborDiscovery(theirNa, false, ctx('2001:db8:100::7'))).toEqual({
      kind: 'conflict',
      protocol: 'ndp',
      address: '2001:db8:100::7',
      mac: LINUX_B_MAC,
    });
    const ourNa = unsolicitedNeighborAdvertisement(addressToBytes('2001:db8:100::7'), ours);
    expect(respondToNeighborDiscovery(ourNa, false, ctx('2001:db8:100::7')).kind).toBe('ignore');
  });
});

/** Seeded mutation fuzzing: the decoders and responders never throw, and every answer is itself valid. */
describe('fuzz', () => {
  const corpus = [
    ...Object.values(linuxFrames).map(hex),
    arpAnnouncement(addressToBytes('198.51.100.7'), theirs),
    neighborSolicitation(addressToBytes('2001:db8:100::7'), addressToBytes('2001:db8:100::1'), theirs),
  ];
  const announced = ctx('203.0.113.43', '2001:db8:1::4:3', '198.51.100.7', '2001:db8:100::7');

  test('100,000 mutated frames: a verdict for each, never an exception, answers that decode', () => {
    const r = prng(0x4c32);
    const pick = (n: number) => Math.floor(r() * n);
    const kinds = new Map<string, number>();
    for (let i = 0; i < 100_000; i++) {
      const base = corpus[pick(corpus.length)]!;
      let f = Buffer.from(base);
      switch (pick(4)) {
        case 0:
          for (let k = 1 + pick(3); k > 0; k--) f[pick(f.length)] ^= 1 << pick(8);
          break;
        case 1:
          f = f.subarray(0, pick(f.length + 1));
          break;
        case 2:
          f = Buffer.concat([f, Buffer.from(Array.from({ length: pick(40) }, () => pick(256)))]);
          break;
        default:
          f[14 + pick(Math.max(1, f.length - 14))] = [0, 1, 0xff, 0x80, 8, 58, 135, 136][pick(8)]!;
      }
      for (const v of [respondToArp(f, false, announced), respondToNeighborDiscovery(f, false, announced)]) {
        const key = v.kind === 'discard' ? `discard:${v.discard.reason}` : v.kind;
        kinds.set(key, (kinds.get(key) ?? 0) + 1);
        if (v.kind === 'discard' && !WIRE_DISCARD_REASONS.includes(v.discard.reason))
          throw new Error(`unknown reason ${v.discard.reason}`);
        if (v.kind === 'answer') {
          const ok = v.protocol === 'arp' ? decodeArpFrame(v.frame).ok : decodeNeighborFrame(v.frame).ok;
          if (!ok) throw new Error(`an answer that does not decode: ${v.frame.toString('hex')}`);
        }
      }
    }
    // The mutations reach every verdict, so the loop above exercised each path.
    for (const k of [
      'answer',
      'ignore',
      'conflict',
      'discard:truncated',
      'discard:checksum',
      'discard:hop-limit',
    ])
      expect([k, (kinds.get(k) ?? 0) > 0]).toEqual([k, true]);
  });
});
