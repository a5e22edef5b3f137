import { parsePrefix } from '@herald/inet';
import { describe, expect, test } from '@jest/globals';
import { validateRoute } from '../config.ts';
import type { BgpError } from '../errors.ts';
import { toOutgoingAttributes } from '../rib/outgoing-attributes.ts';
import { encodePathAttributes } from './attributes.ts';
import { decodeHeader, MessageFramer } from './header.ts';
import { encodeKeepalive } from './keepalive.ts';
import { decodeMessage } from './message.ts';
import type { BgpMessage, CodecContext, OpenMessage, UpdateMessage } from './messages.ts';
import { encodeNlriPrefix } from './nlri.ts';
import { describeNotification, encodeNotification, encodeShutdownCommunication } from './notification.ts';
import { encodeOpen } from './open.ts';
import { encodeRouteRefresh } from './route-refresh.ts';
import { buildEndOfRib, buildIpv4Announce, buildIpv4Withdraw, buildMpAnnounce } from './update.ts';

const ctx: CodecContext = { fourOctetAsn: true, maxMessageSize: 4096, ebgp: true };
const MARKER = 'ff'.repeat(16);

function decode(
  msg: Buffer,
  c: CodecContext = ctx,
): { ok: true; value: BgpMessage } | { ok: false; error: BgpError } {
  const h = decodeHeader(msg, c.maxMessageSize);
  if (!h.ok) return h;
  return decodeMessage(msg, h.value.type, c);
}

function expectError(msg: Buffer, code: number, subcode: number, data?: string, c: CodecContext = ctx): void {
  const r = decode(msg, c);
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect([r.error.code, r.error.subcode]).toEqual([code, subcode]);
  if (data !== undefined) expect(r.error.data.toString('hex')).toBe(data);
}

/** Build an UPDATE from raw attribute bytes (hex) and NLRI prefixes. */
function rawUpdate(attrsHex: string, nlri: string[] = [], withdrawn: string[] = []): Buffer {
  const attrs = Buffer.from(attrsHex, 'hex');
  const w = Buffer.concat(withdrawn.map((p) => encodeNlriPrefix(parsePrefix(p))));
  const n = Buffer.concat(nlri.map((p) => encodeNlriPrefix(parsePrefix(p))));
  const body = Buffer.alloc(4 + w.length + attrs.length + n.length);
  body.writeUInt16BE(w.length, 0);
  w.copy(body, 2);
  body.writeUInt16BE(attrs.length, 2 + w.length);
  attrs.copy(body, 4 + w.length);
  n.copy(body, 4 + w.length + attrs.length);
  const head = Buffer.from(MARKER + '0000' + '02', 'hex');
  head.writeUInt16BE(19 + body.length, 16);
  return Buffer.concat([head, body]);
}

const ORIGIN_IGP = '40010100';
const AS_PATH_65001 = '40020602010000fde9';
const NEXT_HOP = '400304cb007101';
const BASE = ORIGIN_IGP + AS_PATH_65001 + NEXT_HOP;

function update(msg: Buffer, c: CodecContext = ctx): UpdateMessage {
  const r = decode(msg, c);
  if (!r.ok) throw r.error;
  if (r.value.type !== 'update') throw new Error('not an update');
  return r.value;
}

