/**
 * The decoder fuzz's mutated messages (testing/mutations.ts), fed to the peer machine as TCP byte streams in
 * random chunks, on sessions in OpenSent and in Established. Whatever arrives, the machine must not throw,
 * must put only well-formed messages on the wire, must answer every error with a NOTIFICATION and a closed
 * connection (then back off in Idle), and must keep its Adj-RIB-In consistent.
 */
import { describe, expect, test } from '@jest/globals';
import { resolvePeerConfig } from '../config.ts';
import { ReceivedRouteTable } from '../rib/received-route-table.ts';
import { corpus, mutate, rng } from '../testing/mutations.ts';
import { MessageFramer } from '../wire/header.ts';
import { encodeKeepalive } from '../wire/keepalive.ts';
import { decodeMessage } from '../wire/message.ts';
import { EXTENDED_MAX_MESSAGE_SIZE } from '../wire/messages.ts';
import { encodeOpen } from '../wire/open.ts';
import type { PeerAction } from './events.ts';
import { PeerMachine } from './peer-machine.ts';

const resolved = resolvePeerConfig({
  localAsn: 65002,
  peerAsn: 'external',
  peerAddress: '203.0.113.1',
  routerId: '203.0.113.2',
  families: ['ipv4', 'ipv6'],
});
if (!resolved.ok) throw new Error('bad test config');
const config = resolved.config;

const peerOpen = encodeOpen({
  asn: 4200000001,
  holdTime: 90,
  bgpIdentifier: '203.0.113.1',
  capabilities: { families: ['ipv4', 'ipv6'], asn: 4200000001, extendedMessages: true },
});

/** Every message we put on the wire must frame and decode. */
function expectWellFormed(actions: readonly PeerAction[]): void {
  for (const a of actions) {
    if (a.type !== 'send') continue;
    const framer = new MessageFramer(EXTENDED_MAX_MESSAGE_SIZE);
    framer.push(a.data);
    const frame = framer.next();
    expect(frame?.ok).toBe(true);
    if (!frame?.ok) return;
    const ctx = { fourOctetAsn: true, maxMessageSize: EXTENDED_MAX_MESSAGE_SIZE, ebgp: true };
    expect(decodeMessage(frame.value.message, frame.value.header.type, ctx).ok).toBe(true);
  }
}

describe('peer machine mutation fuzz', () => {
  test('5,000 mutated byte streams: no exception, every error answered and the connection closed', () => {
    const r = rng(0xb9b);
    const pick = (n: number) => Math.floor(r() * n);
    const seeds = corpus();
    const answers = new Set<string>();
    let resets = 0;
    let survived = 0;
    for (let n = 0; n < 5000; n++) {
      const m = new PeerMachine({ config, random: r });
      const table = new ReceivedRouteTable();
      let now = 0;
      const start = m.handle({ type: 'manualStart', now });
      const id = start.find((a) => a.type === 'connect')!.connection;
      const transport = {
        localAddress: '203.0.113.2',
        localPort: 40000,
        remoteAddress: '203.0.113.1',
        remotePort: 179,
      };
      m.handle({ type: 'tcpConnected', connection: id, transport, now });
      if (n % 4 !== 0) {
        m.handle({
          type: 'bytesReceived',
          connection: id,
          data: Buffer.concat([peerOpen, encodeKeepalive()]),
          now,
        });
        expect(m.state).toBe('Established');
      }
      const messages = Array.from({ length: 1 + pick(3) }, () => {
        const seed = seeds[pick(seeds.length)]!;
        return pick(4) === 0 ? seed : mutate(seed, r);
      });
      const stream = Buffer.concat(messages);
      const actions: PeerAction[] = [];
      try {
        for (let i = 0; i < stream.length; ) {
          const size = 1 + pick(stream.length);
          now += pick(1000);
          actions.push(
            ...m.handle({ type: 'bytesReceived', connection: id, data: stream.subarray(i, i + size), now }),
          );
          i += size;
        }
      } catch (err) {
        throw new Error(`machine threw on ${stream.toString('hex')}: ${(err as Error).stack}`);
      }
      expectWellFormed(actions);
      const sent = actions.filter((a) => a.type === 'notificationSent');
      const received = actions.some((a) => a.type === 'notificationReceived');
      if (sent.length > 0 || received) {
        resets++;
        expect(sent.length).toBeLessThanOrEqual(1);
        for (const a of sent) {
          expect(a.notification.code >= 1 && a.notification.code <= 7).toBe(true);
          answers.add(`${a.notification.code}/${a.notification.subcode}`);
        }
        expect(actions).toContainEqual({ type: 'closeConnection', connection: id });
        expect(m.state).toBe('Idle');
        expect(actions.some((a) => a.type === 'armTimer' && a.timer === 'IdleHoldTimer')).toBe(true);
        expect([m.receivedCount('ipv4'), m.receivedCount('ipv6')]).toEqual([0, 0]);
        // The connection is gone: more bytes on it mean nothing.
        expect(m.handle({ type: 'bytesReceived', connection: id, data: stream, now })).toEqual([]);
      } else {
        survived++;
        expect(m.state).not.toBe('Idle');
        expect(actions.some((a) => a.type === 'closeConnection')).toBe(false);
      }
      for (const a of actions) if (a.type === 'routesReceived') table.apply(a);
      if (m.state !== 'Established') table.clear();
      for (const afi of ['ipv4', 'ipv6'] as const) {
        const routes = table.routes(afi);
        expect(routes.every((route) => route.prefix.afi === afi)).toBe(true);
        // The machine's counts agree with the full table built from what it reported.
        expect(m.receivedCount(afi)).toBe(routes.length);
      }
    }
    // Both outcomes, and many different NOTIFICATIONs, must actually have been exercised.
    expect(resets).toBeGreaterThan(1000);
    expect(survived).toBeGreaterThan(1000);
    expect(answers.size).toBeGreaterThan(10);
  });
});
