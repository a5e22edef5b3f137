import { Backoff, parsePrefix } from '@herald/inet';
import { describe, expect, test } from '@jest/globals';
import { type ResolvedPeerConfig, resolvePeerConfig } from '../config.ts';
import type { PeerConfig } from '../types.ts';
import { encodePathAttributes } from '../wire/attributes.ts';
import { encodeKeepalive } from '../wire/keepalive.ts';
import { encodeNlriPrefix } from '../wire/nlri.ts';
import { encodeNotification } from '../wire/notification.ts';
import { encodeOpen } from '../wire/open.ts';
import { encodeRouteRefresh } from '../wire/route-refresh.ts';
import { buildEndOfRib, buildIpv4Announce, buildIpv4Withdraw, buildMpAnnounce } from '../wire/update.ts';
import { collisionWinner } from './collision.ts';
import type { ConnectionId, PeerAction, TimerName, TransportInfo } from './events.ts';
import { PeerMachine } from './peer-machine.ts';

const transport = {
  localAddress: '203.0.113.2',
  localPort: 40000,
  remoteAddress: '203.0.113.1',
  remotePort: 179,
};

function config(over: Partial<PeerConfig> = {}): ResolvedPeerConfig {
  const r = resolvePeerConfig({ localAsn: 65002, peerAsn: 65001, peerAddress: '203.0.113.1', ...over });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config;
}

/**
 * The one-connection event vocabulary these tests were written in, mapped onto the peer machine: connection
 * ids and `now` are filled in here. `tcpConnected` completes our connect attempt, or is the peer's connection
 * when none is in flight (passive); `collisionLost` is a §6.8 collision our connection loses (the peer
 * connects too and its OPEN carries a higher BGP Identifier).
 */
type HarnessEvent =
  | { type: 'manualStart' }
  | { type: 'manualStop'; notification?: false | { subcode: number; communication?: string } }
  | { type: 'bfdDown' }
  | { type: 'tcpConnected'; transport: TransportInfo }
  | { type: 'tcpConnectFailed'; reason: string }
  | { type: 'tcpClosed'; reason: string }
  | { type: 'bytesReceived'; data: Buffer }
  | { type: 'timerExpired'; timer: TimerName }
  | { type: 'collisionLost' };

function setup(over: Partial<PeerConfig> = {}) {
  let now = 1_000_000;
  const machine = new PeerMachine({ config: config(over), random: () => 0 });
  let dialing: ConnectionId | undefined;
  let current: ConnectionId | undefined;
  const track = (actions: PeerAction[]) => {
    for (const a of actions) if (a.type === 'connect') dialing = a.connection;
    return actions;
  };
  const handle = (e: HarnessEvent): PeerAction[] => {
    switch (e.type) {
      case 'manualStart':
      case 'manualStop':
      case 'bfdDown':
        return track(machine.handle({ ...e, now }));
      case 'tcpConnected': {
        if (dialing === undefined) {
          const accepted = machine.accept(e.transport, now);
          current = accepted.connection;
          return track(accepted.actions);
        }
        current = dialing;
        dialing = undefined;
        return track(machine.handle({ ...e, connection: current, now }));
      }
      case 'tcpConnectFailed':
        return track(machine.handle({ ...e, connection: dialing!, now }));
      case 'tcpClosed':
      case 'bytesReceived':
        return track(machine.handle({ ...e, connection: current!, now }));
      case 'timerExpired':
        return track(
          machine.handle({
            ...e,
            now,
            ...(e.timer === 'HoldTimer' || e.timer === 'KeepaliveTimer' ? { connection: current! } : {}),
          }),
        );
      case 'collisionLost': {
        const incoming = machine.accept({ ...transport, remotePort: 50000, localPort: 179 }, now);
        const open = machine.handle({
          type: 'bytesReceived',
          connection: incoming.connection,
          data: peerOpen({ id: '203.0.113.9' }),
          now,
        });
        return [...incoming.actions, ...open];
      }
    }
  };
  const m = {
    handle,
    get state() {
      return machine.state;
    },
    get negotiated() {
      return machine.negotiated;
    },
    nextUpdate: () => machine.nextUpdate(),
    hasPendingUpdates: () => machine.hasPendingUpdates(),
  };
  const ribOut = { announce: machine.announce.bind(machine) };
  return { m, machine, ribOut, advance: (ms: number) => (now += ms) };
}

