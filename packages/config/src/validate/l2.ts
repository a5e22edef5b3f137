// l2Advertisements: references to pools exist, interfaces are given one way (a list of names or a selector),
// with no name or pattern listed twice, and node selectors are valid. Interface names themselves are shaped
// by the schema (interfaceNamePattern).
import type { Path } from '../path.ts';
import { isObject } from '../shape.ts';
import { type Ctx, checkDuplicateNames, err, field, list } from './context.ts';
import { isNodeAddressPool } from './node-addresses.ts';
import { checkPoolReferences } from './pool-references.ts';
import { checkSelectorList } from './selectors.ts';

function checkNoRepeats(ctx: Ctx, values: readonly unknown[], path: Path, what: string): void {
  values.forEach((v, k) => {
    if (typeof v === 'string' && values.indexOf(v) !== k)
      err(ctx, [...path, k], `${what} "${v}" is listed twice`);
  });
}

export function checkL2Advertisements(ctx: Ctx, advs: readonly unknown[], pools: readonly unknown[]): void {
  checkDuplicateNames(ctx, advs, 'l2Advertisements', 'L2 advertisement');
  advs.forEach((adv, i) => {
    const p: Path = ['l2Advertisements', i];
    checkPoolReferences(ctx, adv, p, pools);
    list(field(adv, 'addressPools')).forEach((n, k) => {
      const pool = pools.find((x) => field(x, 'name') === n);
      if (typeof n === 'string' && isNodeAddressPool(pool))
        err(
          ctx,
          [...p, 'addressPools', k],
          `pool "${n}" hands out node addresses, which each node already answers ARP/NDP for; remove it here`,
        );
    });
    checkSelectorList(ctx, field(adv, 'nodeSelectors'), [...p, 'nodeSelectors']);
    const interfaces = field(adv, 'interfaces');
    const selector = field(adv, 'interfaceSelector');
    if (interfaces !== undefined && interfaces !== null && isObject(selector))
      err(
        ctx,
        [...p, 'interfaceSelector'],
        'give either interfaces (names) or interfaceSelector (patterns), not both',
      );
    checkNoRepeats(ctx, list(interfaces), [...p, 'interfaces'], 'interface');
    list(interfaces).forEach((name, k) => {
      if (name === '.' || name === '..')
        err(ctx, [...p, 'interfaces', k], `"${name}" is not a Linux interface name`);
    });
    checkNoRepeats(
      ctx,
      list(field(selector, 'namePatterns')),
      [...p, 'interfaceSelector', 'namePatterns'],
      'pattern',
    );
  });
}
