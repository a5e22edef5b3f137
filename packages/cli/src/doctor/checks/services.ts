// The Services Herald serves: pending ones with their reason (the herald.dev/AddressAllocated condition), and
// addresses no node announces (from every speaker's /status).
import type { Finding, Snapshot, SpeakerStatusDoc } from '../types.ts';
import { finding, plural } from './finding.ts';

/** What to do about each allocation failure cause (the condition's reason); docs/operations.md says more. */
const causeFixes: Readonly<Record<string, string>> = {
  PoolExhausted:
    'add addresses to a pool that serves the Service, delete unused LoadBalancer Services, or let Services share an address (herald.dev/allow-shared-ip)',
  NoPoolMatches: "check the Service's ipFamilies and the pools' serviceAllocation (namespaces, selectors)",
  AutoAssignDisabled:
    'request the pool with the annotation herald.dev/address-pool, or an address with herald.dev/loadBalancerIPs',
  UnknownPool:
    'fix herald.dev/address-pool: pool names are case-sensitive (see the message for the closest one)',
  PoolNotAllowed: "request another pool or address, or widen the pool's serviceAllocation",
  NotInAnyPool: 'request an address inside a pool; Herald never hands out addresses outside its pools',
  IPInUse:
    'request another address, or give both Services the same herald.dev/allow-shared-ip key and distinct ports',
  FamilyMismatch: "request at most one address per family, matching the Service's ipFamilies",
  ConflictingRequest: 'set only herald.dev/loadBalancerIPs (spec.loadBalancerIP is deprecated)',
  MalformedIP: 'fix the requested address',
};

function announcers(s: Snapshot): { byService: Map<string, number>; answered: number; silent: number } {
  const byService = new Map<string, number>();
  let answered = 0;
  let silent = 0;
  for (const pod of s.speakerPods) {
    const r = s.speakerStatus[pod.name];
    if (!r?.ok) {
      silent++;
      continue;
    }
    answered++;
    for (const key of announcedBy(r.doc)) byService.set(key, (byService.get(key) ?? 0) + 1);
  }
  return { byService, answered, silent };
}

/** The Services a speaker announces to at least one peer. */
function announcedBy(doc: SpeakerStatusDoc): Set<string> {
  const keys = new Set<string>();
  for (const routes of Object.values(doc.announced))
    for (const r of routes) for (const k of r.services) keys.add(k);
  return keys;
}

export function checkServices(s: Snapshot): Finding[] {
  if (s.controller === undefined) return [];
  if (!Array.isArray(s.services))
    return [
      finding(
        'services',
        'service.list',
        'warning',
        'Services',
        `cannot list Services: ${(s.services as { error: string }).error}`,
        'your user needs list on services in all namespaces',
      ),
    ];
  const out: Finding[] = [];
  const { byService, answered, silent } = announcers(s);
  const counts: number[] = [];
  for (const svc of s.services) {
    const c = svc.allocated;
    if (c === undefined) {
      out.push(
        finding(
          'services',
          'service.unhandled',
          svc.ingress.length === 0 ? 'error' : 'warning',
          svc.key,
          svc.ingress.length === 0
            ? 'pending, and the controller has written no herald.dev/AddressAllocated condition: it has not handled it'
            : `has ${svc.ingress.join(', ')} but no herald.dev/AddressAllocated condition: the controller has not handled it since it started`,
          'a leading controller with a valid configuration handles every Service within seconds: see Controller and Configuration above',
        ),
      );
    } else if (c.status === 'False') {
      out.push(
        finding(
          'services',
          'service.allocation',
          svc.ingress.length === 0 ? 'error' : 'warning',
          svc.key,
          svc.ingress.length === 0 ? `pending: ${c.message}` : `request not met: ${c.message}`,
          causeFixes[c.reason] ?? `kubectl describe service -n ${svc.key.replace('/', ' ')}`,
        ),
      );
    } else if (c.reason !== 'Allocated') {
      out.push(
        finding(
          'services',
          'service.allocation',
          'warning',
          svc.key,
          `${c.reason}: ${c.message}`,
          c.reason === 'IPOutsidePools'
            ? 'put the address back in a pool, or request a new one (herald.dev/loadBalancerIPs)'
            : 'add addresses of the missing family to a pool that serves the Service',
        ),
      );
    }
    if (svc.ingress.length === 0 || answered === 0) continue;
    const n = byService.get(svc.key) ?? 0;
    counts.push(n);
    if (n === 0)
      out.push(
        finding(
          'services',
          'service.announced',
          'error',
          svc.key,
          `${svc.ingress.join(', ')} is announced by no node (of ${plural(answered, 'speaker')} that answered${silent > 0 ? `; ${silent} did not` : ''})`,
          `\`kubectl describe service -n ${svc.key.replace('/', ' ')}\` shows each node's AnnouncementStopped reason: no ready endpoint on the node (externalTrafficPolicy Local), no advertisement for its pool, the node excluded, or no Established session`,
        ),
      );
  }
  const withAddress = s.services.filter((x) => x.ingress.length > 0).length;
  const pending = s.services.length - withAddress;
  const spread =
    counts.length === 0
      ? ''
      : `, announced by ${Math.min(...counts) === Math.max(...counts) ? Math.min(...counts) : `${Math.min(...counts)}–${Math.max(...counts)}`} of ${plural(answered, 'node')} each`;
  out.push(
    finding(
      'services',
      'service.summary',
      'ok',
      'LoadBalancer Services',
      `${s.services.length}, ${withAddress} with an address${spread}, ${pending} pending`,
    ),
  );
  return out;
}
