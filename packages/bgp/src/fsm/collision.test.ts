// RFC 4271 §6.8 connection collision against the pure peer machine: an incoming connection arriving in every
// peer state, the BGP Identifier comparison once an OPEN arrives on either connection (and RFC 6286's AS
// number tie-break), Cease 7 to the loser, and the two refusals.
import { describe, expect, test } from '@jest/globals';
import { resolvePeerConfig } from '../config.ts';
import type { PeerConfig } from '../types.ts';
import { MessageFramer } from '../wire/header.ts';
import { encodeKeepalive } from '../wire/keepalive.ts';
import { decodeMessage } from '../wire/message.ts';
import { encodeOpen } from '../wire/open.ts';
import { collisionWinner } from './collision.ts';
import type { ConnectionId, PeerAction, TransportInfo } from './events.ts';
import { PeerMachine } from './peer-machine.ts';

const LOCAL_ID = '203.0.113.2';
const HIGHER_PEER_ID = '203.0.113.9';
const LOWER_PEER_ID = '203.0.113.1';

/** Our connection to the peer's port 179, and the peer's connection to ours. */
const dialled: TransportInfo = {
  localAddress: '203.0.113.2',
  localPort: 40000,
  remoteAddress: '203.0.113.1',
  remotePort: 179,
};
const accepted: TransportInfo = {
  localAddress: '203.0.113.2',
  localPort: 179,
  remoteAddress: '203.0.113.1',
  remotePort: 50000,
};

