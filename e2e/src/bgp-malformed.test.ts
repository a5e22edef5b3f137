// Malformed input over real TCP: a raw client (bytes crafted by hand here, deliberately NOT with our codec)
// talks to a Herald BgpSpeaker listening on loopback. Every case expects what the RFCs prescribe:
// the NOTIFICATION code/subcode (RFC 4271 §6, RFC 6608, RFC 7313, RFC 6793, RFC 6286), or the RFC 7606
// revised-error-handling action (treat-as-withdraw / attribute-discard) with the session staying up.
// Meanwhile a well-behaved session on the same speaker must stay Established throughout.
//
// Each case uses its own peer address (127.0.0.0/8 is all loopback on Linux), so the damped reconnect of one
// failed session never blocks the next case. No root needed: nothing leaves the loopback interface.
import { connect, type Socket } from 'node:net';
import { type BgpSession, BgpSpeaker, ReceivedRouteTable } from '@herald/bgp';
import { jest } from '@jest/globals';
import { eventually } from './eventually.ts';

jest.setTimeout(60_000);

// ---------- hand-made wire bytes ----------
const MARKER = Buffer.alloc(16, 0xff);
const u8 = (n: number) => Buffer.from([n & 0xff]);
const u16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const u32 = (n: number) => Buffer.from([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
const ipv4 = (a: string) => Buffer.from(a.split('.').map(Number));
const cat = (...parts: Buffer[]) => Buffer.concat(parts);

const TYPE = { OPEN: 1, UPDATE: 2, NOTIFICATION: 3, KEEPALIVE: 4, ROUTE_REFRESH: 5 } as const;

/** A message with a correct header (length computed) unless overridden. */
function message(type: number, body: Buffer, opts: { length?: number; marker?: Buffer } = {}): Buffer {
  return cat(opts.marker ?? MARKER, u16(opts.length ?? 19 + body.length), u8(type), body);
}

function capability(code: number, value: Buffer): Buffer {
  return cat(u8(code), u8(value.length), value);
}
const CAP_MP_IPV4 = capability(1, cat(u16(1), u8(0), u8(1)));
const CAP_MP_IPV6 = capability(1, cat(u16(2), u8(0), u8(1)));
const capAs4 = (asn: number) => capability(65, u32(asn));
const optParamCaps = (...caps: Buffer[]) => {
  const value = cat(...caps);
  return cat(u8(2), u8(value.length), value);
};

interface OpenFields {
  version?: number;
  asn?: number; // 2-octet My AS field
  as4?: number; // 4-octet AS capability (omitted when undefined-and-not-default)
  holdTime?: number;
  bgpId?: string;
  params?: Buffer;
}
function openBody(f: OpenFields, asn: number): Buffer {
  const params = f.params ?? optParamCaps(CAP_MP_IPV4, CAP_MP_IPV6, capAs4(f.as4 ?? asn));
  return cat(
    u8(f.version ?? 4),
    u16(f.asn ?? asn),
    u16(f.holdTime ?? 90),
    ipv4(f.bgpId ?? '10.9.9.9'),
    u8(params.length),
    params,
  );
}

function attr(flags: number, type: number, value: Buffer): Buffer {
  return flags & 0x10
    ? cat(u8(flags), u8(type), u16(value.length), value)
    : cat(u8(flags), u8(type), u8(value.length), value);
}
const ORIGIN_IGP = attr(0x40, 1, u8(0));
const asPath = (...asns: number[]) => attr(0x40, 2, cat(u8(2), u8(asns.length), ...asns.map(u32)));
const nextHop = (a: string) => attr(0x40, 3, ipv4(a));
const nlri4 = (prefix: string, len: number) => cat(u8(len), ipv4(prefix).subarray(0, Math.ceil(len / 8)));

function updateBody(p: {
  withdrawn?: Buffer;
  attrs?: Buffer;
  nlri?: Buffer;
  withdrawnLength?: number;
  attrsLength?: number;
}): Buffer {
  const withdrawn = p.withdrawn ?? Buffer.alloc(0);
  const attrs = p.attrs ?? Buffer.alloc(0);
  return cat(
    u16(p.withdrawnLength ?? withdrawn.length),
    withdrawn,
    u16(p.attrsLength ?? attrs.length),
    attrs,
    p.nlri ?? Buffer.alloc(0),
  );
}
const update = (p: Parameters<typeof updateBody>[0]) => message(TYPE.UPDATE, updateBody(p));

/** Whether an UPDATE body's NLRI field (RFC 4271 §4.3, IPv4 only) holds PREFIX/32. */
function announces(body: Buffer, prefix: string): boolean {
  const withdrawnLength = body.readUInt16BE(0);
  const attrsLength = body.readUInt16BE(2 + withdrawnLength);
  const nlri = body.subarray(4 + withdrawnLength + attrsLength);
  const wanted = nlri4(prefix, 32);
  for (let i = 0; i < nlri.length; i += 1 + Math.ceil(nlri[i]! / 8)) {
    if (nlri.subarray(i, i + wanted.length).equals(wanted)) return true;
  }
  return false;
}
const ROUTE_REFRESH_IPV4 = message(TYPE.ROUTE_REFRESH, cat(u16(1), u8(0), u8(1))); // AFI 1, SAFI 1 (RFC 2918)

// ---------- a raw BGP peer ----------
interface Received {
  type: number;
  body: Buffer;
}

class RawPeer {
  readonly socket: Socket;
  readonly received: Received[] = [];
  closed = false;
  private buffer = Buffer.alloc(0);

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.buffer = cat(this.buffer, d);
      while (this.buffer.length >= 19) {
        const len = this.buffer.readUInt16BE(16);
        if (len < 19 || this.buffer.length < len) break;
        this.received.push({ type: this.buffer[18]!, body: this.buffer.subarray(19, len) });
        this.buffer = this.buffer.subarray(len);
      }
    });
    const onClose = () => {
      this.closed = true;
    };
    socket.on('close', onClose);
    socket.on('error', onClose);
  }

  static open(localAddress: string, port: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, localAddress });
      s.once('connect', () => resolve(new RawPeer(s)));
      s.once('error', reject);
    });
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Waits until DONE() holds (messages arrive in order); fails at once if the connection closes first. */
  until<T>(what: string, done: () => T | undefined | false): Promise<T> {
    return eventually(what, done, {
      timeoutMs: 10_000,
      intervalMs: 10,
      // 'data' is handled before 'close': a closed peer has seen everything it will ever see.
      abortIf: () => (this.closed && !done() ? `the connection closed (${this.describe()})` : undefined),
    });
  }

  /** The first message of TYPE Herald sent. */
  message(type: number): Received | undefined {
    return this.received.find((m) => m.type === type);
  }

  /** UPDATEs from Herald whose IPv4 NLRI carry PREFIX/32. */
  updatesAnnouncing(prefix: string): number {
    return this.received.filter((m) => m.type === TYPE.UPDATE && announces(m.body, prefix)).length;
  }

  notification(): { code: number; subcode: number; data: Buffer } | undefined {
    const n = this.message(TYPE.NOTIFICATION);
    return n && { code: n.body[0]!, subcode: n.body[1]!, data: n.body.subarray(2) };
  }

  /** OPEN → (their OPEN) → KEEPALIVE → (their KEEPALIVE): Established. */
  async handshake(asn: number, bgpId = '10.9.9.9'): Promise<void> {
    this.send(message(TYPE.OPEN, openBody({ bgpId }, asn)));
    await this.until('an OPEN from Herald', () => this.message(TYPE.OPEN));
    this.send(message(TYPE.KEEPALIVE, Buffer.alloc(0)));
    await this.until('a KEEPALIVE from Herald', () => this.message(TYPE.KEEPALIVE));
  }

  describe(): string {
    const n = this.notification();
    return n ? `NOTIFICATION ${n.code}/${n.subcode}` : this.closed ? 'closed' : 'open';
  }

  close(): void {
    this.socket.destroy();
  }
}