const peerOpen = (
  over: { asn?: number; holdTime?: number; id?: string; families?: ('ipv4' | 'ipv6')[] } = {},
) =>
  encodeOpen({
    asn: over.asn ?? 65001,
    holdTime: over.holdTime ?? 90,
    bgpIdentifier: over.id ?? '203.0.113.1',
    capabilities: { families: over.families ?? ['ipv4'], asn: over.asn ?? 65001, extendedMessages: false },
  });

const sends = (a: PeerAction[]) =>
  a.filter((x) => x.type === 'send').map((x) => (x as { messageType: string }).messageType);
const notification = (a: PeerAction[]) => {
  const n = a.find((x) => x.type === 'notificationSent');
  return n && n.type === 'notificationSent' ? [n.notification.code, n.notification.subcode] : undefined;
};
const timer = (a: PeerAction[], name: string) =>
  a.find((x) => x.type === 'armTimer' && x.timer === name) as { delayMs: number } | undefined;

function establish(s: ReturnType<typeof setup>): PeerAction[] {
  s.m.handle({ type: 'manualStart' });
  s.m.handle({ type: 'tcpConnected', transport });
  s.m.handle({ type: 'bytesReceived', data: peerOpen() });
  return s.m.handle({ type: 'bytesReceived', data: encodeKeepalive() });
}

