/**
 * @herald/bfd — Bidirectional Forwarding Detection (RFC 5880, asynchronous mode; RFC 5881 single hop;
 * RFC 5883 multihop). Two layers:
 *  - a sans-I/O core: the Control packet codec with the §6.8.6 reception checks, the session state machine,
 *    and the session table that demultiplexes received packets (no sockets, no timers, no clock);
 *  - the I/O engine around it (driver/): UDP sockets through the layer the program gives (@herald/native's),
 *    timers, counters, and `BfdService`, which runs the engine in a worker_thread so main-thread pauses cannot
 *    delay a packet.
 * See docs/bfd.md.
 */
export {
  type AddSessionOptions,
  type AddSessionResult,
  type PacketSource,
  type ReceiveResult,
  type SessionKey,
  SessionTable,
  SINGLE_HOP_TTL,
} from './demux/session-table.ts';
export {
  type BfdIsolation,
  type BfdLogLine,
  BfdService,
  type BfdServiceEvents,
  type BfdServiceOptions,
  type BfdStateChange,
  DEFAULT_CONTROL_PLANE_TIMEOUT_MS,
  emptySnapshot,
  withTimeout,
} from './driver/client.ts';
export { BfdEngine, type BfdEngineOptions, TRANSMIT_DELAY_BOUNDS_MS } from './driver/engine.ts';
export type {
  BfdCommand,
  BfdEngineSnapshot,
  BfdEvent,
  BfdSessionSnapshot,
  BfdSessionSpec,
  HistogramSnapshot,
  LogLevel,
} from './driver/protocol.ts';
export { MAX_TIMER_DELAY_MS, realScheduler, type Scheduler, type TimerHandle } from './driver/scheduler.ts';
export {
  type BfdTransport,
  type Datagram,
  MULTIHOP_PORT,
  type Receiver,
  type Sender,
  type SenderSpec,
  SINGLE_HOP_PORT,
  SOURCE_PORTS,
  TRAFFIC_CLASS_CS6,
} from './driver/transport.ts';
export {
  type BfdUdpSocket,
  importUdpSocketLayer,
  type UdpSocketLayer,
  udpTransport,
} from './driver/udp-transport.ts';
export type {
  AdminDownDiagnostic,
  SessionAction,
  SessionEvent,
  SessionParameters,
  SessionStatus,
  TimerName,
} from './fsm/events.ts';
export {
  BfdSessionMachine,
  type BfdSessionMachineOptions,
  checkSessionParameters,
  SLOW_TX_INTERVAL,
} from './fsm/session-machine.ts';
export {
  DISCARD_REASONS,
  Diagnostic,
  type Discard,
  type DiscardReason,
  diagnosticName,
  SESSION_STATES,
  type SessionState,
  SessionStateCode,
} from './types.ts';
export {
  BFD_VERSION,
  type ControlPacket,
  type DecodeResult,
  decodeControlPacket,
  encodeControlPacket,
  MANDATORY_SECTION_LENGTH,
} from './wire/control-packet.ts';