// ---------- the cases ----------
const HERALD_ASN = 64512;
const PEER_ASN = 64513;
const HERALD_ID = '10.0.0.1';

type Phase = 'open' | 'established';
type Expect =
  | { notification: [number, number] | [number, readonly number[]] }
  | { action: 'treat-as-withdraw' }
  | { action: 'attribute-discard'; missing: 'localPref' | 'atomicAggregate' }
  | { action: 'duplicate-discarded' };

interface Case {
  name: string;
  phase: Phase;
  bytes: (asn: number) => Buffer;
  expect: Expect;
  /** iBGP session (peer ASN = ours). */
  ibgp?: boolean;
}

const VALID_PREFIX = '198.51.100.77';
const validAttrs = (asn: number) => cat(ORIGIN_IGP, asPath(asn), nextHop('127.0.0.9'));
const validUpdate = (asn: number) => update({ attrs: validAttrs(asn), nlri: nlri4(VALID_PREFIX, 32) });
/** An UPDATE for VALID_PREFIX with the given attributes (treat-as-withdraw cases). */
const withAttrs = (attrs: Buffer) => update({ attrs, nlri: nlri4(VALID_PREFIX, 32) });

const cases: Case[] = [
  // Message header errors (RFC 4271 §6.1)
  {
    name: 'bad marker',
    phase: 'open',
    bytes: (a) => message(TYPE.OPEN, openBody({}, a), { marker: Buffer.alloc(16, 0) }),
    expect: { notification: [1, 1] },
  },
  {
    name: 'length < 19',
    phase: 'open',
    bytes: () => message(TYPE.KEEPALIVE, Buffer.alloc(0), { length: 18 }),
    expect: { notification: [1, 2] },
  },
  {
    name: 'length > 4096 without extended messages',
    phase: 'open',
    bytes: (a) =>
      message(TYPE.OPEN, cat(openBody({}, a), Buffer.alloc(4097 - 19 - openBody({}, a).length)), {}),
    expect: { notification: [1, 2] },
  },
  {
    name: 'OPEN shorter than 29 octets',
    phase: 'open',
    bytes: (a) => message(TYPE.OPEN, openBody({}, a).subarray(0, 9)),
    expect: { notification: [1, 2] },
  },
  {
    name: 'unknown message type 42',
    phase: 'open',
    bytes: () => message(42, Buffer.alloc(0)),
    expect: { notification: [1, 3] },
  },
  {
    name: 'KEEPALIVE with a body',
    phase: 'established',
    bytes: () => message(TYPE.KEEPALIVE, Buffer.from([0])),
    expect: { notification: [1, 2] },
  },
  {
    name: 'UPDATE shorter than 23 octets',
    phase: 'established',
    bytes: () => message(TYPE.UPDATE, Buffer.from([0, 0])),
    expect: { notification: [1, 2] },
  },
  {
    name: 'ROUTE-REFRESH with length 22 (RFC 7313 §5)',
    phase: 'established',
    bytes: () => message(TYPE.ROUTE_REFRESH, Buffer.from([0, 1, 0])),
    expect: { notification: [7, 1] },
  },
  // OPEN message errors (RFC 4271 §6.2, RFC 6793, RFC 6286)
  {
    name: 'version 3',
    phase: 'open',
    bytes: (a) => message(TYPE.OPEN, openBody({ version: 3 }, a)),
    expect: { notification: [2, 1] },
  },
  {
    name: 'bad peer AS',
    phase: 'open',
    bytes: () => message(TYPE.OPEN, openBody({}, 65001)),
    expect: { notification: [2, 2] },
  },
  {
    name: 'AS4 capability disagrees with the configured peer AS',
    phase: 'open',
    bytes: (a) => message(TYPE.OPEN, openBody({ asn: 23456, as4: 4200000001 }, a)),
    expect: { notification: [2, 2] },
  },
  {
    name: 'hold time 1',
    phase: 'open',
    bytes: (a) => message(TYPE.OPEN, openBody({ holdTime: 1 }, a)),
    expect: { notification: [2, 6] },
  },
  {
    name: 'hold time 2',
    phase: 'open',
    bytes: (a) => message(TYPE.OPEN, openBody({ holdTime: 2 }, a)),
    expect: { notification: [2, 6] },
  },
  {
    name: 'BGP Identifier 0.0.0.0',
    phase: 'open',
    bytes: (a) => message(TYPE.OPEN, openBody({ bgpId: '0.0.0.0' }, a)),
    expect: { notification: [2, 3] },
  },
  {
    name: 'iBGP peer with our own BGP Identifier (RFC 6286 §2.2)',
    phase: 'open',
    ibgp: true,
    bytes: (a) => message(TYPE.OPEN, openBody({ bgpId: HERALD_ID }, a)),
    expect: { notification: [2, 3] },
  },
  {
    name: 'unsupported optional parameter type 99',
    phase: 'open',
    bytes: (a) =>
      message(
        TYPE.OPEN,
        openBody({ params: cat(optParamCaps(CAP_MP_IPV4, capAs4(a)), u8(99), u8(2), u16(0)) }, a),
      ),
    expect: { notification: [2, 4] },
  },
  // FSM errors (RFC 6608)
  {
    name: 'UPDATE before Established (OpenSent)',
    phase: 'open',
    bytes: (a) => validUpdate(a),
    expect: { notification: [5, 1] },
  },
  {
    name: 'KEEPALIVE before OPEN (OpenSent)',
    phase: 'open',
    bytes: () => message(TYPE.KEEPALIVE, Buffer.alloc(0)),
    expect: { notification: [5, 1] },
  },
  {
    name: 'OPEN in Established',
    phase: 'established',
    bytes: (a) => message(TYPE.OPEN, openBody({}, a)),
    expect: { notification: [5, 3] },
  },
  // UPDATE errors that reset the session (RFC 4271 §6.3, RFC 7606 §4, §5.3, §3g, RFC 4760 §7)
  {
    name: 'withdrawn routes length overruns the message',
    phase: 'established',
    bytes: () => message(TYPE.UPDATE, updateBody({ withdrawnLength: 200 })),
    expect: { notification: [3, 1] },
  },
  {
    name: 'total path attribute length overruns the message',
    phase: 'established',
    bytes: (a) => message(TYPE.UPDATE, updateBody({ attrs: validAttrs(a), attrsLength: 300 })),
    expect: { notification: [3, 1] },
  },
  {
    name: 'NLRI prefix length 33',
    phase: 'established',
    bytes: (a) => update({ attrs: validAttrs(a), nlri: cat(u8(33), Buffer.alloc(5)) }),
    expect: { notification: [3, 10] },
  },
  {
    name: 'NLRI prefix longer than the remaining bytes',
    phase: 'established',
    bytes: (a) => update({ attrs: validAttrs(a), nlri: cat(u8(32), Buffer.from([198, 51])) }),
    expect: { notification: [3, 10] },
  },
  {
    name: 'MP_REACH_NLRI IPv6 next hop length 5',
    phase: 'established',
    bytes: (a) =>
      update({
        attrs: cat(
          ORIGIN_IGP,
          asPath(a),
          attr(0x80, 14, cat(u16(2), u8(1), u8(5), Buffer.alloc(5), u8(0), u8(128), Buffer.alloc(16))),
        ),
      }),
    // RFC 7606 §7.11: session reset (or AFI/SAFI disable); the subcode is not prescribed.
    expect: { notification: [3, [1, 9]] },
  },
  {
    name: 'MP_REACH_NLRI twice',
    phase: 'established',
    bytes: (a) => {
      const mp = attr(
        0x80,
        14,
        cat(
          u16(2),
          u8(1),
          u8(16),
          Buffer.from('20010db8000100000000000000000009', 'hex'),
          u8(0),
          u8(128),
          Buffer.from('20010db8010000000000000000000077', 'hex'),
        ),
      );
      return update({ attrs: cat(ORIGIN_IGP, asPath(a), mp, mp) });
    },
    expect: { notification: [3, 1] },
  },
  {
    name: 'unrecognized well-known attribute (type 99, optional bit clear)',
    phase: 'established',
    bytes: (a) => withAttrs(cat(validAttrs(a), attr(0x40, 99, u8(0)))),
    expect: { notification: [3, 2] },
  },
  // RFC 7606 treat-as-withdraw: the route goes, the session stays
  {
    name: 'ORIGIN with the optional flag set (flags error)',
    phase: 'established',
    bytes: (a) => withAttrs(cat(attr(0xc0, 1, u8(0)), asPath(a), nextHop('127.0.0.9'))),
    expect: { action: 'treat-as-withdraw' },
  },
  {
    name: 'ORIGIN value 5',
    phase: 'established',
    bytes: (a) => withAttrs(cat(attr(0x40, 1, u8(5)), asPath(a), nextHop('127.0.0.9'))),
    expect: { action: 'treat-as-withdraw' },
  },
  {
    name: 'ORIGIN length 2',
    phase: 'established',
    bytes: (a) => withAttrs(cat(attr(0x40, 1, u16(0)), asPath(a), nextHop('127.0.0.9'))),
    expect: { action: 'treat-as-withdraw' },
  },
  {
    name: 'AS_PATH segment overruns the attribute',
    phase: 'established',
    bytes: (a) => withAttrs(cat(ORIGIN_IGP, attr(0x40, 2, cat(u8(2), u8(3), u32(a))), nextHop('127.0.0.9'))),
    expect: { action: 'treat-as-withdraw' },
  },
  {
    name: 'AS 0 in AS_PATH (RFC 7607 §2)',
    phase: 'established',
    bytes: (a) => withAttrs(cat(ORIGIN_IGP, asPath(a, 0), nextHop('127.0.0.9'))),
    expect: { action: 'treat-as-withdraw' },
  },
  {
    name: 'AS_PATH segment type 0',
    phase: 'established',
    bytes: (a) => withAttrs(cat(ORIGIN_IGP, attr(0x40, 2, cat(u8(0), u8(1), u32(a))), nextHop('127.0.0.9'))),
    expect: { action: 'treat-as-withdraw' },
  },
  {
    name: 'NEXT_HOP length 5',
    phase: 'established',
    bytes: (a) => withAttrs(cat(ORIGIN_IGP, asPath(a), attr(0x40, 3, Buffer.alloc(5, 1)))),
    expect: { action: 'treat-as-withdraw' },
  },
  {
    name: 'missing ORIGIN',
    phase: 'established',
    bytes: (a) => withAttrs(cat(asPath(a), nextHop('127.0.0.9'))),
    expect: { action: 'treat-as-withdraw' },
  },
  {
    name: 'missing AS_PATH',
    phase: 'established',
    bytes: () => withAttrs(cat(ORIGIN_IGP, nextHop('127.0.0.9'))),
    expect: { action: 'treat-as-withdraw' },
  },
  {
    name: 'missing NEXT_HOP',
    phase: 'established',
    bytes: (a) => withAttrs(cat(ORIGIN_IGP, asPath(a))),
    expect: { action: 'treat-as-withdraw' },
  },
  {
    name: 'COMMUNITIES length 3',
    phase: 'established',
    bytes: (a) => withAttrs(cat(validAttrs(a), attr(0xc0, 8, Buffer.alloc(3)))),
    expect: { action: 'treat-as-withdraw' },
  },
  {
    name: 'LARGE_COMMUNITY length 8',
    phase: 'established',
    bytes: (a) => withAttrs(cat(validAttrs(a), attr(0xc0, 32, Buffer.alloc(8)))),
    expect: { action: 'treat-as-withdraw' },
  },
  {
    name: 'MED length 2',
    phase: 'established',
    bytes: (a) => withAttrs(cat(validAttrs(a), attr(0x80, 4, u16(5)))),
    expect: { action: 'treat-as-withdraw' },
  },
  // RFC 7606 attribute-discard / duplicate handling: the route stays, the bad attribute is ignored
  {
    name: 'LOCAL_PREF from an eBGP peer (§7.5)',
    phase: 'established',
    bytes: (a) => withAttrs(cat(validAttrs(a), attr(0x40, 5, u32(300)))),
    expect: { action: 'attribute-discard', missing: 'localPref' },
  },
  {
    name: 'ATOMIC_AGGREGATE length 1 (§7.6)',
    phase: 'established',
    bytes: (a) => withAttrs(cat(validAttrs(a), attr(0x40, 6, u8(0)))),
    expect: { action: 'attribute-discard', missing: 'atomicAggregate' },
  },
  {
    name: 'ORIGIN twice: later copies discarded (§3g)',
    phase: 'established',
    bytes: (a) => withAttrs(cat(ORIGIN_IGP, attr(0x40, 1, u8(2)), asPath(a), nextHop('127.0.0.9'))),
    expect: { action: 'duplicate-discarded' },
  },
];

