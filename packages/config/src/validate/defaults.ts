// The typed config with every default applied, built here and only here. Only reached with zero errors, so
// every read below is of validated data.
import { canonicalAddress, families, type LargeCommunity, parseIp } from '@herald/inet';
import { defaults } from '../constants.ts';
import { isObject, type JsonObject } from '../shape.ts';
import type {
  AddressPool,
  BgpAdvertisement,
  BgpPeer,
  CommunityValue,
  HeraldConfig,
  L2Advertisement,
  MaxPrefixes,
  NodeAddressSource,
  NodeAddressType,
  ServiceAllocation,
} from '../types.ts';
import { resolveBfd } from './bfd.ts';
import { type Aliases, resolveLarge, resolveStandard } from './communities.ts';
import { bool, type Ctx, field, int, list, seconds, str } from './context.ts';
import { effectiveMinHoldTime } from './peer-limits.ts';
import type { ParsedPools } from './pools.ts';
import { buildSelectors } from './selectors.ts';
import { buildTraffic } from './traffic.ts';

function buildPool(raw: unknown, i: number, parsed: ParsedPools): AddressPool {
  const addresses = parsed.get(i) ?? [];
  const present = new Set(addresses.map((r) => r.family));
  const sa = field(raw, 'serviceAllocation');
  const serviceAllocation: ServiceAllocation | undefined = isObject(sa)
    ? {
        priority: int(sa.priority),
        namespaces: list(sa.namespaces) as string[],
        namespaceSelectors: buildSelectors(sa.namespaceSelectors),
        serviceSelectors: buildSelectors(sa.serviceSelectors),
      }
    : undefined;
  const source = field(raw, 'nodeAddresses');
  const nodeAddresses: NodeAddressSource | undefined = isObject(source)
    ? {
        type: (str(source.type) as NodeAddressType | undefined) ?? defaults.nodeAddressType,
        nodeSelectors: buildSelectors(source.nodeSelectors),
      }
    : undefined;
  return {
    name: str(field(raw, 'name'))!,
    addresses,
    nodeAddresses,
    families: families.filter((f) => present.has(f)),
    autoAssign: bool(field(raw, 'autoAssign')) ?? defaults.autoAssign,
    avoidBuggyIPs: bool(field(raw, 'avoidBuggyIPs')) ?? defaults.avoidBuggyIPs,
    serviceAllocation,
  };
}

function buildPeer(raw: unknown, bfdProfiles: readonly unknown[]): BgpPeer {
  const peerAddress = str(field(raw, 'peerAddress'))!;
  const peerASN = int(field(raw, 'peerASN'))!;
  const myASN = int(field(raw, 'myASN'))!;
  const src = str(field(raw, 'sourceAddress'));
  const gr = field(raw, 'gracefulRestart');
  const ref = field(raw, 'passwordSecretRef');
  const keepalive = str(field(raw, 'keepaliveTime'));
  const mp = field(raw, 'maxPrefixes');
  return {
    name: str(field(raw, 'name'))!,
    peerAddress: canonicalAddress(peerAddress)!,
    peerIp: parseIp(peerAddress)!,
    peerASN,
    myASN,
    internal: peerASN === myASN,
    peerPort: int(field(raw, 'peerPort')) ?? defaults.peerPort,
    sourceAddress: src === undefined ? undefined : canonicalAddress(src),
    routerID: str(field(raw, 'routerID')),
    holdTimeSeconds: seconds(field(raw, 'holdTime'), defaults.holdTime),
    keepaliveTimeSeconds: keepalive === undefined ? undefined : seconds(keepalive, '0s'),
    connectTimeSeconds: seconds(field(raw, 'connectTime'), defaults.connectTime),
    minHoldTimeSeconds: effectiveMinHoldTime(raw),
    maxPrefixes: {
      limit: int(field(mp, 'limit')) ?? defaults.maxPrefixesLimit,
      action: (str(field(mp, 'action')) as MaxPrefixes['action'] | undefined) ?? defaults.maxPrefixesAction,
      restartTimeSeconds: seconds(field(mp, 'restartTime'), defaults.maxPrefixesRestartTime),
    },
    ebgpMultihop: int(field(raw, 'ebgpMultihop')),
    ttlSecurity: bool(field(raw, 'ttlSecurity')) ?? defaults.ttlSecurity,
    bindInterface: str(field(raw, 'bindInterface')),
    passive: bool(field(raw, 'passive')) ?? defaults.passive,
    gracefulRestart: {
      enabled: bool(field(gr, 'enabled')) ?? defaults.gracefulRestartEnabled,
      restartTimeSeconds: seconds(field(gr, 'restartTime'), defaults.gracefulRestartTime),
    },
    passwordSecretRef: isObject(ref) ? { name: str(ref.name)!, key: str(ref.key)! } : undefined,
    nodeSelectors: buildSelectors(field(raw, 'nodeSelectors')),
    bfd: resolveBfd(raw, bfdProfiles),
  };
}

function buildAdvertisement(
  raw: unknown,
  pools: readonly AddressPool[],
  peers: readonly BgpPeer[],
  aliases: Aliases,
): BgpAdvertisement {
  // Communities were resolved with errors reported already; resolving again collects nothing.
  const silent: Ctx = { errors: [], warnings: [] };
  const aliasNames = [...aliases.keys()];
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
    poolNames: advertisedPoolNames(listedPools, pools),
    aggregationLength: int(field(raw, 'aggregationLength')) ?? defaults.aggregationLength,
    aggregationLengthV6: int(field(raw, 'aggregationLengthV6')) ?? defaults.aggregationLengthV6,
    localPref: int(field(raw, 'localPref')),
    communities,
    largeCommunities,
    peers: listedPeers,
    peerNames: listedPeers.length > 0 ? listedPeers : peers.map((x) => x.name),
    nodeSelectors: buildSelectors(field(raw, 'nodeSelectors')),
    ...buildTraffic(raw, aliases),
  };
}

/** The pools an advertisement covers: those it lists, or "all pools" — all announced ones; node-address pools never are. */
function advertisedPoolNames(listed: readonly string[], pools: readonly AddressPool[]): readonly string[] {
  return listed.length > 0 ? listed : pools.filter((x) => x.nodeAddresses === undefined).map((x) => x.name);
}

function buildL2Advertisement(raw: unknown, pools: readonly AddressPool[]): L2Advertisement {
  const listedPools = list(field(raw, 'addressPools')) as string[];
  return {
    name: str(field(raw, 'name'))!,
    addressPools: listedPools,
    poolNames: advertisedPoolNames(listedPools, pools),
    nodeSelectors: buildSelectors(field(raw, 'nodeSelectors')),
    interfaces: list(field(raw, 'interfaces')) as string[],
    interfacePatterns: list(field(field(raw, 'interfaceSelector'), 'namePatterns')) as string[],
  };
}

export function buildConfig(
  root: JsonObject,
  parsed: ParsedPools,
  aliases: ReadonlyMap<string, CommunityValue>,
): HeraldConfig {
  const addressPools = list(root.addressPools).map((raw, i) => buildPool(raw, i, parsed));
  const bfdProfiles = list(root.bfdProfiles);
  const peers = list(root.peers).map((raw) => buildPeer(raw, bfdProfiles));
  const bgpAdvertisements = list(root.bgpAdvertisements).map((raw) =>
    buildAdvertisement(raw, addressPools, peers, aliases),
  );
  const l2Advertisements = list(root.l2Advertisements).map((raw) => buildL2Advertisement(raw, addressPools));
  return { addressPools, peers, bgpAdvertisements, bgpCommunities: aliases, l2Advertisements };
}
