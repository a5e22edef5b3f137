/**
 * The RFC 4271 §8 finite state machine for one BGP connection, sans-I/O: `handle(event)` returns actions.
 * Time comes from the injected clock, randomness (jitter) from the injected source.
 */
import type { ResolvedPeerConfig } from '../config.ts';
import type { AdjRibOut } from '../rib/adj-rib-out.ts';
import type { Clock, Logger, SessionState } from '../types.ts';
import type { NegotiatedSession, SessionAction, SessionEvent } from './events.ts';

export interface SessionMachineOptions {
  readonly config: ResolvedPeerConfig;
  readonly ribOut: AdjRibOut;
  readonly clock: Clock;
  /** Uniform [0,1) source for jitter; default Math.random. */
  readonly random?: () => number;
  readonly logger?: Logger;
}

export class SessionMachine {
  #state: SessionState = 'Idle';
  constructor(_options: SessionMachineOptions) {}

  get state(): SessionState {
    return this.#state;
  }

  get negotiated(): NegotiatedSession | undefined {
    return undefined;
  }

  handle(_event: SessionEvent): SessionAction[] {
    return [];
  }

  /** Next bulk UPDATE from the Adj-RIB-Out (lazily generated), or undefined when nothing is pending. */
  nextUpdate(): Buffer | undefined {
    return undefined;
  }
}
