/**
 * @herald/bgp — a BGP-4 speaker library: sans-I/O wire codec and session FSM, Adj-RIB-Out with UPDATE
 * packing, and a thin node:net driver (BgpSession, BgpSpeaker). Knows nothing about Kubernetes.
 * See docs/bgp.md for supported RFCs and behaviour notes.
 */

export {
  formatCommunity,
  formatExtendedCommunity,
  formatLargeCommunity,
  parseCommunity,
  parseExtendedCommunity,
  parseLargeCommunity,
  WELL_KNOWN_COMMUNITIES,
} from './communities.ts';
export {
  type ConfigIssue,
  PeerConfigError,
  type ResolvedPeerConfig,
  type ResolveResult,
  resolvePeerConfig,
  validateRoute,
} from './config.ts';
export type { LastError, SessionCounters } from './driver/counters.ts';
export {
  BgpSession,
  type BgpSessionEvents,
  type BgpSessionOptions,
  type RoutesReceivedEvent,
  type StopOptions,
} from './driver/session.ts';
export { BgpSpeaker, type BgpSpeakerEvents, type BgpSpeakerOptions } from './driver/speaker.ts';
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
export type {
  MessageTypeName,
  NegotiatedSession,
  NotificationInfo,
  SessionAction,
  SessionEvent,
  TimerName,
  TransportInfo,
} from './fsm/events.ts';
export { SessionMachine, type SessionMachineOptions } from './fsm/session-machine.ts';
export {
  addressFamily,
  canonicalAddress,
  formatPrefix,
  InvalidPrefixError,
  parsePrefix,
  tryParsePrefix,
} from './prefix.ts';
export { AdjRibOut } from './rib/adj-rib-out.ts';
export type {
  Afi,
  AsPathSegment,
  Clock,
  GracefulRestartConfig,
  Logger,
  Origin,
  PeerConfig,
  Prefix,
  ReceivedAttributes,
  ReceivedRoute,
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
  NotificationMessage,
  OpenMessage,
  RouteRefreshMessage,
  UpdateMessage,
} from './wire/messages.ts';
export { AS_TRANS, EXTENDED_MAX_MESSAGE_SIZE, MAX_MESSAGE_SIZE, MessageType } from './wire/messages.ts';
