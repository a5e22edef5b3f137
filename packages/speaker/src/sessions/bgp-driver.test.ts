// The speaker's adapter over @herald/bgp, without sockets: the router is @herald/bgp's own sans-I/O
// PeerMachine behind a pair of in-memory transports, so what the adapter maps (peer settings → OPEN, desired
// routes → UPDATEs with the right NEXT_HOP and attributes, stop modes → NOTIFICATION or silent close, counters
// → status) is checked on the wire the router decoded.

import { BgpSpeaker, type Logger } from '@herald/bgp';
import { parseConfig } from '@herald/config';
import { bgpSockets } from '@herald/native';
import { afterEach, describe, expect, test } from '@jest/globals';
import type { DesiredRoute } from '../announce/model.ts';
import { loadSpeakerConfig } from '../config-load.ts';
import type { PasswordSource, PeerSettings } from '../config-view.ts';
import { passwordFromSecret } from '../peer-password.ts';
import { BgpSessionDriver, type PasswordEvent } from './bgp-driver.ts';
import type { NodeAddresses, PeerSessionPort } from './port.ts';
import { Router, until } from './testing.ts';

// The node's addresses differ from the session's source address, so each mapping is seen on its own.
const NODE: NodeAddresses = { ipv4: '203.0.113.20', ipv6: '2001:db8:1::20' };
const SOURCE = '203.0.113.2';

/** Peer settings exactly as the speaker gets them: a config.yaml through the config loader. */
function settings(peer: string, myASN = 64600, passwords?: PasswordSource): PeerSettings {
  const yaml = `peers:\n  - name: r1\n    peerAddress: 203.0.113.1\n    peerASN: 64512\n    myASN: ${myASN}\n${peer}`;
  const r = loadSpeakerConfig({ data: { 'config.yaml': yaml } }, 'config.yaml', parseConfig, {
    ...(passwords ? { passwords } : {}),
  });
  if (r.kind !== 'valid') throw new Error(JSON.stringify(r));
  return r.sessions.get('r1')!;
}

const lines: { level: string; msg: string | undefined; obj: object }[] = [];
const logger: Logger = {
  debug: (obj, msg) => lines.push({ level: 'debug', obj, msg }),
  info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
  warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
  error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
};

const route = (prefix: string, over: Partial<DesiredRoute['attributes']> = {}): DesiredRoute => ({
  prefix,
  family: prefix.includes(':') ? 'ipv6' : 'ipv4',
  attributes: { communities: [], largeCommunities: [], ...over },
  services: ['default/web'],
});

const drivers: BgpSessionDriver[] = [];
afterEach(async () => {
  await Promise.all(drivers.splice(0).map((d) => d.close()));
  lines.length = 0;
});

function setup(
  router: Router,
  node: NodeAddresses = NODE,
  extra: Partial<ConstructorParameters<typeof BgpSessionDriver>[0]> = {},
) {
  // Port 0: a test never takes the real BGP port.
  const speaker = new BgpSpeaker({
    connect: router.connect,
    logger,
    listen: { port: 0 },
    sockets: bgpSockets,
  });
  const driver = new BgpSessionDriver({
    nodeName: 'node-a',
    listenPort: 0,
    logger,
    speaker,
    sourceAddress: async () => SOURCE,
    ...extra,
  });
  drivers.push(driver);
  const open = (peer = '', n: NodeAddresses = node): PeerSessionPort => driver.open('r1', settings(peer), n);
  return { driver, speaker, open };
}

async function established(router: Router, port: PeerSessionPort): Promise<void> {
  await until(() => router.machine.state === 'Established', 'router Established');
  await until(() => port.snapshot().established, 'Herald Established');
}

