// The I/O around @herald/l2's engine, in the layer-2 worker thread: UDP sockets for the heartbeats, one ARP
// and one IPv6 (Neighbor Discovery) AF_PACKET socket per interface it answers on, the link state of those
// interfaces, and one timer. Every decision is the engine's; this file only moves bytes and clock readings.
//
// It runs in its own thread so that the main thread's garbage collection and reconciles never delay a
// heartbeat or an ARP reply: a late heartbeat is how a live node gets taken for dead.
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { performance } from 'node:perf_hooks';
import { addressToBytes, compareText } from '@herald/inet';
import {
  type Assignment,
  type EngineOutput,
  formatMac,
  type InterfaceInfo,
  L2Engine,
  type MemberAddress,
  multicastMac,
  newIncarnation,
} from '@herald/l2';
import {
  ETH_P_ARP,
  ETH_P_IPV6,
  NativeSocketError,
  neighborDiscoveryProgram,
  openPacketSocket,
  type PacketSocket,
} from '@herald/native';
import type {
  Conflict,
  FromWorker,
  InterfaceState,
  WorkerConfig,
  WorkerCounters,
  WorkerState,
} from './protocol.ts';

/** ARPHRD_ETHER: the only link type whose ARP and NDP this driver speaks. */
const ARPHRD_ETHER = 1;
/** How often an interface that could not be opened is tried again. */
const REOPEN_MS = 2000;
const MAX_CONFLICTS = 16;

interface OpenInterface {
  readonly name: string;
  arp?: PacketSocket;
  nd?: PacketSocket;
  mac?: Uint8Array;
  up: boolean;
  error?: string;
  triedAt: number;
  /** Solicited-node groups joined (IPv6 text). */
  readonly groups: Set<string>;
}

type Counts = Record<string, number>;
const bump = (c: Counts, key: string, by = 1) => {
  c[key] = (c[key] ?? 0) + by;
};

