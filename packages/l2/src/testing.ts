/**
 * Test support (not exported from index.ts): a simulated cluster of L2 engines on one clock, with a network
 * that delivers heartbeats after a latency, can cut nodes off, and records every frame each node puts on the
 * segment. Deterministic: the only randomness is a seeded prng.
 */
import { addressToBytes, prng } from '@herald/inet';
import type { Assignment, EngineOutput, OutgoingFrame } from './engine/engine.ts';
import { L2Engine } from './engine/engine.ts';
import { newIncarnation } from './mesh/heartbeat.ts';
import { ArpOperation, encodeArpFrame } from './wire/arp.ts';
import { BROADCAST_MAC, parseMac, ZERO_MAC } from './wire/ethernet.ts';
import { neighborSolicitation } from './wire/ndp.ts';

export const KEY = Buffer.from('a test key of 32 bytes, not zero');
export const CLIENT_MAC = parseMac('02:00:00:00:00:99')!;
export const PORT = 7474;

export interface SimNode {
  readonly name: string;
  readonly address: string;
  readonly mac: Uint8Array;
  engine: L2Engine;
  /** Not ticked, receives nothing (a SIGKILLed speaker). */
  dead: boolean;
  /** Cut off the network (link down): sends and receives nothing. */
  cut: boolean;
  /** Not ticked while set (event-loop stall); datagrams queue up. */
  stalledUntil: number;
  inbox: Array<{ at: number; data: Buffer }>;
}

export interface SentFrame extends OutgoingFrame {
  readonly node: string;
  readonly at: number;
}

export class SimCluster {
  now = 1_000_000;
  readonly nodes = new Map<string, SimNode>();
  readonly frames: SentFrame[] = [];
  readonly log: Array<{ at: number; node: string; output: EngineOutput }> = [];
  latencyMs = 1;
  stepMs = 5;
  readonly intervalMs: number;
  readonly multiplier: number;
  #assignments: (node: string) => Assignment[] = () => [];
  readonly #random = prng(0x51);

  constructor(names: readonly string[], o: { intervalMs?: number; multiplier?: number } = {}) {
    this.intervalMs = o.intervalMs ?? 200;
    this.multiplier = o.multiplier ?? 5;
    names.forEach((name, i) => {
      this.nodes.set(name, {
        name,
        address: `203.0.113.${11 + i}`,
        mac: Uint8Array.of(0x02, 0, 0, 0, 0, i + 1),
        engine: this.#newEngine(name),
        dead: false,
        cut: false,
        stalledUntil: 0,
        inbox: [],
      });
    });
  }

  get detectionMs(): number {
    return this.intervalMs * this.multiplier;
  }

