/**
 * BgpSpeaker: owns sessions and the listening sockets for peers that connect to us. An incoming connection is
 * handed to the session whose peerAddress matches; one from an unknown address is closed at once. Every
 * rejection is counted by reason (`connectionRejected`) and logged at most once per reason and interval: anyone
 * who can reach the port can trigger them.
 */
import { EventEmitter } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import { canonicalAddress } from '@herald/inet';
import { PeerConfigError } from '../config.ts';
import type { TcpMd5Key } from '../transport.ts';
import type { Clock, Logger, PeerConfig } from '../types.ts';
import { openListener, type SpeakerListener } from './listener.ts';
import { RateLimitedLog } from './rate-limited-log.ts';
import {
  BgpSession,
  type BgpSessionOptions,
  type ConnectionRefusalCode,
  type StopOptions,
} from './session.ts';
import { unmapAddress } from './socket-transport.ts';
import { type BgpSockets, NO_SOCKET_LAYER } from './sockets.ts';

export interface BgpSpeakerOptions {
  /**
   * Listen for incoming BGP connections. Default: no listener. Port default 179; `addresses` (or `address`)
   * default `['::']` (every address). `listenOn()` changes the addresses later.
   */
  readonly listen?: {
    readonly address?: string;
    readonly addresses?: readonly string[];
    readonly port?: number;
  };
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Passed to every session (tests). */
  readonly connect?: BgpSessionOptions['connect'];
  /** At most one rejection log line per reason in this interval. Default 10 s. */
  readonly rejectionLogIntervalMs?: number;
  /**
   * The socket layer for TTL, GTSM, TCP-MD5 and device binding: @herald/native's `bgpSockets`. Without it,
   * node:net only, and sessions that need those options are refused.
   */
  readonly sockets?: BgpSockets;
}

/** Why an incoming connection was closed: no such peer, the peer's session refused it, or a bug. */
export type RejectionReason = 'unknown-peer' | ConnectionRefusalCode | 'internal-error';

export interface ConnectionRejected {
  readonly remoteAddress: string;
  readonly reason: RejectionReason;
  readonly detail: string;
}

export interface BgpSpeakerEvents {
  peerAdded: [BgpSession];
  peerRemoved: [BgpSession];
  /** An incoming connection was closed without a session (unknown peer, session refused it, ...). */
  connectionRejected: [ConnectionRejected];
  error: [Error];
}

