// Validation = shape (schema walk, shape.ts) + the rules that span fields, then the typed config is built
// with every default applied, here and only here. All problems are collected; nothing throws on any input.
import {
  formatLargeCommunity,
  parseLargeCommunity,
  parseStandardCommunity,
  wellKnownCommunities,
} from './community.ts';
import { defaults } from './constants.ts';
import { parseDuration } from './duration.ts';
import {
  type AddressRange,
  canonicalIp,
  familyBits,
  type IpFamily,
  parseAddressRange,
  parseIp,
} from './ip.ts';
import { formatPath, type Issue, type Path } from './path.ts';
import { jsonSchema } from './schema.ts';
import { type LabelSelector, labelKeyProblem, labelValueProblem, type SelectorOperator } from './selector.ts';
import { checkShape, isObject, type JsonObject, suggestion, typeName } from './shape.ts';
import type {
  AddressPool,
  BgpAdvertisement,
  BgpPeer,
  CommunityValue,
  ConfigError,
  ConfigResult,
  HeraldConfig,
  LargeCommunity,
  ServiceAllocation,
} from './types.ts';

const AS_TRANS = 23456;
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

// Readers that treat a wrong type as absent: the shape pass has already reported it.
const field = (o: unknown, k: string): unknown => (isObject(o) ? o[k] : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const int = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) ? v : undefined;
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
const list = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);
const objects = (v: unknown): readonly unknown[] => list(v);

export interface ValidationOutcome {
  readonly errors: readonly Issue[];
  readonly warnings: readonly Issue[];
  readonly config: HeraldConfig | undefined;
}

interface Ctx {
  readonly errors: Issue[];
  readonly warnings: Issue[];
}

const err = (ctx: Ctx, path: Path, message: string): void => {
  ctx.errors.push({ path, message });
};
const warn = (ctx: Ctx, path: Path, message: string): void => {
  ctx.warnings.push({ path, message });
};

function checkDuplicateNames(ctx: Ctx, items: readonly unknown[], section: string, what: string): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const n = str(field(item, 'name'));
    if (n === undefined) return;
    const first = seen.get(n);
    if (first !== undefined)
      err(ctx, [section, i, 'name'], `duplicate ${what} name "${n}" (also ${section}[${first}])`);
    else seen.set(n, i);
  });
}

// ---- selectors ----

function checkSelector(ctx: Ctx, sel: unknown, path: Path): void {
  const ml = field(sel, 'matchLabels');
  if (isObject(ml)) {
    for (const [k, v] of Object.entries(ml)) {
      const kp = labelKeyProblem(k);
      if (kp !== undefined) err(ctx, [...path, 'matchLabels', k], kp);
      if (typeof v === 'string') {
        const vp = labelValueProblem(v);
        if (vp !== undefined) err(ctx, [...path, 'matchLabels', k], vp);
      }
    }
  }
  objects(field(sel, 'matchExpressions')).forEach((expr, i) => {
    const p = [...path, 'matchExpressions', i];
    const key = str(field(expr, 'key'));
    if (key !== undefined) {
      const kp = labelKeyProblem(key);
      if (kp !== undefined) err(ctx, [...p, 'key'], kp);
    }
    const op = str(field(expr, 'operator'));
    const rawValues = field(expr, 'values');
    const values = list(rawValues);
    if (op === 'In' || op === 'NotIn') {
      if (values.length === 0) err(ctx, [...p, 'values'], `operator ${op} needs at least one value`);
    } else if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0) {
      err(ctx, [...p, 'values'], `operator ${op} takes no values`);
    }
    values.forEach((v, j) => {
      if (typeof v !== 'string') return;
      const vp = labelValueProblem(v);
      if (vp !== undefined) err(ctx, [...p, 'values', j], vp);
    });
  });
}

function checkSelectorList(ctx: Ctx, v: unknown, path: Path): void {
  objects(v).forEach((s, i) => {
    checkSelector(ctx, s, [...path, i]);
  });
}

