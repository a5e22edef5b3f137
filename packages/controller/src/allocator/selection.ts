// Which pools may serve a Service (serviceAllocation). Label matching is @herald/config's (Kubernetes
// semantics); the order among allowed pools is @herald/config's comparePoolPreference.

import { matchesLabelSelector } from '@herald/config';
import type { Labels, PoolDefinition } from './types.ts';

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
