/**
 * Adj-RIB-Out (RFC 4271 §3.2): the routes we want the peer to have (`desired`) and what the current session
 * has actually put on the wire (`advertised`). UPDATEs are generated lazily by `nextUpdate()`, pulled by the
 * driver while the socket can take data, so:
 *  - rapid announce→withdraw→announce flips coalesce into the net change (nothing is encoded until pulled);
 *  - memory is bounded by the RIB itself, never by a queue of encoded messages;
 *  - prefixes with identical attributes are packed into as few UPDATEs as the message size allows.
 */
import { formatPrefix } from '@herald/inet';
import type { Afi, Prefix, RouteAttributes } from '../types.ts';
import { encodePathAttributes } from '../wire/attributes.ts';
import { encodeNlriPrefix } from '../wire/nlri.ts';
import {
  buildEndOfRib,
  buildIpv4Announce,
  buildIpv4Withdraw,
  buildMpAnnounce,
  buildMpWithdraw,
  ipv4AnnounceSize,
  ipv4WithdrawOverhead,
  mpAnnounceOverhead,
  mpWithdrawOverhead,
} from '../wire/update.ts';
import {
  attributeGroupKey,
  type EncodeSession,
  mpNextHop,
  toOutgoingAttributes,
} from './outgoing-attributes.ts';

interface RibEntry {
  readonly prefix: Prefix;
  readonly key: string;
  readonly attributes: RouteAttributes;
  readonly group: string;
  /** Cached wire form of the prefix, so packing never re-encodes. */
  readonly nlri: Buffer;
}

interface EncodedGroup {
  readonly below: Buffer;
  readonly above: Buffer;
  readonly mpNextHop: Buffer | undefined;
}

/** One generated UPDATE and what it did, for counters and logs. */
export interface OutgoingUpdate {
  readonly message: Buffer;
  readonly afi: Afi;
  readonly announced: number;
  readonly withdrawn: number;
  readonly endOfRib: boolean;
}

/**
 * attributeGroupKey once per attributes object and family: the key parses the next hop and every community,
 * and one shared key string per group beats one copy per route (10,000 routes, one attributes object).
 */
const groupKeys = new WeakMap<RouteAttributes, { ipv4?: string; ipv6?: string }>();

function groupKeyOf(afi: Afi, attributes: RouteAttributes): string {
  let byFamily = groupKeys.get(attributes);
  if (!byFamily) {
    byFamily = {};
    groupKeys.set(attributes, byFamily);
  }
  byFamily[afi] ??= attributeGroupKey(afi, attributes);
  return byFamily[afi]!;
}

export class AdjRibOut {
  readonly #desired = new Map<string, RibEntry>();
  /** prefix key → group key currently on the wire (only while a session is up). */
  readonly #advertised = new Map<string, string>();
  readonly #advertisedCount: Record<Afi, number> = { ipv4: 0, ipv6: 0 };
  /** group key → entries waiting to be announced, in arrival order. */
  readonly #pendingAnnounce = new Map<string, Map<string, RibEntry>>();
  readonly #pendingWithdraw: Record<Afi, Map<string, Buffer>> = { ipv4: new Map(), ipv6: new Map() };
  readonly #encoded = new Map<string, EncodedGroup>();
  #session: EncodeSession | undefined;
  #endOfRibPending: Afi[] = [];
  /** False while the owner still loads its initial table: End-of-RIB waits (deferEndOfRib). */
  #tableLoaded = true;

  /** End-of-RIB waits for `initialTableLoaded()`, in this and later sessions until then. */
  deferEndOfRib(): void {
    this.#tableLoaded = false;
  }

  /** The owner's initial table is in: End-of-RIB may follow it (now, when a session is up). */
  initialTableLoaded(): void {
    this.#tableLoaded = true;
  }