function buildSelector(raw: unknown): LabelSelector {
  const ml = field(raw, 'matchLabels');
  return {
    matchLabels: isObject(ml) ? (Object.fromEntries(Object.entries(ml)) as Record<string, string>) : {},
    matchExpressions: objects(field(raw, 'matchExpressions')).map((e) => ({
      key: str(field(e, 'key'))!,
      operator: str(field(e, 'operator')) as SelectorOperator,
      values: list(field(e, 'values')) as string[],
    })),
  };
}

const buildSelectors = (v: unknown): LabelSelector[] => objects(v).map(buildSelector);

// ---- pools ----

interface ParsedEntry {
  readonly pool: number;
  readonly entry: number;
  readonly poolName: string;
  readonly range: AddressRange;
}

function checkPools(ctx: Ctx, pools: readonly unknown[]): Map<number, AddressRange[]> {
  checkDuplicateNames(ctx, pools, 'addressPools', 'pool');
  const parsed = new Map<number, AddressRange[]>();
  const all: ParsedEntry[] = [];
  pools.forEach((pool, i) => {
    const ranges: AddressRange[] = [];
    const poolName = str(field(pool, 'name')) ?? `#${i}`;
    list(field(pool, 'addresses')).forEach((a, k) => {
      if (typeof a !== 'string') return;
      const r = parseAddressRange(a);
      if (!r.ok) {
        err(ctx, ['addressPools', i, 'addresses', k], r.reason);
        return;
      }
      ranges.push(r.range);
      all.push({ pool: i, entry: k, poolName, range: r.range });
    });
    parsed.set(i, ranges);
    const sa = field(pool, 'serviceAllocation');
    if (isObject(sa)) {
      list(sa.namespaces).forEach((ns, k) => {
        if (typeof ns === 'string' && !NAME.test(ns))
          err(
            ctx,
            ['addressPools', i, 'serviceAllocation', 'namespaces', k],
            `"${ns}" is not a valid namespace name`,
          );
      });
      checkSelectorList(ctx, sa.namespaceSelectors, [
        'addressPools',
        i,
        'serviceAllocation',
        'namespaceSelectors',
      ]);
      checkSelectorList(ctx, sa.serviceSelectors, [
        'addressPools',
        i,
        'serviceAllocation',
        'serviceSelectors',
      ]);
    }
  });
  checkOverlaps(ctx, all);
  return parsed;
}

/**
 * Pools must not overlap (each address belongs to exactly one pool, so "which pool is this IP from" has one
 * answer), and entries within one pool must not overlap either. Sort + sweep: O(n log n) for any size.
 */
function checkOverlaps(ctx: Ctx, all: readonly ParsedEntry[]): void {
  const order = (e: ParsedEntry): number => e.pool * 1e6 + e.entry;
  const sorted = [...all].sort((a, b) =>
    a.range.family !== b.range.family
      ? a.range.family < b.range.family
        ? -1
        : 1
      : a.range.start < b.range.start
        ? -1
        : a.range.start > b.range.start
          ? 1
          : order(a) - order(b),
  );
  let widest: ParsedEntry | undefined;
  for (const cur of sorted) {
    if (
      widest !== undefined &&
      widest.range.family === cur.range.family &&
      cur.range.start <= widest.range.end
    ) {
      // Report on the entry written later, naming the earlier one.
      const [later, earlier] = order(cur) > order(widest) ? [cur, widest] : [widest, cur];
      const where =
        later.pool === earlier.pool
          ? `addressPools[${earlier.pool}].addresses[${earlier.entry}] in the same pool`
          : `addressPools[${earlier.pool}].addresses[${earlier.entry}] of pool "${earlier.poolName}"`;
      err(
        ctx,
        ['addressPools', later.pool, 'addresses', later.entry],
        `"${later.range.text}" overlaps "${earlier.range.text}" (${where})`,
      );
    }
    if (widest === undefined || widest.range.family !== cur.range.family || cur.range.end > widest.range.end)
      widest = cur;
  }
}

// ---- peers ----

interface PeerFacts {
  readonly name: string;
  readonly internal: boolean | undefined;
}

