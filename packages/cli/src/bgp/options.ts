// `heraldctl bgp announce` arguments → a validated plan (peer config, listener, routes). Pure: the caller
// passes file contents in, so every rule is unit-tested without a socket. The first problem is reported as
// `--option: reason`, because the operator fixes one flag at a time on a command line.
import { isIPv4 } from 'node:net';
import {
  type Afi,
  addressFamily,
  canonicalAddress,
  formatPrefix,
  type PeerConfig,
  type Prefix,
  parseCommunity,
  parseLargeCommunity,
  type RouteAttributes,
  resolvePeerConfig,
  tryParsePrefix,
  validateRoute,
} from '@herald/bgp';

/** Options as commander hands them over (strings; repeatables as arrays). */
export interface RawAnnounceOptions {
  localAsn?: string;
  peerAddress?: string;
  peerAsn?: string;
  peerPort?: string;
  routerId?: string;
  holdTime?: string;
  localAddress?: string;
  passive?: boolean;
  listenAddress?: string;
  listenPort?: string;
  prefix?: string[];
  prefixesFile?: string;
  nextHop?: string[];
  community?: string[];
  largeCommunity?: string[];
  localPref?: string;
  med?: string;
  multihop?: string;
  gracefulRestart?: string | boolean;
  restarting?: boolean;
  /** commander's `--no-extended-messages` sets this to false. */
  extendedMessages?: boolean;
  json?: boolean;
}

export interface AnnouncePlan {
  readonly peer: PeerConfig;
  /** Set in passive mode: where to accept the router's connection. */
  readonly listen: { readonly address: string; readonly port: number } | undefined;
  readonly routes: readonly { readonly prefix: Prefix; readonly attributes: RouteAttributes }[];
  readonly json: boolean;
}

export class UsageError extends Error {
  readonly option: string;
  constructor(option: string, reason: string) {
    super(`${option}: ${reason}`);
    this.name = 'UsageError';
    this.option = option;
  }
}

const DEFAULT_RESTART_TIME = 120;

function integer(option: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) throw new UsageError(option, `'${text}' is not a whole number`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(option, `${n} is out of range ${min}..${max}`);
  return n;
}

/** ASN as plain (`65000`, `4200000000`) or asdot (`1.10` = 65546, RFC 5396). */
export function parseAsn(option: string, text: string): number {
  const asdot = /^(\d+)\.(\d+)$/.exec(text.trim());
  const n = asdot
    ? Number(asdot[1]) * 65536 + Number(asdot[2])
    : /^\d+$/.test(text.trim())
      ? Number(text)
      : NaN;
  if (!Number.isInteger(n)) throw new UsageError(option, `'${text}' is not an AS number`);
  if (asdot && (Number(asdot[1]) > 65535 || Number(asdot[2]) > 65535))
    throw new UsageError(option, `'${text}' is not a valid asdot AS number`);
  if (n < 1 || n > 0xffffffff) throw new UsageError(option, `${n} is out of range 1..4294967295`);
  if (n === 23456) throw new UsageError(option, 'AS_TRANS (23456) is not a real AS number (RFC 6793)');
  return n;
}

function address(option: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const canonical = canonicalAddress(text.trim());
  if (canonical === undefined) throw new UsageError(option, `'${text}' is not an IP address`);
  return canonical;
}

/** Prefix lines: one per line, blank lines and `#` comments ignored; errors name the line. */
export function parsePrefixesFile(path: string, content: string): Prefix[] {
  const prefixes: Prefix[] = [];
  content.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const parsed = tryParsePrefix(line);
    if (!parsed.ok) throw new UsageError('--prefixes-file', `${path}:${i + 1}: ${parsed.reason}`);
    prefixes.push(parsed.prefix);
  });
  return prefixes;
}