describe('BgpSessionDriver: what a session is opened with', () => {
  test('peer settings become the OPEN: ASNs, hold time, router ID from the node, both families', async () => {
    const router = new Router();
    const { open } = setup(router);
    const port = open('    holdTime: 30s\n');
    await established(router, port);
    expect(router.machine.negotiated).toMatchObject({
      peerAsn: 64600,
      peerRouterId: NODE.ipv4,
      holdTime: 30,
      families: ['ipv4', 'ipv6'],
      ebgp: true,
    });
    const snap = port.snapshot();
    expect(snap).toMatchObject({
      peer: 'r1',
      peerAddress: '203.0.113.1',
      peerASN: 64512,
      localASN: 64600,
      state: 'Established',
      established: true,
      establishedTransitions: 1,
      localAddress: SOURCE,
      routerID: NODE.ipv4,
      gracefulRestartNegotiated: false,
      lastError: null,
    });
    expect(snap.uptimeSeconds).toEqual(expect.any(Number));
    expect(new Date(snap.establishedSince!).toISOString()).toBe(snap.establishedSince);
  });

  test('a configured routerID wins over the node address; a node without IPv6 negotiates IPv4 only', async () => {
    const router = new Router();
    const { open } = setup(router);
    const port = open('    routerID: 198.51.100.200\n', { ipv4: NODE.ipv4 });
    await established(router, port);
    expect(router.machine.negotiated).toMatchObject({ peerRouterId: '198.51.100.200', families: ['ipv4'] });
  });

  test('graceful restart: the OPEN carries the capability with the Restart State bit', async () => {
    const router = new Router({ gracefulRestart: true });
    const { open } = setup(router);
    const port = open('    gracefulRestart: { enabled: true, restartTime: 90s }\n');
    await established(router, port);
    expect(router.machine.negotiated?.peerGracefulRestart).toMatchObject({
      restarting: true,
      restartTime: 90,
    });
    expect(port.snapshot().gracefulRestartNegotiated).toBe(true);
  });

  test('invalid settings for the library are reported in the status, nothing is dialled', async () => {
    const router = new Router();
    const { driver } = setup(router);
    const port = driver.open('r1', { ...settings(''), holdTimeSeconds: 2 }, NODE);
    await until(() => port.snapshot().lastError !== null, 'an error in the status');
    expect(port.snapshot().lastError).toMatch(/^invalid peer settings: .*holdTime/);
    expect(port.snapshot().state).toBe('Idle');
    expect(router.dialsMade).toBe(0);
  });
});