function checkAsn(ctx: Ctx, v: unknown, path: Path): void {
  const n = int(v);
  if (n === undefined) return;
  if (n === AS_TRANS)
    err(ctx, path, 'AS 23456 is AS_TRANS (RFC 6793), a placeholder for 4-octet ASNs; it cannot be a real AS');
  else if (n === 65535 || n === 4294967295)
    warn(ctx, path, `AS ${n} is reserved (RFC 7300) and should not be used`);
}

function duration(v: unknown): number | undefined {
  const s = str(v);
  if (s === undefined) return undefined;
  const d = parseDuration(s);
  return d.ok ? d.seconds : undefined; // format errors come from the schema pattern
}

function checkPeers(ctx: Ctx, peers: readonly unknown[]): PeerFacts[] {
  checkDuplicateNames(ctx, peers, 'peers', 'peer');
  const facts: PeerFacts[] = [];
  const sessions = new Map<string, number>();
  peers.forEach((peer, i) => {
    const p: Path = ['peers', i];
    const peerASN = int(field(peer, 'peerASN'));
    const myASN = int(field(peer, 'myASN'));
    checkAsn(ctx, field(peer, 'peerASN'), [...p, 'peerASN']);
    checkAsn(ctx, field(peer, 'myASN'), [...p, 'myASN']);
    const internal = peerASN !== undefined && myASN !== undefined ? peerASN === myASN : undefined;
    const name = str(field(peer, 'name'));
    if (name !== undefined) facts.push({ name, internal });

    const addrText = str(field(peer, 'peerAddress'));
    const addr = addrText === undefined ? undefined : parseIp(addrText);
    if (addrText !== undefined && addr === undefined)
      err(ctx, [...p, 'peerAddress'], `"${addrText}" is not an IP address`);
    else if (addr !== undefined && addr.value === 0n)
      err(ctx, [...p, 'peerAddress'], `"${addrText}" is the unspecified address`);
    const srcText = str(field(peer, 'sourceAddress'));
    if (srcText !== undefined) {
      const src = parseIp(srcText);
      if (src === undefined) err(ctx, [...p, 'sourceAddress'], `"${srcText}" is not an IP address`);
      else if (addr !== undefined && src.family !== addr.family)
        err(
          ctx,
          [...p, 'sourceAddress'],
          `"${srcText}" is ${src.family} but peerAddress "${addrText}" is ${addr.family}; they must be the same family`,
        );
    }
    const rid = str(field(peer, 'routerID'));
    if (rid !== undefined) {
      const ip = parseIp(rid);
      if (ip === undefined || ip.family !== 'IPv4')
        err(
          ctx,
          [...p, 'routerID'],
          `"${rid}" is not a dotted-quad IPv4 address (a BGP Identifier is 4 octets, RFC 6286)`,
        );
      else if (ip.value === 0n) err(ctx, [...p, 'routerID'], 'the BGP Identifier must not be 0.0.0.0');
    }

    const hold = duration(field(peer, 'holdTime'));
    if (hold !== undefined && (hold === 1 || hold === 2))
      err(
        ctx,
        [...p, 'holdTime'],
        `${hold}s is not allowed: hold time must be 0s (disabled) or at least 3s (RFC 4271 §4.2)`,
      );
    else if (hold !== undefined && hold > 65535)
      err(ctx, [...p, 'holdTime'], `${hold}s exceeds 65535s (16-bit field)`);
    const keepalive = duration(field(peer, 'keepaliveTime'));
    const effectiveHold = hold ?? (parseDuration(defaults.holdTime) as { seconds: number }).seconds;
    if (keepalive !== undefined && (hold === undefined || !(hold === 1 || hold === 2 || hold > 65535))) {
      if (effectiveHold === 0 && keepalive !== 0)
        err(
          ctx,
          [...p, 'keepaliveTime'],
          'must be 0s or omitted when holdTime is 0s (keepalives are disabled)',
        );
      else if (effectiveHold !== 0 && keepalive === 0)
        err(ctx, [...p, 'keepaliveTime'], 'must be at least 1s when holdTime is not 0s');
      else if (keepalive > effectiveHold)
        err(
          ctx,
          [...p, 'keepaliveTime'],
          `${keepalive}s is longer than holdTime ${effectiveHold}s; it must be at most the hold time`,
        );
    }
    const connect = duration(field(peer, 'connectTime'));
    if (connect !== undefined && (connect < 1 || connect > 65535))
      err(ctx, [...p, 'connectTime'], `${connect}s is out of range: must be 1s..65535s`);
    const gr = field(peer, 'gracefulRestart');
    const restart = duration(field(gr, 'restartTime'));
    if (restart !== undefined && restart > 4095)
      err(
        ctx,
        [...p, 'gracefulRestart', 'restartTime'],
        `${restart}s exceeds 4095s (12-bit Restart Time, RFC 4724)`,
      );

    if (
      field(peer, 'ebgpMultihop') !== undefined &&
      field(peer, 'ebgpMultihop') !== null &&
      internal === true
    )
      err(
        ctx,
        [...p, 'ebgpMultihop'],
        `applies to eBGP only; this peer is iBGP (peerASN = myASN = ${peerASN}), whose sessions may span hops already`,
      );

    const password = field(peer, 'password');
    const secretRef = field(peer, 'passwordSecretRef');
    const md5 =
      "TCP MD5 authentication (RFC 2385) is not supported yet: Herald's BGP runs over node:net, which cannot set TCP_MD5SIG; remove it, and protect the session with GTSM, ACLs or a dedicated link instead";
    if (password !== undefined && password !== null) err(ctx, [...p, 'password'], md5);
    if (secretRef !== undefined && secretRef !== null) err(ctx, [...p, 'passwordSecretRef'], md5);
    if (password !== undefined && password !== null && secretRef !== undefined && secretRef !== null)
      err(ctx, [...p, 'passwordSecretRef'], 'set either password or passwordSecretRef, not both');

    checkSelectorList(ctx, field(peer, 'nodeSelectors'), [...p, 'nodeSelectors']);

    // Two peers that would open the same TCP session from the same nodes fight over it.
    if (addr !== undefined) {
      const port = int(field(peer, 'peerPort')) ?? defaults.peerPort;
      const key = JSON.stringify([
        canonicalIp(addrText!),
        port,
        canonicalIp(srcText ?? '') ?? null,
        field(peer, 'nodeSelectors') ?? [],
      ]);
      const first = sessions.get(key);
      if (first !== undefined)
        err(
          ctx,
          [...p, 'peerAddress'],
          `peers[${first}] already peers with ${addrText} port ${port} from the same nodes`,
        );
      else sessions.set(key, i);
    }
  });
  return facts;
}

