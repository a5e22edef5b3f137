// Which pools may serve a Service, and in which order (serviceAllocation). Label matching follows
// Kubernetes semantics; the allocator keeps its own small matcher so it has no runtime dependency.

import type { LabelSelector, Labels, PoolDefinition } from './types.ts';

export function matchesLabelSelector(selector: LabelSelector, labels: Labels | undefined): boolean {
  const l: Labels = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels))
    if (l[k] !== v || !Object.hasOwn(l, k)) return false;
  for (const req of selector.matchExpressions) {
    const has = Object.hasOwn(l, req.key);
    switch (req.operator) {
      case 'In':
        if (!has || !req.values.includes(l[req.key]!)) return false;
        break;
      case 'NotIn':
        if (has && req.values.includes(l[req.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

export interface Subject {
  readonly namespace: string;
  readonly labels: Labels;
  readonly namespaceLabels: Labels | undefined;
}

/**
 * serviceAllocation semantics: the namespace must be listed in `namespaces` OR match a `namespaceSelectors`
 * entry (no restriction when both are empty), AND the Service must match a `serviceSelectors` entry (no
 * restriction when empty). A pool without serviceAllocation serves everyone.
 */
export function poolAllows(pool: PoolDefinition, subject: Subject): boolean {
  const sa = pool.serviceAllocation;
  if (sa === undefined) return true;
  if (sa.namespaces.length > 0 || sa.namespaceSelectors.length > 0) {
    const listed = sa.namespaces.includes(subject.namespace);
    const selected =
      subject.namespaceLabels !== undefined &&
      sa.namespaceSelectors.some((s) => matchesLabelSelector(s, subject.namespaceLabels));
    if (!listed && !selected) return false;
  }
  if (
    sa.serviceSelectors.length > 0 &&
    !sa.serviceSelectors.some((s) => matchesLabelSelector(s, subject.labels))
  )
    return false;
  return true;
}
