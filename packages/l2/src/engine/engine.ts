/**
 * Layer-2 mode on one node, sans-I/O: the liveness mesh, the announcer election, the ARP/NDP responder and
 * the takeover announcements, driven by inputs and clock readings and answering with what to send. The
 * speaker's worker thread (packages/speaker/src/l2/) only moves bytes between this and its sockets, so every
 * failover rule is a deterministic unit test here.
 *
 * Who announces an address: among the address's candidates (eligible nodes, computed by every speaker from
 * the same Kubernetes objects) the **available** ones — this node when it is ready, a peer when the mesh
 * holds it alive and it says it is ready — and of those the one with the highest rendezvous score.
 *
 * This node is **ready** (may be chosen, may answer) once its Kubernetes view is synchronised, the mesh has
 * settled (it heard every member, or waited a Detection Time) and every interface it must answer on exists
 * and is up. Until then it answers nothing, and its heartbeats tell the others not to count on it: a
 * starting or recovering speaker never claims addresses on a partial view.
 */
import { bytesToAddress, compareText, ipToBytes, parseIp } from '@herald/inet';
import { highestScore, rendezvousScore } from '../election/rendezvous.ts';
import {
  type Datagram,
  type MemberAddress,
  Mesh,
  type MeshOptions,
  type PeerChange,
  type PeerSnapshot,
  type ReceiveVerdict,
} from '../mesh/mesh.ts';
import { arpAnnouncement } from '../wire/arp.ts';
import { formatMac, MAC_LENGTH } from '../wire/ethernet.ts';
import { solicitedNodeAddress, unsolicitedNeighborAdvertisement } from '../wire/ndp.ts';
import {
  type NeighborProtocol,
  type ResponderVerdict,
  respondToArp,
  respondToNeighborDiscovery,
} from '../wire/responder.ts';

/** One address to announce, as the speaker computed it from Kubernetes and the config. */
export interface Assignment {
  /** Canonical text (RFC 5952 for IPv6). */
  readonly address: string;
  /** Eligible nodes: ready and selected (Cluster), or with a serving endpoint (Local). Any order. */
  readonly candidates: readonly string[];
  /** The interfaces of THIS node to answer on when it announces the address (may be empty: see ready). */
  readonly interfaces: readonly string[];
  /** "namespace/name" of the Services using the address, for status and Events. */
  readonly services: readonly string[];
}

export interface InterfaceInfo {
  readonly name: string;
  readonly mac: Uint8Array;
  readonly up: boolean;
}

export interface OutgoingFrame {
  readonly interface: string;
  readonly protocol: NeighborProtocol;
  /** `reply` answers a request; `announcement` is a gratuitous ARP / unsolicited NA after a takeover. */
  readonly kind: 'reply' | 'announcement';
  readonly address: string;
  readonly frame: Buffer;
}

export interface AnnouncerChange {
  readonly address: string;
  readonly announcer: string | undefined;
  readonly previous: string | undefined;
  readonly services: readonly string[];
}

export interface EngineOutput {
  readonly datagrams: Datagram[];
  readonly frames: OutgoingFrame[];
  readonly announcerChanges: AnnouncerChange[];
  readonly peerChanges: PeerChange[];
}

export interface EngineOptions extends MeshOptions {
  /**
   * When the announcements after a takeover go out, in ms after it: default 0, 1000, 2000 — RFC 4861
   * §7.2.6 allows MAX_NEIGHBOR_ADVERTISEMENT (3) unsolicited advertisements RetransTimer (1 s) apart, and
   * RFC 5227 §2.3 repeats its announcement too; the first one is what moves clients at once, the others
   * cover a lost frame.
   */
  readonly announcementSchedule?: readonly number[];
}

export interface AssignmentStatus {
  readonly address: string;
  readonly announcer: string | undefined;
  readonly candidates: readonly string[];
  /** Candidates this node considers available now. */
  readonly available: readonly string[];
  readonly interfaces: readonly string[];
  readonly services: readonly string[];
}

export interface EngineStatus {
  readonly self: string;
  readonly ready: boolean;
  /** Why this node is not ready, one line each (empty when it is). */
  readonly notReady: readonly string[];
  readonly leaving: boolean;
  readonly peers: readonly PeerSnapshot[];
  readonly interfaces: ReadonlyArray<{ name: string; mac: string; up: boolean; answering: number }>;
}