// ---- communities ----

function checkAliases(ctx: Ctx, raw: unknown): Map<string, CommunityValue> {
  const out = new Map<string, CommunityValue>();
  if (!isObject(raw)) return out;
  for (const [alias, v] of Object.entries(raw)) {
    if (Object.hasOwn(wellKnownCommunities, alias)) {
      err(
        ctx,
        ['bgpCommunities', alias],
        `"${alias}" is a well-known community name and cannot be redefined`,
      );
      continue;
    }
    if (typeof v !== 'string') continue;
    const std = v.split(':').length === 2 ? parseStandardCommunity(v) : undefined;
    const large = v.split(':').length === 3 ? parseLargeCommunity(v) : undefined;
    if (std !== undefined) out.set(alias, { kind: 'standard', value: std });
    else if (large !== undefined) out.set(alias, { kind: 'large', value: large });
    else
      err(
        ctx,
        ['bgpCommunities', alias],
        `"${v}" is not a community: expected "asn:value" (each 0..65535) or "global:local1:local2" (each 0..4294967295)`,
      );
  }
  return out;
}

function resolveStandard(
  ctx: Ctx,
  text: unknown,
  path: Path,
  aliases: Map<string, CommunityValue>,
  rawAliases: readonly string[],
): number | undefined {
  if (typeof text !== 'string') return undefined;
  const direct = parseStandardCommunity(text);
  if (direct !== undefined) return direct;
  const alias = aliases.get(text);
  if (alias?.kind === 'standard') return alias.value;
  if (alias?.kind === 'large') {
    err(
      ctx,
      path,
      `alias "${text}" is a large community (${formatLargeCommunity(alias.value)}); list it under largeCommunities`,
    );
    return undefined;
  }
  if (rawAliases.includes(text)) return undefined; // alias exists but is itself invalid: reported there
  if (NAME.test(text) && !/^\d+$/.test(text)) {
    err(
      ctx,
      path,
      `unknown community alias "${text}"${suggestion(text, [...rawAliases, ...Object.keys(wellKnownCommunities)])}`,
    );
    return undefined;
  }
  const hint =
    parseLargeCommunity(text) !== undefined
      ? '; it looks like a large community: list it under largeCommunities'
      : '';
  err(
    ctx,
    path,
    `"${text}" is not a valid community: expected "asn:value" with both parts 0..65535, a well-known name (${Object.keys(wellKnownCommunities).join(', ')}) or a bgpCommunities alias${hint}`,
  );
  return undefined;
}

