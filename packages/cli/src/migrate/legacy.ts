// MetalLB's pre-0.13 configuration (the `config` key of the ConfigMap metallb-system/config, kebab-case) →
// the equivalent metallb.io objects, as MetalLB's own ConfigMap-to-CRs converter did, so convert.ts is the one
// mapping to Herald. Each object remembers where its fields were written (`peers[0].hold-time`), so notes name
// the legacy field, not the CR one.
import {
  isRecord,
  type MetallbKind,
  type MetallbObject,
  type MigrationNote,
  type SourceRef,
} from './types.ts';

// CR field → legacy key, for the fields whose spelling is not simply kebab-case of the CR's.
const peerKeys: Readonly<Record<string, string>> = {
  myASN: 'my-asn',
  peerASN: 'peer-asn',
  peerAddress: 'peer-address',
  peerPort: 'peer-port',
  holdTime: 'hold-time',
  keepaliveTime: 'keepalive-time',
  routerID: 'router-id',
  sourceAddress: 'source-address',
  password: 'password',
  bfdProfile: 'bfd-profile',
  ebgpMultiHop: 'ebgp-multihop',
  nodeSelectors: 'node-selectors',
};
const poolKeys: Readonly<Record<string, string>> = {
  addresses: 'addresses',
  autoAssign: 'auto-assign',
  avoidBuggyIPs: 'avoid-buggy-ips',
};
const advertisementKeys: Readonly<Record<string, string>> = {
  aggregationLength: 'aggregation-length',
  aggregationLengthV6: 'aggregation-length-v6',
  localPref: 'localpref',
  communities: 'communities',
};
/** BFDProfile spec field → legacy `bfd-profiles[]` key. */
const bfdKeys: Readonly<Record<string, string>> = {
  receiveInterval: 'receive-interval',
  transmitInterval: 'transmit-interval',
  detectMultiplier: 'detect-multiplier',
  echoInterval: 'echo-interval',
  echoMode: 'echo-mode',
  passiveMode: 'passive-mode',
  minimumTtl: 'minimum-ttl',
};

/** `spec.holdTime[...]` → `<prefix>.hold-time[...]` via a key table. */
function legacySource(label: string, prefix: string, keys: Readonly<Record<string, string>>): SourceRef {
  return {
    label,
    field: (crField) => {
      if (crField === '') return prefix;
      if (crField === 'metadata.name') return `${prefix}.name`;
      const m = /^spec\.([A-Za-z0-9]+)(.*)$/.exec(crField);
      if (m === null) return `${prefix}.${crField}`;
      return `${prefix}.${keys[m[1]!] ?? m[1]}${m[2]}`;
    },
  };
}

function renameKeys(
  value: Record<string, unknown>,
  keys: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [cr, legacy] of Object.entries(keys)) if (value[legacy] !== undefined) out[cr] = value[legacy];
  return out;
}

/** Legacy selectors use match-labels / match-expressions. */
function legacySelectors(v: unknown): unknown {
  if (!Array.isArray(v)) return v;
  return v.map((s) =>
    isRecord(s)
      ? {
          ...(s['match-labels'] !== undefined ? { matchLabels: s['match-labels'] } : {}),
          ...(s['match-expressions'] !== undefined ? { matchExpressions: s['match-expressions'] } : {}),
        }
      : s,
  );
}

/**
 * The objects equivalent to a legacy config document. `label` names the source ("ConfigMap
 * metallb-system/config" or a file); `prefix` is where the document sits in it ('data.config' or '').
 */