interface Entry {
  assignment: Assignment;
  /** Candidates with their rendezvous score for this address, computed once per assignment. */
  scores: Array<readonly [string, number]>;
  bytes: Uint8Array;
  family: 'ipv4' | 'ipv6';
  announcer: string | undefined;
}

interface Pending {
  address: string;
  /** Remaining offsets into the schedule, as absolute clock readings. */
  at: number[];
}

const DEFAULT_SCHEDULE = [0, 1000, 2000] as const;

function emptyOutput(): EngineOutput {
  return { datagrams: [], frames: [], announcerChanges: [], peerChanges: [] };
}

export class L2Engine {
  readonly mesh: Mesh;
  readonly #schedule: readonly number[];
  readonly #entries = new Map<string, Entry>();
  readonly #interfaces = new Map<string, InterfaceInfo>();
  /** interface → addresses this node answers for there. */
  readonly #answering = new Map<string, Set<string>>();
  readonly #pending = new Map<string, Pending>();
  #synced = false;
  /** Interfaces this node must answer on that are missing or down (kept current by the setters). */
  #interfaceProblems: string[] = [];
  #notReady: string[] = ['the Kubernetes view is not synchronised yet'];

  constructor(o: EngineOptions) {
    this.mesh = new Mesh(o);
    this.#schedule = o.announcementSchedule ?? DEFAULT_SCHEDULE;
  }

  get self(): string {
    return this.mesh.self;
  }

  setKeys(keys: readonly Uint8Array[]): void {
    this.mesh.setKeys(keys);
  }

  setMembers(members: ReadonlyMap<string, MemberAddress>, now: number): EngineOutput {
    this.mesh.setMembers(members, now);
    return this.#reelect(now, emptyOutput());
  }