const NOOP_LOGGER: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export class BgpSpeaker extends EventEmitter<BgpSpeakerEvents> {
  readonly #sessions = new Map<string, BgpSession>();
  readonly #options: BgpSpeakerOptions;
  readonly #logger: Logger;
  readonly #rejections: RateLimitedLog;
  readonly #sockets: BgpSockets;
  /** Listeners by the address they are bound to (as configured). */
  readonly #listeners = new Map<string, SpeakerListener>();
  /** The session a connection is being handed to, so its refusal is attributed to this connection. */
  #accepting: { remote: string; refusal?: { code: ConnectionRefusalCode; reason: string } } | undefined;

  constructor(options: BgpSpeakerOptions = {}) {
    super();
    this.#options = options;
    this.#logger = options.logger ?? NOOP_LOGGER;
    this.#rejections = new RateLimitedLog(
      this.#logger,
      options.clock ?? { now: () => Date.now() },
      options.rejectionLogIntervalMs ?? 10_000,
    );
    this.#sockets = options.sockets ?? NO_SOCKET_LAYER;
  }

  /** Start the configured listener (if any). Resolves with the first bound address (useful with port 0). */
  async listen(): Promise<AddressInfo | undefined> {
    const cfg = this.#options.listen;
    if (!cfg) return undefined;
    await this.listenOn(cfg.addresses ?? [cfg.address ?? '::']);
    return this.address();
  }

  /**
   * Listen on exactly these addresses: opens the missing ones, closes the others (`[]` closes every listener,
   * sessions stay). Rejects with the first bind error; the addresses that could be bound stay bound.
   */
  async listenOn(addresses: readonly string[]): Promise<void> {
    const port = this.#options.listen?.port ?? 179;
    const wanted = new Set(addresses);
    for (const [address, listener] of this.#listeners) {
      if (wanted.has(address)) continue;
      this.#listeners.delete(address);
      void listener.close();
      this.#logger.info({ address, port }, 'BGP listener closed');
    }
    const errors: Error[] = [];
    for (const address of wanted) {
      if (this.#listeners.has(address)) continue;
      try {
        const listener = await openListener({
          address,
          port,
          sockets: this.#sockets,
          keys: this.#keys(),
          onConnection: (socket) => this.#onConnection(socket),
          onError: (err) => {
            this.#logger.error({ address, err: err.message }, 'BGP listener error');
            if (this.listenerCount('error') > 0) this.emit('error', err);
          },
        });
        // A peer added while the listener was being opened: its key too (setting a key again is harmless).
        for (const [peer, key] of this.#keys()) listener.setKey(peer, key);
        this.#listeners.set(address, listener);
        this.#logger.info({ address, port: listener.address()?.port }, 'BGP listener started');
      } catch (err) {
        errors.push(err as Error);
      }
    }
    if (errors.length > 0) throw errors[0];
  }

  /** The first listener's bound address. */
  address(): AddressInfo | undefined {
    return this.addresses()[0];
  }

  /** Every listener's bound address. */
  addresses(): AddressInfo[] {
    const out: AddressInfo[] = [];
    for (const listener of this.#listeners.values()) {
      const a = listener.address();
      if (a) out.push(a);
    }
    return out;
  }

  /** The TCP-MD5 keys of the sessions that have one, by peer address. */
  #keys(): [string, TcpMd5Key][] {
    const keys: [string, TcpMd5Key][] = [];
    for (const s of this.#sessions.values()) {
      const key = s.config.transport.md5Key;
      if (key) keys.push([s.config.peerAddress, key]);
    }
    return keys;
  }

  /** Create a session for a peer (not started). Throws PeerConfigError on invalid config or a duplicate peer. */
  addPeer(config: PeerConfig): BgpSession {
    const session = new BgpSession(config, {
      ...(this.#options.logger ? { logger: this.#options.logger } : {}),
      ...(this.#options.clock ? { clock: this.#options.clock } : {}),
      ...(this.#options.random ? { random: this.#options.random } : {}),
      ...(this.#options.connect ? { connect: this.#options.connect } : {}),
      sockets: this.#sockets,
    });
    for (const existing of this.#sessions.values()) {
      if (existing.name === session.name || existing.config.peerAddress === session.config.peerAddress) {
        throw new PeerConfigError([
          { path: 'peerAddress', reason: `peer ${session.config.peerAddress} already exists` },
        ]);
      }
    }
    session.on('connectionRefused', (r) => {
      if (this.#accepting?.remote === r.remoteAddress) this.#accepting.refusal = r;
    });
    // The peer may dial in too (passive, or a collision): its key must be on the listeners first.
    const key = session.config.transport.md5Key;
    if (key) for (const l of this.#listeners.values()) l.setKey(session.config.peerAddress, key);
    this.#sessions.set(session.name, session);
    this.emit('peerAdded', session);
    return session;
  }

  /** Stop and forget a peer by name or address. Resolves false if unknown. */
  async removePeer(
    nameOrAddress: string,
    options: StopOptions = { subcode: 'peer-deconfigured' },
  ): Promise<boolean> {
    const session = this.getPeer(nameOrAddress);
    if (!session) return false;
    this.#sessions.delete(session.name);
    if (session.config.transport.md5Key) {
      for (const l of this.#listeners.values()) {
        try {
          l.deleteKey(session.config.peerAddress);
        } catch (err) {
          this.#logger.warn(
            { peer: session.name, err: (err as Error).message },
            'cannot remove the TCP-MD5 key from the BGP listener',
          );
        }
      }
    }
    await session.stop(options);
    this.emit('peerRemoved', session);
    return true;
  }

  getPeer(nameOrAddress: string): BgpSession | undefined {
    const byName = this.#sessions.get(nameOrAddress);
    if (byName) return byName;
    const address = canonicalAddress(nameOrAddress);
    return [...this.#sessions.values()].find((s) => s.config.peerAddress === address);
  }

  peers(): BgpSession[] {
    return [...this.#sessions.values()];
  }

  /** Stop every session and every listener. */
  async close(options?: StopOptions): Promise<void> {
    const listeners = [...this.#listeners.values()];
    this.#listeners.clear();
    const closing = listeners.map((l) => l.close());
    await Promise.all(this.peers().map((s) => s.stop(options)));
    await Promise.all(closing);
  }

  #onConnection(socket: Socket): void {
    const remote = canonicalAddress(unmapAddress(socket.remoteAddress)) ?? '';
    const session = [...this.#sessions.values()].find((s) => s.config.peerAddress === remote);
    if (!session) {
      socket.destroy();
      this.#rejected({
        remoteAddress: remote,
        reason: 'unknown-peer',
        detail: 'no peer configured for this address',
      });
      return;
    }
    // Swallow socket errors until the session attaches its own handlers.
    socket.on('error', () => {});
    this.#accepting = { remote };
    try {
      if (!session.acceptConnection(socket)) {
        const refusal = this.#accepting.refusal;
        this.#rejected({
          remoteAddress: remote,
          reason: refusal?.code ?? 'internal-error',
          detail: `session ${session.name} refused it: ${refusal?.reason ?? 'unknown'}`,
        });
      }
    } catch (err) {
      socket.destroy();
      this.#rejected({
        remoteAddress: remote,
        reason: 'internal-error',
        detail: `internal error: ${(err as Error).message}`,
      });
    } finally {
      this.#accepting = undefined;
    }
  }

  #rejected(r: ConnectionRejected): void {
    this.#rejections.warn(r.reason, { ...r }, 'BGP connection rejected');
    this.emit('connectionRejected', r);
  }
}
