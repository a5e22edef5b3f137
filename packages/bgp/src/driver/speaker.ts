/**
 * BgpSpeaker: owns sessions and an optional listening socket. Incoming connections are handed to the session
 * whose peerAddress matches; unknown peers are closed at once.
 */
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Clock, Logger, PeerConfig } from '../types.ts';
import { BgpSession, type StopOptions } from './session.ts';

export interface BgpSpeakerOptions {
  /** Listen for incoming BGP connections. Default: no listener. Port default 179, address default '::'. */
  readonly listen?: { readonly address?: string; readonly port?: number };
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly random?: () => number;
}

export interface BgpSpeakerEvents {
  peerAdded: [BgpSession];
  peerRemoved: [BgpSession];
  /** An incoming connection was refused (unknown peer, passive session stopped, ...). */
  connectionRejected: [{ readonly remoteAddress: string; readonly reason: string }];
  error: [Error];
}

export class BgpSpeaker extends EventEmitter<BgpSpeakerEvents> {
  readonly #sessions = new Map<string, BgpSession>();

  constructor(_options: BgpSpeakerOptions = {}) {
    super();
  }

  /** Start the listener (if configured). Resolves with the bound address (useful with port 0). */
  async listen(): Promise<AddressInfo | undefined> {
    return undefined;
  }

  address(): AddressInfo | undefined {
    return undefined;
  }

  /** Create a session for a peer. Throws PeerConfigError on invalid config or a duplicate peer. */
  addPeer(config: PeerConfig): BgpSession {
    const session = new BgpSession(config);
    this.#sessions.set(session.name, session);
    return session;
  }

  /** Stop and forget a peer by name or address. Resolves false if unknown. */
  async removePeer(_nameOrAddress: string, _options?: StopOptions): Promise<boolean> {
    return false;
  }

  getPeer(nameOrAddress: string): BgpSession | undefined {
    return this.#sessions.get(nameOrAddress);
  }

  peers(): BgpSession[] {
    return [...this.#sessions.values()];
  }

  /** Stop every session and the listener. */
  async close(_options?: StopOptions): Promise<void> {}
}
