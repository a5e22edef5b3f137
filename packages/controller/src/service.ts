// Pure decisions about one Service object: is it ours, what does it ask for, what should its status say.
// Inputs are plain V1Service snapshots from the informer cache; nothing here talks to the apiserver.

import { annotations } from '@herald/config';
import type { V1Service } from '@kubernetes/client-node';
import type {
  AllocationError,
  AllocationRequest,
  Assignment,
  IPFamily,
  IPFamilyPolicy,
  Labels,
  Sharing,
} from './allocator/index.ts';

export function serviceKey(svc: V1Service): string {
  return `${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/**
 * Which Services this controller serves. Without --load-balancer-class: type LoadBalancer with
 * spec.loadBalancerClass unset (the cluster's default implementation). With a class: exactly that class, and
 * NOT the unset ones — so Herald can run beside another default implementation without both grabbing the same
 * Services.
 */
export function isHandled(svc: V1Service, loadBalancerClass: string | undefined): boolean {
  if (svc.spec?.type !== 'LoadBalancer') return false;
  const cls = svc.spec.loadBalancerClass;
  return loadBalancerClass === undefined
    ? cls === undefined || cls === null || cls === ''
    : cls === loadBalancerClass;
}

/** Addresses currently written in status.loadBalancer.ingress (hostname-only entries are ignored). */
export function statusAddresses(svc: V1Service): string[] {
  const out: string[] = [];
  for (const ingress of svc.status?.loadBalancer?.ingress ?? []) if (ingress.ip) out.push(ingress.ip);
  return out;
}

/** True when this controller wrote the Service's status (our annotation is present). */
export function hasOurAnnotation(svc: V1Service): boolean {
  return svc.metadata?.annotations?.[annotations.ipAllocatedFromPool] !== undefined;
}

/** Canonical text of a pod selector, so two Local Services with the same selector compare equal. */
export function selectorKey(selector: Readonly<Record<string, string>> | undefined): string {
  return Object.entries(selector ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export function sharingFor(svc: V1Service): Sharing | null {
  const key = svc.metadata?.annotations?.[annotations.allowSharedIP]?.trim();
  if (key === undefined || key === '') return null;
  return {
    key,
    ports: (svc.spec?.ports ?? []).map((p) => ({ protocol: p.protocol ?? 'TCP', port: p.port })),
    localSelector: svc.spec?.externalTrafficPolicy === 'Local' ? selectorKey(svc.spec.selector) : null,
  };
}

const POLICIES: readonly IPFamilyPolicy[] = ['SingleStack', 'PreferDualStack', 'RequireDualStack'];

export type RequestResult =
  | { readonly ok: true; readonly request: AllocationRequest }
  | { readonly ok: false; readonly error: AllocationError };

/** The allocation request a Service makes. A contradiction between its two ways of asking is an error. */
export function requestFor(svc: V1Service, namespaceLabels: Labels | undefined): RequestResult {
  const anns = svc.metadata?.annotations ?? {};
  const listed = anns[annotations.loadBalancerIPs];
  const legacy = svc.spec?.loadBalancerIP?.trim();
  let ips: string[] = [];
  if (listed !== undefined && listed.trim() !== '') {
    ips = listed
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (legacy && !(ips.length === 1 && ips[0] === legacy))
      return {
        ok: false,
        error: {
          cause: 'ConflictingRequest',
          message: `spec.loadBalancerIP "${legacy}" and annotation ${annotations.loadBalancerIPs} "${listed}" disagree; set only one`,
        },
      };
  } else if (legacy) ips = [legacy];
  const policy = POLICIES.includes(svc.spec?.ipFamilyPolicy as IPFamilyPolicy)
    ? (svc.spec!.ipFamilyPolicy as IPFamilyPolicy)
    : 'SingleStack';
  const families = (svc.spec?.ipFamilies ?? []).filter((f): f is IPFamily => f === 'IPv4' || f === 'IPv6');
  const pool = anns[annotations.addressPool]?.trim();
  return {
    ok: true,
    request: {
      namespace: svc.metadata?.namespace ?? '',
      labels: svc.metadata?.labels ?? {},
      namespaceLabels,
      families,
      policy,
      ips,
      pool: pool === undefined || pool === '' ? undefined : pool,
      sharing: sharingFor(svc),
    },
  };
}

/** The value of herald.dev/ip-allocated-from-pool: the pools of the held addresses; undefined when none. */
export function poolAnnotation(assignment: Assignment | null): string | undefined {
  if (assignment === null) return undefined;
  const pools = [...new Set(assignment.ips.map((ip) => ip.pool).filter((p): p is string => p !== null))];
  return pools.length === 0 ? undefined : pools.join(',');
}

export interface StatusPatch {
  readonly metadata: { resourceVersion: string | undefined; annotations: Record<string, string | null> };
  readonly status: { loadBalancer: { ingress: { ip: string }[] } };
}

/**
 * The merge patch (sent to the status subresource, which also persists metadata.annotations) that makes the
 * Service show `addresses` and `pool`, or null when it already does. The resourceVersion makes it
 * conditional: a patch computed from a stale cache is refused with 409 and retried from fresh state.
 */
export function statusPatchFor(
  svc: V1Service,
  addresses: readonly string[],
  pool: string | undefined,
): StatusPatch | null {
  const current = statusAddresses(svc);
  const currentPool = svc.metadata?.annotations?.[annotations.ipAllocatedFromPool];
  const sameAddresses = current.length === addresses.length && current.every((a, i) => a === addresses[i]);
  if (sameAddresses && currentPool === pool) return null;
  return {
    metadata: {
      resourceVersion: svc.metadata?.resourceVersion,
      annotations: { [annotations.ipAllocatedFromPool]: pool ?? null },
    },
    status: { loadBalancer: { ingress: addresses.map((ip) => ({ ip })) } },
  };
}

/** Event text for a failed allocation: the cause first, so `kubectl describe` reads "IPInUse: ...". */
export function failureMessage(errors: readonly AllocationError[]): string {
  return errors.map((e) => `${e.cause}: ${e.message}`).join('; ');
}