function resolveLarge(
  ctx: Ctx,
  text: unknown,
  path: Path,
  aliases: Map<string, CommunityValue>,
  rawAliases: readonly string[],
): LargeCommunity | undefined {
  if (typeof text !== 'string') return undefined;
  const direct = parseLargeCommunity(text);
  if (direct !== undefined) return direct;
  const alias = aliases.get(text);
  if (alias?.kind === 'large') return alias.value;
  if (alias?.kind === 'standard') {
    err(ctx, path, `alias "${text}" is a standard community; list it under communities`);
    return undefined;
  }
  if (rawAliases.includes(text)) return undefined;
  if (NAME.test(text) && !/^\d+$/.test(text)) {
    err(ctx, path, `unknown community alias "${text}"${suggestion(text, rawAliases)}`);
    return undefined;
  }
  const hint =
    parseStandardCommunity(text) !== undefined
      ? '; it looks like a standard community: list it under communities'
      : '';
  err(
    ctx,
    path,
    `"${text}" is not a valid large community: expected "global:local1:local2", each 0..4294967295${hint}`,
  );
  return undefined;
}

// ---- advertisements ----

function checkAggregation(
  ctx: Ctx,
  adv: unknown,
  path: Path,
  family: IpFamily,
  poolIndexes: readonly number[],
  pools: readonly unknown[],
  parsed: Map<number, AddressRange[]>,
): void {
  const key = family === 'IPv4' ? 'aggregationLength' : 'aggregationLengthV6';
  const len = int(field(adv, key));
  if (len === undefined) return;
  const bits = familyBits[family];
  if (len > bits) return; // schema bound
  const block = 1n << BigInt(bits - len);
  for (const pi of poolIndexes) {
    const poolName = str(field(pools[pi], 'name')) ?? `#${pi}`;
    (parsed.get(pi) ?? []).forEach((r, k) => {
      if (r.family !== family) return;
      const where = `addressPools[${pi}].addresses[${k}] "${r.text}" of pool "${poolName}"`;
      if (r.kind === 'cidr' && r.prefixLength! > len) {
        err(
          ctx,
          [...path, key],
          `${len} is shorter than the prefix length of ${where}: a /${len} announcement would cover addresses outside the pool`,
        );
      } else if (r.kind === 'range' && (r.start % block !== 0n || (r.end + 1n) % block !== 0n)) {
        err(
          ctx,
          [...path, key],
          `${len} is too short for ${where}: the range is not made of whole /${len} blocks, so a /${len} announcement would cover addresses outside the pool`,
        );
      }
    });
  }
}

