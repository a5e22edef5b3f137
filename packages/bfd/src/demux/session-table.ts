/**
 * The sessions of one system and the demultiplexing of received packets to them (RFC 5880 §6.3, §6.8.6
 * session selection; RFC 5881 §3–5 single hop; RFC 5883 §3–5 multihop), sans-I/O. The I/O driver hands
 * `receive` a UDP payload with where it came from; the table applies the TTL rule, decodes, finds the
 * session and passes the packet on. Sessions exist only by configuration: an unknown peer's packet is
 * discarded, never creates state, so memory is bounded whatever arrives.
 *
 * Keys, single hop vs multihop:
 *  - single hop: the peer address, optionally narrowed by interface (needed for IPv6 link-local peers) and
 *    local address; packets arrive on port 3784 with TTL 255;
 *  - multihop: the (peer address, local address) pair — the interface says nothing across hops, so RFC 5883
 *    §3 keys the session by the address pair (BIRD and FRR require the local address too); packets arrive
 *    on port 4784 and their TTL is only checked against an optional configured minimum.
 * A packet with a nonzero Your Discriminator is matched by discriminator alone and then checked against the
 * session's key, so a packet from another address, port or interface cannot drive the session.
 *
 * Addresses are compared as text: the I/O layer and the configuration must both give them in canonical
 * form (RFC 5952 for IPv6).
 */

import type { SessionAction } from '../fsm/events.ts';
import { BfdSessionMachine, type BfdSessionMachineOptions } from '../fsm/session-machine.ts';
import type { DiscardReason } from '../types.ts';
import { decodeControlPacket } from '../wire/control-packet.ts';

/** RFC 5881 §5: with no authentication, single-hop packets MUST carry TTL / Hop Limit 255. */
export const SINGLE_HOP_TTL = 255;

export interface SessionKey {
  readonly peerAddress: string;
  /** Our address on the session. Required for multihop. */
  readonly localAddress?: string;
  /** Single hop only: the interface the peer is reached on. */
  readonly interface?: string;
  readonly multihop: boolean;
}

/** Where a received datagram came from, as the I/O layer saw it. */
export interface PacketSource {
  readonly peerAddress: string;
  /** The datagram's destination address (IP_PKTINFO / IPV6_PKTINFO). */
  readonly localAddress: string;
  readonly interface?: string;
  /** It arrived on the multihop port 4784 rather than 3784. */
  readonly multihop: boolean;
  /** IP TTL / IPv6 Hop Limit (IP_RECVTTL / IPV6_RECVHOPLIMIT), when the I/O layer reports it. */
  readonly ttl?: number;
}

export interface AddSessionOptions extends Omit<BfdSessionMachineOptions, 'localDiscriminator' | 'random'> {
  /** Multihop only: discard packets whose TTL is below this (FRR's `minimum-ttl`, default 254 there). */
  readonly minimumTtl?: number;
}

export type AddSessionResult =
  | { readonly ok: true; readonly session: BfdSessionMachine }
  | { readonly ok: false; readonly error: string };

/** What `receive` did: the session the packet went to (if any) and the actions to carry out. */
export interface ReceiveResult {
  readonly session: BfdSessionMachine | undefined;
  readonly actions: SessionAction[];
}

interface Entry {
  readonly key: SessionKey;
  readonly session: BfdSessionMachine;
  readonly minimumTtl: number | undefined;
}

const MAX_DISCRIMINATOR = 0xffffffff;

function keyProblem(key: SessionKey): string | undefined {
  if (key.peerAddress === '') return 'peerAddress is empty';
  if (key.multihop && !key.localAddress) return 'a multihop session needs its localAddress (RFC 5883 §3)';
  if (key.multihop && key.interface !== undefined)
    return 'a multihop session cannot be bound to an interface';
  return undefined;
}

/** Could one packet match both keys? Unset optional fields match anything. */
function overlaps(a: SessionKey, b: SessionKey): boolean {
  const either = (x: string | undefined, y: string | undefined) =>
    x === undefined || y === undefined || x === y;
  return (
    a.multihop === b.multihop &&
    a.peerAddress === b.peerAddress &&
    either(a.localAddress, b.localAddress) &&
    either(a.interface, b.interface)
  );
}

function matches(key: SessionKey, source: PacketSource): boolean {
  return (
    key.multihop === source.multihop &&
    key.peerAddress === source.peerAddress &&
    (key.localAddress === undefined || key.localAddress === source.localAddress) &&
    (key.interface === undefined || key.interface === source.interface)
  );
}

/** The same key, field for field (unset fields must be unset on both). */
export function sameKey(a: SessionKey, b: SessionKey): boolean {
  return (
    a.multihop === b.multihop &&
    a.peerAddress === b.peerAddress &&
    a.localAddress === b.localAddress &&
    a.interface === b.interface
  );
}

export class SessionTable {
  readonly #random: () => number;
  readonly #byDiscriminator = new Map<number, Entry>();
  readonly #byPeer = new Map<string, Entry[]>();
  /** Discriminators of removed sessions and until when (ms) they stay unused (§6.8.1). */
  readonly #retired = new Map<number, number>();

