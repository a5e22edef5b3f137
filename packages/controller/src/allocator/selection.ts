// Which pools may serve a Service (serviceAllocation). Label matching is @herald/config's (Kubernetes
// semantics); the order among allowed pools is @herald/config's comparePoolPreference.

import { poolAcceptsService } from '@herald/config';
import type { Labels, PoolDefinition } from './types.ts';

export interface Subject {
  readonly namespace: string;
  readonly labels: Labels;
  readonly namespaceLabels: Labels | undefined;
}

/** serviceAllocation semantics are @herald/config's `poolAcceptsService`; this maps the allocator's subject. */
export function poolAllows(pool: PoolDefinition, subject: Subject): boolean {
  return poolAcceptsService(pool, {
    namespace: subject.namespace,
    namespaceLabels: subject.namespaceLabels,
    serviceLabels: subject.labels,
  });
}
