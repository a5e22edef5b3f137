// Pure decisions about one Service object: is it ours, what does it ask for, what should its status say.
// Inputs are plain V1Service snapshots from the informer cache; nothing here talks to the apiserver.

import { annotations, type IPMode, requestedIPMode } from '@herald/config';
import { compareText, type Family, fromIPFamily } from '@herald/inet';
import type { V1Condition, V1Service } from '@kubernetes/client-node';
import type {
  AllocationError,
  AllocationRequest,
  Assignment,
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
    .sort(([a], [b]) => compareText(a, b))
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
  // The Kubernetes edge: spec.ipFamilies says 'IPv4' / 'IPv6'; Herald's own types say 'ipv4' / 'ipv6'.
  const families = (svc.spec?.ipFamilies ?? []).map(fromIPFamily).filter((f): f is Family => f !== undefined);
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
      ...(ips.length === 0
        ? {}
        : {
            ipsFrom:
              listed !== undefined && listed.trim() !== ''
                ? annotations.loadBalancerIPs
                : 'spec.loadBalancerIP',
          }),
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

/** One entry of status.loadBalancer.ingress as the controller writes it: always with an explicit ipMode. */
export interface IngressPoint {
  readonly ip: string;
  readonly ipMode: IPMode;
}

/** A condition the controller wants on the Service (metav1.Condition without the bookkeeping fields). */
export interface DesiredCondition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  /** CamelCase, metav1's pattern: an allocation failure cause, Allocated, PartiallyAllocated, ... */
  readonly reason: string;
  readonly message: string;
}

/** metav1.Condition as written (times as RFC 3339 text), or a strategic-merge-patch deletion of one type. */
export type ConditionPatch =
  | (DesiredCondition & { readonly observedGeneration?: number; readonly lastTransitionTime: string })
  | { readonly type: string; readonly $patch: 'delete' };

/** What the Service's status and our annotation should say. Our condition types absent here are removed. */
export interface DesiredStatus {
  readonly ingress: readonly IngressPoint[];
  readonly pool: string | undefined;
  readonly conditions: readonly DesiredCondition[];
}

export interface StatusPatch {
  readonly metadata: { resourceVersion: string | undefined; annotations?: Record<string, string | null> };
  readonly status: { loadBalancer?: { ingress: IngressPoint[] }; conditions?: ConditionPatch[] };
}

/** metav1.Condition caps messages at 32768 bytes; the apiserver does not check Service conditions, we do. */
const MAX_CONDITION_MESSAGE_BYTES = 32768;

function conditionMessage(text: string): string {
  if (Buffer.byteLength(text) <= MAX_CONDITION_MESSAGE_BYTES) return text;
  let cut = text.slice(0, MAX_CONDITION_MESSAGE_BYTES - 3);
  while (Buffer.byteLength(cut) > MAX_CONDITION_MESSAGE_BYTES - 3) cut = cut.slice(0, -1);
  return `${cut}...`;
}

/** metav1.Time text: RFC 3339 in UTC, whole seconds. */
export function metaTime(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}

function timeText(t: unknown): string | undefined {
  if (t instanceof Date) return metaTime(t);
  return typeof t === 'string' ? t : undefined;
}

/** Condition types under this prefix are the controller's (conditionTypes in @herald/config): it owns them all. */
const CONDITION_PREFIX = 'herald.dev/';

/** The controller's conditions on the Service now, by type. */
function ownConditions(svc: V1Service): Map<string, V1Condition> {
  const out = new Map<string, V1Condition>();
  for (const c of svc.status?.conditions ?? []) if (c.type.startsWith(CONDITION_PREFIX)) out.set(c.type, c);
  return out;
}

/**
 * The condition changes that make the Service show DESIRED, with metav1.Condition's semantics:
 * lastTransitionTime moves only when status changes; observedGeneration is the generation this decision was
 * made from. Empty when every condition already reads as desired.
 */
function conditionPatches(svc: V1Service, desired: readonly DesiredCondition[], now: Date): ConditionPatch[] {
  const current = ownConditions(svc);
  const generation = svc.metadata?.generation;
  const out: ConditionPatch[] = [];
  for (const want of desired) {
    const have = current.get(want.type);
    current.delete(want.type);
    const message = conditionMessage(want.message);
    if (
      have !== undefined &&
      have.status === want.status &&
      have.reason === want.reason &&
      have.message === message &&
      have.observedGeneration === generation
    )
      continue;
    const since =
      have !== undefined && have.status === want.status ? timeText(have.lastTransitionTime) : undefined;
    out.push({
      ...want,
      message,
      ...(generation === undefined ? {} : { observedGeneration: generation }),
      lastTransitionTime: since ?? metaTime(now),
    });
  }
  for (const type of current.keys()) out.push({ type, $patch: 'delete' });
  return out;
}

/**
 * The strategic merge patch (sent to the status subresource, which also persists metadata.annotations) that
 * makes the Service show DESIRED, or null when it already does. Strategic, so status.conditions merge by type
 * and conditions other controllers set stay untouched; ingress is an atomic list and is replaced whole. The
 * resourceVersion makes it conditional: a patch computed from a stale cache is refused with 409 and retried
 * from fresh state.
 */
export function statusPatchFor(svc: V1Service, desired: DesiredStatus, now: Date): StatusPatch | null {
  const current = svc.status?.loadBalancer?.ingress ?? [];
  const sameIngress =
    current.length === desired.ingress.length &&
    current.every((c, i) => c.ip === desired.ingress[i]?.ip && c.ipMode === desired.ingress[i]?.ipMode);
  const samePool = svc.metadata?.annotations?.[annotations.ipAllocatedFromPool] === desired.pool;
  const conditions = conditionPatches(svc, desired.conditions, now);
  if (sameIngress && samePool && conditions.length === 0) return null;
  return {
    metadata: {
      resourceVersion: svc.metadata?.resourceVersion,
      ...(samePool ? {} : { annotations: { [annotations.ipAllocatedFromPool]: desired.pool ?? null } }),
    },
    status: {
      ...(sameIngress ? {} : { loadBalancer: { ingress: desired.ingress.map((p) => ({ ...p })) } }),
      ...(conditions.length === 0 ? {} : { conditions }),
    },
  };
}

/**
 * The ingress entries for ADDRESSES: the ipMode the Service asks for (herald.dev/ip-mode), else VIP. An
 * invalid ip-mode (reported as InvalidAnnotation) changes nothing: each address keeps the mode it shows.
 */
export function ingressFor(svc: V1Service, addresses: readonly string[]): IngressPoint[] {
  const anns = svc.metadata?.annotations;
  const asked = requestedIPMode(anns);
  const invalid = asked === undefined && anns?.[annotations.ipMode] !== undefined;
  const shown = new Map((svc.status?.loadBalancer?.ingress ?? []).map((i) => [i.ip, i.ipMode]));
  return addresses.map((ip) => {
    const kept = shown.get(ip);
    const ipMode = asked ?? (invalid && (kept === 'VIP' || kept === 'Proxy') ? kept : 'VIP');
    return { ip, ipMode };
  });
}

/** Event text for a failed allocation: the cause first, so `kubectl describe` reads "IPInUse: ...". */
export function failureMessage(errors: readonly AllocationError[]): string {
  return errors.map((e) => `${e.cause}: ${e.message}`).join('; ');
}
