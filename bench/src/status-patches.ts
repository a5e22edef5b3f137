// The Service status writes the controller benches compare, sent the same way (one pooled KubeClient):
// - the bare write, the reference: a JSON merge patch of the ingress alone, no field manager;
// - herald-controller's write for a new assignment, built by the controller's own statusPatchFor: a strategic
//   merge patch with the ingress (ipMode VIP), the pool annotation, the AddressAllocated condition and the
//   resourceVersion precondition, under the controller's field manager (bench:patch-content also sends it
//   without its condition or its annotation).
import { allocatedCondition, allocatedReasons, FIELD_MANAGER, statusPatchFor } from '@herald/controller';
import type { KubeClient } from '@herald/kube';
import type { V1Service } from '@kubernetes/client-node';

/** The I-th status address the loops write (198.18.200.0/24, inside the benches' 198.18.0.0/15). */
export const patchIp = (i: number): string => `198.18.200.${i % 250}`;

const statusPath = (namespace: string, name: string): string =>
  `/api/v1/namespaces/${namespace}/services/${name}/status`;

export function sendBarePatch(kube: KubeClient, namespace: string, name: string, ip: string): Promise<void> {
  return kube.mergePatch(statusPath(namespace, name), { status: { loadBalancer: { ingress: [{ ip }] } } });
}

/** The parts of the controller's write that bench:patch-content can leave out, to see what each costs. */
export interface HeraldPatchParts {
  /** The herald.dev/AddressAllocated condition. */
  readonly condition: boolean;
  /** The pool annotation (herald.dev/ip-allocated-from-pool). */
  readonly annotation: boolean;
}

export function sendHeraldPatch(
  kube: KubeClient,
  svc: V1Service,
  ip: string,
  parts: HeraldPatchParts = { condition: true, annotation: true },
): Promise<void> {
  const message = `Assigned ${ip} from pool "bench"`;
  const patch = statusPatchFor(
    svc,
    {
      ingress: [{ ip, ipMode: 'VIP' }],
      // No pool: a fresh Service shows no pool annotation, so the patch leaves it out.
      pool: parts.annotation ? 'bench' : undefined,
      conditions: parts.condition ? [allocatedCondition('True', allocatedReasons.allocated, message)] : [],
    },
    new Date(),
  );
  // Only a Service that already shows this status has nothing to write; the benches write fresh ones.
  if (patch === null) throw new Error(`${svc.metadata?.name}: already shows ${ip}, nothing to write`);
  return kube.strategicMergePatch(
    statusPath(svc.metadata?.namespace ?? '', svc.metadata?.name ?? ''),
    patch,
    { fieldManager: FIELD_MANAGER },
  );
}