function machine(over: Partial<PeerConfig> = {}) {
  const r = resolvePeerConfig({
    localAsn: 65002,
    peerAsn: 65001,
    peerAddress: '203.0.113.1',
    routerId: LOCAL_ID,
    ...over,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  const m = new PeerMachine({ config: r.config, random: () => 0 });
  let now = 0;
  let dial: ConnectionId | undefined;
  const track = (a: PeerAction[]) => {
    for (const x of a) if (x.type === 'connect') dial = x.connection;
    return a;
  };
  return {
    m,
    get dial() {
      return dial;
    },
    advance: (ms: number) => (now += ms),
    start: () => track(m.handle({ type: 'manualStart', now })),
    stop: () => track(m.handle({ type: 'manualStop', now })),
    connected: (connection = dial!) =>
      track(m.handle({ type: 'tcpConnected', connection, transport: dialled, now })),
    connectFailed: (connection = dial!) =>
      track(m.handle({ type: 'tcpConnectFailed', connection, reason: 'ECONNREFUSED', now })),
    accept: () => m.accept(accepted, now),
    bytes: (connection: ConnectionId, data: Buffer) =>
      track(m.handle({ type: 'bytesReceived', connection, data, now })),
    closedByPeer: (connection: ConnectionId) =>
      track(m.handle({ type: 'tcpClosed', connection, reason: 'reset', now })),
    timer: (timer: 'ConnectRetryTimer' | 'IdleHoldTimer' | 'HoldTimer', connection?: ConnectionId) =>
      track(m.handle({ type: 'timerExpired', timer, ...(connection ? { connection } : {}), now })),
  };
}

type Peer = ReturnType<typeof machine>;

const peerOpen = (id: string, asn = 65001) =>
  encodeOpen({
    asn,
    holdTime: 90,
    bgpIdentifier: id,
    capabilities: { families: ['ipv4'], asn, extendedMessages: false },
  });

/** Message types sent on one connection, decoded from the bytes. */
function sentOn(actions: readonly PeerAction[], connection: ConnectionId): string[] {
  const out: string[] = [];
  for (const a of actions) {
    if (a.type !== 'send' || a.connection !== connection) continue;
    const framer = new MessageFramer(65535);
    framer.push(a.data);
    const frame = framer.next();
    if (!frame?.ok) throw new Error('unframeable send');
    const d = decodeMessage(frame.value.message, frame.value.header.type, {
      fourOctetAsn: true,
      maxMessageSize: 65535,
      ebgp: true,
    });
    if (!d.ok) throw d.error;
    out.push(
      d.value.type === 'notification' ? `notification ${d.value.code}/${d.value.subcode}` : d.value.type,
    );
  }
  return out;
}

const closes = (actions: readonly PeerAction[]) =>
  actions.flatMap((a) => (a.type === 'closeConnection' ? [a.connection] : []));
const timersArmed = (actions: readonly PeerAction[]) =>
  actions.flatMap((a) => (a.type === 'armTimer' ? [a.timer] : []));
const refusal = (actions: readonly PeerAction[]) =>
  actions.find(
    (a): a is Extract<PeerAction, { type: 'connectionRefused' }> => a.type === 'connectionRefused',
  );
const resolution = (actions: readonly PeerAction[]) =>
  actions.find(
    (a): a is Extract<PeerAction, { type: 'collisionResolved' }> => a.type === 'collisionResolved',
  );
const statesVisited = (actions: readonly PeerAction[]) =>
  actions.flatMap((a) => (a.type === 'stateChange' ? [a.to] : []));

/** Our connection in OpenSent (dialled, our OPEN sent). */
function outgoingOpenSent(p: Peer): ConnectionId {
  p.start();
  const id = p.dial!;
  p.connected(id);
  expect(p.m.state).toBe('OpenSent');
  return id;
}

/** Our connection in OpenConfirm (the peer's OPEN received). */
function outgoingOpenConfirm(p: Peer, peerId: string): ConnectionId {
  const id = outgoingOpenSent(p);
  p.bytes(id, peerOpen(peerId));
  expect(p.m.state).toBe('OpenConfirm');
  return id;
}

describe('an incoming connection, by peer state', () => {
  test('Idle, never started: refused with Cease 6/5 and closed', () => {
    const p = machine();
    const { connection, actions } = p.accept();
    expect(sentOn(actions, connection)).toEqual(['notification 6/5']);
    expect(closes(actions)).toEqual([connection]);
    expect(refusal(actions)).toMatchObject({
      connection,
      reason: 'session not started',
      remoteAddress: '203.0.113.1',
    });
    expect(p.m.state).toBe('Idle');
  });

  test('Idle after a stop: refused with Cease 6/5', () => {
    const p = machine();
    outgoingOpenSent(p);
    p.stop();
    const { actions } = p.accept();
    expect(refusal(actions)?.reason).toBe('session not started');
    expect(p.m.state).toBe('Idle');
  });

  test('Idle while damped: accepted, IdleHoldTimer cancelled, our OPEN sent on it', () => {
    const p = machine();
    const out = outgoingOpenSent(p);
    const down = p.closedByPeer(out);
    expect(timersArmed(down)).toEqual(['IdleHoldTimer']);
    expect(p.m.state).toBe('Idle');
    const { connection, actions } = p.accept();
    expect(actions).toContainEqual({ type: 'cancelTimer', timer: 'IdleHoldTimer' });
    expect(sentOn(actions, connection)).toEqual(['open']);
    expect(p.m.state).toBe('OpenSent');
    // The damping timer firing anyway (a race in the driver) starts nothing.
    expect(p.timer('IdleHoldTimer')).toEqual([]);
  });

  test('Connect: our attempt in flight is abandoned for the peer’s connection', () => {
    const p = machine();
    p.start();
    const dial = p.dial!;
    expect(p.m.state).toBe('Connect');
    const { connection, actions } = p.accept();
    expect(closes(actions)).toEqual([dial]);
    expect(actions).toContainEqual({ type: 'cancelTimer', timer: 'ConnectRetryTimer' });
    expect(sentOn(actions, connection)).toEqual(['open']);
    expect(p.m.state).toBe('OpenSent');
    // The abandoned attempt completing later is closed at once and changes nothing.
    const late = p.connected(dial);
    expect(late).toEqual([{ type: 'closeConnection', connection: dial }]);
    expect(p.connectFailed(dial)).toEqual([]);
    expect(p.m.state).toBe('OpenSent');
  });

  test('Active after a failed attempt: accepted, the retry is cancelled', () => {
    const p = machine();
    p.start();
    p.connectFailed();
    expect(p.m.state).toBe('Active');
    const { connection, actions } = p.accept();
    expect(actions).toContainEqual({ type: 'cancelTimer', timer: 'ConnectRetryTimer' });
    expect(sentOn(actions, connection)).toEqual(['open']);
    expect(p.timer('ConnectRetryTimer')).toEqual([]);
    expect(p.m.state).toBe('OpenSent');
  });

  test('Active, passive peer: accepted; Established over the incoming connection', () => {
    const p = machine({ passive: true });
    p.start();
    expect(p.m.state).toBe('Active');
    const { connection } = p.accept();
    p.bytes(connection, peerOpen(HIGHER_PEER_ID));
    const est = p.bytes(connection, encodeKeepalive());
    expect(p.m.state).toBe('Established');
    expect(est).toContainEqual(expect.objectContaining({ type: 'established', connection }));
    expect(p.m.establishedConnection).toBe(connection);
  });

  test.each([
    ['OpenSent', outgoingOpenSent],
    ['OpenConfirm', (p: Peer) => outgoingOpenConfirm(p, LOWER_PEER_ID)],
  ])('%s: accepted alongside ours, both run until an OPEN decides', (state, prepare) => {
    const p = machine();
    const out = prepare(p);
    const { connection, actions } = p.accept();
    expect(sentOn(actions, connection)).toEqual(['open']);
    expect(closes(actions)).toEqual([]);
    expect(sentOn(actions, out)).toEqual([]);
    expect(p.m.state).toBe(state);
  });

  test('Established: refused with Cease 6/7, the session untouched', () => {
    const p = machine();
    const out = outgoingOpenConfirm(p, LOWER_PEER_ID);
    p.bytes(out, encodeKeepalive());
    expect(p.m.state).toBe('Established');
    const { connection, actions } = p.accept();
    expect(sentOn(actions, connection)).toEqual(['notification 6/7']);
    expect(closes(actions)).toEqual([connection]);
    expect(refusal(actions)?.reason).toBe('session already Established');
    expect(p.m.establishedConnection).toBe(out);
  });

  test('Established over an incoming connection: a further one is refused with Cease 6/7', () => {
    const p = machine({ passive: true });
    p.start();
    const first = p.accept().connection;
    p.bytes(first, peerOpen(HIGHER_PEER_ID));
    p.bytes(first, encodeKeepalive());
    const { connection, actions } = p.accept();
    expect(sentOn(actions, connection)).toEqual(['notification 6/7']);
    expect(p.m.establishedConnection).toBe(first);
  });

  test('a collision already being resolved: a third connection is refused with Cease 6/5', () => {
    const p = machine();
    const out = outgoingOpenSent(p);
    const second = p.accept().connection;
    const { connection, actions } = p.accept();
    expect(sentOn(actions, connection)).toEqual(['notification 6/5']);
    expect(refusal(actions)?.reason).toBe('a collision is already being resolved');
    expect(closes(actions)).toEqual([connection]);
    // The two connections of the collision are untouched.
    expect(closes(actions)).not.toContain(out);
    expect(closes(actions)).not.toContain(second);
  });

  test('a second connection from the peer replaces its first one (Cease 6/7) without passing through Idle', () => {
    const p = machine({ passive: true });
    p.start();
    const first = p.accept().connection;
    p.bytes(first, peerOpen(HIGHER_PEER_ID));
    expect(p.m.state).toBe('OpenConfirm');
    const { connection, actions } = p.accept();
    expect(sentOn(actions, connection)).toEqual(['open']);
    expect(sentOn(actions, first)).toEqual(['notification 6/7']);
    expect(closes(actions)).toEqual([first]);
    expect(statesVisited(actions)).toEqual(['OpenSent']);
    expect(timersArmed(actions)).not.toContain('IdleHoldTimer');
    // The replaced connection is forgotten: its bytes are ignored.
    expect(p.bytes(first, encodeKeepalive())).toEqual([]);
    p.bytes(connection, peerOpen(HIGHER_PEER_ID));
    p.bytes(connection, encodeKeepalive());
    expect(p.m.establishedConnection).toBe(connection);
  });
});

describe('§6.8 resolution once the peer’s BGP Identifier is known', () => {
  type Case = [string, string, 'outgoing' | 'incoming', 'outgoing' | 'incoming'];
  // [local vs peer, peer id, connection the first OPEN arrives on, connection kept]
  const cases: Case[] = [
    ['local id higher', LOWER_PEER_ID, 'outgoing', 'outgoing'],
    ['local id higher', LOWER_PEER_ID, 'incoming', 'outgoing'],
    ['local id lower', HIGHER_PEER_ID, 'outgoing', 'incoming'],
    ['local id lower', HIGHER_PEER_ID, 'incoming', 'incoming'],
  ];

  test.each(cases)(
    '%s (peer %s), OPEN first on the %s connection: the %s one survives',
    (_, peerId, first, kept) => {
      const p = machine();
      const ids = { outgoing: outgoingOpenSent(p), incoming: p.accept().connection };
      const loser = kept === 'outgoing' ? ids.incoming : ids.outgoing;
      const winner = ids[kept];
      const a = p.bytes(ids[first], peerOpen(peerId));
      expect(resolution(a)).toEqual({
        type: 'collisionResolved',
        localRouterId: LOCAL_ID,
        peerRouterId: peerId,
        kept,
      });
      expect(sentOn(a, loser)).toEqual(['notification 6/7']);
      expect(closes(a)).toEqual([loser]);
      expect(a).toContainEqual(
        expect.objectContaining({ type: 'closed', connection: loser, wasEstablished: false }),
      );
      // A collision loss is not a failure: no damping, no state passing through Idle.
      expect(timersArmed(a)).not.toContain('IdleHoldTimer');
      expect(statesVisited(a)).not.toContain('Idle');
      // The survivor carries on to Established (it still needs the peer's OPEN if it was not the one).
      if (ids[first] !== winner) p.bytes(winner, peerOpen(peerId));
      expect(p.m.state).toBe('OpenConfirm');
      expect(p.bytes(loser, encodeKeepalive())).toEqual([]);
      p.bytes(winner, encodeKeepalive());
      expect(p.m.state).toBe('Established');
      expect(p.m.establishedConnection).toBe(winner);
    },
  );

  test('the connection that loses on receiving the OPEN answers with Cease 7 only, no KEEPALIVE', () => {
    const p = machine();
    const out = outgoingOpenSent(p);
    const inc = p.accept().connection;
    const a = p.bytes(inc, peerOpen(LOWER_PEER_ID));
    expect(sentOn(a, inc)).toEqual(['notification 6/7']);
    expect(sentOn(a, out)).toEqual([]);
    expect(p.m.state).toBe('OpenSent');
  });

  test.each([
    ['local id higher', LOWER_PEER_ID, 'outgoing'],
    ['local id lower', HIGHER_PEER_ID, 'incoming'],
  ] as const)(
    'ours already in OpenConfirm, %s (peer %s): the OPEN on the incoming one keeps the %s one',
    (_, peerId, kept) => {
      const p = machine();
      const out = outgoingOpenConfirm(p, peerId);
      const inc = p.accept().connection;
      const a = p.bytes(inc, peerOpen(peerId));
      expect(resolution(a)?.kept).toBe(kept);
      const loser = kept === 'outgoing' ? inc : out;
      expect(sentOn(a, loser)).toEqual(['notification 6/7']);
      expect(closes(a)).toEqual([loser]);
      // Both connections reached OpenConfirm: the state never steps back.
      expect(statesVisited(a)).toEqual([]);
      expect(p.m.state).toBe('OpenConfirm');
      const winner = kept === 'outgoing' ? out : inc;
      p.bytes(winner, encodeKeepalive());
      expect(p.m.establishedConnection).toBe(winner);
    },
  );

  test('ours reached Established while the peer’s was in OpenSent: the OPEN on it loses, whatever the ids', () => {
    const p = machine();
    const out = outgoingOpenConfirm(p, HIGHER_PEER_ID);
    const inc = p.accept().connection;
    p.bytes(out, encodeKeepalive());
    expect(p.m.state).toBe('Established');
    const a = p.bytes(inc, peerOpen(HIGHER_PEER_ID));
    expect(resolution(a)?.kept).toBe('outgoing');
    expect(sentOn(a, inc)).toEqual(['notification 6/7']);
    expect(sentOn(a, out)).toEqual([]);
    expect(p.m.state).toBe('Established');
    expect(p.m.establishedConnection).toBe(out);
    expect(a.some((x) => x.type === 'established')).toBe(false);
  });

  test.each([
    [65002, 65001, 'outgoing'],
    [65001, 65002, 'incoming'],
  ] as const)(
    'equal identifiers: local AS %d, peer AS %d, the %s one survives (RFC 6286 §2.3)',
    (localAsn, peerAsn, kept) => {
      const p = machine({ localAsn, peerAsn });
      const out = outgoingOpenSent(p);
      const inc = p.accept().connection;
      const a = p.bytes(out, peerOpen(LOCAL_ID, peerAsn));
      expect(resolution(a)).toMatchObject({ localRouterId: LOCAL_ID, peerRouterId: LOCAL_ID, kept });
      expect(closes(a)).toEqual([kept === 'outgoing' ? inc : out]);
    },
  );

  test('equal identifiers within one AS are an OPEN error (2/3, RFC 6286 §2.2), not a collision', () => {
    const p = machine({ localAsn: 65001, peerAsn: 65001 });
    const out = outgoingOpenSent(p);
    const inc = p.accept().connection;
    const a = p.bytes(inc, peerOpen(LOCAL_ID));
    expect(resolution(a)).toBeUndefined();
    expect(sentOn(a, inc)).toEqual(['notification 2/3']);
    expect(closes(a)).toEqual([inc]);
    // Ours carries on alone: no damping while it is alive.
    expect(timersArmed(a)).not.toContain('IdleHoldTimer');
    expect(p.m.state).toBe('OpenSent');
    expect(closes(p.bytes(out, peerOpen('203.0.113.1')))).toEqual([]);
  });

  test('a collision loss does not count as a failure for the reconnect backoff', () => {
    const p = machine();
    const out = outgoingOpenSent(p);
    const inc = p.accept().connection;
    p.bytes(out, peerOpen(HIGHER_PEER_ID)); // ours loses
    p.bytes(inc, peerOpen(HIGHER_PEER_ID));
    const down = p.closedByPeer(inc);
    // The first failure of the streak: the initial delay, not the second step.
    expect(down).toContainEqual({ type: 'armTimer', timer: 'IdleHoldTimer', delayMs: 2000 });
  });

  test('either connection failing on its own leaves the other running, without damping', () => {
    const p = machine();
    const out = outgoingOpenSent(p);
    const inc = p.accept().connection;
    const a = p.timer('HoldTimer', out);
    expect(sentOn(a, out)).toEqual(['notification 4/0']);
    expect(timersArmed(a)).not.toContain('IdleHoldTimer');
    expect(p.m.state).toBe('OpenSent');
    p.bytes(inc, peerOpen(HIGHER_PEER_ID));
    p.bytes(inc, encodeKeepalive());
    expect(p.m.establishedConnection).toBe(inc);
  });

  test('a stop during a collision sends Cease 6/2 on both connections', () => {
    const p = machine();
    const out = outgoingOpenSent(p);
    const inc = p.accept().connection;
    const a = p.stop();
    expect(sentOn(a, out)).toEqual(['notification 6/2']);
    expect(sentOn(a, inc)).toEqual(['notification 6/2']);
    expect(closes(a).sort()).toEqual([out, inc].sort());
    expect(p.m.state).toBe('Idle');
    expect(timersArmed(a)).toEqual([]);
  });
});

describe('collisionWinner', () => {
  test('higher identifier wins; equal identifiers go to the larger AS number', () => {
    expect(collisionWinner('203.0.113.2', '203.0.113.1', { local: 1, peer: 2 })).toBe('locally-initiated');
    expect(collisionWinner('203.0.113.1', '203.0.113.2', { local: 2, peer: 1 })).toBe('remotely-initiated');
    expect(collisionWinner('203.0.113.2', '203.0.113.2', { local: 65002, peer: 65001 })).toBe(
      'locally-initiated',
    );
    expect(collisionWinner('203.0.113.2', '203.0.113.2', { local: 65001, peer: 65002 })).toBe(
      'remotely-initiated',
    );
  });
});