describe('header', () => {
  test('KEEPALIVE is exactly marker + length 19 + type 4', () => {
    expect(encodeKeepalive().toString('hex')).toBe(`${MARKER}001304`);
    expect(decode(encodeKeepalive())).toEqual({ ok: true, value: { type: 'keepalive' } });
  });
  test('bad marker → 1/1', () => {
    const m = encodeKeepalive();
    m[3] = 0;
    expectError(m, 1, 1, '');
  });
  test('length below 19 or above max → 1/2 with the length field', () => {
    expectError(Buffer.from(`${MARKER}001204`, 'hex'), 1, 2, '0012');
    expectError(Buffer.from(`${MARKER}100104`, 'hex'), 1, 2, '1001');
  });
  test('KEEPALIVE with a body → 1/2', () =>
    expectError(Buffer.from(`${MARKER}00140400`, 'hex'), 1, 2, '0014'));
  test('OPEN shorter than 29 → 1/2', () =>
    expectError(Buffer.from(`${MARKER}0014` + '01' + '04', 'hex'), 1, 2, '0014'));
  test('unknown type → 1/3 with the type', () =>
    expectError(Buffer.from(`${MARKER}001309`, 'hex'), 1, 3, '09'));
  test('framer splits a stream fed byte by byte', () => {
    const f = new MessageFramer(4096);
    const stream = Buffer.concat([encodeKeepalive(), encodeRouteRefresh('ipv6'), encodeKeepalive()]);
    const got: number[] = [];
    for (const b of stream) {
      f.push(Buffer.from([b]));
      for (let n = f.next(); n; n = f.next()) if (n.ok) got.push(n.value.header.type);
    }
    expect(got).toEqual([4, 5, 4]);
  });
  test('messages up to 65535 are accepted only with extended messages', () => {
    const big = Buffer.alloc(5000, 0);
    Buffer.from(MARKER, 'hex').copy(big);
    big.writeUInt16BE(5000, 16);
    big[18] = 2;
    expect(decodeHeader(big, 4096).ok).toBe(false);
    expect(decodeHeader(big, 65535).ok).toBe(true);
  });
});

describe('OPEN', () => {
  const open = encodeOpen({
    asn: 4200000001,
    holdTime: 90,
    bgpIdentifier: '203.0.113.1',
    capabilities: {
      families: ['ipv4', 'ipv6'],
      asn: 4200000001,
      extendedMessages: true,
      gracefulRestart: { restarting: true, restartTime: 120, families: ['ipv4'] },
    },
  });
  test('known byte vector', () => {
    expect(open.toString('hex')).toBe(
      MARKER +
        '003d01' +
        '04' +
        '5ba0' + // AS_TRANS
        '005a' +
        'cb007101' +
        '20' +
        '021e' +
        '010400010001' +
        '010400020001' +
        '0200' +
        '4104fa56ea01' +
        '0600' +
        '4006' +
        '8078' +
        '00010100',
    );
  });
  test('round trip', () => {
    const r = decode(open);
    expect(r.ok).toBe(true);
    const m = (r as { value: OpenMessage }).value;
    expect(m).toMatchObject({ version: 4, myAsn: 23456, holdTime: 90, bgpIdentifier: '203.0.113.1' });
    expect(m.capabilities).toMatchObject({
      multiprotocol: ['ipv4', 'ipv6'],
      routeRefresh: true,
      fourOctetAsn: 4200000001,
      extendedMessages: true,
      gracefulRestart: {
        restarting: true,
        restartTime: 120,
        families: [{ afi: 'ipv4', forwardingPreserved: false }],
      },
    });
  });
  test('unsupported version → 2/1 with data 0004', () => {
    const m = Buffer.from(open);
    m[19] = 3;
    expectError(m, 2, 1, '0004');
  });
  test('unknown optional parameter → 2/4', () => {
    const m = Buffer.from(`${MARKER}002001` + '04fde9005acb007101' + '03' + '0101ff', 'hex');
    expectError(m, 2, 4);
  });
  test('optional parameters length mismatch → 2/0', () => {
    const m = Buffer.from(`${MARKER}001f01` + '04fde9005acb007101' + '05' + '0200', 'hex');
    expectError(m, 2, 0);
  });
  test('unknown capabilities are ignored', () => {
    const m = Buffer.from(`${MARKER}002301` + '04fde9005acb007101' + '06' + '0204' + '4602abcd', 'hex');
    const r = decode(m);
    expect(r.ok && r.value.type === 'open' && r.value.capabilities.unknown).toEqual([
      { code: 0x46, value: Buffer.from('abcd', 'hex') },
    ]);
  });
  test('RFC 9072 extended optional parameters are accepted', () => {
    const caps = '0200' + '4104' + '0000fde9';
    const params = '02' + '0008' + caps;
    const body = '04fde9005acb007101' + 'ff' + 'ff' + '000b' + params;
    const m = Buffer.from(`${MARKER}0000` + '01' + body, 'hex');
    m.writeUInt16BE(m.length, 16);
    const r = decode(m);
    expect(r.ok && r.value.type === 'open' && r.value.capabilities.fourOctetAsn).toBe(65001);
  });
  // Malformed known capabilities are refused, as FRR (bgp_capability_parse: length below the minimum or not a
  // multiple → 2/0) and BIRD (bgp_read_capabilities → 2/0) do; docs/bgp.md "Capabilities" says why.
  test('a Multiprotocol capability of length 3 → 2/0, not silently ignored', () => {
    const m = Buffer.from(`${MARKER}002401` + '04fde9005acb007101' + '07' + '0205' + '0103000101', 'hex');
    expectError(m, 2, 0);
  });
  test('truncated capability → 2/0', () => {
    const m = Buffer.from(`${MARKER}002001` + '04fde9005acb007101' + '03' + '020141', 'hex');
    expectError(m, 2, 0);
  });
});

