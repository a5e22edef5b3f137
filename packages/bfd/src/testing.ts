/**
 * Test support shared by the package's unit tests (not exported from index.ts): peer packets, readers for
 * action lists, and a deterministic random source.
 */
import type { SessionAction, SessionEvent, SessionParameters, TimerName } from './fsm/events.ts';
import { BfdSessionMachine, type BfdSessionMachineOptions } from './fsm/session-machine.ts';
import type { ControlPacket } from './wire/control-packet.ts';

export const LOCAL_DISCRIMINATOR = 0xbeef;
export const PEER_DISCRIMINATOR = 0x32a1f0c7;

/** 300 ms × 3, FRR's defaults and a common production setting. */
export const FAST: SessionParameters = {
  desiredMinTxInterval: 300_000,
  requiredMinRxInterval: 300_000,
  detectMult: 3,
};

/** A packet from the peer; by default its first one (Down, slow timers, our discriminator unknown). */
export function peer(over: Partial<ControlPacket> = {}): ControlPacket {
  return {
    diagnostic: 0,
    state: 'Down',
    poll: false,
    final: false,
    controlPlaneIndependent: false,
    demand: false,
    detectMult: 3,
    myDiscriminator: PEER_DISCRIMINATOR,
    yourDiscriminator: 0,
    desiredMinTxInterval: 1_000_000,
    requiredMinRxInterval: 1_000_000,
    requiredMinEchoRxInterval: 0,
    ...over,
  };
}

/** A copy of `b` with byte `i` replaced. */
export function withByte(b: Uint8Array, i: number, v: number): Buffer {
  const c = Buffer.from(b);
  c[i] = v;
  return c;
}

/** The same 24-byte packet with the A bit and an Authentication Section (default Keyed SHA1, Auth Len 28). */
export function withAuthSection(b: Uint8Array, authType = 4): Buffer {
  const c = Buffer.concat([b, Buffer.alloc(28)]);
  c[1] = c[1]! | 0x04;
  c[3] = 24 + 28;
  c[24] = authType;
  c[25] = 28;
  return c;
}

export const sent = (actions: readonly SessionAction[]): ControlPacket[] =>
  actions.flatMap((a) => (a.type === 'send' ? [a.packet] : []));

/** The deadline a timer was last armed for in these actions, if it was. */
export function armedAt(actions: readonly SessionAction[], timer: TimerName): number | undefined {
  let at: number | undefined;
  for (const a of actions) if (a.type === 'armTimer' && a.timer === timer) at = a.at;
  return at;
}

export const cancelled = (actions: readonly SessionAction[], timer: TimerName): boolean =>
  actions.some((a) => a.type === 'cancelTimer' && a.timer === timer);

export const stateChanges = (actions: readonly SessionAction[]) =>
  actions.flatMap((a) => (a.type === 'stateChange' ? [a] : []));

/** A started machine (Active unless told otherwise) at t = 0, with jitter pinned by `random`. */
export function started(over: Partial<BfdSessionMachineOptions> = {}, random: () => number = () => 0) {
  const m = new BfdSessionMachine({
    localDiscriminator: LOCAL_DISCRIMINATOR,
    parameters: FAST,
    random,
    ...over,
  });
  const first = m.handle({ type: 'start', now: 0 });
  return { m, first };
}

/**
 * Drive a started machine to `target` with a well-behaved peer (the three-way handshake of §6.2), at time
 * `now`; returns the actions of all steps, in order.
 */
export function handshake(m: BfdSessionMachine, now: number, target: 'Init' | 'Up' = 'Up'): SessionAction[] {
  const actions = m.handle({ type: 'packetReceived', packet: peer(), now });
  if (target === 'Init') return actions;
  return [
    ...actions,
    ...m.handle({
      type: 'packetReceived',
      packet: peer({ state: 'Init', yourDiscriminator: m.localDiscriminator }),
      now,
    }),
  ];
}

/**
 * A minimal stand-in for the I/O driver: feeds events to one machine and keeps what a driver would — the
 * armed deadlines, the packets sent (with their send time), the state changes.
 */
export class Harness {
  readonly m: BfdSessionMachine;
  readonly timers = new Map<TimerName, number>();
  readonly sentLog: { at: number; packet: ControlPacket }[] = [];
  readonly changes: Extract<SessionAction, { type: 'stateChange' }>[] = [];
  now = 0;

  constructor(m: BfdSessionMachine) {
    this.m = m;
  }

  /** Apply one event at `now` and record its actions; returns them. */
  event(e: SessionEvent): SessionAction[] {
    this.now = e.now;
    const actions = this.m.handle(e);
    for (const a of actions) {
      if (a.type === 'armTimer') this.timers.set(a.timer, a.at);
      else if (a.type === 'cancelTimer') this.timers.delete(a.timer);
      else if (a.type === 'send') this.sentLog.push({ at: e.now, packet: a.packet });
      else if (a.type === 'stateChange') this.changes.push(a);
    }
    return actions;
  }

  receive(packet: ControlPacket, now = this.now): SessionAction[] {
    return this.event({ type: 'packetReceived', packet, now });
  }

  /** Fire a timer at its deadline (the driver's setTimeout callback). */
  fire(timer: TimerName): SessionAction[] {
    const at = this.timers.get(timer);
    if (at === undefined) throw new Error(`${timer} is not armed`);
    this.timers.delete(timer);
    return this.event({ type: 'timerExpired', timer, now: at });
  }

  get lastSent(): ControlPacket | undefined {
    return this.sentLog.at(-1)?.packet;
  }
}
