// Per-Service BGP attributes: a Service asks for communities, large communities or a LOCAL_PREF with
// annotations, and gets only what the bgpAdvertisement that announces it allows (`serviceAttributes`). One
// implementation for everyone: config validation parses the allow-lists here, the speaker applies the answer
// to its routes, the controller reports what was refused in an Event. Pure: annotations in, values and
// refusals out.
import { formatLargeCommunity, type LargeCommunity, parseCommunity, parseLargeCommunity } from '@herald/inet';
import { annotations } from './constants.ts';
import type { CommunityValue, HeraldConfig } from './types.ts';

/** `"64512:100"`, `"64512:*"` (any value of AS 64512), a well-known name or an alias, resolved. */
export interface CommunityPattern {
  /** As written in the config. */
  readonly text: string;
  readonly asn: number;
  /** undefined: any value. */
  readonly value: number | undefined;
}

/** `"64512:1:2"`, `"64512:1:*"`, `"64512:*:*"` or an alias, resolved; undefined parts match anything. */
export interface LargeCommunityPattern {
  readonly text: string;
  readonly global: number;
  readonly local1: number | undefined;
  readonly local2: number | undefined;
}

/** What a bgpAdvertisement lets a Service add to its routes by annotation. */
export interface ServiceAttributePolicy {
  readonly communities: readonly CommunityPattern[];
  readonly largeCommunities: readonly LargeCommunityPattern[];
  /** Inclusive bounds; undefined: the LOCAL_PREF annotation is refused. */
  readonly localPref: { readonly minimum: number; readonly maximum: number } | undefined;
}

type Aliases = ReadonlyMap<string, CommunityValue>;

const WILDCARD = '*';
const UINT16 = /^(0|[1-9]\d{0,4})$/;
const UINT32 = /^(0|[1-9]\d{0,9})$/;

function part(text: string, pattern: RegExp, max: number): number | undefined | null {
  if (text === WILDCARD) return undefined;
  if (!pattern.test(text)) return null;
  const n = Number(text);
  return n <= max ? n : null;
}

/** A standard-community allow-list entry; undefined when it is none (validation words the error). */
export function parseCommunityPattern(text: string, aliases: Aliases): CommunityPattern | undefined {
  const alias = aliases.get(text);
  if (alias?.kind === 'standard') return { text, asn: alias.value >>> 16, value: alias.value & 0xffff };
  const exact = parseCommunity(text);
  if (exact !== undefined) return { text, asn: exact >>> 16, value: exact & 0xffff };
  const parts = text.split(':');
  if (parts.length !== 2 || parts[1] !== WILDCARD) return undefined;
  const asn = part(parts[0]!, UINT16, 0xffff);
  return typeof asn === 'number' ? { text, asn, value: undefined } : undefined;
}

/** A large-community allow-list entry; `*` may stand for Local Data 2, or for both Local Data parts. */
export function parseLargeCommunityPattern(
  text: string,
  aliases: Aliases,
): LargeCommunityPattern | undefined {
  const alias = aliases.get(text);
  if (alias?.kind === 'large')
    return { text, global: alias.value[0], local1: alias.value[1], local2: alias.value[2] };
  const parts = text.split(':');
  if (parts.length !== 3) return undefined;
  const global = part(parts[0]!, UINT32, 0xffffffff);
  const local1 = part(parts[1]!, UINT32, 0xffffffff);
  const local2 = part(parts[2]!, UINT32, 0xffffffff);
  if (typeof global !== 'number' || local1 === null || local2 === null) return undefined;
  if (local1 === undefined && local2 !== undefined) return undefined; // "64512:*:7" matches nothing useful
  return { text, global, local1, local2 };
}

const matchesCommunity = (p: CommunityPattern, c: number) =>
  p.asn === c >>> 16 && (p.value === undefined || p.value === (c & 0xffff));
const matchesLarge = (p: LargeCommunityPattern, c: LargeCommunity) =>
  p.global === c[0] &&
  (p.local1 === undefined || p.local1 === c[1]) &&
  (p.local2 === undefined || p.local2 === c[2]);

/** One annotation value the advertisement did not let through, and why. */
export interface AttributeRefusal {
  readonly annotation: string;
  readonly value: string;
  readonly reason: string;
}

/** What a Service's annotations add to its routes under one advertisement. */
export interface ServiceBgpAttributes {
  readonly communities: readonly number[];
  readonly largeCommunities: readonly LargeCommunity[];
  readonly localPref: number | undefined;
  readonly refused: readonly AttributeRefusal[];
}

const NONE: ServiceBgpAttributes = {
  communities: [],
  largeCommunities: [],
  localPref: undefined,
  refused: [],
};

/** The annotation keys this module reads (all in the one known-annotation list, `annotations`). */
export const serviceAttributeAnnotations = [
  annotations.bgpCommunities,
  annotations.bgpLargeCommunities,
  annotations.bgpLocalPref,
] as const;

/** True when the Service carries any of the per-Service attribute annotations (the common case is none). */
export function hasServiceAttributeAnnotations(anns: Readonly<Record<string, string>> | undefined): boolean {
  return anns !== undefined && serviceAttributeAnnotations.some((k) => anns[k] !== undefined);
}

