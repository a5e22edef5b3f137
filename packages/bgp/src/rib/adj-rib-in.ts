/**
 * Adj-RIB-In (RFC 4271 §3.2), reduced to what a pure announcer uses: WHICH prefixes the peer currently
 * advertises, per family, so they can be counted — never their attributes. The attributes of a received route
 * live only as long as the UPDATE that carried them (the `routesReceived` action); nothing a peer sends is
 * kept beyond one key per prefix, and with a prefix limit not even that beyond the limit.
 *
 * The limit is RFC 4486's "upper bound" on the prefixes received from a neighbor, per family (FRR's
 * `maximum-prefix`, BIRD's `receive limit`), with two actions:
 *  - `restart`: the count exceeding the limit ends the session with Cease / Maximum Number of Prefixes
 *    Reached; the peer machine sends it and restarts later (damped);
 *  - `block` (BIRD's `action block`): prefixes beyond the limit are not recorded, the session stays up. The
 *    count stops at the limit and the refused prefixes are counted as blocked.
 */
import type { Afi } from '../types.ts';
import { forEachNlri, type NlriRun } from '../wire/nlri.ts';

export type PrefixLimitAction = 'restart' | 'block';

export interface PrefixLimit {
  /** Most prefixes recorded per family (RFC 4486's upper bound). */
  readonly limit: number;
  readonly action: PrefixLimitAction;
}

/** What applying one UPDATE's prefixes of one family did. */
export interface AdjRibInChange {
  /** Prefixes not recorded because the family was at its limit (`block`). */
  readonly blocked: number;
  /** The count went over the limit (`restart`) or reached it with prefixes refused (`block`) for the first time. */
  readonly limitReached: boolean;
}

const NO_CHANGE: AdjRibInChange = { blocked: 0, limitReached: false };

/** A prefix's key: IPv4 address × 64 + length is below 2^38, an exact number; IPv6 as hex + length. */
function key(afi: Afi, length: number, address: Buffer): number | string {
  if (afi === 'ipv4') return address.readUInt32BE(0) * 64 + length;
  return `${address.toString('hex')}/${length}`;
}

export class AdjRibIn {
  readonly #limit: PrefixLimit | undefined;
  /** One key per prefix: a number for IPv4 (no allocation per prefix), hex text for IPv6. */
  readonly #prefixes: Record<Afi, Set<number | string>> = { ipv4: new Set(), ipv6: new Set() };
  readonly #blocked: Record<Afi, number> = { ipv4: 0, ipv6: 0 };
  readonly #reached: Record<Afi, boolean> = { ipv4: false, ipv6: false };

  constructor(limit: PrefixLimit | undefined) {
    this.#limit = limit;
  }

  /** Prefixes the peer currently advertises in `afi` (at most the limit, plus one when `restart` trips). */
  count(afi: Afi): number {
    return this.#prefixes[afi].size;
  }

  /** Prefixes refused by a `block` limit since the session came up. */
  blocked(afi: Afi): number {
    return this.#blocked[afi];
  }

  /** Whether the limit was reached in `afi` during this session. */
  limitReached(afi: Afi): boolean {
    return this.#reached[afi];
  }

  /**
   * One UPDATE's prefixes of `afi`, read straight from the wire form one at a time: withdrawals first (RFC 4271
   * §4.3: an UPDATE's withdrawn routes precede its NLRI), then announcements.
   */
  apply(afi: Afi, announced: readonly NlriRun[], withdrawn: readonly NlriRun[]): AdjRibInChange {
    const set = this.#prefixes[afi];
    for (const run of withdrawn) forEachNlri(run, (length, address) => set.delete(key(afi, length, address)));
    if (announced.length === 0) return NO_CHANGE;
    const limit = this.#limit;
    let blocked = 0;
    let over = false;
    for (const run of announced) {
      forEachNlri(run, (length, address) => {
        if (over) return;
        const k = key(afi, length, address);
        if (limit?.action === 'block' && set.size >= limit.limit && !set.has(k)) {
          blocked++;
          return;
        }
        set.add(k);
        // RFC 4486 §4: "exceeds" the upper bound; the machine tears the session down, so stop recording.
        if (limit?.action === 'restart' && set.size > limit.limit) over = true;
      });
    }
    this.#blocked[afi] += blocked;
    const reached = limit !== undefined && (blocked > 0 || set.size > limit.limit);
    const first = reached && !this.#reached[afi];
    if (reached) this.#reached[afi] = true;
    return { blocked, limitReached: first };
  }

  /** The session went down: the peer's routes are gone with it. */
  clear(): void {
    for (const afi of ['ipv4', 'ipv6'] as const) {
      this.#prefixes[afi].clear();
      this.#blocked[afi] = 0;
      this.#reached[afi] = false;
    }
  }
}