describe('PeerMachine transitions', () => {
  test('Idle → Connect → OpenSent → OpenConfirm → Established with the RFC timers', () => {
    const s = setup();
    let a = s.m.handle({ type: 'manualStart' });
    expect(s.m.state).toBe('Connect');
    expect(a.some((x) => x.type === 'connect')).toBe(true);
    a = s.m.handle({ type: 'tcpConnected', transport });
    expect(s.m.state).toBe('OpenSent');
    expect(sends(a)).toEqual(['open']);
    expect(timer(a, 'HoldTimer')?.delayMs).toBe(240_000);
    a = s.m.handle({ type: 'bytesReceived', data: peerOpen({ holdTime: 30 }) });
    expect(s.m.state).toBe('OpenConfirm');
    expect(sends(a)).toEqual(['keepalive']);
    expect(timer(a, 'HoldTimer')?.delayMs).toBe(30_000);
    expect(timer(a, 'KeepaliveTimer')?.delayMs).toBe(10_000);
    a = s.m.handle({ type: 'bytesReceived', data: encodeKeepalive() });
    expect(s.m.state).toBe('Established');
    expect(a.find((x) => x.type === 'established')).toMatchObject({
      negotiated: { holdTime: 30, keepaliveTime: 10, peerAsn: 65001, ebgp: true },
    });
    expect(s.m.negotiated?.localRouterId).toBe('203.0.113.2');
  });

  test('passive sessions wait in Active and never dial', () => {
    const s = setup({ passive: true });
    const a = s.m.handle({ type: 'manualStart' });
    expect(s.m.state).toBe('Active');
    expect(a.some((x) => x.type === 'connect')).toBe(false);
    s.m.handle({ type: 'tcpConnected', transport });
    expect(s.m.state).toBe('OpenSent');
  });

  test('hold timer expiry → NOTIFICATION 4/0 and a damped restart', () => {
    const s = setup();
    establish(s);
    const a = s.m.handle({ type: 'timerExpired', timer: 'HoldTimer' });
    expect(notification(a)).toEqual([4, 0]);
    expect(s.m.state).toBe('Idle');
    expect(timer(a, 'IdleHoldTimer')?.delayMs).toBe(2000);
    expect(a.some((x) => x.type === 'closed' && x.wasEstablished)).toBe(true);
  });

  test('keepalive timer sends KEEPALIVE and re-arms', () => {
    const s = setup();
    establish(s);
    const a = s.m.handle({ type: 'timerExpired', timer: 'KeepaliveTimer' });
    expect(sends(a)).toEqual(['keepalive']);
    expect(timer(a, 'KeepaliveTimer')?.delayMs).toBe(30_000);
  });

  test('peer hold time 1 or 2 → OPEN error 2/6; 0 is refused too, unless minHoldTime is 0', () => {
    for (const holdTime of [1, 2, 0]) {
      const s = setup();
      s.m.handle({ type: 'manualStart' });
      s.m.handle({ type: 'tcpConnected', transport });
      expect(notification(s.m.handle({ type: 'bytesReceived', data: peerOpen({ holdTime }) }))).toEqual([
        2, 6,
      ]);
    }
    const s = setup({ minHoldTime: 0 });
    s.m.handle({ type: 'manualStart' });
    s.m.handle({ type: 'tcpConnected', transport });
    const a = s.m.handle({ type: 'bytesReceived', data: peerOpen({ holdTime: 0 }) });
    expect(timer(a, 'KeepaliveTimer')).toBeUndefined();
    expect(a.some((x) => x.type === 'cancelTimer' && x.timer === 'HoldTimer')).toBe(true);
  });

  test('wrong peer AS → 2/2; zero BGP identifier → 2/3', () => {
    const s = setup();
    s.m.handle({ type: 'manualStart' });
    s.m.handle({ type: 'tcpConnected', transport });
    expect(notification(s.m.handle({ type: 'bytesReceived', data: peerOpen({ asn: 65099 }) }))).toEqual([
      2, 2,
    ]);
    const t = setup({ peerAsn: 'external' });
    t.m.handle({ type: 'manualStart' });
    t.m.handle({ type: 'tcpConnected', transport });
    expect(notification(t.m.handle({ type: 'bytesReceived', data: peerOpen({ id: '0.0.0.0' }) }))).toEqual([
      2, 3,
    ]);
  });

  test('UPDATE in OpenSent → 5/1, KEEPALIVE... in OpenConfirm UPDATE → 5/2, OPEN in Established → 5/3', () => {
    const s = setup();
    s.m.handle({ type: 'manualStart' });
    s.m.handle({ type: 'tcpConnected', transport });
    expect(notification(s.m.handle({ type: 'bytesReceived', data: buildEndOfRib('ipv4') }))).toEqual([5, 1]);
    const t = setup();
    t.m.handle({ type: 'manualStart' });
    t.m.handle({ type: 'tcpConnected', transport });
    t.m.handle({ type: 'bytesReceived', data: peerOpen() });
    expect(notification(t.m.handle({ type: 'bytesReceived', data: buildEndOfRib('ipv4') }))).toEqual([5, 2]);
    const u = setup();
    establish(u);
    expect(notification(u.m.handle({ type: 'bytesReceived', data: peerOpen() }))).toEqual([5, 3]);
  });

  test('a header error mid-stream is answered and later bytes are ignored', () => {
    const s = setup();
    establish(s);
    const bad = Buffer.from(encodeKeepalive());
    bad[0] = 0;
    const a = s.m.handle({ type: 'bytesReceived', data: Buffer.concat([bad, encodeKeepalive()]) });
    expect(notification(a)).toEqual([1, 1]);
    expect(s.m.state).toBe('Idle');
  });

  test('received routes are exposed and counted; End-of-RIB reported', () => {
    const s = setup();
    establish(s);
    const a = s.m.handle({ type: 'bytesReceived', data: buildEndOfRib('ipv4') });
    expect(a.some((x) => x.type === 'endOfRibReceived' && x.afi === 'ipv4')).toBe(true);
  });

  test('ROUTE-REFRESH re-queues the family; the RIB dump ends with End-of-RIB', () => {
    const s = setup();
    s.ribOut.announce(parsePrefix('198.51.100.7/32'), { nextHop: '203.0.113.2' });
    const est = establish(s);
    expect(est.some((x) => x.type === 'updatesPending')).toBe(true);
    expect(s.m.nextUpdate()).toBeDefined();
    expect(s.m.nextUpdate()?.length).toBe(23); // End-of-RIB
    expect(s.m.nextUpdate()).toBeUndefined();
    s.m.handle({ type: 'bytesReceived', data: encodeRouteRefresh('ipv4') });
    expect(s.m.hasPendingUpdates()).toBe(true);
  });

  test('manual stop sends Cease/Administrative Shutdown with the communication, or nothing when asked', () => {
    const s = setup();
    establish(s);
    const a = s.m.handle({ type: 'manualStop', notification: { subcode: 2, communication: 'bye' } });
    expect(notification(a)).toEqual([6, 2]);
    expect(timer(a, 'IdleHoldTimer')).toBeUndefined();
    const t = setup();
    establish(t);
    const b = t.m.handle({ type: 'manualStop', notification: false });
    expect(sends(b)).toEqual([]);
    expect(b.some((x) => x.type === 'closeConnection')).toBe(true);
  });
});

