// BFD for the speaker's peers, through the BGP session driver: the router is @herald/bgp's PeerMachine for BGP
// and a BFD engine of its own for BFD, on an in-memory network with a manual clock (RFC 5880 timers run in
// protocol time, not wall-clock time).
import { BfdEngine, BfdService, type BfdStateChange } from '@herald/bfd';
import { ManualScheduler, MemoryNetwork } from '@herald/bfd/testing';
import { BgpSpeaker, type Logger } from '@herald/bgp';
import { parseConfig } from '@herald/config';
import { afterEach, describe, expect, test } from '@jest/globals';
import { loadSpeakerConfig } from '../config-load.ts';
import type { PeerSettings } from '../config-view.ts';
import type { BfdPeerStatus } from './bfd-coupling.ts';
import { BgpSessionDriver } from './bgp-driver.ts';
import { Router, until } from './testing.ts';

const HERALD = '203.0.113.2';
const ROUTER = '203.0.113.1';

function settings(bfd: string, extra = ''): PeerSettings {
  const yaml = `bfdProfiles: [{ name: fast, minReceive: 100, minTransmit: 100 }]\npeers:\n  - name: r1\n    peerAddress: ${ROUTER}\n    peerASN: 64512\n    myASN: 64600\n    gracefulRestart: { enabled: true }\n${bfd ? `    bfd: ${bfd}\n` : ''}${extra}`;
  const r = loadSpeakerConfig({ data: { 'config.yaml': yaml } }, 'config.yaml', parseConfig);
  if (r.kind !== 'valid') throw new Error(JSON.stringify(r));
  return r.sessions.get('r1')!;
}

const logged: string[] = [];
const logger: Logger = {
  debug: () => undefined,
  info: (_o, msg) => logged.push(`info ${msg}`),
  warn: (_o, msg) => logged.push(`warn ${msg}`),
  error: (_o, msg) => logged.push(`error ${msg}`),
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
  logged.length = 0;
});

/** Lets queued BFD events (microtasks) and in-memory BGP bytes (setImmediate) move. */
const turn = () => new Promise((r) => setImmediate(r));

function setup(options: { support?: { ok: true } | { ok: false; reason: string } } = {}) {
  const clock = new ManualScheduler();
  const net = new MemoryNetwork(clock);
  const router = new Router({ gracefulRestart: true });
  const routerBfd: BfdStateChange[] = [];
  const routerEngine = new BfdEngine({
    transport: net.transport(ROUTER),
    scheduler: clock,
    emit: (e) => {
      if (e.type === 'stateChange') routerBfd.push({ ...e });
    },
  });
  const changes: { peer: string; change: BfdStateChange; status: BfdPeerStatus | undefined }[] = [];
  const driver = new BgpSessionDriver({
    nodeName: 'node-a',
    listenPort: 179,
    logger,
    speaker: new BgpSpeaker({ connect: router.connect, logger }),
    sourceAddress: async () => HERALD,
    bfd: {
      start: () =>
        new BfdService({ isolation: 'inline', transport: net.transport(HERALD), scheduler: clock }),
      support: () => options.support ?? { ok: true },
      onChange: (peer, change, status) => changes.push({ peer, change, status }),
    },
  });
  /** Advances protocol time in steps, letting events through between them. */
  const advance = async (ms: number) => {
    for (let t = 0; t < ms; t += 50) {
      clock.advance(Math.min(50, ms - t));
      await turn();
    }
  };
  cleanups.push(async () => {
    // AdminDown waits for the router or its Detection Time, in protocol time.
    const closing = driver.close();
    await advance(5000);
    await closing;
    routerEngine.close();
  });
  const routerSession = (multihop = false) =>
    routerEngine.command({
      type: 'add',
      spec: {
        id: 'herald',
        peerAddress: HERALD,
        multihop,
        ...(multihop ? { localAddress: ROUTER } : {}),
        parameters: { desiredMinTxInterval: 300_000, requiredMinRxInterval: 300_000, detectMult: 3 },
      },
    });
  return { clock, net, router, routerEngine, routerBfd, routerSession, driver, changes, advance };
}

async function upAndEstablished(t: ReturnType<typeof setup>, bfd = '{ enabled: true }') {
  const s = settings(bfd);
  const port = t.driver.open('r1', s, { ipv4: HERALD });
  t.driver.setBfdPeers(new Map([['r1', s]]));
  t.routerSession();
  await until(() => port.snapshot().established, 'BGP Established');
  await t.advance(3000);
  await until(() => port.snapshot().bfd?.state === 'Up', 'BFD Up');
  return port;
}

