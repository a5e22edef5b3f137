import { describe, expect, test } from '@jest/globals';
import { type ResolvedPeerConfig, resolvePeerConfig } from '../config.ts';
import { parsePrefix } from '../prefix.ts';
import { AdjRibOut } from '../rib/adj-rib-out.ts';
import type { PeerConfig } from '../types.ts';
import { encodeKeepalive } from '../wire/keepalive.ts';
import { encodeNotification } from '../wire/notification.ts';
import { encodeOpen } from '../wire/open.ts';
import { encodeRouteRefresh } from '../wire/route-refresh.ts';
import { buildEndOfRib } from '../wire/update.ts';
import { ReconnectBackoff } from './backoff.ts';
import type { SessionAction } from './events.ts';
import { collisionWinner } from './open-policy.ts';
import { SessionMachine } from './session-machine.ts';

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

function setup(over: Partial<PeerConfig> = {}) {
  let now = 1_000_000;
  const clock = { now: () => now };
  const ribOut = new AdjRibOut();
  const m = new SessionMachine({ config: config(over), ribOut, clock, random: () => 0 });
  return { m, ribOut, advance: (ms: number) => (now += ms) };
}

const peerOpen = (over: { asn?: number; holdTime?: number; id?: string } = {}) =>
  encodeOpen({
    asn: over.asn ?? 65001,
    holdTime: over.holdTime ?? 90,
    bgpIdentifier: over.id ?? '203.0.113.1',
    capabilities: { families: ['ipv4'], asn: over.asn ?? 65001, extendedMessages: false },
  });

const sends = (a: SessionAction[]) =>
  a.filter((x) => x.type === 'send').map((x) => (x as { messageType: string }).messageType);
const notification = (a: SessionAction[]) => {
  const n = a.find((x) => x.type === 'notificationSent');
  return n && n.type === 'notificationSent' ? [n.notification.code, n.notification.subcode] : undefined;
};
const timer = (a: SessionAction[], name: string) =>
  a.find((x) => x.type === 'armTimer' && x.timer === name) as { delayMs: number } | undefined;

function establish(s: ReturnType<typeof setup>): SessionAction[] {
  s.m.handle({ type: 'manualStart' });
  s.m.handle({ type: 'tcpConnected', transport });
  s.m.handle({ type: 'bytesReceived', data: peerOpen() });
  return s.m.handle({ type: 'bytesReceived', data: encodeKeepalive() });
}

describe('SessionMachine transitions', () => {
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

  test('peer hold time 1 or 2 → OPEN error 2/6; 0 disables timers', () => {
    for (const holdTime of [1, 2]) {
      const s = setup();
      s.m.handle({ type: 'manualStart' });
      s.m.handle({ type: 'tcpConnected', transport });
      expect(notification(s.m.handle({ type: 'bytesReceived', data: peerOpen({ holdTime }) }))).toEqual([
        2, 6,
      ]);
    }
    const s = setup();
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
    const b = new ReconnectBackoff(
      { initialMs: 1000, maxMs: 8000, multiplier: 2, jitter: 0.25, stableMs: 0 },
      () => 0.999,
    );
    expect([b.nextDelay(), b.nextDelay(), b.nextDelay(), b.nextDelay(), b.nextDelay()]).toEqual([
      750, 1501, 3001, 6002, 6002,
    ]);
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