function checkAdvertisements(
  ctx: Ctx,
  advs: readonly unknown[],
  pools: readonly unknown[],
  parsed: Map<number, AddressRange[]>,
  peers: readonly PeerFacts[],
  aliases: Map<string, CommunityValue>,
  rawAliases: readonly string[],
): void {
  checkDuplicateNames(ctx, advs, 'bgpAdvertisements', 'advertisement');
  const poolNames = pools.map((p) => str(field(p, 'name')));
  const knownPools = poolNames.filter((n): n is string => n !== undefined);
  const knownPeers = peers.map((p) => p.name);
  advs.forEach((adv, i) => {
    const p: Path = ['bgpAdvertisements', i];
    const selectedPools: number[] = [];
    const listedPools = list(field(adv, 'addressPools'));
    listedPools.forEach((n, k) => {
      if (typeof n !== 'string') return;
      const idx = poolNames.indexOf(n);
      if (idx < 0) err(ctx, [...p, 'addressPools', k], `unknown pool "${n}"${suggestion(n, knownPools)}`);
      else if (listedPools.indexOf(n) !== k)
        err(ctx, [...p, 'addressPools', k], `pool "${n}" is listed twice`);
      else selectedPools.push(idx);
    });
    if (listedPools.length === 0) selectedPools.push(...pools.keys());
    checkAggregation(ctx, adv, p, 'IPv4', selectedPools, pools, parsed);
    checkAggregation(ctx, adv, p, 'IPv6', selectedPools, pools, parsed);

    const listedPeers = list(field(adv, 'peers'));
    const selectedPeers: PeerFacts[] = [];
    listedPeers.forEach((n, k) => {
      if (typeof n !== 'string') return;
      const peer = peers.find((x) => x.name === n);
      if (peer === undefined) err(ctx, [...p, 'peers', k], `unknown peer "${n}"${suggestion(n, knownPeers)}`);
      else if (listedPeers.indexOf(n) !== k) err(ctx, [...p, 'peers', k], `peer "${n}" is listed twice`);
      else selectedPeers.push(peer);
    });
    if (listedPeers.length === 0) selectedPeers.push(...peers);

    const localPref = field(adv, 'localPref');
    if (
      typeof localPref === 'number' &&
      selectedPeers.length > 0 &&
      selectedPeers.every((x) => x.internal !== undefined)
    ) {
      const ebgp = selectedPeers.filter((x) => x.internal === false).map((x) => x.name);
      if (ebgp.length === selectedPeers.length)
        err(
          ctx,
          [...p, 'localPref'],
          `LOCAL_PREF is only sent to iBGP peers (RFC 4271 §5.1.5), and every selected peer is eBGP (${ebgp.join(', ')})`,
        );
      else if (ebgp.length > 0)
        warn(
          ctx,
          [...p, 'localPref'],
          `sent to iBGP peers only; eBGP peers ${ebgp.join(', ')} will not receive LOCAL_PREF`,
        );
    }

    list(field(adv, 'communities')).forEach((c, k) => {
      resolveStandard(ctx, c, [...p, 'communities', k], aliases, rawAliases);
    });
    list(field(adv, 'largeCommunities')).forEach((c, k) => {
      resolveLarge(ctx, c, [...p, 'largeCommunities', k], aliases, rawAliases);
    });
    checkSelectorList(ctx, field(adv, 'nodeSelectors'), [...p, 'nodeSelectors']);
  });
}

// ---- warnings about a valid but probably unintended config ----

function checkCoverage(
  ctx: Ctx,
  pools: readonly unknown[],
  peers: readonly unknown[],
  advs: readonly unknown[],
): void {
  if (pools.length === 0) return;
  if (peers.length === 0) {
    warn(ctx, ['peers'], 'no peers configured: addresses are assigned but not announced anywhere');
    return;
  }
  pools.forEach((pool, i) => {
    const n = str(field(pool, 'name'));
    if (n === undefined) return;
    const covered = advs.some((a) => {
      const l = list(field(a, 'addressPools'));
      return l.length === 0 || l.includes(n);
    });
    if (!covered)
      warn(
        ctx,
        ['addressPools', i, 'name'],
        `pool "${n}" is not in any bgpAdvertisement: its addresses are assigned but not announced`,
      );
  });
}

// ---- build (only reached with zero errors, so every read below is of validated data) ----