/** Library issue paths → the flag an operator typed, so a late validation error still names the option. */
const OPTION_BY_PATH: Readonly<Record<string, string>> = {
  localAsn: '--local-asn',
  peerAsn: '--peer-asn',
  peerAddress: '--peer-address',
  peerPort: '--peer-port',
  localAddress: '--local-address',
  routerId: '--router-id',
  holdTime: '--hold-time',
  ebgpMultihop: '--multihop',
  'gracefulRestart.restartTime': '--graceful-restart',
  nextHop: '--next-hop',
  localPref: '--local-pref',
  med: '--med',
};

function optionFor(path: string): string {
  const key = path.replace(/\[\d+\]$/, '');
  if (key === 'communities') return '--community';
  if (key === 'largeCommunities') return '--large-community';
  return OPTION_BY_PATH[key] ?? `--${key}`;
}

export function parseAnnounceOptions(
  raw: RawAnnounceOptions,
  readFile: (path: string) => string,
): AnnouncePlan {
  if (raw.localAsn === undefined) throw new UsageError('--local-asn', 'is required');
  if (raw.peerAddress === undefined) throw new UsageError('--peer-address', 'is required');
  if (raw.peerAsn === undefined)
    throw new UsageError('--peer-asn', "is required (an AS number, 'external' or 'internal')");
  const localAsn = parseAsn('--local-asn', raw.localAsn);
  const peerAddress = address('--peer-address', raw.peerAddress)!;
  const peerAfi = addressFamily(peerAddress)!;
  const peerAsnText = raw.peerAsn.trim().toLowerCase();
  const peerAsn =
    peerAsnText === 'external' || peerAsnText === 'internal'
      ? peerAsnText
      : parseAsn('--peer-asn', raw.peerAsn);
  const ibgp = peerAsn === 'internal' || peerAsn === localAsn;
  const peerPort = integer('--peer-port', raw.peerPort, 1, 65535);
  if (raw.routerId !== undefined && (!isIPv4(raw.routerId.trim()) || raw.routerId.trim() === '0.0.0.0'))
    throw new UsageError(
      '--router-id',
      `'${raw.routerId}' is not a non-zero dotted-quad IPv4 address (RFC 6286)`,
    );
  const holdTime = integer('--hold-time', raw.holdTime, 0, 65535);
  if (holdTime === 1 || holdTime === 2)
    throw new UsageError(
      '--hold-time',
      `${holdTime} is not allowed: use 0 (no keepalives) or 3..65535 (RFC 4271 §4.2)`,
    );
  const localAddress = address('--local-address', raw.localAddress);
  if (localAddress !== undefined && addressFamily(localAddress) !== peerAfi)
    throw new UsageError(
      '--local-address',
      `${localAddress} is not of the same address family as --peer-address ${peerAddress}`,
    );
  if (!raw.passive && raw.listenAddress !== undefined)
    throw new UsageError('--listen-address', 'requires --passive');
  if (!raw.passive && raw.listenPort !== undefined)
    throw new UsageError('--listen-port', 'requires --passive');
  const listen = raw.passive
    ? {
        address: address('--listen-address', raw.listenAddress) ?? localAddress ?? '::',
        port: integer('--listen-port', raw.listenPort, 0, 65535) ?? 179,
      }
    : undefined;
  const multihop = integer('--multihop', raw.multihop, 1, 255);
  if (multihop !== undefined && ibgp) throw new UsageError('--multihop', 'only applies to eBGP sessions');

  let gracefulRestart: PeerConfig['gracefulRestart'];
  if (raw.gracefulRestart !== undefined && raw.gracefulRestart !== false) {
    const restartTime =
      raw.gracefulRestart === true
        ? DEFAULT_RESTART_TIME
        : integer('--graceful-restart', raw.gracefulRestart, 0, 4095)!;
    gracefulRestart = { restartTime, restarting: raw.restarting === true };
  } else if (raw.restarting) {
    throw new UsageError('--restarting', 'requires --graceful-restart');
  }

  // Routes.
  const prefixes: Prefix[] = [];
  for (const text of raw.prefix ?? []) {
    const parsed = tryParsePrefix(text);
    if (!parsed.ok) throw new UsageError('--prefix', parsed.reason);
    prefixes.push(parsed.prefix);
  }
  if (raw.prefixesFile !== undefined) {
    let content: string;
    try {
      content = readFile(raw.prefixesFile);
    } catch (err) {
      throw new UsageError('--prefixes-file', `cannot read ${raw.prefixesFile}: ${(err as Error).message}`);
    }
    prefixes.push(...parsePrefixesFile(raw.prefixesFile, content));
  }
  const nextHops = new Map<Afi, string>();
  for (const text of raw.nextHop ?? []) {
    const nh = address('--next-hop', text)!;
    const afi = addressFamily(nh)!;
    if (nextHops.has(afi))
      throw new UsageError('--next-hop', `given twice for ${afi} (${nextHops.get(afi)} and ${nh})`);
    nextHops.set(afi, nh);
  }
  if (localAddress !== undefined && !nextHops.has(peerAfi)) nextHops.set(peerAfi, localAddress);
  const communities = raw.community ?? [];
  for (const c of communities) {
    if (parseCommunity(c) === undefined)
      throw new UsageError('--community', `'${c}' is not 'asn:value' (each 0..65535) or a well-known name`);
  }
  const largeCommunities = raw.largeCommunity ?? [];
  for (const c of largeCommunities) {
    if (parseLargeCommunity(c) === undefined)
      throw new UsageError('--large-community', `'${c}' is not 'global:local1:local2' (each 0..4294967295)`);
  }
  const localPref = integer('--local-pref', raw.localPref, 0, 0xffffffff);
  if (localPref !== undefined && !ibgp)
    throw new UsageError(
      '--local-pref',
      "LOCAL_PREF is only sent to iBGP peers (--peer-asn equal to --local-asn, or 'internal'); RFC 4271 §5.1.5",
    );
  const med = integer('--med', raw.med, 0, 0xffffffff);

  const seen = new Set<string>();
  const routes: { prefix: Prefix; attributes: RouteAttributes }[] = [];
  for (const prefix of prefixes) {
    const key = formatPrefix(prefix);
    if (seen.has(key)) continue; // the same prefix twice is one route
    seen.add(key);
    const nextHop = nextHops.get(prefix.afi);
    if (nextHop === undefined)
      throw new UsageError(
        '--next-hop',
        `no ${prefix.afi} next hop for ${key}: give --next-hop <${prefix.afi} address>` +
          (prefix.afi === peerAfi ? ' or --local-address' : ''),
      );
    const attributes: RouteAttributes = {
      nextHop,
      ...(communities.length > 0 ? { communities } : {}),
      ...(largeCommunities.length > 0 ? { largeCommunities } : {}),
      ...(localPref !== undefined ? { localPref } : {}),
      ...(med !== undefined ? { med } : {}),
    };
    const issues = validateRoute(prefix, attributes);
    const first = issues[0];
    if (first) throw new UsageError(optionFor(first.path), `${key}: ${first.reason}`);
    routes.push({ prefix, attributes });
  }

  const families = [...new Set<Afi>(routes.length > 0 ? routes.map((r) => r.prefix.afi) : [peerAfi])].sort();
  const peer: PeerConfig = {
    localAsn,
    peerAsn,
    peerAddress,
    ...(peerPort !== undefined ? { peerPort } : {}),
    ...(localAddress !== undefined ? { localAddress } : {}),
    ...(raw.routerId !== undefined ? { routerId: raw.routerId.trim() } : {}),
    ...(holdTime !== undefined ? { holdTime } : {}),
    ...(raw.passive ? { passive: true } : {}),
    ...(multihop !== undefined ? { ebgpMultihop: multihop } : {}),
    ...(gracefulRestart !== undefined ? { gracefulRestart } : {}),
    ...(raw.extendedMessages === false ? { extendedMessages: false } : {}),
    families,
  };
  const resolved = resolvePeerConfig(peer);
  if (!resolved.ok) {
    const first = resolved.issues[0]!;
    throw new UsageError(optionFor(first.path), first.reason);
  }
  return { peer, listen, routes, json: raw.json === true };
}