describe('BFD beside BGP', () => {
  test('a peer with bfd.enabled gets a BFD session, shown in its status with the negotiated timers', async () => {
    const t = setup();
    const port = await upAndEstablished(t);
    expect(port.snapshot().bfd).toMatchObject({
      state: 'Up',
      remoteState: 'Up',
      multihop: false,
      localAddress: HERALD,
      minReceiveMs: 300,
      minTransmitMs: 300,
      multiplier: 3,
      transmitIntervalMs: 300,
      detectionTimeMs: 900,
      lastError: null,
    });
    expect(port.snapshot().bfd?.sourcePort).toBeGreaterThanOrEqual(49152);
    expect(t.changes.map((c) => `${c.peer} ${c.change.from}>${c.change.to}`)).toContain('r1 Init>Up');
  });

  test('a peer without bfd has none, and no BFD engine is started', async () => {
    const t = setup();
    const s = settings('');
    const port = t.driver.open('r1', s, { ipv4: HERALD });
    t.driver.setBfdPeers(new Map([['r1', s]]));
    await until(() => port.snapshot().established, 'BGP Established');
    expect(port.snapshot().bfd).toBeUndefined();
    expect(t.driver.bfdMetrics().engine).toBeUndefined();
  });

  test('BFD Down (Detection Time expired) closes BGP at once with Cease/BFD Down; BGP comes back', async () => {
    const t = setup();
    const port = await upAndEstablished(t);
    t.net.setLinkDown(ROUTER, true); // the router's BFD packets stop arriving; TCP is untouched
    await t.advance(1000);
    await until(() => t.router.notifications.length === 1, 'the router got a NOTIFICATION');
    expect(t.router.notifications[0]).toMatchObject({ code: 6, subcode: 10, subcodeName: 'BFD Down' });
    expect(port.snapshot().bfd).toMatchObject({
      state: 'Down',
      diagnostic: 'Control Detection Time Expired',
      counters: expect.objectContaining({ detectionExpiries: 1 }),
    });
    expect(logged).toContain('warn BFD session Down: closing the BGP session (Cease/BFD Down)');
    // BFD never holds BGP back: the session reconnects after the damped backoff even while BFD is Down.
    await until(() => t.router.dialsMade === 2, 'a second connection', 20_000);
    await until(() => port.snapshot().established, 'BGP Established again', 20_000);
  }, 30_000);

  test('the router’s AdminDown is not a failure (RFC 5882 §3.2): BGP stays up', async () => {
    const t = setup();
    const port = await upAndEstablished(t);
    t.routerEngine.command({ type: 'adminDown', requestId: 1 });
    await t.advance(1000);
    expect(port.snapshot().bfd).toMatchObject({ state: 'Down', remoteState: 'AdminDown' });
    expect(t.changes.at(-1)?.change).toMatchObject({ from: 'Up', to: 'Down', peerAdminDown: true });
    expect(t.router.notifications).toEqual([]);
    expect(port.snapshot().established).toBe(true);
  });

  test('new timers are negotiated on the running session; BGP and BFD stay up', async () => {
    const t = setup();
    const port = await upAndEstablished(t);
    const since = port.snapshot().establishedSince;
    const fast = settings('{ enabled: true, profile: fast }');
    t.driver.setBfdPeers(new Map([['r1', fast]]));
    await t.advance(2000);
    expect(port.snapshot().bfd).toMatchObject({
      state: 'Up',
      profile: 'fast',
      minReceiveMs: 100,
      // The router still wants 300 ms: the slower side wins (RFC 5880 §6.8.2).
      transmitIntervalMs: 300,
    });
    expect(port.snapshot().bfd?.counters.transitions.Up).toBe(1);
    expect(port.snapshot().establishedSince).toBe(since);
  });

  test('turning BFD off tells the router (AdminDown) and removes the session; BGP is untouched', async () => {
    const t = setup();
    const port = await upAndEstablished(t);
    t.driver.setBfdPeers(new Map([['r1', settings('')]]));
    await t.advance(1000);
    expect(t.routerBfd.at(-1)).toMatchObject({ from: 'Up', to: 'Down', peerAdminDown: true });
    expect(port.snapshot().bfd).toBeUndefined();
    expect(t.router.notifications).toEqual([]);
    // Counters survive the session for metrics.
    expect(t.driver.bfdMetrics().peers.get('r1')?.transitions.Up).toBe(1);
  });

  test('eBGP multihop peers get multihop BFD (port 4784) from their local address', async () => {
    const t = setup();
    const s = settings('{ enabled: true }', '    ebgpMultihop: 3\n');
    t.driver.open('r1', s, { ipv4: HERALD });
    t.driver.setBfdPeers(new Map([['r1', s]]));
    t.routerSession(true);
    await t.advance(3000);
    expect(t.net.sent.filter((d) => d.from === HERALD).every((d) => d.port === 4784)).toBe(true);
    expect(t.driver.bfdMetrics().engine?.sessions[0]).toMatchObject({
      multihop: true,
      localAddress: HERALD,
      state: 'Up',
    });
  });

  test('where native sockets cannot load, BFD peers say why and BGP runs without BFD', async () => {
    const t = setup({ support: { ok: false, reason: 'glibc (libc.so.6) cannot be loaded' } });
    const s = settings('{ enabled: true }');
    const port = t.driver.open('r1', s, { ipv4: HERALD });
    t.driver.setBfdPeers(new Map([['r1', s]]));
    await until(() => port.snapshot().established, 'BGP Established');
    expect(port.snapshot().bfd).toMatchObject({
      state: 'Unavailable',
      lastError: 'native socket support is unavailable: glibc (libc.so.6) cannot be loaded',
    });
    expect(logged).toContain('error BFD cannot run on this node; BGP sessions run without it');
  });

  test('close: BGP first, then AdminDown to the router, acknowledged before the engine stops', async () => {
    const t = setup();
    const port = await upAndEstablished(t);
    await port.stop('graceful-restart');
    await until(() => t.router.machine.state === 'Idle', 'BGP closed');
    expect(t.router.notifications).toEqual([]);
    const closing = t.driver.close();
    await t.advance(100);
    await closing;
    expect(t.routerBfd.at(-1)).toMatchObject({ from: 'Up', to: 'Down', peerAdminDown: true });
  });
});
