/**
 * BgpSpeaker: owns sessions and an optional listening socket. Incoming connections are handed to the session
 * whose peerAddress matches; connections from unknown addresses are closed at once.
 */
import { EventEmitter } from 'node:events';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { PeerConfigError } from '../config.ts';
import { canonicalAddress } from '../prefix.ts';
import type { Clock, Logger, PeerConfig } from '../types.ts';
import { BgpSession, type BgpSessionOptions, type StopOptions } from './session.ts';
import { unmapAddress } from './socket-transport.ts';

export interface BgpSpeakerOptions {
  /** Listen for incoming BGP connections. Default: no listener. Port default 179, address default '::'. */
  readonly listen?: { readonly address?: string; readonly port?: number };
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Passed to every session (tests). */
  readonly connect?: BgpSessionOptions['connect'];
}

export interface BgpSpeakerEvents {
  peerAdded: [BgpSession];
  peerRemoved: [BgpSession];
  /** An incoming connection was refused (unknown peer, session not started, ...). */
  connectionRejected: [{ readonly remoteAddress: string; readonly reason: string }];
  error: [Error];
}

export class BgpSpeaker extends EventEmitter<BgpSpeakerEvents> {
  readonly #sessions = new Map<string, BgpSession>();
  readonly #options: BgpSpeakerOptions;
  #server: Server | undefined;

  constructor(options: BgpSpeakerOptions = {}) {
    super();
    this.#options = options;
  }

  /** Start the listener (if configured). Resolves with the bound address (useful with port 0). */
  async listen(): Promise<AddressInfo | undefined> {
    const cfg = this.#options.listen;
    if (!cfg) return undefined;
    if (this.#server) return this.address();
    const server = createServer({ noDelay: true }, (socket) => this.#onConnection(socket));
    server.on('error', (err) => {
      this.#options.logger?.error({ err: err.message }, 'BGP listener error');
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: cfg.address ?? '::', port: cfg.port ?? 179 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    this.#options.logger?.info({ address: this.address() }, 'BGP listener started');
    return this.address();
  }

  address(): AddressInfo | undefined {
    const a = this.#server?.address();
    return a && typeof a === 'object' ? a : undefined;
  }

  /** Create a session for a peer (not started). Throws PeerConfigError on invalid config or a duplicate peer. */
  addPeer(config: PeerConfig): BgpSession {
    const session = new BgpSession(config, {
      ...(this.#options.logger ? { logger: this.#options.logger } : {}),
      ...(this.#options.clock ? { clock: this.#options.clock } : {}),
      ...(this.#options.random ? { random: this.#options.random } : {}),
      ...(this.#options.connect ? { connect: this.#options.connect } : {}),
    });
    for (const existing of this.#sessions.values()) {
      if (existing.name === session.name || existing.config.peerAddress === session.config.peerAddress) {
        throw new PeerConfigError([
          { path: 'peerAddress', reason: `peer ${session.config.peerAddress} already exists` },
        ]);
      }
    }
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

  /** Stop every session and the listener. */
  async close(options?: StopOptions): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    const closing = server
      ? new Promise<void>((resolve) => server.close(() => resolve()))
      : Promise.resolve();
    await Promise.all(this.peers().map((s) => s.stop(options)));
    await closing;
  }

  #onConnection(socket: Socket): void {
    const remote = canonicalAddress(unmapAddress(socket.remoteAddress)) ?? '';
    const session = [...this.#sessions.values()].find((s) => s.config.peerAddress === remote);
    const reject = (reason: string) => {
      this.#options.logger?.info({ remote, reason }, 'BGP connection rejected');
      this.emit('connectionRejected', { remoteAddress: remote, reason });
      socket.destroy();
    };
    if (!session) {
      reject('no peer configured for this address');
      return;
    }
    // Swallow socket errors until the session attaches its own handlers.
    socket.on('error', () => {});
    try {
      if (!session.acceptConnection(socket))
        this.emit('connectionRejected', {
          remoteAddress: remote,
          reason: `session ${session.name} refused it`,
        });
    } catch (err) {
      reject(`internal error: ${(err as Error).message}`);
    }
  }
}
