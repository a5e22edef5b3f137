// MetalLB configuration objects → a Herald config.yaml document (plain data, validated afterwards by
// @herald/config), plus a note for everything that has no equivalent or changes form. Pure: objects in,
// document and notes out. The legacy ConfigMap is first rewritten into these objects (legacy.ts), so this is
// the one place that knows how a MetalLB setting maps to Herald.
//
// The rule throughout: nothing silently weaker or wider than MetalLB configured. A field without an equivalent
// is dropped with a note; a reference that can no longer be resolved is never left as an empty list, because
// in Herald (as in MetalLB) an empty `addressPools`/`peers` list means "all".
import { formatDuration, type LabelSelector, matchesAnySelector } from '@herald/config';
import {
  BFD_INTERVAL_MAX_MS,
  BFD_INTERVAL_MIN_MS,
  formatIp,
  maskIp,
  parseCidr,
  parseIp,
  WELL_KNOWN_COMMUNITIES,
} from '@herald/inet';
import { parseGoDuration } from './go-duration.ts';
import { isRecord, type MetallbObject, type MigrationNote, type SourceRef } from './types.ts';

/** The Herald document, in config.yaml field order. */
export interface HeraldDocument {
  addressPools: Record<string, unknown>[];
  peers: Record<string, unknown>[];
  bgpAdvertisements: Record<string, unknown>[];
  bgpCommunities?: Record<string, string>;
  bfdProfiles?: Record<string, unknown>[];
  l2Advertisements?: Record<string, unknown>[];
}

/** Which source object produced each entry, so a validation error can name it. */
export interface Origins {
  readonly addressPools: SourceRef[];
  readonly peers: SourceRef[];
  readonly bgpAdvertisements: SourceRef[];
  readonly bgpCommunities: Map<string, SourceRef>;
  readonly bfdProfiles: SourceRef[];
  readonly l2Advertisements: SourceRef[];
}

export interface Conversion {
  readonly document: HeraldDocument;
  readonly notes: MigrationNote[];
  readonly origins: Origins;
}

const knownFields: Readonly<Record<string, readonly string[]>> = {
  IPAddressPool: ['addresses', 'autoAssign', 'avoidBuggyIPs', 'serviceAllocation'],
  BGPPeer: [
    'myASN',
    'peerASN',
    'dynamicASN',
    'peerAddress',
    'interface',
    'sourceAddress',
    'peerPort',
    'holdTime',
    'keepaliveTime',
    'connectTime',
    'routerID',
    'nodeSelectors',
    'password',
    'passwordSecret',
    'bfdProfile',
    'enableGracefulRestart',
    'ebgpMultiHop',
    'vrf',
    'disableMP',
    'dualStackAddressFamily',
  ],
  BGPAdvertisement: [
    'aggregationLength',
    'aggregationLengthV6',
    'localPref',
    'communities',
    'ipAddressPools',
    'ipAddressPoolSelectors',
    'nodeSelectors',
    'peers',
  ],
  Community: ['communities'],
  L2Advertisement: ['ipAddressPools', 'ipAddressPoolSelectors', 'nodeSelectors', 'interfaces'],
  BFDProfile: [
    'receiveInterval',
    'transmitInterval',
    'detectMultiplier',
    'echoInterval',
    'echoMode',
    'passiveMode',
    'minimumTtl',
  ],
};

/** A DNS-1123 label close to a Kubernetes object name (which may contain dots, capitals from old configs…). */
function toLabel(name: string): string {
  const label = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label === '' ? 'unnamed' : label;
}