function buildConfig(
  root: JsonObject,
  parsed: Map<number, AddressRange[]>,
  aliases: Map<string, CommunityValue>,
): HeraldConfig {
  const seconds = (v: unknown, dflt: string): number => {
    const d = parseDuration(str(v) ?? dflt);
    return d.ok ? d.seconds : 0;
  };
  const addressPools: AddressPool[] = objects(root.addressPools).map((raw, i) => {
    const addresses = parsed.get(i) ?? [];
    const fams = new Set(addresses.map((r) => r.family));
    const sa = field(raw, 'serviceAllocation');
    const serviceAllocation: ServiceAllocation | undefined = isObject(sa)
      ? {
          priority: int(sa.priority),
          namespaces: list(sa.namespaces) as string[],
          namespaceSelectors: buildSelectors(sa.namespaceSelectors),
          serviceSelectors: buildSelectors(sa.serviceSelectors),
        }
      : undefined;
    return {
      name: str(field(raw, 'name'))!,
      addresses,
      families: (['IPv4', 'IPv6'] as const).filter((f) => fams.has(f)),
      autoAssign: bool(field(raw, 'autoAssign')) ?? defaults.autoAssign,
      avoidBuggyIPs: bool(field(raw, 'avoidBuggyIPs')) ?? defaults.avoidBuggyIPs,
      serviceAllocation,
    };
  });
  const peers: BgpPeer[] = objects(root.peers).map((raw) => {
    const peerIp = parseIp(str(field(raw, 'peerAddress'))!)!;
    const peerASN = int(field(raw, 'peerASN'))!;
    const myASN = int(field(raw, 'myASN'))!;
    const src = str(field(raw, 'sourceAddress'));
    const gr = field(raw, 'gracefulRestart');
    const ref = field(raw, 'passwordSecretRef');
    const keepalive = str(field(raw, 'keepaliveTime'));
    return {
      name: str(field(raw, 'name'))!,
      peerAddress: canonicalIp(str(field(raw, 'peerAddress'))!)!,
      peerIp,
      peerASN,
      myASN,
      internal: peerASN === myASN,
      peerPort: int(field(raw, 'peerPort')) ?? defaults.peerPort,
      sourceAddress: src === undefined ? undefined : canonicalIp(src),
      routerID: str(field(raw, 'routerID')),
      holdTimeSeconds: seconds(field(raw, 'holdTime'), defaults.holdTime),
      keepaliveTimeSeconds: keepalive === undefined ? undefined : seconds(keepalive, '0s'),
      connectTimeSeconds: seconds(field(raw, 'connectTime'), defaults.connectTime),
      ebgpMultihop: int(field(raw, 'ebgpMultihop')),
      passive: bool(field(raw, 'passive')) ?? defaults.passive,
      gracefulRestart: {
        enabled: bool(field(gr, 'enabled')) ?? defaults.gracefulRestartEnabled,
        restartTimeSeconds: seconds(field(gr, 'restartTime'), defaults.gracefulRestartTime),
      },
      password: str(field(raw, 'password')),
      passwordSecretRef: isObject(ref) ? { name: str(ref.name)!, key: str(ref.key)! } : undefined,
      nodeSelectors: buildSelectors(field(raw, 'nodeSelectors')),
    };
  });
  const silent: Ctx = { errors: [], warnings: [] };
  const aliasNames = [...aliases.keys()];
  const bgpAdvertisements: BgpAdvertisement[] = objects(root.bgpAdvertisements).map((raw) => {
    const listedPools = list(field(raw, 'addressPools')) as string[];
    const listedPeers = list(field(raw, 'peers')) as string[];
    const communities: number[] = [];
    for (const c of list(field(raw, 'communities'))) {
      const v = resolveStandard(silent, c, [], aliases, aliasNames)!;
      if (!communities.includes(v)) communities.push(v);
    }
    const largeCommunities: LargeCommunity[] = [];
    for (const c of list(field(raw, 'largeCommunities'))) {
      const v = resolveLarge(silent, c, [], aliases, aliasNames)!;
      if (!largeCommunities.some((x) => x[0] === v[0] && x[1] === v[1] && x[2] === v[2]))
        largeCommunities.push(v);
    }
    return {
      name: str(field(raw, 'name'))!,
      addressPools: listedPools,
      poolNames: listedPools.length > 0 ? listedPools : addressPools.map((x) => x.name),
      aggregationLength: int(field(raw, 'aggregationLength')) ?? defaults.aggregationLength,
      aggregationLengthV6: int(field(raw, 'aggregationLengthV6')) ?? defaults.aggregationLengthV6,
      localPref: int(field(raw, 'localPref')),
      communities,
      largeCommunities,
      peers: listedPeers,
      peerNames: listedPeers.length > 0 ? listedPeers : peers.map((x) => x.name),
      nodeSelectors: buildSelectors(field(raw, 'nodeSelectors')),
    };
  });
  return { addressPools, peers, bgpAdvertisements, bgpCommunities: aliases };
}

