import { connect } from 'node:net';
import { afterEach, describe, expect, test } from '@jest/globals';
import type { Logger } from '../types.ts';
import { BgpSpeaker, type ConnectionRejected } from './speaker.ts';

const speakers: BgpSpeaker[] = [];
afterEach(async () => {
  await Promise.all(speakers.splice(0).map((s) => s.close()));
});

/** A logger that keeps warn lines. */
function recordingLogger(): Logger & { warns: { obj: object; msg?: string }[] } {
  const warns: { obj: object; msg?: string }[] = [];
  return { warns, debug() {}, info() {}, error() {}, warn: (obj, msg) => warns.push({ obj, msg }) };
}

/** Opens a TCP connection and waits until the other side closed it. */
function knock(port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({ port, host });
    s.on('error', () => resolve());
    s.on('close', () => resolve());
    s.resume();
  });
}

describe('BgpSpeaker listener', () => {
  test('listenOn opens exactly the given addresses and closes the others; [] closes all, sessions stay', async () => {
    const speaker = new BgpSpeaker({ listen: { port: 0 } });
    speakers.push(speaker);
    await speaker.listenOn(['127.0.0.1', '::1']);
    expect(
      speaker
        .addresses()
        .map((a) => a.address)
        .sort(),
    ).toEqual(['127.0.0.1', '::1']);
    const v4 = speaker.addresses().find((a) => a.address === '127.0.0.1')!.port;
    await speaker.listenOn(['127.0.0.1']);
    expect(speaker.addresses().map((a) => a.address)).toEqual(['127.0.0.1']);
    // The remaining listener was not reopened.
    expect(speaker.address()!.port).toBe(v4);
    const session = speaker.addPeer({ localAsn: 65002, peerAsn: 65001, peerAddress: '127.0.0.9' });
    await speaker.listenOn([]);
    expect(speaker.addresses()).toEqual([]);
    expect(speaker.getPeer('127.0.0.9')).toBe(session);
  });

  test('a bind error is reported, the other addresses are still bound', async () => {
    const speaker = new BgpSpeaker({ listen: { port: 0 } });
    speakers.push(speaker);
    // An address no interface of this machine has.
    await expect(speaker.listenOn(['127.0.0.1', '203.0.113.254'])).rejects.toThrow(/EADDRNOTAVAIL/);
    expect(speaker.addresses().map((a) => a.address)).toEqual(['127.0.0.1']);
  });

  test('a flood of rejected connections: every one counted, one log line per reason and interval', async () => {
    let now = 0;
    const logger = recordingLogger();
    const speaker = new BgpSpeaker({
      listen: { address: '127.0.0.1', port: 0 },
      logger,
      clock: { now: () => now },
      rejectionLogIntervalMs: 10_000,
    });
    speakers.push(speaker);
    // A configured peer whose session is not started: its address is refused by the session, not unknown.
    speaker.addPeer({ localAsn: 65002, peerAsn: 65001, peerAddress: '127.0.0.1' });
    const port = (await speaker.listen())!.port;
    const rejected: ConnectionRejected[] = [];
    speaker.on('connectionRejected', (r) => rejected.push(r));
    for (let i = 0; i < 200; i += 20) await Promise.all(Array.from({ length: 20 }, () => knock(port)));
    expect(rejected).toHaveLength(200);
    expect(new Set(rejected.map((r) => r.reason))).toEqual(new Set(['session-not-started']));
    expect(logger.warns).toHaveLength(1);
    expect(logger.warns[0]).toMatchObject({
      msg: 'BGP connection rejected',
      obj: { reason: 'session-not-started', remoteAddress: '127.0.0.1' },
    });
    now += 10_000;
    await knock(port);
    expect(logger.warns).toHaveLength(2);
    expect(logger.warns[1]!.obj).toMatchObject({ suppressed: 199 });
    // An unknown address is its own reason with its own line.
    await speaker.removePeer('127.0.0.1');
    await knock(port);
    expect(rejected.at(-1)).toMatchObject({ reason: 'unknown-peer' });
    expect(logger.warns).toHaveLength(3);
  });
});