describe('BgpSessionDriver: routes', () => {
  test('routes given before the session exists are all sent, with the session’s NEXT_HOP and attributes', async () => {
    const router = new Router();
    const { open } = setup(router);
    const port = open();
    port.announce([
      route('198.51.100.7/32', { communities: ['65000:7'], largeCommunities: ['64600:1:2'], localPref: 200 }),
      route('2001:db8:100::7/128'),
    ]);
    await established(router, port);
    await until(() => router.routes('ipv6').length === 1, 'IPv6 route at the router');
    expect(router.routes('ipv4')).toEqual([
      {
        prefix: '198.51.100.7/32',
        nextHop: SOURCE,
        communities: ['65000:7'],
        largeCommunities: ['64600:1:2'],
        // eBGP: LOCAL_PREF is not sent (RFC 4271 §5.1.5).
        localPref: undefined,
        asPath: [64600],
      },
    ]);
    expect(router.routes('ipv6')).toEqual([expect.objectContaining({ nextHop: NODE.ipv6 })]);
    expect(port.snapshot().prefixesAdvertised).toEqual({ ipv4: 1, ipv6: 1 });
  });

  test('a weight becomes the link bandwidth community in our AS; a draining route adds GRACEFUL_SHUTDOWN', async () => {
    const router = new Router();
    const { open } = setup(router);
    const port = open();
    port.announce([
      route('198.51.100.7/32', { weight: 3 }),
      route('198.51.100.8/32', { weight: 1, communities: ['65000:7'], gracefulShutdown: true }),
    ]);
    await established(router, port);
    await until(() => router.routes('ipv4').length === 2, 'two routes at the router');
    const byPrefix = Object.fromEntries(router.routes('ipv4').map((r) => [r.prefix, r]));
    // 3 endpoints = 3 Mbit/s = 375,000 bytes/s; non-transitive, so the router does not pass it on.
    expect(byPrefix['198.51.100.7/32']).toMatchObject({
      communities: undefined,
      extendedCommunities: ['lb:64600:375000'],
    });
    expect(byPrefix['198.51.100.8/32']).toMatchObject({
      communities: ['65000:7', 'graceful-shutdown'],
      extendedCommunities: ['lb:64600:125000'],
    });
  });

  test('iBGP: LOCAL_PREF is sent, the AS_PATH is empty', async () => {
    const router = new Router({ heraldAsn: 64512 });
    const { driver } = setup(router);
    const port = driver.open('r1', settings('', 64512), NODE);
    port.announce([route('198.51.100.7/32', { localPref: 200 }), route('198.51.100.8/32')]);
    await established(router, port);
    await until(() => router.routes('ipv4').length === 2, 'two routes at the router');
    expect(router.machine.negotiated?.ebgp).toBe(false);
    expect(
      router
        .routes('ipv4')
        .map((r) => [r.prefix, r.localPref, r.asPath])
        .sort(),
    ).toEqual([
      ['198.51.100.7/32', 200, []],
      // The library's default LOCAL_PREF when the advertisement sets none.
      ['198.51.100.8/32', 100, []],
    ]);
  });

  test('End-of-RIB waits for initialTableLoaded(): the session comes up while the table is still loading', async () => {
    const router = new Router({ gracefulRestart: true });
    const { open } = setup(router);
    const port = open('    gracefulRestart: {enabled: true, restartTime: 60s}\n');
    await established(router, port);
    port.announce([route('198.51.100.7/32')]);
    await until(() => router.received.length === 1, 'the first route');
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(router.received.filter((r) => r.startsWith('End-of-RIB'))).toEqual([]);
    port.announce([route('198.51.100.8/32'), route('2001:db8:100::8/128')]);
    port.initialTableLoaded();
    await until(() => router.received.length === 5, 'the rest of the table, then End-of-RIB');
    expect(router.received).toEqual([
      'routes 1',
      'routes 1',
      'routes 1',
      'End-of-RIB ipv4',
      'End-of-RIB ipv6',
    ]);
  });

  test('a table loaded before the session exists is followed by End-of-RIB when it comes up', async () => {
    const router = new Router();
    const { open } = setup(router);
    const port = open();
    port.announce([route('198.51.100.7/32'), route('198.51.100.8/32')]);
    port.initialTableLoaded();
    await established(router, port);
    await until(() => router.received.length === 3, 'routes and End-of-RIB');
    expect(router.received).toEqual(['routes 2', 'End-of-RIB ipv4', 'End-of-RIB ipv6']);
  });

  test('announce after Established, withdraw, and a withdraw-before-ready that never reaches the wire', async () => {
    const router = new Router();
    const { open } = setup(router);
    const port = open();
    port.announce([route('198.51.100.8/32')]);
    port.withdraw(['198.51.100.8/32']);
    port.initialTableLoaded();
    await established(router, port);
    port.announce([route('198.51.100.9/32'), route('198.51.100.10/32')]);
    await until(() => router.routes('ipv4').length === 2, 'two routes at the router');
    expect(
      router
        .routes('ipv4')
        .map((r) => r.prefix)
        .sort(),
    ).toEqual(['198.51.100.10/32', '198.51.100.9/32']);
    port.withdraw(['198.51.100.9/32']);
    await until(() => router.routes('ipv4').length === 1, 'one withdrawn');
    expect(router.routes('ipv4').map((r) => r.prefix)).toEqual(['198.51.100.10/32']);
    const snap = port.snapshot();
    expect(snap.updatesSent).toBeGreaterThanOrEqual(3);
    expect(snap.messagesSent).toBeGreaterThan(snap.updatesSent);
    expect(snap.messagesReceived).toBeGreaterThanOrEqual(2);
  });

  test('a route of a family the node has no address of is not announced, and the status says why', async () => {
    const router = new Router();
    const { open } = setup(router);
    const port = open('', { ipv4: NODE.ipv4 });
    await established(router, port);
    port.announce([route('2001:db8:100::7/128'), route('198.51.100.7/32')]);
    await until(() => router.routes('ipv4').length === 1, 'IPv4 route at the router');
    expect(router.routes('ipv6')).toEqual([]);
    expect(port.snapshot().lastError).toBe(
      'no ipv6 next hop for 2001:db8:100::7/128: node has no ipv6 address',
    );
  });
});