  constructor(options: { readonly random?: () => number } = {}) {
    this.#random = options.random ?? Math.random;
  }

  get size(): number {
    return this.#byDiscriminator.size;
  }

  sessions(): { key: SessionKey; session: BfdSessionMachine }[] {
    return [...this.#byDiscriminator.values()].map(({ key, session }) => ({ key, session }));
  }

  get(key: SessionKey): BfdSessionMachine | undefined {
    return this.#byPeer.get(key.peerAddress)?.find((e) => sameKey(e.key, key))?.session;
  }

  /**
   * Create a session with a fresh discriminator. It does nothing until the driver sends it `start`.
   * Keys that one packet could match both of are refused.
   */
  add(key: SessionKey, options: AddSessionOptions, now: number): AddSessionResult {
    const problem = keyProblem(key);
    if (problem) return { ok: false, error: problem };
    const clash = this.#byPeer.get(key.peerAddress)?.find((e) => overlaps(e.key, key));
    if (clash) return { ok: false, error: `overlaps the session ${JSON.stringify(clash.key)}` };
    const { minimumTtl, ...machineOptions } = options;
    const session = new BfdSessionMachine({
      ...machineOptions,
      localDiscriminator: this.#allocateDiscriminator(now),
      random: this.#random,
    });
    const entry: Entry = { key, session, minimumTtl };
    this.#byDiscriminator.set(session.localDiscriminator, entry);
    this.#byPeer.set(key.peerAddress, [...(this.#byPeer.get(key.peerAddress) ?? []), entry]);
    return { ok: true, session };
  }

  /**
   * Forget a session. Its discriminator is not reused for one Detection Time, so late packets from the
   * peer cannot reach a new session (§6.8.1: state is preserved "for at least one Detection Time").
   * Take the session AdminDown first and keep it transmitting for `status().remoteDetectionTime`, so the
   * peer sees AdminDown rather than a failure.
   */
  remove(key: SessionKey, now: number): boolean {
    const entries = this.#byPeer.get(key.peerAddress);
    const entry = entries?.find((e) => sameKey(e.key, key));
    if (!entries || !entry) return false;
    const rest = entries.filter((e) => e !== entry);
    if (rest.length > 0) this.#byPeer.set(key.peerAddress, rest);
    else this.#byPeer.delete(key.peerAddress);
    this.#byDiscriminator.delete(entry.session.localDiscriminator);
    const holdMs = entry.session.status().detectionTime / 1000;
    if (holdMs > 0) this.#retired.set(entry.session.localDiscriminator, now + holdMs);
    return true;
  }

  /** Demultiplex one received UDP payload (RFC 5881 §5, RFC 5880 §6.8.6) and run it through its session. */
  receive(payload: Uint8Array, source: PacketSource, now: number): ReceiveResult {
    if (!source.multihop && source.ttl !== undefined && source.ttl !== SINGLE_HOP_TTL) {
      return this.#discard(
        undefined,
        'ttl',
        `single-hop packet with TTL ${source.ttl}, expected ${SINGLE_HOP_TTL}`,
      );
    }
    const decoded = decodeControlPacket(payload);
    if (!decoded.ok) return this.#discard(undefined, decoded.discard.reason, decoded.discard.detail);
    const packet = decoded.packet;
    let entry: Entry | undefined;
    if (packet.yourDiscriminator !== 0) {
      entry = this.#byDiscriminator.get(packet.yourDiscriminator);
      if (!entry)
        return this.#discard(
          undefined,
          'no-session',
          `no session with discriminator ${packet.yourDiscriminator}`,
        );
      if (!matches(entry.key, source)) {
        return this.#discard(
          entry.session,
          'session-mismatch',
          `discriminator ${packet.yourDiscriminator} belongs to ${JSON.stringify(entry.key)}, packet from ${source.peerAddress}${source.multihop ? ' (multihop port)' : ''}`,
        );
      }
    } else {
      entry = this.#byPeer.get(source.peerAddress)?.find((e) => matches(e.key, source));
      if (!entry) return this.#discard(undefined, 'no-session', `no session for ${source.peerAddress}`);
    }
    if (entry.minimumTtl !== undefined && source.ttl !== undefined && source.ttl < entry.minimumTtl) {
      return this.#discard(
        entry.session,
        'ttl',
        `multihop packet with TTL ${source.ttl}, minimum ${entry.minimumTtl}`,
      );
    }
    return { session: entry.session, actions: entry.session.handle({ type: 'packetReceived', packet, now }) };
  }

  #discard(session: BfdSessionMachine | undefined, reason: DiscardReason, detail: string): ReceiveResult {
    return { session, actions: [{ type: 'discarded', discard: { reason, detail } }] };
  }

  /** §6.8.1: nonzero, unique, and (as FRR and BIRD do) random so restarts do not reuse the last one. */
  #allocateDiscriminator(now: number): number {
    for (const [d, until] of this.#retired) if (until <= now) this.#retired.delete(d);
    let d = 1 + Math.floor(this.#random() * MAX_DISCRIMINATOR);
    while (this.#byDiscriminator.has(d) || this.#retired.has(d)) d = d >= MAX_DISCRIMINATOR ? 1 : d + 1;
    return d;
  }
}