describe('NOTIFICATION', () => {
  test('Cease/Administrative Shutdown with RFC 9003 communication round-trips', () => {
    const m = encodeNotification(6, 2, encodeShutdownCommunication('maintenance ✓'));
    const r = decode(m);
    expect(r.ok).toBe(true);
    if (!r.ok || r.value.type !== 'notification') return;
    const info = describeNotification(r.value.code, r.value.subcode, r.value.data);
    expect(info).toMatchObject({
      codeName: 'Cease',
      subcodeName: 'Administrative Shutdown',
      communication: 'maintenance ✓',
    });
  });
  test("a peer's communication is made printable: terminal escapes arrive escaped", () => {
    const m = encodeNotification(6, 2, encodeShutdownCommunication('\u001b[2Jbye\u009b'));
    const r = decode(m);
    if (!r.ok || r.value.type !== 'notification') throw new Error('not decoded');
    expect(describeNotification(r.value.code, r.value.subcode, r.value.data).communication).toBe(
      '\\u{1b}[2Jbye\\u{9b}',
    );
  });
  test('communication is cut at 255 bytes on a character boundary', () => {
    const data = encodeShutdownCommunication('é'.repeat(200));
    expect(data[0]).toBe(254);
    expect(data.subarray(1).toString('utf8')).toBe('é'.repeat(127));
  });
  test('hold timer expired vector', () =>
    expect(encodeNotification(4, 0).toString('hex')).toBe(`${MARKER}00150304 00`.replace(' ', '')));
});

describe('ROUTE-REFRESH', () => {
  test('vector and round trip', () => {
    expect(encodeRouteRefresh('ipv6').toString('hex')).toBe(`${MARKER}00170500020001`);
    const r = decode(encodeRouteRefresh('ipv4'));
    expect(r.ok && r.value).toMatchObject({ type: 'route-refresh', afi: 'ipv4', safi: 1, subtype: 0 });
  });
  test('wrong length → 7/1 with the whole message', () => {
    const m = Buffer.from(`${MARKER}0018050001000100`, 'hex');
    expectError(m, 7, 1, m.toString('hex'));
  });
});