describe('BgpSessionDriver: stop modes', () => {
  test.each([
    ['withdraw', 2, 'herald-speaker node-a shutting down'],
    ['remove', 3, 'herald-speaker node-a: peer removed from config'],
    ['reconfigure', 6, 'herald-speaker node-a: session settings changed'],
  ] as const)('%s: Cease 6/%d carrying the text "%s"', async (mode, subcode, communication) => {
    const router = new Router();
    const { open, speaker } = setup(router);
    const port = open();
    await established(router, port);
    await port.stop(mode);
    await until(() => router.notifications.length === 1, 'the router got a NOTIFICATION');
    const n = router.notifications[0]!;
    expect([n.code, n.subcode]).toEqual([6, subcode]);
    // RFC 9003 form (length octet, UTF-8); RFC 9003 names it only for subcodes 2 and 4, so it is read raw here.
    expect(n.data.subarray(1, 1 + n.data[0]!).toString('utf8')).toBe(communication);
    expect(speaker.peers()).toEqual([]);
    expect(port.snapshot().state).toBe('Idle');
  });

  test('graceful-restart with the capability negotiated: TCP closed without a NOTIFICATION', async () => {
    const router = new Router({ gracefulRestart: true });
    const { open } = setup(router);
    const port = open('    gracefulRestart: { enabled: true }\n');
    await established(router, port);
    await port.stop('graceful-restart');
    await until(() => router.machine.state === 'Idle', 'the router saw the session end');
    expect(router.notifications).toEqual([]);
  });

  test('graceful-restart when the router did not advertise it: Cease 6/2 as for withdraw', async () => {
    const router = new Router();
    const { open } = setup(router);
    const port = open('    gracefulRestart: { enabled: true }\n');
    await established(router, port);
    await port.stop('graceful-restart');
    await until(() => router.notifications.length === 1, 'the router got a NOTIFICATION');
    expect(router.notifications[0]).toMatchObject({ code: 6, subcode: 2 });
  });

  test('a peer reopened under the same name after a stop gets a new session', async () => {
    const router = new Router();
    const { open } = setup(router);
    const first = open();
    await established(router, first);
    const stopping = first.stop('reconfigure');
    const second = open('    holdTime: 60s\n');
    await stopping;
    await until(() => second.snapshot().established, 'the new session Established');
    expect(router.machine.negotiated?.holdTime).toBe(60);
    expect(second.snapshot().establishedTransitions).toBe(1);
  });
});

describe('BgpSessionDriver: passive peers and status counters', () => {
  test('a passive peer never dials and takes the router’s connection', async () => {
    const router = new Router({ passive: false });
    const { driver, speaker, open } = setup(router);
    const passive = settings('    passive: true\n');
    driver.setPassivePeers(new Map([['r1', passive]]), { ipv4: '127.0.0.1' });
    const port = open('    passive: true\n');
    await until(() => speaker.getPeer('r1')?.state === 'Active', 'the session waiting in Active');
    expect(router.dialsMade).toBe(0);
    expect(lines.some((l) => l.msg === 'listening for passive BGP peers')).toBe(true);
    const side = router.dialHerald(router.lastDial!);
    expect(speaker.getPeer('r1')!.acceptTransport(side)).toBe(true);
    await established(router, port);
    expect(router.dialsMade).toBe(0);
  });

  test('NOTIFICATIONs are counted by code/subcode; the session loss is the status error', async () => {
    const router = new Router();
    const { open } = setup(router);
    const port = open();
    await established(router, port);
    router.shutdown('maintenance');
    await until(() => port.snapshot().notificationsReceived.length === 1, 'NOTIFICATION counted');
    const snap = port.snapshot();
    expect(snap.notificationsReceived).toEqual([{ code: 6, subcode: 2, count: 1 }]);
    // The 'closed' that follows the NOTIFICATION has the last word (the communication is in the logs).
    expect(snap.lastError).toBe('session closed: NOTIFICATION received: Cease / Administrative Shutdown');
    expect(
      lines.some((l) => l.msg === 'NOTIFICATION received' && JSON.stringify(l.obj).includes('maintenance')),
    ).toBe(true);
    expect(snap.established).toBe(false);
    expect(snap.uptimeSeconds).toBeNull();
    expect(snap.establishedSince).toBeNull();
  });
});

