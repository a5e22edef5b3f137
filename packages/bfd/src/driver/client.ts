/**
 * BfdService: the BFD engine as the rest of a program sees it. `isolation: 'worker'` (the speaker) runs the
 * engine, its sockets and its timers in a worker_thread, so a garbage-collection pause or a long reconcile
 * on the main thread cannot delay a packet or expire a Detection Time; `'inline'` runs it on the caller's
 * thread (heraldctl, whose single executable carries no second script, and measurements). Both speak the
 * same commands and events (protocol.ts).
 *
 * The main thread sends a heartbeat every `heartbeatMs`; the worker's watchdog stops transmission when it
 * hears nothing for `controlPlaneTimeoutMs`, so BFD keeps sharing fate with the control plane (C bit clear).
 */
import { EventEmitter } from 'node:events';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SessionParameters } from '../fsm/events.ts';
import { DISCARD_REASONS } from '../types.ts';
import { BfdEngine } from './engine.ts';
import type { BfdCommand, BfdEngineSnapshot, BfdEvent, BfdSessionSpec } from './protocol.ts';
import type { Scheduler } from './scheduler.ts';
import type { BfdTransport } from './transport.ts';
import { type UdpSocketLayer, udpTransport } from './udp-transport.ts';

export type BfdIsolation = 'worker' | 'inline';

export interface BfdServiceOptions {
  readonly isolation: BfdIsolation;
  /** Worker only: silence BFD when the main thread has not been heard from this long (ms). Default 5000. */
  readonly controlPlaneTimeoutMs?: number;
  /** Worker only: heartbeat period (ms). Default 500. */
  readonly heartbeatMs?: number;
  /** How often the engine publishes a snapshot (ms). Default 1000. */
  readonly snapshotIntervalMs?: number;
  /**
   * The UDP socket layer (the programs give @herald/native's): for 'worker' the URL of a module exporting
   * `openUdpSocket` (`import.meta.resolve('@herald/native')`), which the worker imports — a function cannot be
   * sent to a thread; for 'inline' the layer itself.
   */
  readonly udp?: { readonly module: string } | UdpSocketLayer;
  /** Inline only (tests): the network instead of `udp`'s sockets, and the clock. Default: real timers. */
  readonly transport?: BfdTransport;
  readonly scheduler?: Scheduler;
  readonly random?: () => number;
}

/** A session's state change, as the engine reports it. */
export type BfdStateChange = Omit<Extract<BfdEvent, { type: 'stateChange' }>, 'type'>;

export type BfdLogLine = Omit<Extract<BfdEvent, { type: 'log' }>, 'type'>;

export interface BfdServiceEvents {
  stateChange: [BfdStateChange];
  log: [BfdLogLine];
  snapshot: [BfdEngineSnapshot];
}

export const DEFAULT_CONTROL_PLANE_TIMEOUT_MS = 5000;

/** The snapshot before the engine has published one. */
export function emptySnapshot(): BfdEngineSnapshot {
  return {
    at: Date.now(),
    sessions: [],
    discards: Object.fromEntries(DISCARD_REASONS.map((r) => [r, 0])) as BfdEngineSnapshot['discards'],
    transmitDelay: { bounds: [], counts: [], count: 0, sum: 0 },
    latePackets: 0,
    silenced: false,
    controlPlaneStalls: 0,
    socketErrors: [],
  };
}

