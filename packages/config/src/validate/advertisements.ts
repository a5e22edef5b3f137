// bgpAdvertisements: references to pools and peers exist, aggregation never announces addresses outside a
// pool, LOCAL_PREF reaches at least one iBGP peer, and every listed community resolves.
import { type Family, familyBits } from '@herald/inet';
import type { Path } from '../path.ts';
import { suggestion } from '../shape.ts';
import { type Aliases, resolveLarge, resolveStandard } from './communities.ts';
import { type Ctx, checkDuplicateNames, err, field, int, list, str, warn } from './context.ts';
import type { PeerFacts } from './peers.ts';
import { checkPoolReferences } from './pool-references.ts';
import type { ParsedPools } from './pools.ts';
import { checkSelectorList } from './selectors.ts';
import { checkTraffic } from './traffic.ts';

function checkAggregation(
  ctx: Ctx,
  adv: unknown,
  path: Path,
  family: Family,
  poolIndexes: readonly number[],
  pools: readonly unknown[],
  parsed: ParsedPools,
): void {
  const key = family === 'ipv4' ? 'aggregationLength' : 'aggregationLengthV6';
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

/** LOCAL_PREF is an iBGP attribute: an error when no selected peer can receive it, a warning when some cannot. */
function checkLocalPref(ctx: Ctx, adv: unknown, p: Path, selectedPeers: readonly PeerFacts[]): void {
  const localPref = field(adv, 'localPref');
  if (
    typeof localPref !== 'number' ||
    selectedPeers.length === 0 ||
    !selectedPeers.every((x) => x.internal !== undefined)
  )
    return;
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

export function checkAdvertisements(
  ctx: Ctx,
  advs: readonly unknown[],
  pools: readonly unknown[],
  parsed: ParsedPools,
  peers: readonly PeerFacts[],
  aliases: Aliases,
  rawAliases: readonly string[],
): void {
  checkDuplicateNames(ctx, advs, 'bgpAdvertisements', 'advertisement');
  const knownPeers = peers.map((p) => p.name);
  advs.forEach((adv, i) => {
    const p: Path = ['bgpAdvertisements', i];
    const selectedPools = checkPoolReferences(ctx, adv, p, pools);
    checkAggregation(ctx, adv, p, 'ipv4', selectedPools, pools, parsed);
    checkAggregation(ctx, adv, p, 'ipv6', selectedPools, pools, parsed);

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
    checkLocalPref(ctx, adv, p, selectedPeers);

    list(field(adv, 'communities')).forEach((c, k) => {
      resolveStandard(ctx, c, [...p, 'communities', k], aliases, rawAliases);
    });
    list(field(adv, 'largeCommunities')).forEach((c, k) => {
      resolveLarge(ctx, c, [...p, 'largeCommunities', k], aliases, rawAliases);
    });
    checkSelectorList(ctx, field(adv, 'nodeSelectors'), [...p, 'nodeSelectors']);
    checkTraffic(ctx, adv, p, selectedPeers, aliases, rawAliases);
  });
}
