/**
 * @herald/bgp — a BGP-4 speaker library: sans-I/O wire codec and peer machine (connections, §6.8 collision,
 * Adj-RIB-Out with UPDATE packing, damped reconnect), and a thin node:net driver (BgpSession, BgpSpeaker)
 * whose sockets carry each session's TTL, GTSM, TCP-MD5 and device rules (transport.ts) through the socket
 * layer it is given (driver/sockets.ts; the programs pass @herald/native's `bgpSockets`).
 * Knows nothing about Kubernetes. See docs/bgp.md for supported RFCs and behaviour notes. Addresses,
 * prefixes and community text forms are @herald/inet's: import them from there.
 */

export {
  type ConfigIssue,
  DEFAULT_INCOMING_OPEN_HOLD_TIME,
  DEFAULT_MIN_HOLD_TIME,
  DEFAULT_PREFIX_LIMIT_RESTART_TIME,
  DEFAULT_TCP_KEEPALIVE_TIME,
  PeerConfigError,
  type ResolvedPeerConfig,
  type ResolveResult,
  resolvePeerConfig,
  validateRoute,
} from './config.ts';
export {
  CONNECT_FAILURE_KINDS,
  ConnectError,
  type ConnectFailureKind,
  explainConnectFailure,
} from './driver/connect.ts';
export type { LastError, SessionCounters } from './driver/counters.ts';
export {
  BgpSession,
  type BgpSessionEvents,
  type BgpSessionOptions,
  type ConnectionRefusalCode,
  type PrefixLimitEvent,
  type RoutesReceivedEvent,
  type StopOptions,
} from './driver/session.ts';
export {
  type BgpSockets,
  NO_SOCKET_LAYER,
  type SocketConnectOptions,
  type SocketListener,
  type SocketListenOptions,
  type SocketSupport,
} from './driver/sockets.ts';
export {
  BgpSpeaker,
  type BgpSpeakerEvents,
  type BgpSpeakerOptions,
  type ConnectionRejected,
  type RejectionReason,
} from './driver/speaker.ts';
export type { BgpTransport, TransportHandlers } from './driver/transport.ts';
export {
  BgpError,
  CEASE_SUBCODE_BY_NAME,
  CeaseSubcode,
  type CeaseSubcodeName,
  type Decoded,
  ErrorCode,
  errorCodeName,
  errorSubcodeName,
  FsmSubcode,
  HeaderSubcode,
  OpenSubcode,
  RouteRefreshSubcode,
  UpdateSubcode,
} from './errors.ts';
export type { RefusalCode } from './fsm/collision.ts';
export type {
  ConnectionId,
  Direction,
  NegotiatedSession,
  PeerAction,
  PeerEvent,
  PeerEventBody,
  StopNotification,
  TimerName,
  TransportInfo,
} from './fsm/events.ts';
export { PeerMachine, type PeerMachineOptions, type PeerStats } from './fsm/peer-machine.ts';
export { AdjRibIn, type PrefixLimit, type PrefixLimitAction } from './rib/adj-rib-in.ts';
export { AdjRibOut } from './rib/adj-rib-out.ts';
export { ReceivedRouteTable } from './rib/received-route-table.ts';
export {
  GTSM_TTL,
  needsNativeSockets,
  summarizeTransport,
  TcpMd5Key,
  type TransportPolicy,
  type TransportSummary,
  transportPolicy,
} from './transport.ts';
export type {
  Afi,
  AsPathSegment,
  Clock,
  GracefulRestartConfig,
  Logger,
  MaxPrefixesConfig,
  Origin,
  PeerConfig,
  Prefix,
  ReceivedAttributes,
  ReceivedRoute,
  ReceivedRoutes,
  ReconnectBackoffConfig,
  RouteAttributes,
  SessionState,
} from './types.ts';
export type {
  BgpMessage,
  Capabilities,
  CodecContext,
  GracefulRestartCapability,
  KeepaliveMessage,
  MessageTypeName,
  NotificationMessage,
  OpenMessage,
  RouteRefreshMessage,
  UpdateMessage,
} from './wire/messages.ts';
export { AS_TRANS, EXTENDED_MAX_MESSAGE_SIZE, MAX_MESSAGE_SIZE, MessageType } from './wire/messages.ts';
export type { NotificationInfo } from './wire/notification.ts';