describe('BFD Down (RFC 9384)', () => {
  test('closes an Established session with Cease/BFD Down and restarts it with the damped backoff', () => {
    const s = setup();
    establish(s);
    const a = s.m.handle({ type: 'bfdDown' });
    expect(notification(a)).toEqual([6, 10]);
    expect(a.find((x) => x.type === 'closed')).toMatchObject({ reason: 'BFD Down', wasEstablished: true });
    expect(s.m.state).toBe('Idle');
    expect(timer(a, 'IdleHoldTimer')?.delayMs).toBe(2000);
    // The restart dials again: the session was not stopped administratively.
    const b = s.m.handle({ type: 'timerExpired', timer: 'IdleHoldTimer' });
    expect(b.some((x) => x.type === 'connect')).toBe(true);
  });

  test('repeated BFD failures are damped like any other failure', () => {
    const s = setup();
    s.m.handle({ type: 'manualStart' });
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      s.m.handle({ type: 'tcpConnected', transport });
      s.m.handle({ type: 'bytesReceived', data: peerOpen() });
      s.m.handle({ type: 'bytesReceived', data: encodeKeepalive() });
      s.advance(1000);
      delays.push(timer(s.m.handle({ type: 'bfdDown' }), 'IdleHoldTimer')!.delayMs);
      s.m.handle({ type: 'timerExpired', timer: 'IdleHoldTimer' });
    }
    expect(delays).toEqual([2000, 4000, 8000]);
  });

  test('without a connection there is nothing to close and nothing changes', () => {
    const s = setup();
    s.m.handle({ type: 'manualStart' });
    s.m.handle({ type: 'tcpConnectFailed', reason: 'ECONNREFUSED' });
    expect(s.m.handle({ type: 'bfdDown' })).toEqual([]);
    expect(s.m.state).toBe('Active');
  });
});

describe('damped reconnect', () => {
  test('OPEN then NOTIFICATION repeatedly: the delay grows and never resets', () => {
    const s = setup();
    s.m.handle({ type: 'manualStart' });
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      s.m.handle({ type: 'tcpConnected', transport });
      s.m.handle({ type: 'bytesReceived', data: peerOpen() });
      s.m.handle({ type: 'bytesReceived', data: encodeKeepalive() }); // briefly Established
      s.advance(1000);
      const a = s.m.handle({ type: 'bytesReceived', data: encodeNotification(6, 5) });
      delays.push(timer(a, 'IdleHoldTimer')!.delayMs);
      s.m.handle({ type: 'timerExpired', timer: 'IdleHoldTimer' });
    }
    expect(delays).toEqual([2000, 4000, 8000, 16000, 32000, 64000, 120000]);
  });
  test('the backoff resets only after the session was Established for stableMs', () => {
    const s = setup();
    s.m.handle({ type: 'manualStart' });
    s.m.handle({ type: 'tcpConnectFailed', reason: 'refused' });
    s.m.handle({ type: 'timerExpired', timer: 'ConnectRetryTimer' });
    s.m.handle({ type: 'tcpConnected', transport });
    s.m.handle({ type: 'bytesReceived', data: peerOpen() });
    s.m.handle({ type: 'bytesReceived', data: encodeKeepalive() });
    s.advance(61_000);
    const a = s.m.handle({ type: 'tcpClosed', reason: 'reset' });
    expect(timer(a, 'IdleHoldTimer')?.delayMs).toBe(2000);
  });
  test('jitter only shortens delays (75%-100% with jitter 0.25)', () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 8000, multiplier: 2, jitter: 0.25 }, () => 0.999);
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([750, 1501, 3001, 6002, 6002]);
  });
  test('connect failures back off in Active and retry', () => {
    const s = setup();
    s.m.handle({ type: 'manualStart' });
    const a = s.m.handle({ type: 'tcpConnectFailed', reason: 'ECONNREFUSED' });
    expect(s.m.state).toBe('Active');
    expect(timer(a, 'ConnectRetryTimer')?.delayMs).toBe(2000);
    const b = s.m.handle({ type: 'timerExpired', timer: 'ConnectRetryTimer' });
    expect(s.m.state).toBe('Connect');
    expect(b.some((x) => x.type === 'connect')).toBe(true);
  });
});