const peerAddress = (i: number) => `127.0.0.${20 + i}`;
const GOOD_PEER = '127.0.0.3';
/** What Herald announces to every case's peer: its re-sent UPDATE is the answer to a ROUTE-REFRESH. */
const ANNOUNCED_PREFIX = '198.51.100.66';

/** What each session's peer advertises, with attributes (sessions only count prefixes themselves). */
const tables = new Map<BgpSession, ReceivedRouteTable>();
function track(session: BgpSession): BgpSession {
  const table = new ReceivedRouteTable();
  tables.set(session, table);
  session.on('routesReceived', (r) => table.apply(r));
  session.on('closed', ({ wasEstablished }) => wasEstablished && table.clear());
  return session;
}
const receivedRoutes = (session: BgpSession, afi: 'ipv4' | 'ipv6') => tables.get(session)!.routes(afi);

describe('malformed BGP input over TCP', () => {
  let speaker: BgpSpeaker;
  let port = 0;
  let good: RawPeer;
  let goodKeepalives: ReturnType<typeof setInterval> | undefined;

  beforeAll(async () => {
    speaker = new BgpSpeaker({ listen: { address: '127.0.0.1', port: 0 } });
    speaker.on('error', () => undefined);
    const common = {
      localAsn: HERALD_ASN,
      routerId: HERALD_ID,
      localAddress: '127.0.0.1',
      passive: true,
      families: ['ipv4', 'ipv6'] as const,
    };
    track(speaker.addPeer({ ...common, peerAddress: GOOD_PEER, peerAsn: PEER_ASN, holdTime: 9 })).start();
    cases.forEach((c, i) => {
      const session = track(
        speaker.addPeer({
          ...common,
          peerAddress: peerAddress(i),
          peerAsn: c.ibgp ? HERALD_ASN : PEER_ASN,
        }),
      );
      session.announce(`${ANNOUNCED_PREFIX}/32`, { nextHop: '127.0.0.1' });
      session.start();
    });
    const bound = await speaker.listen();
    port = bound!.port;
    good = await RawPeer.open(GOOD_PEER, port);
    await good.handshake(PEER_ASN, '10.7.7.7');
    goodKeepalives = setInterval(() => good.send(message(TYPE.KEEPALIVE, Buffer.alloc(0))), 1000);
    good.send(validUpdate(PEER_ASN));
  });

  afterAll(async () => {
    if (goodKeepalives) clearInterval(goodKeepalives);
    good?.close();
    await speaker?.close();
  });

  test(`the suite has at least 25 distinct malformed messages (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
    expect(new Set(cases.map((c) => c.bytes(PEER_ASN).toString('hex'))).size).toBe(cases.length);
  });

  test.each(cases.map((c, i) => [c.name, i] as const))('%s', async (_name, i) => {
    const c = cases[i]!;
    const asn = c.ibgp ? HERALD_ASN : PEER_ASN;
    const session = speaker.getPeer(peerAddress(i))!;
    const peer = await RawPeer.open(peerAddress(i), port);
    try {
      if (c.phase === 'established') {
        await peer.handshake(asn);
        // Herald's first UPDATE: later ones are answers to ROUTE-REFRESH.
        await peer.until(
          'the UPDATE Herald sends on Established',
          () => peer.updatesAnnouncing(ANNOUNCED_PREFIX) > 0,
        );
        if ('action' in c.expect) {
          // A good route first, so treat-as-withdraw has something to withdraw.
          peer.send(validUpdate(asn));
          await eventually(`${VALID_PREFIX} received`, () =>
            receivedRoutes(session, 'ipv4').some((r) => r.prefix.address === VALID_PREFIX),
          );
        }
      } else {
        // The OPEN phase: wait for Herald's OPEN (it sends one as soon as it accepts).
        await peer.until("Herald's OPEN", () => peer.message(TYPE.OPEN));
      }
      peer.send(c.bytes(asn));
      if ('notification' in c.expect) {
        await eventually(
          `a NOTIFICATION or the close`,
          () => peer.notification() !== undefined || peer.closed,
          {
            timeoutMs: 10_000,
            intervalMs: 10,
          },
        );
        // What Herald did: "NOTIFICATION code/subcode", or "closed" / "open" if it sent none.
        expect(peer.describe()).toMatch(/^NOTIFICATION \d+\/\d+$/);
        const n = peer.notification()!;
        const [code, sub] = c.expect.notification;
        expect({ case: c.name, code: n.code }).toEqual({ case: c.name, code });
        if (Array.isArray(sub)) expect(sub).toContain(n.subcode);
        else
          expect({ case: c.name, code: n.code, subcode: n.subcode }).toEqual({
            case: c.name,
            code,
            subcode: sub,
          });
        await eventually('the connection to close after the NOTIFICATION', () => peer.closed);
      } else {
        // ROUTE-REFRESH after the malformed UPDATE: Herald handles a connection's messages in order, so its
        // answer (the route re-sent) proves it has acted on the UPDATE — and the session is still up.
        const answered = peer.updatesAnnouncing(ANNOUNCED_PREFIX) + 1;
        peer.send(ROUTE_REFRESH_IPV4);
        await peer.until(
          'the answer to ROUTE-REFRESH',
          () => peer.updatesAnnouncing(ANNOUNCED_PREFIX) >= answered,
        );
        expect(peer.notification()).toBeUndefined();
        expect(peer.closed).toBe(false);
        expect(session.state).toBe('Established');
        const routes = receivedRoutes(session, 'ipv4').filter((r) => r.prefix.address === VALID_PREFIX);
        if (c.expect.action === 'treat-as-withdraw') {
          expect(routes).toEqual([]);
        } else if (c.expect.action === 'attribute-discard') {
          expect(routes).toHaveLength(1);
          expect(routes[0]!.attributes[c.expect.missing]).toBeUndefined();
        } else {
          expect(routes).toHaveLength(1);
          expect(routes[0]!.attributes.origin).toBe('igp');
        }
      }
    } finally {
      peer.close();
    }
    // The well-behaved session never noticed.
    expect(good.notification()).toBeUndefined();
    expect(good.closed).toBe(false);
    expect(speaker.getPeer(GOOD_PEER)!.state).toBe('Established');
  });

  test('the well-behaved session stayed Established throughout, its route intact', () => {
    const s = speaker.getPeer(GOOD_PEER)!;
    expect(s.state).toBe('Established');
    expect(s.counters().flaps).toBe(0);
    expect(receivedRoutes(s, 'ipv4').map((r) => r.prefix.address)).toEqual([VALID_PREFIX]);
    expect(good.notification()).toBeUndefined();
  });
});