describe('BgpSessionDriver: the passive listener', () => {
  test('listens only while a peer is passive, on the node address it peers from, and closes after the last', async () => {
    const router = new Router();
    const { driver, speaker } = setup(router);
    const node = { ipv4: '127.0.0.1', ipv6: '::1' };
    driver.setPassivePeers(new Map([['r1', settings('')]]), node);
    await new Promise((r) => setTimeout(r, 20));
    expect(speaker.addresses()).toEqual([]);
    driver.setPassivePeers(new Map([['r1', settings('    passive: true\n')]]), node);
    await until(() => speaker.addresses().length === 1, 'the listener');
    // The peer is IPv4 (203.0.113.1): the node's IPv4 address, not every address of the host.
    expect(speaker.address()?.address).toBe('127.0.0.1');
    driver.setPassivePeers(new Map(), node);
    await until(() => speaker.addresses().length === 0, 'the listener closed');
    expect(lines.some((l) => l.msg === 'no passive BGP peers: not listening')).toBe(true);
  });

  test('--bgp-listen-address overrides; a failed bind is logged and retried', async () => {
    const router = new Router();
    const { driver, speaker } = setup(router, NODE, {
      listenAddresses: ['203.0.113.254'],
      listenRetryMs: 10,
    });
    driver.setPassivePeers(new Map([['r1', settings('    passive: true\n')]]), { ipv4: '127.0.0.1' });
    for (let i = 0; i < 200; i++) {
      if (lines.filter((l) => l.msg?.startsWith('cannot listen for passive BGP peers')).length >= 2) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(
      lines.filter((l) => l.msg?.startsWith('cannot listen for passive BGP peers')).length,
    ).toBeGreaterThanOrEqual(2);
    expect(speaker.addresses()).toEqual([]);
  });
});

describe('BgpSessionDriver: what the router sends is counted and bounded', () => {
  test('beyond maxPrefixes (default 1000, block): the excess is ignored, the session and routes stay', async () => {
    const router = new Router();
    const limits: string[] = [];
    const { open } = setup(router, NODE, {
      onPrefixLimit: (peer, afi, action) => limits.push(`${peer} ${afi} ${action}`),
    });
    const port = open();
    port.announce([route('198.51.100.7/32')]);
    await established(router, port);
    await until(() => router.routes('ipv4').length === 1, 'our route at the router');
    router.advertise(Array.from({ length: 1500 }, (_, i) => `198.18.${i >> 8}.${i & 255}/32`));
    await until(() => port.snapshot().prefixesBlocked?.ipv4 === 500, 'the excess blocked');
    const snap = port.snapshot();
    expect(snap).toMatchObject({
      established: true,
      prefixesReceived: { ipv4: 1000, ipv6: 0 },
      prefixLimitReached: 1,
      lastError: 'prefix limit 1000 reached for ipv4: further prefixes ignored',
    });
    expect(limits).toEqual(['r1 ipv4 block']);
    expect(router.routes('ipv4').map((r) => r.prefix)).toEqual(['198.51.100.7/32']);
  });

  test('action restart: Cease 6/1 with AFI/SAFI/limit, then no reconnect before restartTime', async () => {
    const router = new Router();
    const { open, speaker } = setup(router);
    const port = open('    maxPrefixes:\n      limit: 10\n      action: restart\n      restartTime: 1h\n');
    await established(router, port);
    router.advertise(Array.from({ length: 11 }, (_, i) => `198.18.0.${i}/32`));
    await until(() => router.notifications.length === 1, 'the router got the NOTIFICATION');
    expect(router.notifications[0]).toMatchObject({ code: 6, subcode: 1 });
    expect([...router.notifications[0]!.data]).toEqual([0, 1, 1, 0, 0, 0, 10]);
    await until(() => speaker.getPeer('r1')?.state === 'Idle', 'Herald Idle');
    expect(port.snapshot().lastError).toBe(
      'session closed: prefix limit exceeded: Cease / Maximum Number of Prefixes Reached: more than 10 ipv4 prefixes received',
    );
    const dials = router.dialsMade;
    await new Promise((r) => setTimeout(r, 50));
    expect(router.dialsMade).toBe(dials);
  });
});

describe('BgpSessionDriver: TCP-MD5 passwords from Secrets, GTSM and interface', () => {
  const REF = '    passwordSecretRef: { name: bgp-r1, key: password }\n';
  const secretWith =
    (data: Record<string, string> | undefined): PasswordSource =>
    (ref) =>
      passwordFromSecret(
        { namespace: 'herald', name: ref.name, key: ref.key },
        {
          kind: 'read',
          data:
            data &&
            Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
        },
      );

  test('a missing Secret opens no session: the status, the metric reason and an Event say why', async () => {
    const router = new Router();
    const events: PasswordEvent[] = [];
    const { driver } = setup(router, NODE, { onPasswordEvent: (e) => events.push(e) });
    const port = driver.open('r1', settings(REF, 64600, secretWith(undefined)), NODE);
    port.announce([route('198.51.100.7/32')]);
    await until(() => port.snapshot().lastError !== null, 'the status error');
    expect(port.snapshot()).toMatchObject({
      state: 'Idle',
      established: false,
      blocked: 'secret-not-found',
      lastError: 'Secret herald/bgp-r1 does not exist',
      transport: { ttl: 1, tcpMd5: true, passwordSecret: 'herald/bgp-r1 key password' },
    });
    expect(router.dialsMade).toBe(0);
    expect(events).toEqual([
      {
        peer: 'r1',
        type: 'unavailable',
        message:
          'peer r1: Secret herald/bgp-r1 does not exist; its BGP session stays down until the password can be used (it never runs without it)',
      },
    ]);
    expect(lines.some((l) => l.level === 'warn' && l.msg === events[0]!.message)).toBe(true);
  });

  test('a readable password is the session’s TCP-MD5 key, and it shows nowhere', async () => {
    const router = new Router();
    const { driver, speaker } = setup(router);
    const port = driver.open(
      'r1',
      settings(
        `${REF}    ttlSecurity: true\n    bindInterface: eth1\n`,
        64600,
        secretWith({ password: 'hunter2-and-more' }),
      ),
      NODE,
    );
    await established(router, port);
    expect(speaker.getPeer('r1')!.config.transport).toMatchObject({ ttl: 255, minTtl: 255, device: 'eth1' });
    expect(speaker.getPeer('r1')!.config.transport.md5Key?.bytes.toString()).toBe('hunter2-and-more');
    const snap = port.snapshot();
    expect(snap.transport).toEqual({
      ttl: 255,
      minTtl: 255,
      tcpMd5: true,
      bindInterface: 'eth1',
      passwordSecret: 'herald/bgp-r1 key password',
    });
    expect(JSON.stringify(snap)).not.toContain('hunter2');
    expect(JSON.stringify(lines)).not.toContain('hunter2');
  });

  test('a changed password is an Event; reopening with it is the runtime’s restart of this peer only', async () => {
    const router = new Router();
    const events: PasswordEvent[] = [];
    const { driver } = setup(router, NODE, { onPasswordEvent: (e) => events.push(e) });
    const before = settings(REF, 64600, secretWith({ password: 'old' }));
    const after = settings(REF, 64600, secretWith({ password: 'new' }));
    expect(driver.sameSettings(before, settings(REF, 64600, secretWith({ password: 'old' })))).toBe(true);
    expect(driver.sameSettings(before, after)).toBe(false);
    const first = driver.open('r1', before, NODE);
    await first.stop('reconfigure');
    driver.open('r1', after, NODE);
    expect(events.map((e) => e.type)).toEqual(['changed']);
  });
});