describe('collision detection (§6.8)', () => {
  test('the higher BGP identifier keeps the connection it initiated', () => {
    expect(collisionWinner('203.0.113.2', '203.0.113.1')).toBe('locally-initiated');
    expect(collisionWinner('203.0.113.1', '203.0.113.2')).toBe('remotely-initiated');
    expect(collisionWinner('10.0.0.1', '9.255.255.255')).toBe('locally-initiated');
  });
  test('collisionLost sends Cease 7 and closes without a restart', () => {
    const s = setup();
    s.m.handle({ type: 'manualStart' });
    s.m.handle({ type: 'tcpConnected', transport });
    const a = s.m.handle({ type: 'collisionLost' });
    expect(notification(a)).toEqual([6, 7]);
    expect(timer(a, 'IdleHoldTimer')).toBeUndefined();
  });
});

describe('minimum hold time', () => {
  test('a proposal below minHoldTime gets 2/6; at or above it the session comes up', () => {
    const low = setup({ minHoldTime: 30 });
    low.m.handle({ type: 'manualStart' });
    low.m.handle({ type: 'tcpConnected', transport });
    const refused = low.m.handle({ type: 'bytesReceived', data: peerOpen({ holdTime: 29 }) });
    expect(notification(refused)).toEqual([2, 6]);
    expect(refused).toContainEqual(
      expect.objectContaining({ type: 'protocolError', reason: 'OPEN rejected' }),
    );
    const ok = setup({ minHoldTime: 30 });
    ok.m.handle({ type: 'manualStart' });
    ok.m.handle({ type: 'tcpConnected', transport });
    ok.m.handle({ type: 'bytesReceived', data: peerOpen({ holdTime: 30 }) });
    expect(ok.m.state).toBe('OpenConfirm');
  });
});

describe('OPEN wait on incoming connections', () => {
  test('an incoming connection gets incomingOpenHoldTime, an outgoing one the RFC 240 s', () => {
    const incoming = setup({ passive: true, incomingOpenHoldTime: 5 });
    incoming.m.handle({ type: 'manualStart' });
    const a = incoming.m.handle({ type: 'tcpConnected', transport });
    expect(timer(a, 'HoldTimer')?.delayMs).toBe(5000);
    // Silence until it expires: the connection slot is freed with 4/0 and the peer waits in Active again.
    const expired = incoming.m.handle({ type: 'timerExpired', timer: 'HoldTimer' });
    expect(notification(expired)).toEqual([4, 0]);
    expect(expired.some((x) => x.type === 'closeConnection')).toBe(true);
    const outgoing = setup({ incomingOpenHoldTime: 5 });
    outgoing.m.handle({ type: 'manualStart' });
    expect(timer(outgoing.m.handle({ type: 'tcpConnected', transport }), 'HoldTimer')?.delayMs).toBe(240_000);
  });
});

/** One UPDATE announcing PREFIXES (IPv4, NEXT_HOP 203.0.113.1) and withdrawing WITHDRAWN. */
function update(
  prefixes: readonly string[],
  withdrawn: readonly string[] = [],
  asPath: readonly number[] = [65001],
): Buffer {
  if (prefixes.length === 0) {
    const nlri = withdrawn.map((p) => encodeNlriPrefix(parsePrefix(p)));
    return buildIpv4Withdraw(
      nlri,
      nlri.reduce((n, b) => n + b.length, 0),
    );
  }
  const { below, above } = encodePathAttributes(
    {
      origin: 0,
      asPath: [...asPath],
      nextHop: Buffer.from([203, 0, 113, 1]),
      communities: [],
      extendedCommunities: [],
      largeCommunities: [],
    },
    true,
  );
  const nlri = prefixes.map((p) => encodeNlriPrefix(parsePrefix(p)));
  const message = buildIpv4Announce(
    below,
    above,
    nlri,
    nlri.reduce((n, b) => n + b.length, 0),
  );
  if (withdrawn.length === 0) return message;
  return Buffer.concat([update([], withdrawn), message]);
}
const hosts = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => `198.18.${(from + i) >> 8}.${(from + i) & 255}/32`);

