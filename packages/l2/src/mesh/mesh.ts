/**
 * The liveness mesh between speakers, sans-I/O: heartbeat datagrams and clock readings in, datagrams to
 * send and peer state changes out. It never opens a socket or reads a clock.
 *
 * Membership rule: the members are exactly the nodes the caller names (the speaker passes the Nodes that an
 * l2Advertisement selects, with their InternalIP) — every speaker derives the same list from the same Node
 * objects, so there is no join protocol. Each speaker sends every member one heartbeat per interval.
 *
 * A member is **alive** while it has sent, within the Detection Time (interval × multiplier), a heartbeat
 * that is authentic (HMAC), newer than any heartbeat of it accepted before, and **fresh**: it echoes one of
 * our own heartbeats sent within the Detection Time, in our current incarnation. Freshness is what makes a
 * recorded heartbeat worthless: replayed later, its echo is stale, so a captured packet can neither keep a
 * dead node alive nor (with the leaving flag) take a live one out. A fresh heartbeat also proves the path
 * works both ways. A member that says `leaving` is out at once (a clean handover); one that has not been
 * heard for a Detection Time is dead. Members never heard are `unknown` (not alive).
 *
 * A late wake-up (the event loop stalled for more than two intervals) never condemns a peer: the verdict
 * waits one interval, so the heartbeats queued in the socket meanwhile are read first.
 */
import {
  decodeHeartbeat,
  encodeHeartbeat,
  type Heartbeat,
  type HeartbeatDiscardReason,
} from './heartbeat.ts';

export type PeerState = 'unknown' | 'alive' | 'dead' | 'left';

export interface MeshOptions {
  readonly self: string;
  readonly incarnation: bigint;
  readonly intervalMs: number;
  readonly detectMultiplier: number;
  /** HMAC keys; the first signs, all verify (rotation). At least one. */
  readonly keys: readonly Uint8Array[];
  /** Uniform [0, 1): jitter of the transmit interval (90–100 %), so speakers do not send in lockstep. */
  readonly random?: () => number;
}

export interface MemberAddress {
  readonly address: string;
  readonly port: number;
}

export interface Datagram {
  readonly address: string;
  readonly port: number;
  readonly data: Buffer;
}

/** A peer's state or its `ready` flag changed: either can change who announces what. */
export interface PeerChange {
  readonly node: string;
  readonly previous: PeerState;
  readonly state: PeerState;
  readonly ready: boolean;
}

/** What became of one received datagram, for counters. */
export type ReceiveVerdict =
  /** Fresh: liveness confirmed (or `leaving` taken). */
  | 'accepted'
  /** Authentic and newer, but not fresh yet (the sender has not heard a recent heartbeat of ours). */
  | 'unconfirmed'
  /** Authentic but not newer than what was accepted before: a duplicate or a replay. */
  | 'replay'
  | HeartbeatDiscardReason;

export interface PeerSnapshot {
  readonly node: string;
  readonly address: string;
  readonly state: PeerState;
  /** Clock reading of the last state change. */
  readonly since: number;
  /** The peer says it is synchronised and may announce. */
  readonly ready: boolean;
  /** Clock reading of the last fresh heartbeat; undefined when never. */
  readonly lastHeard: number | undefined;
}

interface Peer {
  address: string;
  port: number;
  state: PeerState;
  since: number;
  ready: boolean;
  /** The newest authentic heartbeat (echoed back in ours). */
  incarnation: bigint | undefined;
  sequence: number;
  aliveUntil: number;
  lastHeard: number | undefined;
  /** Our first leaving sequence number it has echoed (handover acknowledged). */
  ackedLeave: boolean;
}

export class Mesh {
  readonly self: string;
  readonly incarnation: bigint;
  readonly intervalMs: number;
  readonly detectionMs: number;
  readonly #random: () => number;
  #keys: readonly Uint8Array[];
  readonly #peers = new Map<string, Peer>();
  /** Our heartbeats of the last Detection Time: sequence number and when it went out, oldest first. */
  readonly #sent: Array<{ sequence: number; at: number }> = [];
  #sequence = 0;
  #nextSendAt = Number.NEGATIVE_INFINITY;
  #lastTick: number | undefined;
  #startedAt: number | undefined;
  #ready = false;
  #leavingFrom: number | undefined;

