// bgpAdvertisements' traffic fields: weighting and its hold-down, graceful shutdown (RFC 8326), and the
// allow-list of per-Service attributes (serviceAttributes). Checked here and built here, so the rest of
// validation only calls in.
import { defaults } from '../constants.ts';
import { parseDuration } from '../duration.ts';
import type { Path } from '../path.ts';
import {
  type CommunityPattern,
  type LargeCommunityPattern,
  parseCommunityPattern,
  parseLargeCommunityPattern,
  type ServiceAttributePolicy,
} from '../service-attributes.ts';
import { isObject, suggestion } from '../shape.ts';
import type { BgpAdvertisement, CommunityValue } from '../types.ts';
import { type Ctx, err, field, int, list, seconds, str, warn } from './context.ts';
import type { PeerFacts } from './peers.ts';

type Aliases = ReadonlyMap<string, CommunityValue>;

/** Longest weightHoldDown and drainTime: beyond an hour a "hold-down" or a "drain" is an outage. */
export const MAX_TRAFFIC_SECONDS = 3600;

function checkDuration(ctx: Ctx, v: unknown, path: Path): void {
  const text = str(v);
  const d = text === undefined ? undefined : parseDuration(text);
  if (d?.ok && d.seconds > MAX_TRAFFIC_SECONDS)
    err(ctx, path, `${text} is longer than ${MAX_TRAFFIC_SECONDS / 60}m, the longest allowed`);
}

function aliasHint(
  text: string,
  aliases: Aliases,
  want: CommunityValue['kind'],
  rawAliases: readonly string[],
) {
  const alias = aliases.get(text);
  if (alias && alias.kind !== want)
    return `; alias "${text}" is a ${alias.kind} community: list it under ${want === 'standard' ? 'largeCommunities' : 'communities'}`;
  if (/^[a-z]/.test(text)) return `; no such bgpCommunities alias${suggestion(text, rawAliases)}`;
  const other =
    want === 'standard'
      ? parseLargeCommunityPattern(text, aliases) !== undefined
      : parseCommunityPattern(text, aliases) !== undefined;
  if (other)
    return `; it looks like a ${want === 'standard' ? 'large' : 'standard'} community: list it under ${want === 'standard' ? 'largeCommunities' : 'communities'}`;
  return '';
}

function checkServiceAttributes(
  ctx: Ctx,
  raw: unknown,
  p: Path,
  selectedPeers: readonly PeerFacts[],
  aliases: Aliases,
  rawAliases: readonly string[],
): void {
  if (!isObject(raw)) return;
  list(raw.communities).forEach((c, k) => {
    if (typeof c !== 'string' || parseCommunityPattern(c, aliases) !== undefined) return;
    err(
      ctx,
      [...p, 'communities', k],
      `"${c}" is not an allowed-community entry: expected "asn:value", "asn:*" (asn and value 0..65535), a well-known name or a bgpCommunities alias${aliasHint(c, aliases, 'standard', rawAliases)}`,
    );
  });
  list(raw.largeCommunities).forEach((c, k) => {
    if (typeof c !== 'string' || parseLargeCommunityPattern(c, aliases) !== undefined) return;
    err(
      ctx,
      [...p, 'largeCommunities', k],
      `"${c}" is not an allowed-large-community entry: expected "global:local1:local2", "global:local1:*" or "global:*:*" (each 0..4294967295), or a bgpCommunities alias${aliasHint(c, aliases, 'large', rawAliases)}`,
    );
  });
  const lp = raw.localPref;
  if (!isObject(lp)) return;
  const min = int(lp.minimum) ?? 0;
  const max = int(lp.maximum) ?? 0xffffffff;
  if (min > max) err(ctx, [...p, 'localPref', 'maximum'], `${max} is below minimum ${min}`);
  const known = selectedPeers.every((x) => x.internal !== undefined);
  if (known && selectedPeers.length > 0 && selectedPeers.every((x) => x.internal === false))
    warn(
      ctx,
      [...p, 'localPref'],
      'LOCAL_PREF is only sent to iBGP peers (RFC 4271 §5.1.5) and every selected peer is eBGP: a herald.dev/bgp-local-pref annotation changes nothing',
    );
}

/** The checks that span fields; shapes, enums and duration syntax are the schema's. */
export function checkTraffic(
  ctx: Ctx,
  adv: unknown,
  p: Path,
  selectedPeers: readonly PeerFacts[],
  aliases: Aliases,
  rawAliases: readonly string[],
): void {
  checkDuration(ctx, field(adv, 'weightHoldDown'), [...p, 'weightHoldDown']);
  checkDuration(ctx, field(field(adv, 'gracefulShutdown'), 'drainTime'), [
    ...p,
    'gracefulShutdown',
    'drainTime',
  ]);
  checkServiceAttributes(
    ctx,
    field(adv, 'serviceAttributes'),
    [...p, 'serviceAttributes'],
    selectedPeers,
    aliases,
    rawAliases,
  );
}

function buildPolicy(raw: unknown, aliases: Aliases): ServiceAttributePolicy | undefined {
  if (!isObject(raw)) return undefined;
  const lp = raw.localPref;
  return {
    // Validated: every entry parses.
    communities: list(raw.communities).map(
      (c) => parseCommunityPattern(c as string, aliases) as CommunityPattern,
    ),
    largeCommunities: list(raw.largeCommunities).map(
      (c) => parseLargeCommunityPattern(c as string, aliases) as LargeCommunityPattern,
    ),
    localPref: isObject(lp)
      ? { minimum: int(lp.minimum) ?? 0, maximum: int(lp.maximum) ?? 0xffffffff }
      : undefined,
  };
}

/** The traffic fields of one advertisement with defaults applied (only reached with zero errors). */
export function buildTraffic(
  raw: unknown,
  aliases: Aliases,
): Pick<BgpAdvertisement, 'weighting' | 'weightHoldDownSeconds' | 'gracefulShutdown' | 'serviceAttributes'> {
  const gs = field(raw, 'gracefulShutdown');
  return {
    weighting: str(field(raw, 'weighting')) === 'endpoints' ? 'endpoints' : 'none',
    weightHoldDownSeconds: seconds(field(raw, 'weightHoldDown'), defaults.weightHoldDown),
    gracefulShutdown: {
      drainTimeSeconds: seconds(field(gs, 'drainTime'), defaults.drainTime),
      cordonedNodes: str(field(gs, 'cordonedNodes')) === 'withdraw' ? 'withdraw' : 'announce',
    },
    serviceAttributes: buildPolicy(field(raw, 'serviceAttributes'), aliases),
  };
}