export class L2Driver {
  readonly #engine: L2Engine;
  readonly #config: WorkerConfig;
  readonly #emit: (m: FromWorker) => void;
  readonly #interfaces = new Map<string, OpenInterface>();
  #wanted = new Set<string>();
  #udp4: Socket | undefined;
  #udp6: Socket | undefined;
  /** Joins solicited-node groups through the kernel, which sends the MLD reports snooping switches need. */
  #mld: Socket | undefined;
  #timer: NodeJS.Timeout | undefined;
  #linkTimer: NodeJS.Timeout | undefined;
  #stateTimer: NodeJS.Timeout | undefined;
  #stopped = false;
  #leaving: { resolve: (handedOver: boolean) => void; deadline: number } | undefined;
  readonly #conflicts: Conflict[] = [];
  readonly #counters = {
    heartbeatsSent: 0,
    heartbeatSendErrors: 0,
    heartbeatsReceived: {} as Counts,
    framesSent: {} as Counts,
    frameSendErrors: 0,
    framesDiscarded: {} as Counts,
    conflicts: {} as Counts,
  };
  /** Errors already logged, so a link that stays broken logs once, not on every frame. */
  readonly #logged = new Set<string>();

  constructor(config: WorkerConfig, emit: (m: FromWorker) => void) {
    this.#config = config;
    this.#emit = emit;
    this.#engine = new L2Engine({
      self: config.self,
      incarnation: newIncarnation(Date.now(), Math.floor(Math.random() * 0x10000)),
      intervalMs: config.intervalMs,
      detectMultiplier: config.detectMultiplier,
      keys: config.keys,
    });
  }

  async start(): Promise<void> {
    this.#udp4 = await this.#bind('udp4');
    // IPv6 may be disabled on the host; then only IPv4 members can be reached, which the log says.
    this.#udp6 = await this.#bind('udp6').catch((err: Error) => {
      this.#log('warn', 'no IPv6 heartbeat socket: members with only an IPv6 address cannot be reached', {
        err: err.message,
      });
      return undefined;
    });
    this.#mld = await new Promise<Socket>((resolve, reject) => {
      const socket = createSocket({ type: 'udp6', ipv6Only: true });
      socket.once('error', reject);
      socket.bind(0, '::', () => resolve(socket));
    }).catch(() => undefined);
    this.#linkTimer = setInterval(() => this.#watchLinks(), this.#config.intervalMs);
    this.#stateTimer = setInterval(() => this.#emit({ type: 'state', state: this.state() }), 1000);
    this.#apply(this.#engine.tick(this.#now()));
  }

  setKeys(keys: readonly Uint8Array[]): void {
    this.#engine.setKeys(keys);
  }

  setMembers(members: ReadonlyArray<readonly [string, MemberAddress]>): void {
    this.#apply(this.#engine.setMembers(new Map(members), this.#now()));
  }

  setAssignments(assignments: readonly Assignment[], synced: boolean): void {
    this.#wanted = new Set(assignments.flatMap((a) => a.interfaces));
    this.#syncInterfaces(true);
    this.#apply(this.#engine.setAssignments(assignments, synced, this.#now()));
  }

  /** Clean shutdown: resolves once every live peer acknowledged the handover, or after a Detection Time. */
  leave(): Promise<boolean> {
    const now = this.#now();
    this.#apply(this.#engine.leave(now));
    if (this.#engine.handedOver()) return Promise.resolve(true);
    return new Promise((resolve) => {
      this.#leaving = { resolve, deadline: now + this.#engine.mesh.detectionMs };
      this.#schedule();
    });
  }

  stop(): void {
    this.#stopped = true;
    for (const t of [this.#timer, this.#linkTimer, this.#stateTimer]) if (t) clearTimeout(t);
    for (const i of this.#interfaces.values()) this.#close(i);
    this.#interfaces.clear();
    this.#udp4?.close();
    this.#udp6?.close();
    this.#mld?.close();
  }

  state(): WorkerState {
    const now = this.#now();
    const s = this.#engine.status();
    const answering = new Map(s.interfaces.map((i) => [i.name, i.answering]));
    const interfaces: InterfaceState[] = [...this.#interfaces.values()]
      .map((i) => ({
        name: i.name,
        mac: i.mac ? formatMac(i.mac) : '',
        up: i.up,
        answering: answering.get(i.name) ?? 0,
        ...(i.error ? { error: i.error } : {}),
      }))
      .sort((a, b) => compareText(a.name, b.name));
    return {
      ready: s.ready,
      notReady: s.notReady,
      leaving: s.leaving,
      peers: s.peers.map((p) => ({
        node: p.node,
        address: p.address,
        state: p.state,
        ready: p.ready,
        lastHeardMsAgo: p.lastHeard === undefined ? null : Math.round(now - p.lastHeard),
      })),
      interfaces,
      counters: structuredClone(this.#counters) as WorkerCounters,
      conflicts: [...this.#conflicts],
    };
  }

  // ---- internals ----

  #now(): number {
    return performance.now();
  }

  #bind(type: 'udp4' | 'udp6'): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = createSocket({ type, ipv6Only: type === 'udp6' });
      socket.once('error', reject);
      socket.on('message', (msg) => this.#onHeartbeat(msg));
      socket.bind(this.#config.port, type === 'udp4' ? '0.0.0.0' : '::', () => {
        socket.off('error', reject);
        socket.on('error', (err) => this.#log('warn', 'heartbeat socket error', { err: err.message }));
        resolve(socket);
      });
    });
  }

  #onHeartbeat(msg: Buffer): void {
    if (this.#stopped) return;
    const { verdict, output } = this.#engine.receiveHeartbeat(msg, this.#now());
    bump(this.#counters.heartbeatsReceived, verdict);
    this.#apply(output);
  }

  #onFrame(i: OpenInterface, protocol: 'arp' | 'ndp', frame: Buffer, outgoing: boolean): void {
    if (this.#stopped) return;
    const { verdict, frames } = this.#engine.receiveFrame(i.name, protocol, frame, outgoing);
    if (verdict.kind === 'discard')
      bump(this.#counters.framesDiscarded, `${protocol}/${verdict.discard.reason}`);
    if (verdict.kind === 'conflict') this.#conflict(i.name, verdict.protocol, verdict.address, verdict.mac);
    if (verdict.kind === 'answer')
      for (const f of frames)
        this.#sendFrame(f.interface, f.protocol, verdict.probe ? 'probe' : 'reply', f.frame);
  }

  #conflict(iface: string, protocol: 'arp' | 'ndp', address: string, mac: string): void {
    bump(this.#counters.conflicts, protocol);
    const at = this.#conflicts.findIndex((c) => c.address === address && c.mac === mac);
    if (at >= 0) this.#conflicts.splice(at, 1);
    else
      this.#log('warn', 'another host claims an address this node answers for', {
        address,
        mac,
        interface: iface,
        protocol,
      });
    this.#conflicts.push({ protocol, address, mac, interface: iface, at: new Date().toISOString() });
    if (this.#conflicts.length > MAX_CONFLICTS) this.#conflicts.shift();
  }

  #apply(out: EngineOutput): void {
    if (this.#stopped) return;
    for (const d of out.datagrams) {
      const socket = isIPv6(d.address) ? this.#udp6 : this.#udp4;
      if (!socket) {
        this.#counters.heartbeatSendErrors++;
        continue;
      }
      socket.send(d.data, d.port, d.address, (err) => {
        if (!err) return;
        this.#counters.heartbeatSendErrors++;
        this.#once(`hb ${d.address} ${err.message}`, 'warn', 'heartbeat not sent', {
          to: d.address,
          err: err.message,
        });
      });
      this.#counters.heartbeatsSent++;
    }
    for (const f of out.frames) this.#sendFrame(f.interface, f.protocol, f.kind, f.frame);
    if (out.announcerChanges.length > 0) this.#emit({ type: 'announcers', changes: out.announcerChanges });
    if (out.peerChanges.length > 0) this.#emit({ type: 'peers', changes: out.peerChanges });
    if (out.announcerChanges.length > 0) this.#syncGroups();
    this.#schedule();
  }

  #sendFrame(iface: string, protocol: 'arp' | 'ndp', kind: string, frame: Buffer): void {
    const i = this.#interfaces.get(iface);
    const socket = protocol === 'arp' ? i?.arp : i?.nd;
    if (!socket) return;
    try {
      socket.send(frame);
      bump(this.#counters.framesSent, `${protocol}/${kind}`);
    } catch (err) {
      this.#counters.frameSendErrors++;
      this.#once(`frame ${iface} ${String(err)}`, 'warn', 'frame not sent', {
        interface: iface,
        err: String(err),
      });
    }
  }

  #schedule(): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    const now = this.#now();
    let at = this.#engine.nextTimeout();
    if (this.#leaving) at = Math.min(at, this.#leaving.deadline);
    this.#timer = setTimeout(() => this.#onTimer(), Math.max(0, Math.min(at - now, 60_000)));
  }

  #onTimer(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    const now = this.#now();
    this.#apply(this.#engine.tick(now));
    if (this.#leaving && (this.#engine.handedOver() || now >= this.#leaving.deadline)) {
      const { resolve } = this.#leaving;
      this.#leaving = undefined;
      resolve(this.#engine.handedOver());
    }
  }

  /** Opens sockets on interfaces now needed, closes those no longer needed, retries failed ones. */
  #syncInterfaces(force: boolean): void {
    const now = this.#now();
    let changed = false;
    for (const [name, i] of this.#interfaces)
      if (!this.#wanted.has(name)) {
        this.#close(i);
        this.#interfaces.delete(name);
        changed = true;
      }
    for (const name of this.#wanted) {
      let i = this.#interfaces.get(name);
      if (!i) {
        i = { name, up: false, triedAt: Number.NEGATIVE_INFINITY, groups: new Set() };
        this.#interfaces.set(name, i);
        changed = true;
      }
      if (i.arp && i.nd) continue;
      if (!force && now - i.triedAt < REOPEN_MS) continue;
      i.triedAt = now;
      changed = this.#open(i) || changed;
    }
    if (changed || force) this.#pushInterfaces();
  }

  #open(i: OpenInterface): boolean {
    const before = i.error;
    try {
      i.arp ??= openPacketSocket({ device: i.name, protocol: ETH_P_ARP });
      i.nd ??= openPacketSocket({ device: i.name, protocol: ETH_P_IPV6, filter: neighborDiscoveryProgram() });
      const own = i.arp.linkLayerAddress();
      if (own.hatype !== ARPHRD_ETHER)
        throw new Error(`not an Ethernet interface (hardware type ${own.hatype})`);
      i.mac = own.address;
      i.up = linkUp(i.name);
      i.arp.on('frame', (frame, info) => this.#onFrame(i, 'arp', frame, info.pkttype === 'outgoing'));
      i.nd.on('frame', (frame, info) => this.#onFrame(i, 'ndp', frame, info.pkttype === 'outgoing'));
      for (const s of [i.arp, i.nd])
        s.on('error', (err) =>
          this.#once(`rx ${i.name}`, 'warn', 'receive error', { interface: i.name, err: err.message }),
        );
      i.error = undefined;
      this.#log('info', 'answering ARP and NDP on interface', {
        interface: i.name,
        mac: formatMac(i.mac),
        up: i.up,
      });
    } catch (err) {
      this.#close(i);
      i.error = describe(err);
      if (i.error !== before)
        this.#log('error', 'cannot open the interface for ARP and NDP', { interface: i.name, err: i.error });
    }
    return i.error !== before;
  }

  #close(i: OpenInterface): void {
    i.arp?.close();
    i.nd?.close();
    i.arp = undefined;
    i.nd = undefined;
    i.mac = undefined;
    i.groups.clear();
  }

  /** Link state and MAC of every open interface; a change reaches the engine (a link down steps back). */
  #watchLinks(): void {
    if (this.#stopped) return;
    this.#syncInterfaces(false);
    let changed = false;
    for (const i of this.#interfaces.values()) {
      if (!i.arp) continue;
      const up = linkUp(i.name);
      let mac = i.mac;
      try {
        mac = i.arp.linkLayerAddress().address;
      } catch {
        // the interface went away: its sockets fail; the next reopen attempt reports it
      }
      if (up !== i.up || (mac && i.mac && formatMac(mac) !== formatMac(i.mac))) {
        if (up !== i.up) this.#log('info', up ? 'link up' : 'link down', { interface: i.name });
        i.up = up;
        i.mac = mac;
        changed = true;
      }
    }
    if (changed) this.#pushInterfaces();
  }

  #pushInterfaces(): void {
    const list: InterfaceInfo[] = [];
    for (const i of this.#interfaces.values())
      if (i.arp && i.mac) list.push({ name: i.name, mac: i.mac, up: i.up });
    this.#apply(this.#engine.setInterfaces(list, this.#now()));
    this.#syncGroups();
  }

  /**
   * Listens to the solicited-node groups of the IPv6 addresses answered on each interface, and stops
   * listening to the rest. Twice: on the ND packet socket (the NIC's multicast filter; always works) and
   * through the kernel's IPv6 stack (IPV6_JOIN_GROUP), which also sends MLD reports, so a switch with MLD
   * snooping forwards the solicitations to this port. The second is best effort: a host with IPv6 disabled,
   * or past its per-socket group limit, still answers on an unsnooped segment.
   */
  #syncGroups(): void {
    const want = this.#engine.multicastGroups();
    for (const i of this.#interfaces.values()) {
      if (!i.nd) continue;
      const groups = want.get(i.name) ?? new Set<string>();
      for (const g of groups) {
        if (i.groups.has(g)) continue;
        try {
          i.nd.joinMulticast(multicastMac(addressToBytes(g)));
          i.groups.add(g);
        } catch (err) {
          this.#once(`join ${i.name} ${g}`, 'warn', 'cannot join a multicast group', {
            interface: i.name,
            group: g,
            err: describe(err),
          });
          continue;
        }
        this.#kernelMembership('add', g, i.name);
      }
      for (const g of [...i.groups]) {
        if (groups.has(g)) continue;
        try {
          i.nd.dropMulticast(multicastMac(addressToBytes(g)));
        } catch {
          // the membership ends with the socket anyway
        }
        this.#kernelMembership('drop', g, i.name);
        i.groups.delete(g);
      }
    }
  }

  #kernelMembership(op: 'add' | 'drop', group: string, iface: string): void {
    try {
      if (!this.#mld) throw new Error('no IPv6 UDP socket (is IPv6 disabled on this host?)');
      if (op === 'add') this.#mld.addMembership(group, `::%${iface}`);
      else this.#mld.dropMembership(group, `::%${iface}`);
    } catch (err) {
      if (op === 'add')
        this.#once(
          `mld ${iface}`,
          'warn',
          'no MLD report for a solicited-node group (snooping switches may not forward solicitations)',
          {
            interface: iface,
            group,
            err: err instanceof Error ? err.message : String(err),
          },
        );
    }
  }

  #log(level: 'info' | 'warn' | 'error', msg: string, fields: object): void {
    this.#emit({ type: 'log', level, msg, fields });
  }

  #once(key: string, level: 'info' | 'warn' | 'error', msg: string, fields: object): void {
    if (this.#logged.has(key)) return;
    if (this.#logged.size > 1000) this.#logged.clear();
    this.#logged.add(key);
    this.#log(level, msg, fields);
  }
}

/** A link is up when the kernel says `up` (or `unknown`, which virtual devices without carrier report). */
export function linkUp(name: string): boolean {
  try {
    const state = readFileSync(`/sys/class/net/${name}/operstate`, 'utf8').trim();
    return state === 'up' || state === 'unknown';
  } catch {
    return false;
  }
}

function describe(err: unknown): string {
  if (err instanceof NativeSocketError && err.code === 'EPERM')
    return `${err.message} — opening AF_PACKET sockets needs CAP_NET_RAW (chart value speaker.l2.enabled)`;
  return err instanceof Error ? err.message : String(err);
}
