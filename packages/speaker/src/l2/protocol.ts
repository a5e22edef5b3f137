// The messages between the speaker's main thread (announcer.ts: Kubernetes, config, Events, /status) and
// the layer-2 worker thread (worker.ts + driver.ts: heartbeats, ARP/NDP sockets, timers). Plain data that
// survives structuredClone. The main thread sends inputs; the worker answers with changes as they happen
// and a small state summary every second.
import type { AnnouncerChange, Assignment, PeerChange, PeerState } from '@herald/l2';

export interface WorkerConfig {
  readonly self: string;
  /** UDP port of the heartbeats, on every node. */
  readonly port: number;
  readonly intervalMs: number;
  readonly detectMultiplier: number;
  /** HMAC keys; the first signs. */
  readonly keys: readonly Uint8Array[];
}

export type ToWorker =
  | { readonly type: 'keys'; readonly keys: readonly Uint8Array[] }
  | {
      readonly type: 'members';
      readonly members: ReadonlyArray<readonly [string, { address: string; port: number }]>;
    }
  | { readonly type: 'assignments'; readonly synced: boolean; readonly assignments: readonly Assignment[] }
  /** Clean shutdown: hand everything over, answer 'left' when done (or after a Detection Time). */
  | { readonly type: 'leave' }
  | { readonly type: 'stop' };

export interface InterfaceState {
  readonly name: string;
  /** Empty while the interface could not be opened. */
  readonly mac: string;
  readonly up: boolean;
  /** Addresses answered for there. */
  readonly answering: number;
  /** Why it cannot be used (socket error, not Ethernet); absent when fine. */
  readonly error?: string;
}

export interface MeshPeer {
  readonly node: string;
  readonly address: string;
  readonly state: PeerState;
  readonly ready: boolean;
  /** Milliseconds since its last fresh heartbeat; null when never heard. */
  readonly lastHeardMsAgo: number | null;
}

/** Monotonic counters of the worker's life, by label values joined with '/'. */
export interface WorkerCounters {
  readonly heartbeatsSent: number;
  readonly heartbeatSendErrors: number;
  /** by verdict: accepted, unconfirmed, replay, not-member, authentication, truncated, … */
  readonly heartbeatsReceived: Readonly<Record<string, number>>;
  /** by 'protocol/kind': arp/reply, arp/probe, ndp/reply, ndp/probe, arp/announcement, ndp/announcement */
  readonly framesSent: Readonly<Record<string, number>>;
  readonly frameSendErrors: number;
  /** by 'protocol/reason' */
  readonly framesDiscarded: Readonly<Record<string, number>>;
  /** by protocol */
  readonly conflicts: Readonly<Record<string, number>>;
}

export interface Conflict {
  readonly protocol: 'arp' | 'ndp';
  readonly address: string;
  readonly mac: string;
  readonly interface: string;
  /** ISO time of the last one seen for this address. */
  readonly at: string;
}

export interface WorkerState {
  readonly ready: boolean;
  readonly notReady: readonly string[];
  readonly leaving: boolean;
  readonly peers: readonly MeshPeer[];
  readonly interfaces: readonly InterfaceState[];
  readonly counters: WorkerCounters;
  /** The most recent conflicts (another MAC claiming an address this node answers for), newest last. */
  readonly conflicts: readonly Conflict[];
}

export type FromWorker =
  | { readonly type: 'announcers'; readonly changes: readonly AnnouncerChange[] }
  | { readonly type: 'peers'; readonly changes: readonly PeerChange[] }
  | { readonly type: 'state'; readonly state: WorkerState }
  | {
      readonly type: 'log';
      readonly level: 'info' | 'warn' | 'error';
      readonly msg: string;
      readonly fields: object;
    }
  | { readonly type: 'left'; readonly handedOver: boolean };