describe('UPDATE decode', () => {
  test('all attributes decoded', () => {
    const attrs =
      BASE +
      '800404000000c8' + // MED 200
      '40060 0'.replace(' ', '') + // ATOMIC_AGGREGATE
      'c00708 0000fde9 cb007101'.replaceAll(' ', '') + // AGGREGATOR
      'c00808 fde90064 ffffff01'.replaceAll(' ', '') + // COMMUNITIES
      'c01008 0002fde900000064'.replaceAll(' ', '') + // EXT rt:65001:100
      'c0200c 0000fde9 00000001 00000002'.replaceAll(' ', ''); // LARGE
    const u = update(rawUpdate(attrs, ['198.51.100.7/32', '198.51.100.0/24']));
    expect(u.announced.map((p) => `${p.address}/${p.length}`)).toEqual([
      '198.51.100.7/32',
      '198.51.100.0/24',
    ]);
    expect(u.attributes).toMatchObject({
      origin: 'igp',
      asPath: [{ type: 'sequence', asns: [65001] }],
      nextHop: '203.0.113.1',
      med: 200,
      atomicAggregate: true,
      aggregator: { asn: 65001, address: '203.0.113.1' },
      communities: ['65001:100', 'no-export'],
      extendedCommunities: ['rt:65001:100'],
      largeCommunities: ['65001:1:2'],
    });
    expect(u.treatAsWithdraw).toBeUndefined();
  });
  test('link bandwidth rides in EXTENDED_COMMUNITIES (optional transitive attribute, non-transitive community)', () => {
    const route = { nextHop: '203.0.113.11', extendedCommunities: ['lb:64600:375000'] };
    expect(validateRoute(parsePrefix('198.51.100.7/32'), route)).toEqual([]);
    const out = toOutgoingAttributes('ipv4', route, {
      localAsn: 64600,
      ebgp: true,
      fourOctetAsn: true,
      maxMessageSize: 4096,
      families: ['ipv4'],
    });
    const { below, above } = encodePathAttributes(out, true);
    // Flags 0xc0 (the attribute is optional transitive, RFC 4360 §2), type 16, 8 bytes: 0x40 0x04, AS 64600,
    // 375,000 bytes/s as float32 — the attribute table's entry, nothing special for this community.
    expect(above.toString('hex')).toBe('c010084004fc5848b71b00');
    const nlri = encodeNlriPrefix(parsePrefix('198.51.100.7/32'));
    const decoded = update(buildIpv4Announce(below, above, [nlri], nlri.length));
    expect(decoded.attributes.extendedCommunities).toEqual(['lb:64600:375000']);
  });
  test('LOCAL_PREF is decoded from iBGP and ignored from eBGP (RFC 7606 §7.5)', () => {
    const m = rawUpdate(BASE + '40050400000064', ['198.51.100.7/32']);
    expect(update(m, { ...ctx, ebgp: false }).attributes.localPref).toBe(100);
    expect(update(m).attributes.localPref).toBeUndefined();
  });
  test('2-octet AS_PATH merged with AS4_PATH (RFC 6793)', () => {
    const c2 = { ...ctx, fourOctetAsn: false };
    const m = rawUpdate(
      ORIGIN_IGP +
        '400206 0202 5ba0 fde9'.replaceAll(' ', '') +
        NEXT_HOP +
        'c01106 0501 fa56ea01'.replaceAll(' ', ''),
      ['198.51.100.7/32'],
    );
    // AS4_PATH above has an invalid segment type → discarded (RFC 6793 §6), the route survives.
    expect(update(m, c2).discardedAttributes.map((d) => d.typeCode)).toEqual([17]);
    const ok = rawUpdate(
      ORIGIN_IGP +
        '400206 0202 5ba0 fde9'.replaceAll(' ', '') +
        NEXT_HOP +
        'c01106 0201 fa56ea01'.replaceAll(' ', ''),
      ['198.51.100.7/32'],
    );
    expect(update(ok, c2).attributes.asPath).toEqual([
      { type: 'sequence', asns: [23456] },
      { type: 'sequence', asns: [4200000001] },
    ]);
  });
  test('IPv6 MP_REACH with global + link-local next hop, MP_UNREACH, End-of-RIB', () => {
    const p = parsePrefix('2001:db8:100::1/128');
    const { below, above } = encodePathAttributes(
      { origin: 0, asPath: [65001], communities: [], extendedCommunities: [], largeCommunities: [] },
      true,
    );
    const nh = Buffer.from('20010db8000100000000000000000001fe800000000000000000000000000001', 'hex');
    const nlri = encodeNlriPrefix(p);
    const u = update(buildMpAnnounce('ipv6', below, above, nh, [nlri], nlri.length));
    expect(u.announced).toEqual([p]);
    expect(u.mpReach).toEqual({ afi: 'ipv6', nextHop: '2001:db8:1::1', nextHopLinkLocal: 'fe80::1' });
    expect(update(buildEndOfRib('ipv6')).endOfRib).toBe('ipv6');
    expect(update(buildEndOfRib('ipv4')).endOfRib).toBe('ipv4');
    expect(buildEndOfRib('ipv4').toString('hex')).toBe(`${MARKER}0017020000 0000`.replace(' ', ''));
  });
  test('IPv4 announce/withdraw builders round-trip', () => {
    const { below, above } = encodePathAttributes(
      {
        origin: 0,
        asPath: [65001],
        nextHop: Buffer.from([203, 0, 113, 1]),
        communities: [0xfde90064],
        extendedCommunities: [],
        largeCommunities: [[1, 2, 3]],
      },
      true,
    );
    const n = [encodeNlriPrefix(parsePrefix('198.51.100.7/32'))];
    const u = update(buildIpv4Announce(below, above, n, 5));
    expect(u.attributes).toMatchObject({
      nextHop: '203.0.113.1',
      communities: ['65001:100'],
      largeCommunities: ['1:2:3'],
    });
    expect(update(buildIpv4Withdraw(n, 5)).withdrawn).toEqual([parsePrefix('198.51.100.7/32')]);
  });
  test('AS4_PATH is sent toward 2-octet peers when the path has a 4-octet ASN', () => {
    const { above } = encodePathAttributes(
      { origin: 0, asPath: [4200000001], communities: [], extendedCommunities: [], largeCommunities: [] },
      false,
    );
    expect(above.toString('hex')).toBe('c01106' + '0201fa56ea01');
  });
  test('extended-length flag used only above 255 bytes', () => {
    const many = Array.from({ length: 70 }, (_, i) => i);
    const { below } = encodePathAttributes(
      { origin: 0, asPath: [1], communities: many, extendedCommunities: [], largeCommunities: [] },
      true,
    );
    expect(below.subarray(below.length - 284, below.length - 280).toString('hex')).toBe('d0080118');
  });
});