describe('Adj-RIB-In: counts only, and the RFC 4486 prefix limit', () => {
  test('received prefixes are counted, never stored with their attributes; withdrawals uncount', () => {
    const s = setup();
    establish(s);
    const a = s.m.handle({ type: 'bytesReceived', data: update(hosts(0, 10)) });
    const report = a.find((x) => x.type === 'routesReceived');
    expect(report).toMatchObject({ afi: 'ipv4', attributes: { nextHop: '203.0.113.1' } });
    expect(s.machine.receivedCount('ipv4')).toBe(10);
    // Announcing a prefix again replaces it (no double count); a withdrawal removes it.
    s.m.handle({ type: 'bytesReceived', data: update(hosts(5, 10), hosts(0, 3)) });
    expect(s.machine.receivedCount('ipv4')).toBe(12);
    // No method hands the routes back: the attributes lived only in the report.
    expect('receivedRoutes' in s.machine).toBe(false);
  });

  test("'restart': exceeding the limit sends Cease 6/1 with AFI, SAFI and the limit, and restarts damped", () => {
    const s = setup({ maxPrefixes: { limit: 100, restartTime: 30 } });
    const delays: number[] = [];
    for (let round = 0; round < 6; round++) {
      if (round === 0) establish(s);
      else {
        s.m.handle({ type: 'timerExpired', timer: 'IdleHoldTimer' });
        s.m.handle({ type: 'tcpConnected', transport });
        s.m.handle({ type: 'bytesReceived', data: peerOpen() });
        s.m.handle({ type: 'bytesReceived', data: encodeKeepalive() });
      }
      expect(s.m.state).toBe('Established');
      // Exactly the limit is fine ...
      expect(
        notification(s.m.handle({ type: 'bytesReceived', data: update(hosts(0, 100)) })),
      ).toBeUndefined();
      // ... one more is not.
      s.advance(1000);
      const a = s.m.handle({ type: 'bytesReceived', data: update(hosts(100, 1)) });
      const sent = a.find((x) => x.type === 'send' && x.messageType === 'notification');
      expect(sent && sent.type === 'send' ? [...sent.data.subarray(19)] : []).toEqual([
        6, 1, 0, 1, 1, 0, 0, 0, 100,
      ]);
      expect(a).toContainEqual({ type: 'prefixLimitReached', afi: 'ipv4', limit: 100, action: 'restart' });
      expect(s.m.state).toBe('Idle');
      expect(s.machine.receivedCount('ipv4')).toBe(0);
      delays.push(timer(a, 'IdleHoldTimer')!.delayMs);
    }
    // restartTime, doubled per consecutive trip, capped at 16×.
    expect(delays).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 480_000]);
    expect(s.machine.stats.prefixLimitReached).toBe(6);
  });

  test("a session that stays up for stableMs ends the 'restart' streak", () => {
    const s = setup({ maxPrefixes: { limit: 1, restartTime: 10 } });
    establish(s);
    s.m.handle({ type: 'bytesReceived', data: update(hosts(0, 2)) });
    s.m.handle({ type: 'timerExpired', timer: 'IdleHoldTimer' });
    s.m.handle({ type: 'tcpConnected', transport });
    s.m.handle({ type: 'bytesReceived', data: peerOpen() });
    s.m.handle({ type: 'bytesReceived', data: encodeKeepalive() });
    s.advance(61_000);
    // An ordinary failure after a stable session: the next prefix-limit trip starts from restartTime again.
    s.m.handle({ type: 'tcpClosed', reason: 'reset' });
    s.m.handle({ type: 'timerExpired', timer: 'IdleHoldTimer' });
    s.m.handle({ type: 'tcpConnected', transport });
    s.m.handle({ type: 'bytesReceived', data: peerOpen() });
    s.m.handle({ type: 'bytesReceived', data: encodeKeepalive() });
    const a = s.m.handle({ type: 'bytesReceived', data: update(hosts(0, 2)) });
    expect(timer(a, 'IdleHoldTimer')?.delayMs).toBe(10_000);
  });

  test("'block': prefixes beyond the limit are refused and counted, the session stays up", () => {
    const s = setup({ maxPrefixes: { limit: 100, action: 'block' } });
    establish(s);
    const a = s.m.handle({ type: 'bytesReceived', data: update(hosts(0, 150)) });
    expect(notification(a)).toBeUndefined();
    expect(a).toContainEqual({ type: 'prefixLimitReached', afi: 'ipv4', limit: 100, action: 'block' });
    expect(s.m.state).toBe('Established');
    expect(s.machine.receivedCount('ipv4')).toBe(100);
    expect(s.machine.blockedCount('ipv4')).toBe(50);
    // Reported once per session, not per UPDATE.
    const b = s.m.handle({ type: 'bytesReceived', data: update(hosts(150, 10)) });
    expect(b.some((x) => x.type === 'prefixLimitReached')).toBe(false);
    expect(s.machine.blockedCount('ipv4')).toBe(60);
    // Withdrawals make room; already recorded prefixes re-announced are not blocked.
    s.m.handle({ type: 'bytesReceived', data: update(hosts(0, 100), hosts(0, 10)) });
    expect(s.machine.receivedCount('ipv4')).toBe(100);
    expect(s.machine.blockedCount('ipv4')).toBe(60);
  });

  test('routes with our own AS in the AS_PATH (a router echoing ours) are dropped and not counted', () => {
    const s = setup({ maxPrefixes: { limit: 100, action: 'block' } });
    establish(s);
    // A loop-free version first, then the same prefix comes back through our AS (65002): it replaces it.
    s.m.handle({ type: 'bytesReceived', data: update(hosts(0, 1)) });
    expect(s.machine.receivedCount('ipv4')).toBe(1);
    const a = s.m.handle({ type: 'bytesReceived', data: update(hosts(0, 500), [], [65001, 65002]) });
    expect(a.some((x) => x.type === 'prefixLimitReached')).toBe(false);
    expect(s.machine.receivedCount('ipv4')).toBe(0);
    expect(s.machine.blockedCount('ipv4')).toBe(0);
    expect(s.machine.stats.asPathLoops).toBe(1);
    expect(s.m.state).toBe('Established');
    // Loop-free routes still count, as before.
    s.m.handle({ type: 'bytesReceived', data: update(hosts(0, 150)) });
    expect(s.machine.receivedCount('ipv4')).toBe(100);
  });

  test('limits apply per family, counted separately', () => {
    const s = setup({ maxPrefixes: { limit: 1, action: 'block' }, families: ['ipv4', 'ipv6'] });
    s.m.handle({ type: 'manualStart' });
    s.m.handle({ type: 'tcpConnected', transport });
    s.m.handle({ type: 'bytesReceived', data: peerOpen({ families: ['ipv4', 'ipv6'] }) });
    s.m.handle({ type: 'bytesReceived', data: encodeKeepalive() });
    const v6 = (p: string) => {
      const nlri = [encodeNlriPrefix(parsePrefix(p))];
      const { below, above } = encodePathAttributes(
        { origin: 0, asPath: [65001], communities: [], extendedCommunities: [], largeCommunities: [] },
        true,
      );
      const nh = Buffer.from('20010db8000100000000000000000001', 'hex');
      return buildMpAnnounce('ipv6', below, above, nh, nlri, nlri[0]!.length);
    };
    s.m.handle({ type: 'bytesReceived', data: update(hosts(0, 1)) });
    s.m.handle({ type: 'bytesReceived', data: v6('2001:db8:100::1/128') });
    expect([s.machine.receivedCount('ipv4'), s.machine.receivedCount('ipv6')]).toEqual([1, 1]);
    s.m.handle({ type: 'bytesReceived', data: v6('2001:db8:100::2/128') });
    expect([s.machine.blockedCount('ipv4'), s.machine.blockedCount('ipv6')]).toEqual([0, 1]);
  });
});
