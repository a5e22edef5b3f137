// Label selectors (pools' serviceAllocation, peers' and advertisements' nodeSelectors): Kubernetes label
// syntax and operator arity, then the typed selector.
import type { Path } from '../path.ts';
import {
  type LabelSelector,
  labelKeyProblem,
  labelValueProblem,
  type SelectorOperator,
} from '../selector.ts';
import { isObject } from '../shape.ts';
import { type Ctx, err, field, list, str } from './context.ts';

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
  list(field(sel, 'matchExpressions')).forEach((expr, i) => {
    const p = [...path, 'matchExpressions', i];
    const key = str(field(expr, 'key'));
    if (key !== undefined) {
      const kp = labelKeyProblem(key);
      if (kp !== undefined) err(ctx, [...p, 'key'], kp);
    }
    const op = str(field(expr, 'operator'));
    const values = list(field(expr, 'values'));
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

export function checkSelectorList(ctx: Ctx, v: unknown, path: Path): void {
  list(v).forEach((s, i) => {
    checkSelector(ctx, s, [...path, i]);
  });
}

function buildSelector(raw: unknown): LabelSelector {
  const ml = field(raw, 'matchLabels');
  return {
    matchLabels: isObject(ml) ? (Object.fromEntries(Object.entries(ml)) as Record<string, string>) : {},
    matchExpressions: list(field(raw, 'matchExpressions')).map((e) => ({
      key: str(field(e, 'key'))!,
      operator: str(field(e, 'operator')) as SelectorOperator,
      values: list(field(e, 'values')) as string[],
    })),
  };
}

export const buildSelectors = (v: unknown): LabelSelector[] => list(v).map(buildSelector);