  /** Add or replace a route. The caller has validated it (`validateRoute`). */
  announce(prefix: Prefix, attributes: RouteAttributes): void {
    const key = formatPrefix(prefix);
    const group = groupKeyOf(prefix.afi, attributes);
    const old = this.#desired.get(key);
    if (old) this.#pendingAnnounce.get(old.group)?.delete(key);
    const entry: RibEntry = { prefix, key, attributes, group, nlri: old?.nlri ?? encodeNlriPrefix(prefix) };
    this.#desired.set(key, entry);
    if (!this.#active(prefix.afi)) return;
    this.#pendingWithdraw[prefix.afi].delete(key);
    // Flip coalescing: if the wire already has exactly this, there is nothing to send.
    if (this.#advertised.get(key) !== group) this.#queueAnnounce(entry);
  }

  /** Remove a route; returns false if it was not in the RIB. */
  withdraw(prefix: Prefix): boolean {
    const key = formatPrefix(prefix);
    const old = this.#desired.get(key);
    if (!old) return false;
    this.#desired.delete(key);
    this.#pendingAnnounce.get(old.group)?.delete(key);
    if (this.#active(prefix.afi) && this.#advertised.has(key))
      this.#pendingWithdraw[prefix.afi].set(key, old.nlri);
    return true;
  }

  has(prefix: Prefix): boolean {
    return this.#desired.has(formatPrefix(prefix));
  }

  routes(): { prefix: Prefix; attributes: RouteAttributes }[] {
    return [...this.#desired.values()].map((e) => ({ prefix: e.prefix, attributes: e.attributes }));
  }

  size(afi?: Afi): number {
    if (!afi) return this.#desired.size;
    let n = 0;
    for (const e of this.#desired.values()) if (e.prefix.afi === afi) n++;
    return n;
  }

  /** Prefixes on the wire to the current peer. */
  advertisedCount(afi: Afi): number {
    return this.#advertisedCount[afi];
  }

  /** Session reached Established: everything desired must be (re-)sent, then End-of-RIB per family. */
  sessionUp(session: EncodeSession): void {
    this.#session = session;
    this.#resetWireState();
    for (const entry of this.#desired.values())
      if (this.#active(entry.prefix.afi)) this.#queueAnnounce(entry);
    this.#endOfRibPending = [...session.families];
  }

  /** Session went down: the peer no longer has anything from us. */
  sessionDown(): void {
    this.#session = undefined;
    this.#resetWireState();
    this.#endOfRibPending = [];
  }

  /** ROUTE-REFRESH (RFC 2918): re-send every route of the family. */
  refresh(afi: Afi): void {
    if (!this.#active(afi)) return;
    for (const entry of this.#desired.values()) if (entry.prefix.afi === afi) this.#queueAnnounce(entry);
  }

  hasPending(): boolean {
    if (!this.#session) return false;
    return (
      this.#pendingWithdraw.ipv4.size > 0 ||
      this.#pendingWithdraw.ipv6.size > 0 ||
      this.#pendingAnnounce.size > 0 ||
      (this.#endOfRibPending.length > 0 && this.#tableLoaded)
    );
  }

  /** Generate the next UPDATE: withdrawals first, then one attribute group at a time, then End-of-RIB. */
  nextUpdate(): OutgoingUpdate | undefined {
    const s = this.#session;
    if (!s) return undefined;
    for (const afi of ['ipv4', 'ipv6'] as const) {
      if (this.#pendingWithdraw[afi].size > 0) return this.#nextWithdraw(afi, s.maxMessageSize);
    }
    for (const [group, entries] of this.#pendingAnnounce) {
      if (entries.size === 0) {
        this.#pendingAnnounce.delete(group);
        continue;
      }
      return this.#nextAnnounce(group, entries, s);
    }
    if (!this.#tableLoaded) return undefined;
    const afi = this.#endOfRibPending.shift();
    if (afi) return { message: buildEndOfRib(afi), afi, announced: 0, withdrawn: 0, endOfRib: true };
    return undefined;
  }

  #active(afi: Afi): boolean {
    return this.#session?.families.includes(afi) ?? false;
  }

  #queueAnnounce(entry: RibEntry): void {
    let pending = this.#pendingAnnounce.get(entry.group);
    if (!pending) {
      pending = new Map();
      this.#pendingAnnounce.set(entry.group, pending);
    }
    pending.set(entry.key, entry);
  }

  #resetWireState(): void {
    this.#advertised.clear();
    this.#advertisedCount.ipv4 = 0;
    this.#advertisedCount.ipv6 = 0;
    this.#pendingAnnounce.clear();
    this.#pendingWithdraw.ipv4.clear();
    this.#pendingWithdraw.ipv6.clear();
    this.#encoded.clear();
  }

  #nextWithdraw(afi: Afi, max: number): OutgoingUpdate {
    const pending = this.#pendingWithdraw[afi];
    const overhead = afi === 'ipv4' ? ipv4WithdrawOverhead() : mpWithdrawOverhead();
    const nlri: Buffer[] = [];
    let bytes = 0;
    for (const [key, p] of pending) {
      if (overhead + bytes + p.length > max) break;
      nlri.push(p);
      bytes += p.length;
      pending.delete(key);
      if (this.#advertised.delete(key)) this.#advertisedCount[afi]--;
    }
    const message = afi === 'ipv4' ? buildIpv4Withdraw(nlri, bytes) : buildMpWithdraw(afi, nlri, bytes);
    return { message, afi, announced: 0, withdrawn: nlri.length, endOfRib: false };
  }

  #nextAnnounce(group: string, entries: Map<string, RibEntry>, s: EncodeSession): OutgoingUpdate {
    const first = entries.values().next().value!;
    const afi = first.prefix.afi;
    let enc = this.#encoded.get(group);
    if (!enc) {
      const parts = encodePathAttributes(toOutgoingAttributes(afi, first.attributes, s), s.fourOctetAsn);
      enc = { ...parts, mpNextHop: afi === 'ipv4' ? undefined : mpNextHop(first.attributes) };
      this.#encoded.set(group, enc);
    }
    const overhead =
      afi === 'ipv4'
        ? ipv4AnnounceSize(enc.below, enc.above)
        : mpAnnounceOverhead(enc.below, enc.above, enc.mpNextHop!);
    const nlri: Buffer[] = [];
    let bytes = 0;
    for (const [key, entry] of entries) {
      if (overhead + bytes + entry.nlri.length > s.maxMessageSize) break;
      nlri.push(entry.nlri);
      bytes += entry.nlri.length;
      entries.delete(key);
      if (!this.#advertised.has(key)) this.#advertisedCount[afi]++;
      this.#advertised.set(key, group);
    }
    if (entries.size === 0) this.#pendingAnnounce.delete(group);
    const message =
      afi === 'ipv4'
        ? buildIpv4Announce(enc.below, enc.above, nlri, bytes)
        : buildMpAnnounce(afi, enc.below, enc.above, enc.mpNextHop!, nlri, bytes);
    return { message, afi, announced: nlri.length, withdrawn: 0, endOfRib: false };
  }
}
