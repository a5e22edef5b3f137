// bgpCommunities aliases, and the communities an advertisement lists: a value (@herald/inet's text forms), a
// well-known name or an alias, each under the list of its kind, with a hint when it is under the other one.
import {
  formatLargeCommunity,
  isWellKnownCommunityName,
  type LargeCommunity,
  parseCommunity,
  parseLargeCommunity,
  WELL_KNOWN_COMMUNITIES,
} from '@herald/inet';
import type { Path } from '../path.ts';
import { isObject, suggestion } from '../shape.ts';
import type { CommunityValue } from '../types.ts';
import { type Ctx, err, NAME } from './context.ts';

export type Aliases = ReadonlyMap<string, CommunityValue>;

export function checkAliases(ctx: Ctx, raw: unknown): Map<string, CommunityValue> {
  const out = new Map<string, CommunityValue>();
  if (!isObject(raw)) return out;
  for (const [alias, v] of Object.entries(raw)) {
    if (isWellKnownCommunityName(alias)) {
      err(
        ctx,
        ['bgpCommunities', alias],
        `"${alias}" is a well-known community name and cannot be redefined`,
      );
      continue;
    }
    if (typeof v !== 'string') continue;
    // A name is not an alias's value: only numeric forms, told apart by their number of parts.
    const std = v.split(':').length === 2 ? parseCommunity(v) : undefined;
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

/** An alias that is written but invalid: reported where it is defined, not again where it is used. */
const looksLikeAlias = (text: string): boolean => NAME.test(text) && !/^\d+$/.test(text);

export function resolveStandard(
  ctx: Ctx,
  text: unknown,
  path: Path,
  aliases: Aliases,
  rawAliases: readonly string[],
): number | undefined {
  if (typeof text !== 'string') return undefined;
  const direct = parseCommunity(text);
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
  if (rawAliases.includes(text)) return undefined;
  const wellKnown = Object.keys(WELL_KNOWN_COMMUNITIES);
  if (looksLikeAlias(text)) {
    err(ctx, path, `unknown community alias "${text}"${suggestion(text, [...rawAliases, ...wellKnown])}`);
    return undefined;
  }
  const hint =
    parseLargeCommunity(text) !== undefined
      ? '; it looks like a large community: list it under largeCommunities'
      : '';
  err(
    ctx,
    path,
    `"${text}" is not a valid community: expected "asn:value" with both parts 0..65535, a well-known name (${wellKnown.join(', ')}) or a bgpCommunities alias${hint}`,
  );
  return undefined;
}

export function resolveLarge(
  ctx: Ctx,
  text: unknown,
  path: Path,
  aliases: Aliases,
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
  if (looksLikeAlias(text)) {
    err(ctx, path, `unknown community alias "${text}"${suggestion(text, rawAliases)}`);
    return undefined;
  }
  const hint =
    parseCommunity(text) !== undefined
      ? '; it looks like a standard community: list it under communities'
      : '';
  err(
    ctx,
    path,
    `"${text}" is not a valid large community: expected "global:local1:local2", each 0..4294967295${hint}`,
  );
  return undefined;
}