describe('UPDATE errors (RFC 4271 §6.3 codes, RFC 7606 actions)', () => {
  const nlri = ['198.51.100.7/32'];
  const taw = (attrs: string, code: number, subcode: number) => {
    const u = update(rawUpdate(attrs, nlri));
    expect(u.treatAsWithdraw && [u.treatAsWithdraw.code, u.treatAsWithdraw.subcode]).toEqual([code, subcode]);
  };
  test('withdrawn length overrun → 3/1 session reset', () => {
    const m = rawUpdate('', []);
    m.writeUInt16BE(10, 19);
    expectError(m, 3, 1);
  });
  test('total attribute length overrun → 3/1', () => {
    const m = rawUpdate(BASE, []);
    m.writeUInt16BE(200, 21);
    expectError(m, 3, 1);
  });
  test('bad NLRI prefix length → 3/10 session reset', () => {
    const m = rawUpdate(BASE, nlri);
    m[m.length - 5] = 33;
    expectError(m, 3, 10);
  });
  test('ORIGIN bad value → treat-as-withdraw 3/6', () => taw('40010103' + AS_PATH_65001 + NEXT_HOP, 3, 6));
  test('ORIGIN bad length → treat-as-withdraw 3/5', () => taw('4001020000' + AS_PATH_65001 + NEXT_HOP, 3, 5));
  test('ORIGIN flags wrong → treat-as-withdraw 3/4', () => taw('c0010100' + AS_PATH_65001 + NEXT_HOP, 3, 4));
  test('malformed AS_PATH → treat-as-withdraw 3/11', () =>
    taw(ORIGIN_IGP + '40020602050000fde9' + NEXT_HOP, 3, 11));
  test('zero-length AS_PATH segment → 3/11', () => taw(ORIGIN_IGP + '4002020200' + NEXT_HOP, 3, 11));
  // RFC 7607 §2: AS 0 anywhere in AS_PATH is malformed → treat-as-withdraw (FRR does the same).
  test('AS 0 in AS_PATH → treat-as-withdraw 3/11 (RFC 7607)', () =>
    taw(ORIGIN_IGP + '40020a0202' + '0000fde9' + '00000000' + NEXT_HOP, 3, 11));
  test('AS 0 in AGGREGATOR, AS4_PATH, AS4_AGGREGATOR → attribute discard (RFC 7607)', () => {
    const aggregator0 = 'c00708' + '00000000' + 'cb007101';
    const as4path0 = 'c01106' + '0201' + '00000000';
    const as4aggregator0 = 'c01208' + '00000000' + 'cb007101';
    const u = update(rawUpdate(BASE + aggregator0 + as4path0 + as4aggregator0, nlri));
    expect(u.treatAsWithdraw).toBeUndefined();
    expect(u.discardedAttributes.map((d) => [d.typeCode, d.error.subcode])).toEqual([
      [7, 9],
      [17, 9],
      [18, 9],
    ]);
    expect(u.attributes.aggregator).toBeUndefined();
  });
  test('NEXT_HOP 0.0.0.0 → treat-as-withdraw 3/8', () =>
    taw(ORIGIN_IGP + AS_PATH_65001 + '40030400000000', 3, 8));
  test('NEXT_HOP length 5 → 3/5', () => taw(ORIGIN_IGP + AS_PATH_65001 + '4003050102030405', 3, 5));
  test('MED bad length → 3/5', () => taw(BASE + '8004020001', 3, 5));
  test('COMMUNITIES length not %4 → treat-as-withdraw 3/9', () => taw(BASE + 'c00803010203', 3, 9));
  test('LARGE_COMMUNITY length not %12 → 3/9', () => taw(BASE + 'c02004 00000001'.replace(' ', ''), 3, 9));
  test('missing NEXT_HOP → treat-as-withdraw 3/3 with the type code', () => {
    const u = update(rawUpdate(ORIGIN_IGP + AS_PATH_65001, nlri));
    expect(u.treatAsWithdraw?.subcode).toBe(3);
    expect(u.treatAsWithdraw?.data.toString('hex')).toBe('03');
  });
  test('missing attributes without NLRI are fine', () =>
    expect(update(rawUpdate('', [], nlri)).treatAsWithdraw).toBeUndefined());
  test('attribute overrunning the attribute field → treat-as-withdraw (RFC 7606 §4)', () =>
    taw(BASE + '800408000000c8', 3, 5));
  test('ATOMIC_AGGREGATE with a body → attribute discard', () => {
    const u = update(rawUpdate(BASE + '40060101', nlri));
    expect(u.treatAsWithdraw).toBeUndefined();
    expect(u.discardedAttributes.map((d) => [d.typeCode, d.error.subcode])).toEqual([[6, 5]]);
  });
  test('AGGREGATOR wrong length → attribute discard', () => {
    expect(update(rawUpdate(BASE + 'c00706000000000000', nlri)).discardedAttributes[0]?.typeCode).toBe(7);
  });
  test('duplicate attribute → discard all but the first', () => {
    const u = update(rawUpdate(BASE + '40010102', nlri));
    expect(u.attributes.origin).toBe('igp');
    expect(u.discardedAttributes[0]?.typeCode).toBe(1);
  });
  test('duplicate MP_REACH → 3/1 session reset', () => {
    const mp = '800e0a00020110' + '20010db8000100000000000000000001' + '00';
    expectError(
      rawUpdate(ORIGIN_IGP + AS_PATH_65001 + mp.replace('0a', '15') + mp.replace('0a', '15')),
      3,
      1,
    );
  });
  test('unrecognized well-known attribute → 3/2 with the attribute', () =>
    expectError(rawUpdate(BASE + '40630100', nlri), 3, 2, '40630100'));
  test('unknown optional transitive attribute is kept, not an error', () => {
    const u = update(rawUpdate(BASE + 'c0630101', nlri));
    expect(u.attributes.unknown).toEqual([{ typeCode: 0x63, flags: 0xc0, value: Buffer.from([1]) }]);
  });
  test('MP_REACH bad next hop length → 3/9 session reset', () => {
    const mp = '800e0800020104' + '01020304' + '00';
    expectError(rawUpdate(ORIGIN_IGP + AS_PATH_65001 + mp), 3, 9);
  });
  test('MP_REACH bad NLRI → 3/9', () => {
    const mp = '800e1600020110' + '20010db8000100000000000000000001' + '00' + '81' + '20';
    expectError(rawUpdate(ORIGIN_IGP + AS_PATH_65001 + mp), 3, 9);
  });
});