  /** Replaces every assignment. `synced`: the Kubernetes caches and the config behind them are complete. */
  setAssignments(list: readonly Assignment[], synced: boolean, now: number): EngineOutput {
    this.#synced = synced;
    const next = new Set<string>();
    for (const a of list) {
      next.add(a.address);
      const old = this.#entries.get(a.address);
      if (old && sameList(old.assignment.candidates, a.candidates)) {
        // An interface added to an address this node holds: tell that link at once.
        if (old.announcer === this.self && !sameList(old.assignment.interfaces, a.interfaces))
          this.#pending.set(a.address, { address: a.address, at: this.#schedule.map((d) => now + d) });
        old.assignment = a;
        continue;
      }
      const ip = parseIp(a.address);
      if (!ip) throw new RangeError(`assignment address ${a.address} is not an IP address`);
      this.#entries.set(a.address, {
        assignment: a,
        scores: a.candidates.map((c) => [c, rendezvousScore(c, a.address)] as const),
        bytes: ipToBytes(ip),
        family: ip.family,
        announcer: old?.announcer,
      });
    }
    const out = emptyOutput();
    for (const [address, e] of this.#entries) {
      if (next.has(address)) continue;
      this.#entries.delete(address);
      this.#pending.delete(address);
      if (e.announcer !== undefined)
        out.announcerChanges.push({
          address,
          announcer: undefined,
          previous: e.announcer,
          services: e.assignment.services,
        });
    }
    this.#interfaceProblems = this.#checkInterfaces();
    return this.#reelect(now, out);
  }

  /** The interfaces of this node as the driver found them (name, hardware address, link up). */
  setInterfaces(list: readonly InterfaceInfo[], now: number): EngineOutput {
    let cameUp = false;
    const seen = new Set<string>();
    for (const i of list) {
      seen.add(i.name);
      const old = this.#interfaces.get(i.name);
      if (i.mac.length !== MAC_LENGTH) throw new RangeError(`interface ${i.name}: a MAC has 6 bytes`);
      if (old && !old.up && i.up) cameUp = true;
      this.#interfaces.set(i.name, { name: i.name, mac: Uint8Array.from(i.mac), up: i.up });
    }
    for (const name of [...this.#interfaces.keys()]) if (!seen.has(name)) this.#interfaces.delete(name);
    // Back from a link failure: what this node knew about its peers may be stale, so it settles again.
    if (cameUp) this.mesh.resync(now);
    this.#interfaceProblems = this.#checkInterfaces();
    return this.#reelect(now, emptyOutput());
  }

  receiveHeartbeat(bytes: Uint8Array, now: number): { verdict: ReceiveVerdict; output: EngineOutput } {
    const { verdict, change } = this.mesh.receive(bytes, now);
    const out = emptyOutput();
    if (change) out.peerChanges.push(change);
    // Only a change of someone's availability, or of our own readiness, can move an address.
    return { verdict, output: change || this.#readinessChanged(now) ? this.#reelect(now, out) : out };
  }

  /** A frame received on `iface`'s ARP or IPv6 socket. `outgoing`: the kernel's copy of a frame this host sent. */
  receiveFrame(
    iface: string,
    protocol: NeighborProtocol,
    frame: Uint8Array,
    outgoing: boolean,
  ): { verdict: ResponderVerdict; frames: OutgoingFrame[] } {
    const info = this.#interfaces.get(iface);
    const answering = this.#answering.get(iface);
    if (!info || !answering || answering.size === 0) return { verdict: { kind: 'ignore' }, frames: [] };
    const ctx = { mac: info.mac, announces: (a: string) => answering.has(a) };
    const verdict =
      protocol === 'arp'
        ? respondToArp(frame, outgoing, ctx)
        : respondToNeighborDiscovery(frame, outgoing, ctx);
    if (verdict.kind !== 'answer') return { verdict, frames: [] };
    return {
      verdict,
      frames: [{ interface: iface, protocol, kind: 'reply', address: verdict.address, frame: verdict.frame }],
    };
  }

  tick(now: number): EngineOutput {
    const { datagrams, changes } = this.mesh.tick(now);
    const out: EngineOutput = { datagrams, frames: [], announcerChanges: [], peerChanges: changes };
    const wasReady = this.mesh.ready;
    if (changes.length > 0 || this.#readinessChanged(now)) this.#reelect(now, out);
    this.#announce(now, out);
    // A change of readiness goes out in a heartbeat at once (the mesh sends it on its next tick).
    if (this.mesh.ready !== wasReady) out.datagrams.push(...this.mesh.tick(now).datagrams);
    return out;
  }

  /** When tick() next has something to do. */
  nextTimeout(): number {
    let at = this.mesh.nextTimeout();
    for (const p of this.#pending.values()) if (p.at[0]! < at) at = p.at[0]!;
    return at;
  }

  /**
   * Clean shutdown: tell every peer at once that this node is leaving, so each takes over what it held and
   * announces it. Keep answering until `handedOver()` (every live peer acknowledged) or a Detection Time,
   * then `stop()`: until the takeover's announcements went out, clients still send here.
   */
  leave(now: number): EngineOutput {
    const datagrams = this.mesh.leave(now);
    // Readiness now says "leaving"; what this node answers for stays as it is (see #reelect).
    return this.#reelect(now, { datagrams, frames: [], announcerChanges: [], peerChanges: [] });
  }

  handedOver(): boolean {
    return this.mesh.handedOver();
  }

  /**
   * The solicited-node multicast groups (RFC 4291 §2.7.1, canonical text) each interface must listen to, for
   * the IPv6 addresses answered there: Neighbor Solicitations for them are sent to these groups.
   */
  multicastGroups(): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const [iface, addresses] of this.#answering) {
      const groups = new Set<string>();
      for (const a of addresses) {
        const e = this.#entries.get(a);
        if (e?.family === 'ipv6') groups.add(bytesToAddress(solicitedNodeAddress(e.bytes)));
      }
      if (groups.size > 0) out.set(iface, groups);
    }
    return out;
  }

  /** The addresses this node announces (answers for) now. */
  announcing(): string[] {
    const out: string[] = [];
    for (const [a, e] of this.#entries) if (e.announcer === this.self) out.push(a);
    return out.sort();
  }

  /** Every address with its announcer as this node sees it (O(addresses): for tools and tests). */
  assignments(): AssignmentStatus[] {
    return [...this.#entries.values()]
      .map((e) => ({
        address: e.assignment.address,
        announcer: e.announcer,
        candidates: [...e.assignment.candidates].sort(),
        available: e.assignment.candidates.filter((c) => this.mesh.available(c)).sort(),
        interfaces: e.assignment.interfaces,
        services: e.assignment.services,
      }))
      .sort((a, b) => compareText(a.address, b.address));
  }

  /** This node's readiness, peers and interfaces: O(peers + interfaces), cheap enough to report every second. */
  status(): EngineStatus {
    return {
      self: this.self,
      ready: this.mesh.ready,
      notReady: [...this.#notReady],
      leaving: this.mesh.leaving,
      peers: this.mesh.peers(),
      interfaces: [...this.#interfaces.values()]
        .map((i) => ({
          name: i.name,
          mac: formatMac(i.mac),
          up: i.up,
          answering: this.#answering.get(i.name)?.size ?? 0,
        }))
        .sort((a, b) => compareText(a.name, b.name)),
    };
  }

  // ---- internals ----

  /** Why this node may not announce right now (empty: it may). */
  #readiness(now: number): string[] {
    const problems: string[] = [];
    if (!this.#synced) problems.push('the Kubernetes view is not synchronised yet');
    if (this.mesh.leaving) problems.push('leaving (clean shutdown)');
    if (!this.mesh.settled(now)) problems.push('waiting to hear every member (up to one Detection Time)');
    problems.push(...this.#interfaceProblems);
    return problems;
  }

  /**
   * Whether readiness would change now. Once ready, only the setters (interfaces, assignments) and leave() can
   * change it, and they re-elect themselves: so while ready this is free, and per-heartbeat calls stay O(1).
   */
  #readinessChanged(now: number): boolean {
    if (this.mesh.ready) return false;
    return this.#readiness(now).join('\n') !== this.#notReady.join('\n');
  }

  /** Interfaces this node would answer on that are missing or down, and addresses with none at all. */
  #checkInterfaces(): string[] {
    const problems: string[] = [];
    const down = new Set<string>();
    const missing = new Set<string>();
    const without: string[] = [];
    for (const e of this.#entries.values()) {
      if (!e.assignment.candidates.includes(this.self)) continue;
      if (e.assignment.interfaces.length === 0) without.push(e.assignment.address);
      for (const name of e.assignment.interfaces) {
        const i = this.#interfaces.get(name);
        if (!i) missing.add(name);
        else if (!i.up) down.add(name);
      }
    }
    if (without.length > 0)
      problems.push(
        `no interface of this node is selected for ${without.length} address(es), e.g. ${without.sort()[0]}`,
      );
    for (const name of [...missing].sort()) problems.push(`interface ${name} is not available`);
    for (const name of [...down].sort()) problems.push(`interface ${name} is down`);
    return [...new Set(problems)];
  }

  /** Recomputes readiness and every announcer; fills `out` with what changed and what to send. */
  #reelect(now: number, out: EngineOutput): EngineOutput {
    this.#notReady = this.#readiness(now);
    this.mesh.setReady(this.#notReady.length === 0);
    // Leaving: keep answering for what this node holds until the peers have taken over (see leave()).
    if (this.mesh.leaving) return out;
    for (const [address, e] of this.#entries) {
      const announcer = highestScore(e.scores.filter(([node]) => this.mesh.available(node)));
      if (announcer === e.announcer) continue;
      out.announcerChanges.push({
        address,
        announcer,
        previous: e.announcer,
        services: e.assignment.services,
      });
      if (announcer === this.self) {
        this.#pending.set(address, { address, at: this.#schedule.map((d) => now + d) });
      } else if (e.announcer === this.self) {
        this.#pending.delete(address);
      }
      e.announcer = announcer;
    }
    this.#rebuildAnswering();
    this.#announce(now, out);
    return out;
  }

  #rebuildAnswering(): void {
    this.#answering.clear();
    for (const [address, e] of this.#entries) {
      if (e.announcer !== this.self) continue;
      for (const name of e.assignment.interfaces) {
        if (!this.#interfaces.get(name)?.up) continue;
        let set = this.#answering.get(name);
        if (!set) {
          set = new Set();
          this.#answering.set(name, set);
        }
        set.add(address);
      }
    }
  }

  /** Sends the announcements that are due. */
  #announce(now: number, out: EngineOutput): void {
    for (const [address, p] of this.#pending) {
      if (p.at[0]! > now) continue;
      while (p.at.length > 0 && p.at[0]! <= now) p.at.shift();
      if (p.at.length === 0) this.#pending.delete(address);
      const e = this.#entries.get(address);
      if (!e || e.announcer !== this.self) continue;
      for (const name of e.assignment.interfaces) {
        const i = this.#interfaces.get(name);
        if (!i?.up) continue;
        const frame =
          e.family === 'ipv4'
            ? arpAnnouncement(e.bytes, i.mac)
            : unsolicitedNeighborAdvertisement(e.bytes, i.mac);
        out.frames.push({
          interface: name,
          protocol: e.family === 'ipv4' ? 'arp' : 'ndp',
          kind: 'announcement',
          address,
          frame,
        });
      }
    }
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
