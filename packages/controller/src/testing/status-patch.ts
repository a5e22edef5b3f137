// The apiserver's side of a status write, for unit tests: applies a StatusPatch to a Service the way
// kube-apiserver applies the strategic merge patch the controller sends (annotations merge with null deleting,
// ingress is atomic and replaced, conditions merge by type with `$patch: delete` removing one) and bumps the
// resourceVersion. e2e tests prove the same against the real apiserver.
import type { V1Condition, V1Service } from '@kubernetes/client-node';
import type { StatusPatch } from '../service.ts';

export function applyStatusPatch(svc: V1Service, patch: StatusPatch): V1Service {
  const annotations = { ...svc.metadata?.annotations };
  for (const [k, v] of Object.entries(patch.metadata.annotations ?? {})) {
    if (v === null) delete annotations[k];
    else annotations[k] = v;
  }
  const conditions = [...(svc.status?.conditions ?? [])];
  for (const c of patch.status.conditions ?? []) {
    const at = conditions.findIndex((x) => x.type === c.type);
    if ('$patch' in c) {
      if (at >= 0) conditions.splice(at, 1);
      continue;
    }
    const merged = { ...(at >= 0 ? conditions[at] : {}), ...c } as unknown as V1Condition;
    if (at >= 0) conditions[at] = merged;
    else conditions.push(merged);
  }
  return {
    ...svc,
    metadata: {
      ...svc.metadata,
      annotations,
      resourceVersion: String(Number(svc.metadata?.resourceVersion ?? '0') + 1),
    },
    status: {
      ...svc.status,
      loadBalancer: patch.status.loadBalancer ?? svc.status?.loadBalancer,
      conditions,
    },
  };
}
