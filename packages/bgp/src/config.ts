/**
 * PeerConfig validation and defaults. Every problem is reported with its field path so callers (config
 * package, CLI) can show all of them at once; nothing is silently corrected.
 */
import {
  AS_TRANS,
  addressFamily,
  canonicalAddress,
  HOLD_TIME_MAX,
  interfaceNameProblem,
  isAsn,
  isConnectRetryTime,
  isHoldTime,
  isIPv6LinkLocal,
  isPort,
  isRestartTime,
  isTtl,
  type KeepaliveProblem,
  keepaliveProblem,
  parseCommunity,
  parseExtendedCommunity,
  parseLargeCommunity,
  routerIdProblem,
  tcpMd5KeyProblem,
} from '@herald/inet';
import type { PrefixLimitAction } from './rib/adj-rib-in.ts';
import { TcpMd5Key, type TransportPolicy, transportPolicy } from './transport.ts';
import type { Afi, PeerConfig, Prefix, RouteAttributes } from './types.ts';

export interface ConfigIssue {
  readonly path: string;
  readonly reason: string;
}

/** PeerConfig with every default applied; what the FSM and driver consume. */
export interface ResolvedPeerConfig {
  readonly name: string;
  readonly localAsn: number;
  readonly peerAsn: number | 'external' | 'internal';
  readonly peerAddress: string;
  readonly peerPort: number;
  readonly localAddress: string | undefined;
  readonly routerId: string | undefined;
  readonly holdTime: number;
  readonly keepaliveTime: number | undefined;
  readonly connectRetryTime: number;
  readonly backoff: {
    readonly initialMs: number;
    readonly maxMs: number;
    readonly multiplier: number;
    readonly jitter: number;
    readonly stableMs: number;
  };
  readonly passive: boolean;
  /** An external peer: peerAsn 'external' or another AS than ours. */
  readonly ebgp: boolean;
  readonly ebgpMultihop: number | undefined;
  readonly ttlSecurity: boolean;
  readonly bindInterface: string | undefined;
  /** The socket rules: TTL, minimum TTL, TCP-MD5 key, device. */
  readonly transport: TransportPolicy;
  readonly families: readonly Afi[];
  readonly gracefulRestart: { readonly restartTime: number; readonly restarting: boolean } | undefined;
  readonly deferEndOfRib: boolean;
  readonly extendedMessages: boolean;
  readonly updateBatchMs: number;
  /** Lowest hold time accepted from the peer's OPEN (0 accepts a peer that disables keepalives). */
  readonly minHoldTime: number;
  /** Seconds an incoming connection may stay in OpenSent without the peer's OPEN. */
  readonly incomingOpenHoldTime: number;
  /** Idle seconds before TCP keepalive probes start on the session's sockets; 0 = off. */
  readonly tcpKeepaliveTime: number;
  /** RFC 4486 upper bound on received prefixes per family; undefined = no limit. */
  readonly maxPrefixes:
    | { readonly limit: number; readonly action: PrefixLimitAction; readonly restartTime: number }
    | undefined;
}

export type ResolveResult =
  | { readonly ok: true; readonly config: ResolvedPeerConfig }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

const KEEPALIVE_REASON: Readonly<Record<KeepaliveProblem, string>> = {
  'hold-time-zero': 'must be 0 when holdTime is 0 (keepalives are disabled)',
  zero: 'must be at least 1 second when holdTime is not 0',
  'longer-than-hold-time': 'must not be longer than holdTime',
};

/** Refuses a peer's hold time 0 (no keepalives, a dead peer never noticed) unless configured otherwise. */
export const DEFAULT_MIN_HOLD_TIME = 3;
/**
 * RFC 4271 §8.2.2 suggests 240 s while waiting for the OPEN. Routers send theirs as soon as TCP is up; an
 * incoming connection that stays silent is a stuck or spoofed one holding a connection slot, so it gets 15 s.
 */
export const DEFAULT_INCOMING_OPEN_HOLD_TIME = 15;
/** TCP keepalive idle time: only matters when the negotiated hold time is 0 (BGP keepalives are off). */
export const DEFAULT_TCP_KEEPALIVE_TIME = 30;
/** First wait before a session ended by the prefix limit is restarted (doubles while it keeps tripping). */
export const DEFAULT_PREFIX_LIMIT_RESTART_TIME = 60;