// Order errors like the document: keys in the order they were written (YAML mappings keep it), list items by
// index, fields the input lacks (missing required ones) after those it has, and a field before its children.
function comparePaths(root: unknown, a: Path, b: Path): number {
  let node: unknown = root;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) {
      if (typeof x === 'number' && typeof y === 'number') return x - y;
      if (typeof x === 'number') return -1;
      if (typeof y === 'number') return 1;
      const keys = isObject(node) ? Object.keys(node) : [];
      const rx = keys.indexOf(x) < 0 ? Number.MAX_SAFE_INTEGER : keys.indexOf(x);
      const ry = keys.indexOf(y) < 0 ? Number.MAX_SAFE_INTEGER : keys.indexOf(y);
      if (rx !== ry) return rx - ry;
      return x < y ? -1 : 1;
    }
    node =
      Array.isArray(node) && typeof x === 'number' ? node[x] : isObject(node) ? node[x as string] : undefined;
  }
  return a.length - b.length;
}

const sortIssues = (root: unknown, issues: Issue[]): Issue[] =>
  issues.sort((a, b) => comparePaths(root, a.path, b.path));

/** Full validation with raw paths (parse.ts uses them to find line numbers). */
export function validateDetailed(input: unknown): ValidationOutcome {
  const ctx: Ctx = { errors: [], warnings: [] };
  if (!isObject(input)) {
    const got = input === null || input === undefined ? 'an empty document' : typeName(input);
    err(
      ctx,
      [],
      `the configuration must be a mapping with addressPools, peers, bgpAdvertisements and bgpCommunities; got ${got}`,
    );
    return { errors: ctx.errors, warnings: [], config: undefined };
  }
  try {
    checkShape(input, jsonSchema, [], ctx.errors);
    const pools = objects(input.addressPools);
    const peersRaw = objects(input.peers);
    const advs = objects(input.bgpAdvertisements);
    const parsed = checkPools(ctx, pools);
    const facts = checkPeers(ctx, peersRaw);
    const aliases = checkAliases(ctx, input.bgpCommunities);
    const rawAliases = isObject(input.bgpCommunities) ? Object.keys(input.bgpCommunities) : [];
    checkAdvertisements(ctx, advs, pools, parsed, facts, aliases, rawAliases);
    checkCoverage(ctx, pools, peersRaw, advs);
    const errors = sortIssues(input, ctx.errors);
    const warnings = sortIssues(input, ctx.warnings);
    if (errors.length > 0) return { errors, warnings, config: undefined };
    return { errors, warnings, config: buildConfig(input, parsed, aliases) };
  } catch (e) {
    // A bug here must not take the controller down with it: report it as a config error, loudly.
    return {
      errors: [{ path: [], message: `internal error while validating (please report): ${String(e)}` }],
      warnings: [],
      config: undefined,
    };
  }
}

export const toConfigError = (i: Issue): ConfigError => ({ path: formatPath(i.path), message: i.message });

/** Validates a plain object (already parsed from YAML/JSON) and builds the typed, defaulted config. */
export function validateConfig(input: unknown): ConfigResult {
  const r = validateDetailed(input);
  const warnings = r.warnings.map(toConfigError);
  if (r.config === undefined) return { ok: false, errors: r.errors.map(toConfigError), warnings };
  return { ok: true, config: r.config, warnings };
}