export function legacyToObjects(
  config: unknown,
  label: string,
  prefix: string,
): { objects: MetallbObject[]; notes: MigrationNote[] } {
  const objects: MetallbObject[] = [];
  const notes: MigrationNote[] = [];
  const at = (path: string) => (prefix === '' ? path : `${prefix} ${path}`);
  const add = (kind: MetallbKind, name: string, spec: Record<string, unknown>, source: SourceRef) =>
    objects.push({ kind, name, namespace: undefined, labels: {}, spec, source });
  if (!isRecord(config)) {
    notes.push({
      action: 'ignored',
      source: label,
      field: prefix,
      reason: 'the legacy config is not a mapping',
    });
    return { objects, notes };
  }
  const unknownKeys = (value: Record<string, unknown>, known: readonly string[], path: string) => {
    for (const k of Object.keys(value))
      if (!known.includes(k))
        notes.push({
          action: 'ignored',
          source: label,
          field: at(path === '' ? k : `${path}.${k}`),
          reason: "not a field of MetalLB's legacy configuration; not converted",
        });
  };
  unknownKeys(config, ['peers', 'address-pools', 'bgp-communities', 'bfd-profiles'], '');

  const peers = Array.isArray(config.peers) ? config.peers : [];
  peers.forEach((p, i) => {
    const path = `peers[${i}]`;
    if (!isRecord(p)) return;
    unknownKeys(p, Object.values(peerKeys), path);
    const spec = renameKeys(p, peerKeys);
    if (spec.nodeSelectors !== undefined) spec.nodeSelectors = legacySelectors(spec.nodeSelectors);
    const address = typeof p['peer-address'] === 'string' ? p['peer-address'] : `${i + 1}`;
    add('BGPPeer', `peer-${address.replace(/[.:]+/g, '-')}`, spec, legacySource(label, at(path), peerKeys));
  });

  const pools = Array.isArray(config['address-pools']) ? config['address-pools'] : [];
  pools.forEach((p, i) => {
    const path = `address-pools[${i}]`;
    if (!isRecord(p)) return;
    unknownKeys(p, ['name', 'protocol', ...Object.values(poolKeys), 'bgp-advertisements'], path);
    const name = typeof p.name === 'string' ? p.name : `pool-${i + 1}`;
    add('IPAddressPool', name, renameKeys(p, poolKeys), legacySource(label, at(path), poolKeys));
    if (p.protocol === 'layer2') {
      add(
        'L2Advertisement',
        name,
        { ipAddressPools: [name] },
        // Every note about it concerns `protocol: layer2`, the only thing the legacy format says about layer 2.
        { label, field: () => at(`${path}.protocol`) },
      );
      return;
    }
    const advs = Array.isArray(p['bgp-advertisements']) ? p['bgp-advertisements'] : [{}];
    advs.forEach((a, j) => {
      const advPath = `${path}.bgp-advertisements[${j}]`;
      if (!isRecord(a)) return;
      unknownKeys(a, Object.values(advertisementKeys), advPath);
      add(
        'BGPAdvertisement',
        advs.length === 1 ? name : `${name}-${j + 1}`,
        { ...renameKeys(a, advertisementKeys), ipAddressPools: [name] },
        legacySource(label, at(Array.isArray(p['bgp-advertisements']) ? advPath : path), advertisementKeys),
      );
    });
  });

  const communities = config['bgp-communities'];
  if (isRecord(communities)) {
    add(
      'Community',
      'bgp-communities',
      { communities: Object.entries(communities).map(([name, value]) => ({ name, value: String(value) })) },
      {
        label,
        field: (crField) => {
          const m = /^spec\.communities\[(\d+)\]/.exec(crField);
          const key = m ? Object.keys(communities)[Number(m[1])] : undefined;
          return at(key === undefined ? 'bgp-communities' : `bgp-communities.${key}`);
        },
      },
    );
  }

  const bfd = Array.isArray(config['bfd-profiles']) ? config['bfd-profiles'] : [];
  bfd.forEach((b, i) => {
    if (!isRecord(b)) return;
    unknownKeys(b, ['name', ...Object.values(bfdKeys)], `bfd-profiles[${i}]`);
    const spec: Record<string, unknown> = {};
    for (const [field, key] of Object.entries(bfdKeys)) if (b[key] !== undefined) spec[field] = b[key];
    add('BFDProfile', String(b.name ?? i + 1), spec, legacySource(label, at(`bfd-profiles[${i}]`), bfdKeys));
  });
  return { objects, notes };
}

/** Does a YAML document look like a legacy config rather than a Kubernetes object? */
export function looksLegacy(value: unknown): boolean {
  return (
    isRecord(value) &&
    value.kind === undefined &&
    ['peers', 'address-pools', 'bgp-communities', 'bfd-profiles'].some((k) => Object.hasOwn(value, k))
  );
}