/** Unique names within one section, derived from source names. */
class Names {
  private readonly taken = new Set<string>();
  claim(wanted: string): string {
    const base = toLabel(wanted);
    let name = base;
    for (let i = 2; this.taken.has(name); i++) name = `${base.slice(0, 60)}-${i}`;
    this.taken.add(name);
    return name;
  }
}

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** A selector as MetalLB stores it (metav1.LabelSelector JSON), typed for matching; undefined if malformed. */
function typedSelector(v: unknown): LabelSelector | undefined {
  if (!isRecord(v)) return undefined;
  const matchLabels = v.matchLabels ?? {};
  const matchExpressions = v.matchExpressions ?? [];
  if (!isRecord(matchLabels) || !Array.isArray(matchExpressions)) return undefined;
  if (!Object.values(matchLabels).every((x) => typeof x === 'string')) return undefined;
  const exprs = matchExpressions.map((e) =>
    isRecord(e) &&
    typeof e.key === 'string' &&
    ['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(String(e.operator))
      ? { key: e.key, operator: e.operator as 'In', values: strings(e.values) }
      : undefined,
  );
  if (exprs.some((e) => e === undefined)) return undefined;
  return {
    matchLabels: matchLabels as Record<string, string>,
    matchExpressions: exprs as LabelSelector['matchExpressions'],
  };
}

/** Selectors in the metav1.LabelSelector JSON shape Herald also uses; only the two fields it knows. */
function selectorList(v: unknown): unknown {
  if (!Array.isArray(v)) return v;
  return v.map((s) =>
    isRecord(s)
      ? {
          ...(s.matchLabels !== undefined ? { matchLabels: s.matchLabels } : {}),
          ...(s.matchExpressions !== undefined ? { matchExpressions: s.matchExpressions } : {}),
        }
      : s,
  );
}

/** "7003:007" → "7003:7": Herald reads community numbers without leading zeros; the value is the same. */
function canonicalNumbers(text: string): string {
  return /^\d+(:\d+)+$/.test(text) ? text.replace(/\d+/g, (d) => String(Number(d))) : text;
}

function wellKnownName(value: string): string | undefined {
  const parts = value.split(':');
  if (parts.length !== 2 || !parts.every((p) => /^\d+$/.test(p))) return undefined;
  const n = Number(parts[0]) * 65536 + Number(parts[1]);
  return Object.entries(WELL_KNOWN_COMMUNITIES).find(([, v]) => v === n)?.[0];
}

export function convertMetallb(objects: readonly MetallbObject[]): Conversion {
  const notes: MigrationNote[] = [];
  const note = (action: MigrationNote['action'], src: SourceRef, crField: string, reason: string): void => {
    notes.push({ action, source: src.label, field: src.field(crField), reason });
  };
  const doc: HeraldDocument = { addressPools: [], peers: [], bgpAdvertisements: [] };
  const origins: Origins = {
    addressPools: [],
    peers: [],
    bgpAdvertisements: [],
    bgpCommunities: new Map(),
    bfdProfiles: [],
    l2Advertisements: [],
  };
  const of = <K extends MetallbObject['kind']>(kind: K) => objects.filter((o) => o.kind === kind);
  /** The Herald name of an object in one section; a changed name is noted. */
  const rename = (names: Names, o: MetallbObject, what: string): string => {
    const name = names.claim(o.name);
    if (name !== o.name)
      note('adapted', o.source, 'metadata.name', `${what} "${o.name}" is named "${name}" (a DNS-1123 label)`);
    return name;
  };

  for (const o of objects) {
    const known = knownFields[o.kind];
    if (known === undefined) continue;
    for (const field of Object.keys(o.spec)) {
      if (!known.includes(field))
        note('ignored', o.source, `spec.${field}`, `not a field of MetalLB's ${o.kind}; not converted`);
    }
  }

  // --- BFDProfile → bfdProfiles. bfdName: MetalLB profile name → Herald profile name, for the peers.
  const bfdNames = new Names();
  const bfdName = new Map<string, string>();
  for (const o of of('BFDProfile')) {
    const s = o.spec;
    const name = rename(bfdNames, o, 'BFD profile');
    bfdName.set(o.name, name);
    const profile: Record<string, unknown> = { name };
    const interval = (field: 'receiveInterval' | 'transmitInterval', key: 'minReceive' | 'minTransmit') => {
      const v = num(s[field]);
      if (v === undefined) return;
      const bounded = Math.min(BFD_INTERVAL_MAX_MS, Math.max(BFD_INTERVAL_MIN_MS, v));
      profile[key] = bounded;
      if (bounded !== v)
        note(
          'adapted',
          o.source,
          `spec.${field}`,
          `${v} ms is outside Herald's ${BFD_INTERVAL_MIN_MS}..${BFD_INTERVAL_MAX_MS} ms (the floor is measured, see docs/bfd.md); written as ${bounded}`,
        );
    };
    interval('receiveInterval', 'minReceive');
    interval('transmitInterval', 'minTransmit');
    if (s.detectMultiplier !== undefined) profile.multiplier = s.detectMultiplier;
    if (s.echoMode === true || s.echoInterval !== undefined)
      note(
        'dropped',
        o.source,
        s.echoMode === true ? 'spec.echoMode' : 'spec.echoInterval',
        'Herald does not run the BFD echo function (RFC 5880 §6.4); detection uses Control packets only',
      );
    if (s.passiveMode === true)
      note(
        'dropped',
        o.source,
        'spec.passiveMode',
        "Herald's BFD sessions are always active (they send first); the router may stay passive",
      );
    if (s.minimumTtl !== undefined)
      note(
        'dropped',
        o.source,
        'spec.minimumTtl',
        'single-hop BFD accepts only TTL 255 (RFC 5881) and multihop BFD any TTL; there is no setting',
      );
    doc.bfdProfiles ??= [];
    doc.bfdProfiles.push(profile);
    origins.bfdProfiles.push(o.source);
  }

  // --- Community → bgpCommunities. aliases: MetalLB alias → how advertisements refer to it in Herald.
  const aliases = new Map<string, { ref: string; large: boolean }>();
  const aliasNames = new Names();
  for (const name of Object.keys(WELL_KNOWN_COMMUNITIES)) aliasNames.claim(name);
  for (const o of of('Community')) {
    list(o.spec.communities).forEach((entry, i) => {
      const field = `spec.communities[${i}]`;
      if (!isRecord(entry) || typeof entry.name !== 'string' || typeof entry.value !== 'string') {
        note('dropped', o.source, field, 'expected { name, value } strings');
        return;
      }
      const large = entry.value.startsWith('large:');
      const value = canonicalNumbers(large ? entry.value.slice('large:'.length) : entry.value);
      const known = large ? undefined : wellKnownName(value);
      if (known !== undefined) {
        // Herald accepts well-known communities by name, and an alias may not shadow one.
        aliases.set(entry.name, { ref: known, large: false });
        note(
          'adapted',
          o.source,
          field,
          entry.name === known
            ? `"${known}" (${value}) is a well-known community, which Herald accepts by name; no alias needed`
            : `${value} is the well-known community "${known}", which Herald accepts by name: ` +
                `"${entry.name}" is written "${known}" where it is used`,
        );
        return;
      }
      const alias = aliasNames.claim(entry.name);
      if (alias !== entry.name)
        note(
          'adapted',
          o.source,
          `${field}.name`,
          `alias "${entry.name}" is written "${alias}" (a DNS-1123 label that is not a well-known community name)`,
        );
      doc.bgpCommunities ??= {};
      doc.bgpCommunities[alias] = value;
      origins.bgpCommunities.set(alias, o.source);
      aliases.set(entry.name, { ref: alias, large });
    });
  }

  const pools = of('IPAddressPool');
  const bgpAdvs = of('BGPAdvertisement');
  const l2Advs = of('L2Advertisement');

  // --- IPAddressPool → addressPools
  const poolNames = new Names();
  const poolName = new Map<string, string>();
  for (const o of pools) {
    const name = rename(poolNames, o, 'pool');
    poolName.set(o.name, name);
    const pool: Record<string, unknown> = { name };
    const addresses = o.spec.addresses;
    pool.addresses = Array.isArray(addresses)
      ? addresses.map((a, i) => (typeof a === 'string' ? address(a, o.source, `spec.addresses[${i}]`) : a))
      : addresses;
    if (o.spec.autoAssign !== undefined) pool.autoAssign = o.spec.autoAssign;
    if (o.spec.avoidBuggyIPs !== undefined) pool.avoidBuggyIPs = o.spec.avoidBuggyIPs;
    const sa = o.spec.serviceAllocation;
    if (isRecord(sa)) {
      const out: Record<string, unknown> = {};
      if (sa.priority !== undefined) out.priority = sa.priority;
      if (sa.namespaces !== undefined) out.namespaces = sa.namespaces;
      if (sa.namespaceSelectors !== undefined) out.namespaceSelectors = selectorList(sa.namespaceSelectors);
      if (sa.serviceSelectors !== undefined) out.serviceSelectors = selectorList(sa.serviceSelectors);
      pool.serviceAllocation = out;
    } else if (sa !== undefined) pool.serviceAllocation = sa;
    doc.addressPools.push(pool);
    origins.addressPools.push(o.source);
  }

  function address(text: string, src: SourceRef, field: string): string {
    const dash = text.indexOf('-');
    if (dash >= 0) {
      const range = `${text.slice(0, dash).trim()}-${text.slice(dash + 1).trim()}`;
      return range;
    }
    const slash = text.indexOf('/');
    const ip = slash < 0 ? undefined : parseIp(text.slice(0, slash));
    const len = Number(text.slice(slash + 1));
    const parsed = parseCidr(text);
    if (!parsed.ok && ip !== undefined && Number.isInteger(len) && len >= 0) {
      const canonical = `${formatIp(maskIp(ip, len))}/${len}`;
      if (parseCidr(canonical).ok) {
        note(
          'adapted',
          src,
          field,
          `"${text}" has host bits set; MetalLB uses the network ${canonical}, which Herald requires written so`,
        );
        return canonical;
      }
    }
    return text;
  }

  // --- BGPPeer → peers
  const peerNames = new Names();
  const peerName = new Map<string, string>();
  const droppedPeers = new Map<string, string>();
  const internal = new Map<string, boolean>();
  for (const o of of('BGPPeer')) {
    const s = o.spec;
    const peer: Record<string, unknown> = {};
    const myASN = num(s.myASN);
    let peerASN: unknown = s.peerASN;
    if ((peerASN === undefined || peerASN === 0) && s.dynamicASN !== undefined) {
      if (s.dynamicASN === 'internal' && myASN !== undefined) {
        peerASN = myASN;
        note('adapted', o.source, 'spec.dynamicASN', `"internal" is written as peerASN = myASN (${myASN})`);
      } else {
        droppedPeers.set(o.name, `${o.source.label} was dropped (dynamicASN)`);
        note(
          'dropped',
          o.source,
          'spec.dynamicASN',
          `the whole peer: Herald needs the router's AS number, and "${String(s.dynamicASN)}" accepts any ` +
            "AS but ours; write the router's AS as peerASN in a Herald peer",
        );
        continue;
      }
    }
    if (s.peerAddress === undefined && s.interface !== undefined) {
      droppedPeers.set(o.name, `${o.source.label} was dropped (interface)`);
      note(
        'dropped',
        o.source,
        'spec.interface',
        'the whole peer: unnumbered BGP (peering over an interface without a peer address) is not supported',
      );
      continue;
    }
    const name = rename(peerNames, o, 'peer');
    peerName.set(o.name, name);
    internal.set(o.name, myASN !== undefined && peerASN === myASN);
    peer.name = name;
    peer.peerAddress = s.peerAddress;
    peer.peerASN = peerASN;
    peer.myASN = s.myASN;
    if (s.peerPort !== undefined && s.peerPort !== 0) peer.peerPort = s.peerPort;
    if (s.sourceAddress !== undefined && s.sourceAddress !== '') peer.sourceAddress = s.sourceAddress;
    if (s.routerID !== undefined && s.routerID !== '') peer.routerID = s.routerID;
    timers(o, peer);
    if (s.connectTime !== undefined) peer.connectTime = seconds(s.connectTime, o.source, 'spec.connectTime');
    if (s.enableGracefulRestart === true) peer.gracefulRestart = { enabled: true };
    if (s.ebgpMultiHop === true) {
      peer.ebgpMultihop = 255;
      note(
        'adapted',
        o.source,
        'spec.ebgpMultiHop',
        'true is written as ebgpMultihop: 255 (the TTL FRR uses for "ebgp-multihop" without a count); ' +
          'Herald takes the TTL, lower it to the real hop count',
      );
    }
    if (s.nodeSelectors !== undefined) peer.nodeSelectors = selectorList(s.nodeSelectors);
    if (typeof s.password === 'string' && s.password !== '')
      note(
        'dropped',
        o.source,
        'spec.password',
        "Herald takes TCP-MD5 passwords (RFC 2385) only from a Secret, never from its ConfigMap: create one in Herald's namespace and set passwordSecretRef: {name, key}; until then the router refuses the session",
      );
    if (
      isRecord(s.passwordSecret) &&
      typeof s.passwordSecret.name === 'string' &&
      s.passwordSecret.name !== ''
    ) {
      const secret = s.passwordSecret.name;
      const from = typeof s.passwordSecret.namespace === 'string' ? `${s.passwordSecret.namespace}/` : '';
      peer.passwordSecretRef = { name: secret, key: 'password' };
      note(
        'adapted',
        o.source,
        'spec.passwordSecret',
        `written as passwordSecretRef: {name: ${secret}, key: password} (the key MetalLB's basic-auth Secret ${from}${secret} holds); Herald reads it from its own namespace: copy the Secret there if it lives elsewhere`,
      );
    }
    if (typeof s.bfdProfile === 'string' && s.bfdProfile !== '') {
      const profile = bfdName.get(s.bfdProfile);
      // The router must run BFD for the node too, as with MetalLB.
      if (profile !== undefined) peer.bfd = { enabled: true, profile };
      else
        note(
          'dropped',
          o.source,
          'spec.bfdProfile',
          `no BFDProfile "${s.bfdProfile}" among the objects read: this peer runs without BFD`,
        );
    }
    if (typeof s.vrf === 'string' && s.vrf !== '') {
      peer.bindInterface = s.vrf;
      note(
        'adapted',
        o.source,
        'spec.vrf',
        `written as bindInterface: ${s.vrf}: the session is bound to the VRF device of that name (SO_BINDTODEVICE); a passive session in a VRF also needs net.ipv4.tcp_l3mdev_accept=1 on the nodes`,
      );
    }
    if (s.disableMP === true)
      note(
        'dropped',
        o.source,
        'spec.disableMP',
        'Herald negotiates multiprotocol BGP for the families it announces; one session may carry both',
      );
    if (s.dualStackAddressFamily === true)
      note(
        'dropped',
        o.source,
        'spec.dualStackAddressFamily',
        'Herald announces a family over a session when the router negotiates it; there is no switch',
      );
    doc.peers.push(peer);
    origins.peers.push(o.source);
  }

  function seconds(v: unknown, src: SourceRef, field: string): unknown {
    if (typeof v !== 'string') return v;
    const secs = parseGoDuration(v);
    if (secs === undefined || secs < 0) return v;
    const whole = Math.floor(secs);
    if (whole !== secs)
      note(
        'adapted',
        src,
        field,
        `${v} is rounded down to ${formatDuration(whole)}: BGP timers are whole seconds`,
      );
    return formatDuration(whole);
  }

  function timers(o: MetallbObject, peer: Record<string, unknown>): void {
    const { holdTime, keepaliveTime } = o.spec;
    if (holdTime !== undefined) peer.holdTime = seconds(holdTime, o.source, 'spec.holdTime');
    if (keepaliveTime !== undefined) {
      peer.keepaliveTime = seconds(keepaliveTime, o.source, 'spec.keepaliveTime');
      const ka = typeof keepaliveTime === 'string' ? parseGoDuration(keepaliveTime) : undefined;
      if (holdTime === undefined && ka !== undefined) {
        // MetalLB: a keepalive without a hold time proposes 3 × keepalive; Herald's default would be 90 s.
        peer.holdTime = formatDuration(Math.floor(ka) * 3);
        note(
          'adapted',
          o.source,
          'spec.keepaliveTime',
          `MetalLB proposes a hold time of 3 × keepaliveTime when holdTime is unset; written as holdTime: ${peer.holdTime}`,
        );
      }
    }
  }

  /**
   * The Herald pool names an advertisement (BGP or L2) covers. MetalLB's pool selectors are resolved now (Herald
   * pools have no labels); a list that resolves to nothing is a reason to drop the advertisement, never an empty
   * list (which would mean every pool).
   */
  function advertisedPools(o: MetallbObject): { pools: string[]; dropReason: string | undefined } {
    const s = o.spec;
    const listed = strings(s.ipAddressPools);
    const selectors = list(s.ipAddressPoolSelectors);
    let poolRefs: string[] = [];
    let dropReason: string | undefined;
    if (listed.length > 0 || selectors.length > 0) {
      const wanted = new Set(listed);
      if (selectors.length > 0) {
        const typed = selectors.map(typedSelector);
        if (typed.some((t) => t === undefined)) {
          dropReason = 'spec.ipAddressPoolSelectors holds a malformed label selector';
        } else {
          const matched = pools.filter((p) => matchesAnySelector(typed as LabelSelector[], p.labels));
          for (const p of matched) wanted.add(p.name);
          note(
            'adapted',
            o.source,
            'spec.ipAddressPoolSelectors',
            `Herald has no pool labels; resolved now to the pools they select: ${
              matched.length === 0 ? 'none' : matched.map((p) => p.name).join(', ')
            } (a pool labelled later is not covered)`,
          );
        }
      }
      for (const ref of wanted) {
        const mapped = poolName.get(ref);
        if (mapped !== undefined) poolRefs.push(mapped);
        else
          note(
            'dropped',
            o.source,
            'spec.ipAddressPools',
            `no IPAddressPool "${ref}" (MetalLB ignores it too)`,
          );
      }
      poolRefs = [...new Set(poolRefs)];
      if (poolRefs.length === 0 && dropReason === undefined)
        dropReason = 'it selects no pool Herald has, and an empty addressPools list would mean every pool';
    }
    return { pools: poolRefs, dropReason };
  }

  // --- BGPAdvertisement → bgpAdvertisements
  const advNames = new Names();
  for (const o of bgpAdvs) {
    const s = o.spec;
    const adv: Record<string, unknown> = {};
    const resolved = advertisedPools(o);
    const poolRefs = resolved.pools;
    let dropReason = resolved.dropReason;
    const peerRefs: string[] = [];
    const listedPeers = strings(s.peers);
    for (const ref of listedPeers) {
      const mapped = peerName.get(ref);
      if (mapped !== undefined) peerRefs.push(mapped);
      else
        note(
          'dropped',
          o.source,
          'spec.peers',
          droppedPeers.has(ref) ? `peer "${ref}": ${droppedPeers.get(ref)}` : `no BGPPeer "${ref}"`,
        );
    }
    if (listedPeers.length > 0 && peerRefs.length === 0 && dropReason === undefined)
      dropReason = 'none of its peers is in the result, and an empty peers list would mean every peer';
    if (dropReason !== undefined) {
      note('dropped', o.source, '', `the whole advertisement: ${dropReason}`);
      continue;
    }
    const name = rename(advNames, o, 'advertisement');
    adv.name = name;
    if (poolRefs.length > 0) adv.addressPools = poolRefs;
    if (s.aggregationLength !== undefined) adv.aggregationLength = s.aggregationLength;
    if (s.aggregationLengthV6 !== undefined) adv.aggregationLengthV6 = s.aggregationLengthV6;
    if (s.localPref !== undefined && s.localPref !== 0) {
      const selected =
        listedPeers.length > 0 ? listedPeers.filter((p) => peerName.has(p)) : [...peerName.keys()];
      if (selected.length > 0 && !selected.some((p) => internal.get(p))) {
        note(
          'dropped',
          o.source,
          'spec.localPref',
          'LOCAL_PREF is sent to iBGP peers only (RFC 4271 §5.1.5) and every peer it selects is eBGP; ' +
            'MetalLB did not send it either',
        );
      } else adv.localPref = s.localPref;
    }
    const communities: string[] = [];
    const large: string[] = [];
    strings(s.communities).forEach((c) => {
      const alias = aliases.get(c);
      if (alias !== undefined) (alias.large ? large : communities).push(alias.ref);
      else if (c.startsWith('large:')) large.push(canonicalNumbers(c.slice('large:'.length)));
      else communities.push(canonicalNumbers(c));
    });
    if (communities.length > 0) adv.communities = communities;
    if (large.length > 0) adv.largeCommunities = large;
    if (listedPeers.length > 0) adv.peers = peerRefs;
    if (s.nodeSelectors !== undefined) adv.nodeSelectors = selectorList(s.nodeSelectors);
    doc.bgpAdvertisements.push(adv);
    origins.bgpAdvertisements.push(o.source);
  }

  // --- L2Advertisement → l2Advertisements
  const l2Names = new Names();
  for (const o of l2Advs) {
    const s = o.spec;
    const { pools: poolRefs, dropReason } = advertisedPools(o);
    if (dropReason !== undefined) {
      note('dropped', o.source, '', `the whole advertisement: ${dropReason}`);
      continue;
    }
    const adv: Record<string, unknown> = { name: rename(l2Names, o, 'L2 advertisement') };
    if (poolRefs.length > 0) adv.addressPools = poolRefs;
    if (s.nodeSelectors !== undefined) adv.nodeSelectors = selectorList(s.nodeSelectors);
    const interfaces = strings(s.interfaces);
    if (interfaces.length > 0) adv.interfaces = interfaces;
    else
      note(
        'adapted',
        o.source,
        'spec.interfaces',
        "unset: MetalLB answers on every interface, Herald on the interface holding the node's InternalIP; " +
          'list the interfaces (or interfaceSelector.namePatterns) if clients reach the nodes on others',
      );
    note(
      'adapted',
      o.source,
      '',
      'Herald answers ARP/NDP only with the chart value speaker.l2.enabled: true (the speaker then gets CAP_NET_RAW ' +
        'and a heartbeat key Secret); helm refuses a config with l2Advertisements without it',
    );
    doc.l2Advertisements ??= [];
    doc.l2Advertisements.push(adv);
    origins.l2Advertisements.push(o.source);
  }

  return { document: doc, notes, origins };
}
