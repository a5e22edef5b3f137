// `heraldctl bgp announce` arguments → a validated plan (peer config, listener, routes). Pure: the caller
// passes file contents in, so every rule is unit-tested without a socket. The first problem is reported as
// `--option: reason`, because the operator fixes one flag at a time on a command line.
import { type PeerConfig, type RouteAttributes, resolvePeerConfig, validateRoute } from '@herald/bgp';
import {
  AS_TRANS,
  ASN_MAX,
  addressFamily,
  BFD_DEFAULTS,
  BFD_INTERVAL_MAX_MS,
  BFD_INTERVAL_MIN_MS,
  BFD_MULTIPLIER_MAX,
  canonicalAddress,
  type Family,
  formatPrefix,
  HOLD_TIME_MAX,
  interfaceNameProblem,
  isHoldTime,
  isMultihopBfd,
  type Prefix,
  parseCommunity,
  parseExtendedCommunity,
  parseLargeCommunity,
  RESTART_TIME_MAX,
  routerIdProblem,
  tcpMd5KeyProblem,
  tryParsePrefix,
} from '@herald/inet';

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
  extendedCommunity?: string[];
  localPref?: string;
  med?: string;
  ebgpMultihop?: string;
  /** The older spelling of --ebgp-multihop, still accepted. */
  multihop?: string;
  passwordFile?: string;
  ttlSecurity?: boolean;
  bindInterface?: string;
  gracefulRestart?: string | boolean;
  restarting?: boolean;
  /** commander's `--no-extended-messages` sets this to false. */
  extendedMessages?: boolean;
  bfd?: boolean;
  bfdMinReceive?: string;
  bfdMinTransmit?: string;
  bfdMultiplier?: string;
  json?: boolean;
}

/** A BFD session beside the BGP session (`--bfd`): single hop unless `--ebgp-multihop` is above 1; intervals in ms. */
export interface AnnounceBfd {
  readonly multihop: boolean;
  /** Our address on the session: --local-address (required for multihop). */
  readonly localAddress: string | undefined;
  readonly minReceiveMs: number;
  readonly minTransmitMs: number;
  readonly multiplier: number;
}

export interface AnnouncePlan {
  readonly peer: PeerConfig;
  /** Set in passive mode: where to accept the router's connection. */
  readonly listen: { readonly address: string; readonly port: number } | undefined;
  readonly routes: readonly { readonly prefix: Prefix; readonly attributes: RouteAttributes }[];
  readonly bfd: AnnounceBfd | undefined;
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
  if (n < 1 || n > ASN_MAX) throw new UsageError(option, `${n} is out of range 1..${ASN_MAX}`);
  if (n === AS_TRANS)
    throw new UsageError(option, `AS_TRANS (${AS_TRANS}) is not a real AS number (RFC 6793)`);
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

/**
 * The TCP-MD5 password in a file: its bytes, less one line ending at the end (a file written by an editor or
 * `echo` ends with one, a router's `password` never does). Routers take the password as text; so do we.
 */
export function readPassword(path: string, readFile: (path: string) => string): Buffer {
  let content: string;
  try {
    content = readFile(path);
  } catch (err) {
    throw new UsageError('--password-file', `cannot read ${path}: ${(err as Error).message}`);
  }
  const bytes = Buffer.from(content.replace(/\r?\n$/, ''), 'utf8');
  const problem = tcpMd5KeyProblem(bytes.length);
  if (problem !== undefined) throw new UsageError('--password-file', `the password in ${path} ${problem}`);
  return bytes;
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
  ebgpMultihop: '--ebgp-multihop',
  ttlSecurity: '--ttl-security',
  password: '--password-file',
  bindInterface: '--bind-interface',
  'gracefulRestart.restartTime': '--graceful-restart',
  nextHop: '--next-hop',
  localPref: '--local-pref',
  med: '--med',
};

export function optionFor(path: string): string {
  const key = path.replace(/\[\d+\]$/, '');
  if (key === 'communities') return '--community';
  if (key === 'largeCommunities') return '--large-community';
  if (key === 'extendedCommunities') return '--extended-community';
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
  if (raw.routerId !== undefined && routerIdProblem(raw.routerId.trim()) !== undefined)
    throw new UsageError(
      '--router-id',
      `'${raw.routerId}' is not a non-zero dotted-quad IPv4 address (RFC 6286)`,
    );
  const holdTime = integer('--hold-time', raw.holdTime, 0, HOLD_TIME_MAX);
  if (holdTime !== undefined && !isHoldTime(holdTime))
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
  if (raw.ebgpMultihop !== undefined && raw.multihop !== undefined)
    throw new UsageError('--multihop', 'is the older spelling of --ebgp-multihop: give one of them');
  const multihopOption = raw.multihop !== undefined ? '--multihop' : '--ebgp-multihop';
  const multihop = integer(multihopOption, raw.ebgpMultihop ?? raw.multihop, 1, 255);
  if (multihop !== undefined && ibgp)
    throw new UsageError(multihopOption, 'only applies to eBGP sessions (iBGP uses the system TTL, 64)');
  if (multihop !== undefined && raw.ttlSecurity)
    throw new UsageError(
      multihopOption,
      'cannot be combined with --ttl-security: GTSM accepts only a directly connected router (TTL 255)',
    );
  const password = raw.passwordFile === undefined ? undefined : readPassword(raw.passwordFile, readFile);
  if (raw.bindInterface !== undefined) {
    const problem = interfaceNameProblem(raw.bindInterface);
    if (problem !== undefined) throw new UsageError('--bind-interface', `'${raw.bindInterface}' ${problem}`);
  }

  let gracefulRestart: PeerConfig['gracefulRestart'];
  if (raw.gracefulRestart !== undefined && raw.gracefulRestart !== false) {
    const restartTime =
      raw.gracefulRestart === true
        ? DEFAULT_RESTART_TIME
        : integer('--graceful-restart', raw.gracefulRestart, 0, RESTART_TIME_MAX)!;
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
  const nextHops = new Map<Family, string>();
  for (const text of raw.nextHop ?? []) {
    const nh = address('--next-hop', text)!;
    const afi = addressFamily(nh)!;
    if (nextHops.has(afi))
      throw new UsageError('--next-hop', `given twice for ${afi} (${nextHops.get(afi)} and ${nh})`);
    nextHops.set(afi, nh);
  }
  if (localAddress !== undefined && !nextHops.has(peerAfi)) nextHops.set(peerAfi, localAddress);
  // The parsers are strict; a command line forgives blanks and the case of names (`--community NO-EXPORT`).
  const communities = (raw.community ?? []).map((c) => {
    const text = c.trim().toLowerCase();
    if (parseCommunity(text) === undefined)
      throw new UsageError('--community', `'${c}' is not 'asn:value' (each 0..65535) or a well-known name`);
    return text;
  });
  const largeCommunities = (raw.largeCommunity ?? []).map((c) => {
    const text = c.trim();
    if (parseLargeCommunity(text) === undefined)
      throw new UsageError('--large-community', `'${c}' is not 'global:local1:local2' (each 0..4294967295)`);
    return text;
  });
  const extendedCommunities = (raw.extendedCommunity ?? []).map((c) => {
    const text = c.trim().toLowerCase();
    if (parseExtendedCommunity(text) === undefined)
      throw new UsageError(
        '--extended-community',
        `'${c}' is not 'rt:admin:value', 'ro:admin:value' or 'lb:asn:bytes-per-second'`,
      );
    return text;
  });
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
      ...(extendedCommunities.length > 0 ? { extendedCommunities } : {}),
      ...(localPref !== undefined ? { localPref } : {}),
      ...(med !== undefined ? { med } : {}),
    };
    const issues = validateRoute(prefix, attributes);
    const first = issues[0];
    if (first) throw new UsageError(optionFor(first.path), `${key}: ${first.reason}`);
    routes.push({ prefix, attributes });
  }