  constructor(o: MeshOptions) {
    if (!Number.isInteger(o.intervalMs) || o.intervalMs < 10)
      throw new RangeError(`intervalMs ${o.intervalMs} is not an integer ≥ 10`);
    if (!Number.isInteger(o.detectMultiplier) || o.detectMultiplier < 2 || o.detectMultiplier > 255)
      throw new RangeError(`detectMultiplier ${o.detectMultiplier} is not 2–255`);
    if (o.keys.length === 0) throw new RangeError('at least one key');
    this.self = o.self;
    this.incarnation = o.incarnation;
    this.intervalMs = o.intervalMs;
    this.detectionMs = o.intervalMs * o.detectMultiplier;
    this.#keys = o.keys;
    this.#random = o.random ?? Math.random;
  }

  setKeys(keys: readonly Uint8Array[]): void {
    if (keys.length === 0) throw new RangeError('at least one key');
    this.#keys = keys;
  }

  /** Replaces the member list (this node excluded). New members start `unknown`; removed ones are forgotten. */
  setMembers(members: ReadonlyMap<string, MemberAddress>, now: number): void {
    this.#startedAt ??= now;
    for (const name of [...this.#peers.keys()]) if (!members.has(name)) this.#peers.delete(name);
    for (const [name, m] of members) {
      if (name === this.self) continue;
      const p = this.#peers.get(name);
      if (p) {
        p.address = m.address;
        p.port = m.port;
        continue;
      }
      this.#peers.set(name, {
        address: m.address,
        port: m.port,
        state: 'unknown',
        since: now,
        ready: false,
        incarnation: undefined,
        sequence: 0,
        aliveUntil: 0,
        lastHeard: undefined,
        ackedLeave: false,
      });
    }
  }

