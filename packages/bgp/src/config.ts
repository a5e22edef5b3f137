/**
 * PeerConfig validation and defaults. Every problem is reported with its field path so callers (config
 * package, CLI) can show all of them at once; nothing is silently corrected.
 */
import { isIPv4 } from 'node:net';
import { parseCommunity, parseExtendedCommunity, parseLargeCommunity } from './communities.ts';
import { addressFamily, canonicalAddress, isIPv6LinkLocal } from './prefix.ts';
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
  readonly ebgpMultihop: number | undefined;
  readonly families: readonly Afi[];
  readonly gracefulRestart: { readonly restartTime: number; readonly restarting: boolean } | undefined;
  readonly extendedMessages: boolean;
  readonly updateBatchMs: number;
}

export type ResolveResult =
  | { readonly ok: true; readonly config: ResolvedPeerConfig }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

const isUint = (n: unknown, max: number): n is number =>
  typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= max;

export function resolvePeerConfig(cfg: PeerConfig): ResolveResult {
  const issues: ConfigIssue[] = [];
  const issue = (path: string, reason: string) => issues.push({ path, reason });

  if (!isUint(cfg.localAsn, 0xffffffff) || cfg.localAsn === 0)
    issue('localAsn', 'must be an integer 1..4294967295');
  if (cfg.localAsn === 23456) issue('localAsn', 'AS_TRANS (23456) cannot be used as a local ASN (RFC 6793)');
  if (cfg.peerAsn !== 'external' && cfg.peerAsn !== 'internal') {
    if (!isUint(cfg.peerAsn, 0xffffffff) || cfg.peerAsn === 0)
      issue('peerAsn', "must be an integer 1..4294967295, 'external' or 'internal'");
  }
  const peerAddress = canonicalAddress(cfg.peerAddress);
  if (peerAddress === undefined) issue('peerAddress', `'${cfg.peerAddress}' is not an IP address`);
  const peerPort = cfg.peerPort ?? 179;
  if (!isUint(peerPort, 65535) || peerPort === 0) issue('peerPort', 'must be 1..65535');
  let localAddress: string | undefined;
  if (cfg.localAddress !== undefined) {
    localAddress = canonicalAddress(cfg.localAddress);
    if (localAddress === undefined) issue('localAddress', `'${cfg.localAddress}' is not an IP address`);
    else if (peerAddress !== undefined && addressFamily(localAddress) !== addressFamily(peerAddress))
      issue('localAddress', 'must be of the same address family as peerAddress');
  }
  if (cfg.routerId !== undefined && (!isIPv4(cfg.routerId) || cfg.routerId === '0.0.0.0'))
    issue('routerId', 'must be a non-zero dotted-quad IPv4 address (RFC 6286)');
  const holdTime = cfg.holdTime ?? 90;
  if (!isUint(holdTime, 65535) || holdTime === 1 || holdTime === 2)
    issue('holdTime', 'must be 0 or 3..65535 seconds (RFC 4271 §4.2)');
  if (cfg.keepaliveTime !== undefined && (!isUint(cfg.keepaliveTime, 21845) || cfg.keepaliveTime === 0))
    issue('keepaliveTime', 'must be 1..21845 seconds');
  const connectRetryTime = cfg.connectRetryTime ?? 120;
  if (!isUint(connectRetryTime, 65535) || connectRetryTime === 0)
    issue('connectRetryTime', 'must be 1..65535 seconds');
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
  if (cfg.ebgpMultihop !== undefined && (!isUint(cfg.ebgpMultihop, 255) || cfg.ebgpMultihop === 0))
    issue('ebgpMultihop', 'must be a TTL 1..255');
  const defaultFamily: Afi =
    peerAddress !== undefined && addressFamily(peerAddress) === 'ipv6' ? 'ipv6' : 'ipv4';
  const families = [...new Set(cfg.families ?? [defaultFamily])];
  if (families.length === 0) issue('families', 'must list at least one of ipv4, ipv6');
  families.forEach((f, i) => {
    if (f !== 'ipv4' && f !== 'ipv6') issue(`families[${i}]`, `unknown family '${String(f)}'`);
  });
  let gracefulRestart: ResolvedPeerConfig['gracefulRestart'];
  if (cfg.gracefulRestart !== undefined) {
    if (!isUint(cfg.gracefulRestart.restartTime, 4095))
      issue('gracefulRestart.restartTime', 'must be 0..4095 seconds (12-bit field, RFC 4724)');
    gracefulRestart = {
      restartTime: cfg.gracefulRestart.restartTime,
      restarting: cfg.gracefulRestart.restarting ?? false,
    };
  }
  const updateBatchMs = cfg.updateBatchMs ?? 0;
  if (!(updateBatchMs >= 0)) issue('updateBatchMs', 'must be >= 0');
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
      ebgpMultihop: cfg.ebgpMultihop,
      families,
      gracefulRestart,
      extendedMessages: cfg.extendedMessages ?? true,
      updateBatchMs,
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
      issue(`extendedCommunities[${i}]`, `'${c}' is not 'rt:admin:value' or 'ro:admin:value'`);
  });
  return issues;
}