const isUint = (n: unknown, max: number): n is number =>
  typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= max;

export function resolvePeerConfig(cfg: PeerConfig): ResolveResult {
  const issues: ConfigIssue[] = [];
  const issue = (path: string, reason: string) => issues.push({ path, reason });

  // The numbers' rules are @herald/inet's (shared with config validation and heraldctl); the wording is ours.
  if (!isAsn(cfg.localAsn)) issue('localAsn', 'must be an integer 1..4294967295');
  else if (cfg.localAsn === AS_TRANS)
    issue('localAsn', 'AS_TRANS (23456) cannot be used as a local ASN (RFC 6793)');
  if (cfg.peerAsn !== 'external' && cfg.peerAsn !== 'internal') {
    if (!isAsn(cfg.peerAsn)) issue('peerAsn', "must be an integer 1..4294967295, 'external' or 'internal'");
    else if (cfg.peerAsn === AS_TRANS)
      issue('peerAsn', "AS_TRANS (23456) is not a real AS number (RFC 6793); use the peer's 4-octet ASN");
  }
  const peerAddress = canonicalAddress(cfg.peerAddress);
  if (peerAddress === undefined) issue('peerAddress', `'${cfg.peerAddress}' is not an IP address`);
  const peerPort = cfg.peerPort ?? 179;
  if (!isPort(peerPort)) issue('peerPort', 'must be 1..65535');
  let localAddress: string | undefined;
  if (cfg.localAddress !== undefined) {
    localAddress = canonicalAddress(cfg.localAddress);
    if (localAddress === undefined) issue('localAddress', `'${cfg.localAddress}' is not an IP address`);
    else if (peerAddress !== undefined && addressFamily(localAddress) !== addressFamily(peerAddress))
      issue('localAddress', 'must be of the same address family as peerAddress');
  }
  if (cfg.routerId !== undefined && routerIdProblem(cfg.routerId) !== undefined)
    issue('routerId', 'must be a non-zero dotted-quad IPv4 address (RFC 6286)');
  const holdTime = cfg.holdTime ?? 90;
  if (!isHoldTime(holdTime)) issue('holdTime', 'must be 0 or 3..65535 seconds (RFC 4271 §4.2)');
  if (cfg.keepaliveTime !== undefined) {
    if (!isUint(cfg.keepaliveTime, HOLD_TIME_MAX)) issue('keepaliveTime', 'must be 0..65535 seconds');
    else if (isHoldTime(holdTime)) {
      const problem = keepaliveProblem(cfg.keepaliveTime, holdTime);
      if (problem !== undefined) issue('keepaliveTime', KEEPALIVE_REASON[problem]);
    }
  }
  const connectRetryTime = cfg.connectRetryTime ?? 120;
  if (!isConnectRetryTime(connectRetryTime)) issue('connectRetryTime', 'must be 1..65535 seconds');
  const b = cfg.reconnectBackoff ?? {};
  const backoff = {
    initialMs: b.initialMs ?? 2000,
    maxMs: b.maxMs ?? connectRetryTime * 1000,
    multiplier: b.multiplier ?? 2,
    jitter: b.jitter ?? 0.25,
    stableMs: b.stableMs ?? 60_000,
  };
  if (!(backoff.initialMs > 0)) issue('reconnectBackoff.initialMs', 'must be > 0');
  if (!(backoff.maxMs >= backoff.initialMs)) issue('reconnectBackoff.maxMs', 'must be >= initialMs');
  if (!(backoff.multiplier >= 1)) issue('reconnectBackoff.multiplier', 'must be >= 1');
  if (!(backoff.jitter >= 0 && backoff.jitter < 1)) issue('reconnectBackoff.jitter', 'must be in [0, 1)');
  if (!(backoff.stableMs >= 0)) issue('reconnectBackoff.stableMs', 'must be >= 0');
  const ebgp =
    cfg.peerAsn === 'external' || (typeof cfg.peerAsn === 'number' && cfg.peerAsn !== cfg.localAsn);
  if (cfg.ebgpMultihop !== undefined) {
    if (!isTtl(cfg.ebgpMultihop)) issue('ebgpMultihop', 'must be a TTL 1..255');
    else if (!ebgp) issue('ebgpMultihop', 'applies to eBGP only (iBGP sessions use the system TTL, 64)');
    else if (cfg.ttlSecurity === true)
      issue(
        'ebgpMultihop',
        'cannot be combined with ttlSecurity: GTSM accepts only a directly connected router (TTL 255)',
      );
  }
  if (cfg.ttlSecurity !== undefined && typeof cfg.ttlSecurity !== 'boolean')
    issue('ttlSecurity', 'must be true or false');
  let md5Key: TcpMd5Key | undefined;
  if (cfg.password !== undefined) {
    md5Key = cfg.password instanceof TcpMd5Key ? cfg.password : new TcpMd5Key(cfg.password);
    const problem = tcpMd5KeyProblem(md5Key.length);
    if (problem !== undefined) issue('password', problem);
  }
  if (cfg.bindInterface !== undefined) {
    const problem = interfaceNameProblem(cfg.bindInterface);
    if (problem !== undefined) issue('bindInterface', problem);
  }
  const defaultFamily: Afi =
    peerAddress !== undefined && addressFamily(peerAddress) === 'ipv6' ? 'ipv6' : 'ipv4';
  const families = [...new Set(cfg.families ?? [defaultFamily])];
  if (families.length === 0) issue('families', 'must list at least one of ipv4, ipv6');
  families.forEach((f, i) => {
    if (f !== 'ipv4' && f !== 'ipv6') issue(`families[${i}]`, `unknown family '${String(f)}'`);
  });
  let gracefulRestart: ResolvedPeerConfig['gracefulRestart'];
  if (cfg.gracefulRestart !== undefined) {
    if (!isRestartTime(cfg.gracefulRestart.restartTime))
      issue('gracefulRestart.restartTime', 'must be 0..4095 seconds (12-bit field, RFC 4724)');
    gracefulRestart = {
      restartTime: cfg.gracefulRestart.restartTime,
      restarting: cfg.gracefulRestart.restarting ?? false,
    };
  }
  const updateBatchMs = cfg.updateBatchMs ?? 0;
  if (!(updateBatchMs >= 0)) issue('updateBatchMs', 'must be >= 0');
  // With our own hold time 0 the session has no hold timer whatever the peer proposes, so nothing to refuse.
  const minHoldTime = cfg.minHoldTime ?? (holdTime === 0 ? 0 : DEFAULT_MIN_HOLD_TIME);
  if (!isHoldTime(minHoldTime)) issue('minHoldTime', 'must be 0 or 3..65535 seconds');
  else if (isHoldTime(holdTime) && holdTime > 0 && minHoldTime > holdTime)
    issue('minHoldTime', `must not be longer than holdTime (${holdTime})`);
  else if (holdTime === 0 && minHoldTime !== 0)
    issue('minHoldTime', 'must be 0 when holdTime is 0 (the session has no hold timer)');
  const incomingOpenHoldTime = cfg.incomingOpenHoldTime ?? DEFAULT_INCOMING_OPEN_HOLD_TIME;
  if (!isUint(incomingOpenHoldTime, HOLD_TIME_MAX) || incomingOpenHoldTime < 1)
    issue('incomingOpenHoldTime', 'must be 1..65535 seconds');
  const tcpKeepaliveTime = cfg.tcpKeepaliveTime ?? DEFAULT_TCP_KEEPALIVE_TIME;
  if (!isUint(tcpKeepaliveTime, HOLD_TIME_MAX)) issue('tcpKeepaliveTime', 'must be 0..65535 seconds');
  let maxPrefixes: ResolvedPeerConfig['maxPrefixes'];
  if (cfg.maxPrefixes !== undefined) {
    const m = cfg.maxPrefixes;
    if (!isUint(m.limit, 0xffffffff) || m.limit < 1)
      issue('maxPrefixes.limit', 'must be 1..4294967295 (the 32-bit upper bound of RFC 4486)');
    const action = m.action ?? 'restart';
    if (action !== 'restart' && action !== 'block')
      issue('maxPrefixes.action', "must be 'restart' or 'block'");
    const restartTime = m.restartTime ?? DEFAULT_PREFIX_LIMIT_RESTART_TIME;
    if (!isUint(restartTime, HOLD_TIME_MAX) || restartTime < 1)
      issue('maxPrefixes.restartTime', 'must be 1..65535 seconds');
    maxPrefixes = { limit: m.limit, action, restartTime };
  }
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    config: {
      name: cfg.name ?? peerAddress!,
      localAsn: cfg.localAsn,
      peerAsn: cfg.peerAsn,
      peerAddress: peerAddress!,
      peerPort,
      localAddress,
      routerId: cfg.routerId,
      holdTime,
      keepaliveTime: cfg.keepaliveTime,
      connectRetryTime,
      backoff,
      passive: cfg.passive ?? false,
      ebgp,
      ebgpMultihop: cfg.ebgpMultihop,
      ttlSecurity: cfg.ttlSecurity ?? false,
      bindInterface: cfg.bindInterface,
      transport: transportPolicy({
        ebgp,
        ebgpMultihop: cfg.ebgpMultihop,
        ttlSecurity: cfg.ttlSecurity ?? false,
        md5Key,
        bindInterface: cfg.bindInterface,
      }),
      families,
      gracefulRestart,
      deferEndOfRib: cfg.deferEndOfRib ?? false,
      extendedMessages: cfg.extendedMessages ?? true,
      updateBatchMs,
      minHoldTime,
      incomingOpenHoldTime,
      tcpKeepaliveTime,
      maxPrefixes,
    },
  };
}