  #newEngine(name: string): L2Engine {
    return new L2Engine({
      self: name,
      incarnation: newIncarnation(this.now, Math.floor(this.#random() * 65536)),
      intervalMs: this.intervalMs,
      detectMultiplier: this.multiplier,
      keys: [KEY],
      random: this.#random,
    });
  }

  node(name: string): SimNode {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  /** Every live node gets its members, interface and assignments (all of them synced). */
  start(assignments: (node: string) => Assignment[]): void {
    this.#assignments = assignments;
    for (const n of this.nodes.values()) this.#init(n);
  }

  #init(n: SimNode): void {
    const members = new Map(
      [...this.nodes.values()].map((m) => [m.name, { address: m.address, port: PORT }] as const),
    );
    this.#apply(n, n.engine.setMembers(members, this.now));
    this.#apply(n, n.engine.setInterfaces([{ name: 'eth0', mac: n.mac, up: !n.cut }], this.now));
    this.#apply(n, n.engine.setAssignments(this.#assignments(n.name), true, this.now));
  }

  /** A speaker restart: a new engine (new incarnation) on the same node. */
  restart(name: string): void {
    const n = this.node(name);
    n.engine = this.#newEngine(name);
    n.dead = false;
    n.inbox = [];
    this.#init(n);
  }

  setAssignments(assignments: (node: string) => Assignment[]): void {
    this.#assignments = assignments;
    for (const n of this.live()) this.#apply(n, n.engine.setAssignments(assignments(n.name), true, this.now));
  }

  live(): SimNode[] {
    return [...this.nodes.values()].filter((n) => !n.dead);
  }

  linkDown(name: string): void {
    const n = this.node(name);
    n.cut = true;
    this.#apply(n, n.engine.setInterfaces([{ name: 'eth0', mac: n.mac, up: false }], this.now));
  }

  linkUp(name: string): void {
    const n = this.node(name);
    n.cut = false;
    this.#apply(n, n.engine.setInterfaces([{ name: 'eth0', mac: n.mac, up: true }], this.now));
  }

  /** Puts a datagram on the wire as if from `from` (spoofing and replay tests). */
  inject(to: string, data: Buffer, delayMs = this.latencyMs): void {
    this.node(to).inbox.push({ at: this.now + delayMs, data });
  }

  #apply(n: SimNode, out: EngineOutput): void {
    if (out.datagrams.length + out.frames.length + out.announcerChanges.length + out.peerChanges.length > 0)
      this.log.push({ at: this.now, node: n.name, output: out });
    if (n.cut) return;
    for (const f of out.frames) this.frames.push({ ...f, node: n.name, at: this.now });
    for (const d of out.datagrams) {
      const to = [...this.nodes.values()].find((m) => m.address === d.address);
      if (to && !to.cut) to.inbox.push({ at: this.now + this.latencyMs, data: d.data });
    }
  }

  /** Advances the clock to `until` in steps: timers first (as libuv runs them), then queued datagrams. */
  runUntil(until: number, each?: () => void): void {
    while (this.now < until) {
      this.now = Math.min(until, this.now + this.stepMs);
      for (const n of this.live()) {
        if (n.stalledUntil > this.now) continue;
        if (n.engine.nextTimeout() <= this.now) this.#apply(n, n.engine.tick(this.now));
        const due = n.inbox.filter((m) => m.at <= this.now);
        n.inbox = n.inbox.filter((m) => m.at > this.now);
        for (const m of due) this.#apply(n, n.engine.receiveHeartbeat(m.data, this.now).output);
      }
      each?.();
    }
  }

  run(ms: number, each?: () => void): void {
    this.runUntil(this.now + ms, each);
  }

  /** The nodes that answer a client's ARP request (or NS) for `address` right now. */
  answering(address: string): string[] {
    const ipv6 = address.includes(':');
    const frame = ipv6
      ? neighborSolicitation(addressToBytes(address), addressToBytes('2001:db8:1::99'), CLIENT_MAC)
      : encodeArpFrame(BROADCAST_MAC, CLIENT_MAC, {
          operation: ArpOperation.Request,
          senderHardwareAddress: CLIENT_MAC,
          senderProtocolAddress: addressToBytes('203.0.113.99'),
          targetHardwareAddress: ZERO_MAC,
          targetProtocolAddress: addressToBytes(address),
        });
    const out: string[] = [];
    for (const n of this.live()) {
      if (n.cut) continue;
      const r = n.engine.receiveFrame('eth0', ipv6 ? 'ndp' : 'arp', frame, false);
      if (r.verdict.kind === 'answer') out.push(n.name);
    }
    return out.sort();
  }

  /** The announcer each live node believes in, for `address`. */
  views(address: string): Record<string, string | undefined> {
    const out: Record<string, string | undefined> = {};
    for (const n of this.live())
      out[n.name] = n.engine.assignments().find((a) => a.address === address)?.announcer;
    return out;
  }
}

/** `count` IPv4 addresses from the pool range, every node a candidate, answered on eth0. */
export function everywhere(
  nodes: readonly string[],
  count: number,
  ipv6 = false,
): (node: string) => Assignment[] {
  const list: Assignment[] = Array.from({ length: count }, (_, i) => ({
    address: ipv6 ? `2001:db8:100::${(i + 1).toString(16)}` : `198.51.100.${i + 1}`,
    candidates: [...nodes],
    interfaces: ['eth0'],
    services: [`default/svc-${i}`],
  }));
  return () => list;
}
