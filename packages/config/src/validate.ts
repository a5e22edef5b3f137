// Validation = shape (the schema walk, shape.ts) + the rules that span fields, one module per concern in
// validate/, then the typed config with every default applied (validate/defaults.ts). All problems are
// collected, ordered like the document; nothing throws on any input.
import { formatPath, type Issue } from './path.ts';
import { jsonSchema } from './schema.ts';
import { checkShape, isObject, typeName } from './shape.ts';
import type { ConfigError, ConfigResult, HeraldConfig } from './types.ts';
import { checkAdvertisements } from './validate/advertisements.ts';
import { checkBfd } from './validate/bfd.ts';
import { checkAliases } from './validate/communities.ts';
import { type Ctx, err, list } from './validate/context.ts';
import { buildConfig } from './validate/defaults.ts';
import { checkL2Advertisements } from './validate/l2.ts';
import { checkNodeAddressPools } from './validate/node-addresses.ts';
import { sortIssues } from './validate/order.ts';
import { checkPeers } from './validate/peers.ts';
import { checkPools } from './validate/pools.ts';
import { checkCoverage } from './validate/warnings.ts';

export interface ValidationOutcome {
  readonly errors: readonly Issue[];
  readonly warnings: readonly Issue[];
  readonly config: HeraldConfig | undefined;
}

/** Full validation with raw paths (parse.ts uses them to find line numbers). */
export function validateDetailed(input: unknown): ValidationOutcome {
  const ctx: Ctx = { errors: [], warnings: [] };
  if (!isObject(input)) {
    const got = input === null || input === undefined ? 'an empty document' : typeName(input);
    err(
      ctx,
      [],
      `the configuration must be a mapping with addressPools, peers, bgpAdvertisements, bgpCommunities and l2Advertisements; got ${got}`,
    );
    return { errors: ctx.errors, warnings: [], config: undefined };
  }
  try {
    checkShape(input, jsonSchema, [], ctx.errors);
    const pools = list(input.addressPools);
    const peers = list(input.peers);
    const advs = list(input.bgpAdvertisements);
    const parsed = checkPools(ctx, pools);
    checkNodeAddressPools(ctx, pools, advs);
    const facts = checkPeers(ctx, peers);
    checkBfd(ctx, peers, list(input.bfdProfiles));
    const aliases = checkAliases(ctx, input.bgpCommunities);
    const rawAliases = isObject(input.bgpCommunities) ? Object.keys(input.bgpCommunities) : [];
    checkAdvertisements(ctx, advs, pools, parsed, facts, aliases, rawAliases);
    const l2 = list(input.l2Advertisements);
    checkL2Advertisements(ctx, l2, pools);
    checkCoverage(ctx, pools, peers, advs, l2);
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