const items = (text: string | undefined): string[] =>
  (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/**
 * The attributes ANNS ask for that advertisement AD allows, and every value it refused with the reason.
 * Values: comma-separated communities (`"64512:100, no-export, from-k8s"`: numeric, a well-known name or a
 * bgpCommunities alias), large communities (numeric or alias), and one LOCAL_PREF (0..4294967295).
 */
export function serviceBgpAttributes(
  anns: Readonly<Record<string, string>> | undefined,
  ad: { readonly name: string; readonly serviceAttributes?: ServiceAttributePolicy | undefined },
  aliases: Aliases,
): ServiceBgpAttributes {
  if (!hasServiceAttributeAnnotations(anns)) return NONE;
  const policy = ad.serviceAttributes;
  const refused: AttributeRefusal[] = [];
  const refuse = (annotation: string, value: string, reason: string) =>
    refused.push({ annotation, value, reason });
  const notAllowed = (what: string, list: readonly { text: string }[]) =>
    policy === undefined
      ? `bgpAdvertisement "${ad.name}" allows no per-Service attributes (it has no serviceAttributes)`
      : `not allowed by bgpAdvertisement "${ad.name}" (serviceAttributes.${what}: ${list.length === 0 ? 'none' : list.map((p) => p.text).join(', ')})`;

  /** One kind of community: values parsed, the allowed ones kept (once), the rest refused with the reason. */
  const pick = <V>(kind: {
    readonly annotation: string;
    readonly field: 'communities' | 'largeCommunities';
    readonly parse: (text: string) => V | undefined;
    readonly syntax: string;
    /** Where a value of the other kind belongs, when TEXT is one. */
    readonly otherKind: (text: string) => string | undefined;
    readonly allowed: (v: V) => boolean;
    readonly key: (v: V) => string;
  }): V[] => {
    const out = new Map<string, V>();
    for (const text of items(anns![kind.annotation])) {
      const value = kind.parse(text);
      if (value === undefined) {
        const other = kind.otherKind(text);
        refuse(kind.annotation, text, `not ${kind.syntax}${other ? `; ${other}` : ''}`);
      } else if (!kind.allowed(value)) {
        refuse(kind.annotation, text, notAllowed(kind.field, policy?.[kind.field] ?? []));
      } else out.set(kind.key(value), value);
    }
    return [...out.values()];
  };
  const standard = (text: string) => {
    const alias = aliases.get(text);
    return alias ? (alias.kind === 'standard' ? alias.value : undefined) : parseCommunity(text);
  };
  const large = (text: string) => {
    const alias = aliases.get(text);
    return alias ? (alias.kind === 'large' ? alias.value : undefined) : parseLargeCommunity(text);
  };
  const communities = pick({
    annotation: annotations.bgpCommunities,
    field: 'communities',
    parse: standard,
    syntax: 'a community ("asn:value", a well-known name or a bgpCommunities alias)',
    otherKind: (t) => (large(t) ? `large communities go in ${annotations.bgpLargeCommunities}` : undefined),
    allowed: (v) => policy?.communities.some((p) => matchesCommunity(p, v)) ?? false,
    key: String,
  });
  const largeCommunities = pick({
    annotation: annotations.bgpLargeCommunities,
    field: 'largeCommunities',
    parse: large,
    syntax: 'a large community ("global:local1:local2" or a bgpCommunities alias)',
    otherKind: (t) =>
      standard(t) !== undefined ? `standard communities go in ${annotations.bgpCommunities}` : undefined,
    allowed: (v) => policy?.largeCommunities.some((p) => matchesLarge(p, v)) ?? false,
    key: formatLargeCommunity,
  });

  let localPref: number | undefined;
  const lp = anns![annotations.bgpLocalPref]?.trim();
  if (lp !== undefined) {
    const range = policy?.localPref;
    if (!UINT32.test(lp) || Number(lp) > 0xffffffff)
      refuse(annotations.bgpLocalPref, lp, 'not a LOCAL_PREF (a whole number 0..4294967295)');
    else if (policy === undefined) refuse(annotations.bgpLocalPref, lp, notAllowed('localPref', []));
    else if (range === undefined)
      refuse(
        annotations.bgpLocalPref,
        lp,
        `not allowed by bgpAdvertisement "${ad.name}" (it has no serviceAttributes.localPref)`,
      );
    else if (Number(lp) < range.minimum || Number(lp) > range.maximum)
      refuse(
        annotations.bgpLocalPref,
        lp,
        `outside ${range.minimum}..${range.maximum} (serviceAttributes.localPref of bgpAdvertisement "${ad.name}")`,
      );
    else localPref = Number(lp);
  }
  return { communities, largeCommunities, localPref, refused };
}

/** "herald.dev/bgp-communities: 65000:1 (not allowed by …)" — one line per refusal, for Events and logs. */
export function formatRefusal(r: AttributeRefusal): string {
  return `${r.annotation} ${r.value}: ${r.reason}`;
}

/**
 * Everything a Service's annotations ask for that some advertisement announcing its POOLS refuses (each once):
 * what the controller reports in an Event. The per-node part of the rules (nodeSelectors, peers) does not change
 * what an advertisement allows, so one answer holds for every speaker.
 */
export function serviceAttributeRefusals(
  anns: Readonly<Record<string, string>> | undefined,
  pools: readonly string[],
  config: Pick<HeraldConfig, 'bgpAdvertisements' | 'bgpCommunities'>,
): AttributeRefusal[] {
  if (!hasServiceAttributeAnnotations(anns)) return [];
  const out = new Map<string, AttributeRefusal>();
  for (const ad of config.bgpAdvertisements) {
    if (!ad.poolNames.some((p) => pools.includes(p))) continue;
    for (const r of serviceBgpAttributes(anns, ad, config.bgpCommunities).refused)
      out.set(formatRefusal(r), r);
  }
  return [...out.values()];
}