  const families = [
    ...new Set<Family>(routes.length > 0 ? routes.map((r) => r.prefix.afi) : [peerAfi]),
  ].sort();
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
    ...(raw.ttlSecurity ? { ttlSecurity: true } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(raw.bindInterface !== undefined ? { bindInterface: raw.bindInterface } : {}),
    ...(gracefulRestart !== undefined ? { gracefulRestart } : {}),
    ...(raw.extendedMessages === false ? { extendedMessages: false } : {}),
    families,
  };
  const resolved = resolvePeerConfig(peer);
  if (!resolved.ok) {
    const first = resolved.issues[0]!;
    throw new UsageError(optionFor(first.path), first.reason);
  }
  return { peer, listen, routes, bfd: parseBfd(raw, localAddress, multihop), json: raw.json === true };
}

function parseBfd(
  raw: RawAnnounceOptions,
  localAddress: string | undefined,
  ebgpMultihop: number | undefined,
): AnnounceBfd | undefined {
  const timers = [
    ['--bfd-min-receive', raw.bfdMinReceive],
    ['--bfd-min-transmit', raw.bfdMinTransmit],
    ['--bfd-multiplier', raw.bfdMultiplier],
  ] as const;
  if (!raw.bfd) {
    const given = timers.find(([, v]) => v !== undefined);
    if (given) throw new UsageError(given[0], 'requires --bfd');
    return undefined;
  }
  const multihop = isMultihopBfd(ebgpMultihop);
  if (multihop && localAddress === undefined)
    throw new UsageError(
      '--bfd',
      'multihop BFD (--ebgp-multihop above 1) needs --local-address (RFC 5883 §3)',
    );
  const interval = (option: string, text: string | undefined, dflt: number) =>
    integer(option, text, BFD_INTERVAL_MIN_MS, BFD_INTERVAL_MAX_MS) ?? dflt;
  return {
    multihop,
    localAddress,
    minReceiveMs: interval('--bfd-min-receive', raw.bfdMinReceive, BFD_DEFAULTS.minReceiveMs),
    minTransmitMs: interval('--bfd-min-transmit', raw.bfdMinTransmit, BFD_DEFAULTS.minTransmitMs),
    multiplier:
      integer('--bfd-multiplier', raw.bfdMultiplier, 1, BFD_MULTIPLIER_MAX) ?? BFD_DEFAULTS.multiplier,
  };
}