  /** Our `ready` flag, carried in every heartbeat; a change goes out with the next tick, not an interval later. */
  setReady(ready: boolean): void {
    if (ready !== this.#ready) this.#nextSendAt = Number.NEGATIVE_INFINITY;
    this.#ready = ready;
  }

  get ready(): boolean {
    return this.#ready;
  }

  /**
   * Whether this node has had the chance to hear everyone since it started (or since `resync`): every member
   * has been heard from since then, or a Detection Time has passed.
   */
  settled(now: number): boolean {
    const from = this.#startedAt;
    if (from === undefined) return false;
    if (now >= from + this.detectionMs) return true;
    for (const p of this.#peers.values()) if (p.lastHeard === undefined || p.lastHeard < from) return false;
    return true;
  }

  /** Starts settling again, e.g. after this node's link came back: what it knew may be out of date. */
  resync(now: number): void {
    this.#startedAt = now;
  }

  /** Alive, synchronised and not leaving: a member that may be chosen to announce. */
  available(node: string): boolean {
    if (node === this.self) return this.#ready && this.#leavingFrom === undefined;
    const p = this.#peers.get(node);
    return p !== undefined && p.state === 'alive' && p.ready;
  }

  /** Starts a clean handover: every heartbeat from now on says `leaving`, and one round goes out at once. */
  leave(now: number): Datagram[] {
    if (this.#leavingFrom === undefined) {
      this.#leavingFrom = this.#sequence + 1;
      this.#nextSendAt = now;
    }
    return this.tick(now).datagrams;
  }

  get leaving(): boolean {
    return this.#leavingFrom !== undefined;
  }

  /** After leave(): every peer still alive has acknowledged (echoed a leaving heartbeat), so none will wait. */
  handedOver(): boolean {
    if (this.#leavingFrom === undefined) return false;
    for (const p of this.#peers.values()) if (p.state === 'alive' && !p.ackedLeave) return false;
    return true;
  }

  receive(bytes: Uint8Array, now: number): { verdict: ReceiveVerdict; change?: PeerChange } {
    const decoded = decodeHeartbeat(
      bytes,
      this.#keys,
      (sender, receiver) => receiver === this.self && this.#peers.has(sender),
    );
    if (!decoded.ok) return { verdict: decoded.reason };
    const h = decoded.heartbeat;
    const p = this.#peers.get(h.sender)!;
    const fresh =
      h.echoIncarnation === this.incarnation && this.#sentSince(h.echoSequence, now - this.detectionMs);
    if (!this.#newer(p, h, fresh)) return { verdict: 'replay' };
    p.incarnation = h.incarnation;
    p.sequence = h.sequence;
    if (!fresh) return { verdict: 'unconfirmed' };
    p.lastHeard = now;
    if (this.#leavingFrom !== undefined && h.echoSequence >= this.#leavingFrom) p.ackedLeave = true;
    if (h.leaving) return { verdict: 'accepted', change: this.#set(p, h.sender, 'left', h.ready, now) };
    p.aliveUntil = now + this.detectionMs;
    return { verdict: 'accepted', change: this.#set(p, h.sender, 'alive', h.ready, now) };
  }

  /** Expires peers and sends a round of heartbeats when one is due. */
  tick(now: number): { datagrams: Datagram[]; changes: PeerChange[] } {
    const changes: PeerChange[] = [];
    const stalled = this.#lastTick !== undefined && now - this.#lastTick > 2 * this.intervalMs;
    this.#lastTick = now;
    for (const [name, p] of this.#peers) {
      if (p.state !== 'alive' || p.aliveUntil > now) continue;
      // Two intervals: our next round goes out now, and a peer's answer echoing it takes up to one.
      if (stalled) p.aliveUntil = now + 2 * this.intervalMs;
      else changes.push(this.#set(p, name, 'dead', p.ready, now)!);
    }
    const datagrams: Datagram[] = [];
    if (now >= this.#nextSendAt) {
      this.#sequence = (this.#sequence + 1) >>> 0;
      this.#sent.push({ sequence: this.#sequence, at: now });
      while (this.#sent.length > 1 && this.#sent[0]!.at < now - this.detectionMs) this.#sent.shift();
      for (const [name, p] of this.#peers) {
        const heartbeat: Heartbeat = {
          sender: this.self,
          receiver: name,
          ready: this.#ready && this.#leavingFrom === undefined,
          leaving: this.#leavingFrom !== undefined,
          incarnation: this.incarnation,
          sequence: this.#sequence,
          echoIncarnation: p.incarnation ?? 0n,
          echoSequence: p.incarnation === undefined ? 0 : p.sequence,
        };
        datagrams.push({
          address: p.address,
          port: p.port,
          data: encodeHeartbeat(heartbeat, this.#keys[0]!),
        });
      }
      this.#nextSendAt = now + this.intervalMs * (0.9 + 0.1 * this.#random());
    }
    return { datagrams, changes };
  }

  /** When tick() next has something to do. */
  nextTimeout(): number {
    let at = this.#nextSendAt;
    for (const p of this.#peers.values()) if (p.state === 'alive' && p.aliveUntil < at) at = p.aliveUntil;
    return at;
  }

  peers(): PeerSnapshot[] {
    return [...this.#peers].map(([node, p]) => ({
      node,
      address: p.address,
      state: p.state,
      since: p.since,
      ready: p.ready,
      lastHeard: p.lastHeard,
    }));
  }

  /** A newer heartbeat than the one accepted before: same run with a higher sequence number, or a new run. */
  #newer(p: Peer, h: Heartbeat, fresh: boolean): boolean {
    if (p.incarnation === undefined) return true;
    if (h.incarnation === p.incarnation) return h.sequence > p.sequence;
    // A later run. An earlier-looking one only with proof that it is live now (its clock stepped back).
    return h.incarnation > p.incarnation || fresh;
  }

  /** Whether `sequence` is one of ours sent at or after `since`. */
  #sentSince(sequence: number, since: number): boolean {
    for (const s of this.#sent) if (s.sequence === sequence) return s.at >= since;
    return false;
  }

  #set(p: Peer, node: string, state: PeerState, ready: boolean, now: number): PeerChange | undefined {
    if (p.state === state && p.ready === ready) return undefined;
    const change = { node, previous: p.state, state, ready };
    if (p.state !== state) p.since = now;
    p.state = state;
    p.ready = ready;
    return change;
  }
}