/** Thrown by constructors given an invalid PeerConfig; carries every issue. */
export class PeerConfigError extends Error {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    super(`invalid peer config: ${issues.map((i) => `${i.path}: ${i.reason}`).join('; ')}`);
    this.name = 'PeerConfigError';
    this.issues = issues;
  }
}

/** Validate one route for announcement; an empty list means valid. */
export function validateRoute(prefix: Prefix, attrs: RouteAttributes): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const issue = (path: string, reason: string) => issues.push({ path, reason });
  const nhAfi = addressFamily(attrs.nextHop);
  if (nhAfi === undefined) issue('nextHop', `'${attrs.nextHop}' is not an IP address`);
  else if (nhAfi !== prefix.afi)
    issue('nextHop', `${nhAfi} next hop for an ${prefix.afi} prefix is not supported (no RFC 8950)`);
  if (attrs.nextHopLinkLocal !== undefined) {
    if (prefix.afi !== 'ipv6') issue('nextHopLinkLocal', 'only applies to IPv6 prefixes');
    else if (!isIPv6LinkLocal(attrs.nextHopLinkLocal))
      issue('nextHopLinkLocal', 'must be an fe80::/10 address');
  }
  if (attrs.med !== undefined && !isUint(attrs.med, 0xffffffff)) issue('med', 'must be 0..4294967295');
  if (attrs.localPref !== undefined && !isUint(attrs.localPref, 0xffffffff))
    issue('localPref', 'must be 0..4294967295');
  if (attrs.asPathPrepend !== undefined && !isUint(attrs.asPathPrepend, 32))
    issue('asPathPrepend', 'must be 0..32');
  if (attrs.origin !== undefined && !['igp', 'egp', 'incomplete'].includes(attrs.origin))
    issue('origin', "must be 'igp', 'egp' or 'incomplete'");
  attrs.communities?.forEach((c, i) => {
    if (parseCommunity(c) === undefined)
      issue(`communities[${i}]`, `'${c}' is not 'asn:value' or a well-known name`);
  });
  attrs.largeCommunities?.forEach((c, i) => {
    if (parseLargeCommunity(c) === undefined)
      issue(`largeCommunities[${i}]`, `'${c}' is not 'global:local1:local2'`);
  });
  attrs.extendedCommunities?.forEach((c, i) => {
    if (parseExtendedCommunity(c) === undefined)
      issue(
        `extendedCommunities[${i}]`,
        `'${c}' is not 'rt:admin:value', 'ro:admin:value' or 'lb:asn:bytes-per-second'`,
      );
  });
  return issues;
}
