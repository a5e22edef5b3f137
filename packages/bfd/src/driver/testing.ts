/**
 * Test support for code that drives BFD (`@herald/bfd/testing`): a manual clock and an in-memory network,
 * so engines can talk to each other, lose packets and run minutes of protocol time in a unit test.
 */
import { addressFamily, type Family } from '@herald/inet';
import { peer } from '../testing.ts';
import { type ControlPacket, encodeControlPacket } from '../wire/control-packet.ts';
import type { Scheduler, TimerHandle } from './scheduler.ts';
import {
  type BfdTransport,
  type Datagram,
  MULTIHOP_PORT,
  type Receiver,
  type Sender,
  SINGLE_HOP_PORT,
  SOURCE_PORTS,
} from './transport.ts';

/**
 * The bytes the peer of a running session would send it (discriminators swapped, state Up, 300 ms × 3): the
 * starting point for malformed-packet tests, which then bend one field.
 */
export function packetFor(
  session: { readonly localDiscriminator: number; readonly remoteDiscriminator: number },
  over: Partial<ControlPacket> = {},
): Buffer {
  return encodeControlPacket(
    peer({
      state: 'Up',
      myDiscriminator: session.remoteDiscriminator,
      yourDiscriminator: session.localDiscriminator,
      desiredMinTxInterval: 300_000,
      requiredMinRxInterval: 300_000,
      ...over,
    }),
  );
}

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** A clock that moves only when told; timers run in deadline order as time passes them. */
export class ManualScheduler implements Scheduler {
  #now: number;
  #seq = 0;
  #pending: Pending[] = [];
  /** Added to every timer's firing time: simulates a thread that wakes up late. */
  lateness = 0;

  constructor(start = 1000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  at(at: number, fn: () => void): TimerHandle {
    const p: Pending = {
      at: Math.max(at, this.#now) + this.lateness,
      seq: this.#seq++,
      fn,
      cancelled: false,
    };
    this.#pending.push(p);
    return {
      cancel: () => {
        p.cancelled = true;
      },
    };
  }

  /** Moves the clock forward by `ms`, running every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      this.#pending = this.#pending.filter((p) => !p.cancelled);
      let next: Pending | undefined;
      for (const p of this.#pending)
        if (!next || p.at < next.at || (p.at === next.at && p.seq < next.seq)) next = p;
      if (!next || next.at > end) break;
      this.#now = Math.max(this.#now, next.at);
      next.cancelled = true;
      next.fn();
    }
    this.#now = end;
  }
}

interface Listener {
  readonly family: Family;
  readonly multihop: boolean;
  readonly deliver: (d: Datagram) => void;
}

/**
 * Hosts joined by one segment. Each host has an address and gets a BfdTransport; datagrams arrive
 * `latencyMs` after they were sent (on the scheduler's clock) with the TTL the link gives them (255 by
 * default), unless the sender's or the receiver's link is down at sending time.
 */
export class MemoryNetwork {
  readonly #scheduler: Scheduler;
  readonly #latencyMs: number;
  readonly #listeners = new Map<string, Listener[]>();
  readonly #down = new Set<string>();
  readonly #ports = new Map<string, number>();
  /** TTL of delivered datagrams per sending host (default 255). */
  readonly ttl = new Map<string, number>();
  /** Every datagram sent, in order. */
  readonly sent: { from: string; to: string; port: number; sourcePort: number; data: Buffer }[] = [];
  /** Make `openReceiver` throw for these hosts (e.g. port in use). */
  readonly receiveFailures = new Map<string, string>();
  /** Make `send` throw for these hosts. */
  readonly sendFailures = new Map<string, string>();

  constructor(scheduler: Scheduler, latencyMs = 0.1) {
    this.#scheduler = scheduler;
    this.#latencyMs = latencyMs;
  }

  /** Stops (or restores) delivery from and to `host`. */
  setLinkDown(host: string, down: boolean): void {
    if (down) this.#down.add(host);
    else this.#down.delete(host);
  }

  /** Delivers a raw datagram to `to` at once, as if `from` had sent it (malformed packets, spoofed sources). */
  inject(from: string, to: string, data: Buffer, over: { multihop?: boolean; ttl?: number } = {}): void {
    const family = addressFamily(to);
    for (const l of this.#listeners.get(to) ?? []) {
      if (l.family !== family || l.multihop !== (over.multihop ?? false)) continue;
      l.deliver({ data, address: from, port: 49999, localAddress: to, ttl: over.ttl ?? 255 });
    }
  }

  listening(host: string): number {
    return (this.#listeners.get(host) ?? []).length;
  }

  transport(host: string): BfdTransport {
    return {
      openReceiver: (family, multihop, onDatagram): Receiver => {
        const failure = this.receiveFailures.get(host);
        if (failure) throw new Error(failure);
        const listener: Listener = { family, multihop, deliver: onDatagram };
        this.#listeners.set(host, [...(this.#listeners.get(host) ?? []), listener]);
        return {
          close: () => {
            this.#listeners.set(
              host,
              (this.#listeners.get(host) ?? []).filter((l) => l !== listener),
            );
          },
        };
      },
      openSender: (spec): Sender => {
        const next = this.#ports.get(host) ?? SOURCE_PORTS.from;
        this.#ports.set(host, next + 1);
        const port = spec.multihop ? MULTIHOP_PORT : SINGLE_HOP_PORT;
        let closed = false;
        return {
          localPort: next,
          send: (data) => {
            if (closed) throw new Error('sender closed');
            const failure = this.sendFailures.get(host);
            if (failure) throw new Error(failure);
            const buf = Buffer.from(data);
            this.sent.push({ from: host, to: spec.peerAddress, port, sourcePort: next, data: buf });
            if (this.#down.has(host) || this.#down.has(spec.peerAddress)) return;
            const ttl = this.ttl.get(host) ?? 255;
            this.#scheduler.at(this.#scheduler.now() + this.#latencyMs, () => {
              for (const l of this.#listeners.get(spec.peerAddress) ?? []) {
                if (l.family !== spec.family || l.multihop !== spec.multihop) continue;
                l.deliver({
                  data: buf,
                  address: spec.localAddress ?? host,
                  port: next,
                  localAddress: spec.peerAddress,
                  ttl,
                });
              }
            });
          },
          close: () => {
            closed = true;
          },
        };
      },
    };
  }
}