/** Resolves when `p` does or after `ms`, whichever comes first. */
export async function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** The engine's worker script beside this file: worker.ts in the sources, worker.js once compiled. */
function workerUrl(): URL {
  return new URL(`./worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
}

function inlineLayer(udp: BfdServiceOptions['udp']): UdpSocketLayer {
  if (udp && 'openUdpSocket' in udp) return udp;
  throw new TypeError("BfdService isolation 'inline' needs a transport or the socket layer itself in udp");
}

function workerModule(udp: BfdServiceOptions['udp']): string {
  if (udp && 'module' in udp) return udp.module;
  throw new TypeError(
    "BfdService isolation 'worker' needs udp.module, the socket layer's module URL: a function cannot be sent to a thread",
  );
}

export class BfdService extends EventEmitter<BfdServiceEvents> {
  readonly isolation: BfdIsolation;
  readonly #send: (c: BfdCommand) => void;
  readonly #pending = new Map<number, () => void>();
  readonly #shutdown: () => Promise<void>;
  #nextRequest = 1;
  #latest: BfdEngineSnapshot = emptySnapshot();
  #closed: Promise<void> | undefined;
  /** The worker is gone: requests can no longer be answered. */
  #exited = false;

  constructor(options: BfdServiceOptions) {
    super();
    this.isolation = options.isolation;
    const snapshotIntervalMs = options.snapshotIntervalMs ?? 1000;
    const receive = (e: BfdEvent) => this.#event(e);
    if (options.isolation === 'inline') {
      const engine = new BfdEngine({
        transport: options.transport ?? udpTransport(inlineLayer(options.udp)),
        // Asynchronous like the worker's messages, so callers see one behaviour.
        emit: (e) => queueMicrotask(() => receive(e)),
        snapshotIntervalMs,
        ...(options.scheduler ? { scheduler: options.scheduler } : {}),
        ...(options.random ? { random: options.random } : {}),
      });
      this.#send = (c) => engine.command(c);
      this.#shutdown = async () => undefined;
      return;
    }
    const worker = new Worker(workerUrl(), {
      // Node's default: the worker inherits the process's flags, V8's included (the images run node with
      // heap and compiler flags; they are process-wide and apply to the worker's isolate anyway). Only under
      // evaluated input (`node --input-type=module -e …`) are flags given explicitly, as the worker runs a
      // file: without --input-type, and without V8 flags, which Worker refuses in an explicit execArgv
      // ("invalid execArgv flags").
      execArgv: process.execArgv.some((a) => a.startsWith('--input-type'))
        ? process.execArgv.filter(
            (a) =>
              !/^--(input-type|max-semi-space-size|max-old-space-size|max-opt|optimize-for-size)\b/.test(a),
          )
        : undefined,
      workerData: {
        udpModule: workerModule(options.udp),
        controlPlaneTimeoutMs: options.controlPlaneTimeoutMs ?? DEFAULT_CONTROL_PLANE_TIMEOUT_MS,
        snapshotIntervalMs,
      },
      name: 'herald-bfd',
    });
    worker.on('message', receive);
    worker.on('error', (err) =>
      this.emit('log', { level: 'error', msg: 'BFD worker failed', fields: { err: err.message } }),
    );
    worker.on('exit', (code) => {
      this.#exited = true;
      if (!this.#closed) this.emit('log', { level: 'error', msg: 'BFD worker exited', fields: { code } });
      for (const resolve of this.#pending.values()) resolve();
      this.#pending.clear();
      // Nothing more will come: readers of refresh() get the last snapshot there was.
      this.emit('snapshot', this.#latest);
    });
    const heartbeat = setInterval(
      () => worker.postMessage({ type: 'heartbeat' }),
      options.heartbeatMs ?? 500,
    );
    heartbeat.unref();
    this.#send = (c) => {
      if (!this.#exited) worker.postMessage(c);
    };
    this.#shutdown = async () => {
      clearInterval(heartbeat);
      await worker.terminate();
    };
  }

  /** Start (or re-key) a session. An existing id with the same key only gets the new timers. */
  add(spec: BfdSessionSpec): void {
    this.#send({ type: 'add', spec });
  }

  update(id: string, parameters: SessionParameters): void {
    this.#send({ type: 'update', id, parameters });
  }

  /** AdminDown, then forgotten after the peer acknowledged or its Detection Time passed. */
  remove(id: string): void {
    this.#send({ type: 'remove', id });
  }

  /**
   * Take sessions AdminDown (all when `ids` is absent) and resolve once each peer that was Up has
   * acknowledged or its Detection Time for us has passed (RFC 5882 §3.2, planned restarts).
   */
  adminDown(ids?: readonly string[]): Promise<void> {
    return this.#request((requestId) => ({ type: 'adminDown', requestId, ...(ids ? { ids } : {}) }));
  }

  /** The latest snapshot the engine published (at most `snapshotIntervalMs` old, fresh after a change). */
  snapshot(): BfdEngineSnapshot {
    return this.#latest;
  }

  /** Ask for a snapshot now; resolves with the next one published. */
  refresh(): Promise<BfdEngineSnapshot> {
    return new Promise((resolve) => {
      this.once('snapshot', resolve);
      this.#send({ type: 'snapshot' });
    });
  }

  /**
   * Stops the engine without sending anything more (take sessions AdminDown first to tell the peers). A worker
   * that does not confirm within 2 s is terminated all the same.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await withTimeout(
        this.#request((requestId) => ({ type: 'close', requestId })),
        2000,
      );
      await this.#shutdown();
    })();
    return this.#closed;
  }

  #request(command: (requestId: number) => BfdCommand): Promise<void> {
    const requestId = this.#nextRequest++;
    if (this.#exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.#pending.set(requestId, resolve);
      this.#send(command(requestId));
    });
  }

  #event(e: BfdEvent): void {
    switch (e.type) {
      case 'stateChange':
        this.emit('stateChange', {
          id: e.id,
          from: e.from,
          to: e.to,
          diagnostic: e.diagnostic,
          peerAdminDown: e.peerAdminDown,
          at: e.at,
        });
        return;
      case 'snapshot':
        this.#latest = e.snapshot;
        this.emit('snapshot', e.snapshot);
        return;
      case 'log':
        this.emit('log', { level: e.level, msg: e.msg, fields: e.fields });
        return;
      case 'done': {
        const resolve = this.#pending.get(e.requestId);
        this.#pending.delete(e.requestId);
        resolve?.();
        return;
      }
    }
  }
}
