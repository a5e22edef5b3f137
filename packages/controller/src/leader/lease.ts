// Leader election over a coordination.k8s.io/v1 Lease, decision part. Expiry is judged by OUR clock from the
// moment we last saw the Lease change (client-go's "observedTime"), never by comparing the holder's renewTime
// with our clock, so clock skew between nodes cannot make two replicas both believe they lead.

export interface LeaseRecord {
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  readonly renewTime: string | undefined;
  readonly leaseTransitions: number;
}

export interface Observed {
  readonly record: LeaseRecord;
  /** Our monotonic time (ms) when this exact record was first seen. */
  readonly observedAtMs: number;
}

export type LeaseAction =
  | { readonly kind: 'create' }
  | { readonly kind: 'renew' }
  /** Take over an empty (released) or expired lease. */
  | { readonly kind: 'acquire' }
  | { readonly kind: 'wait'; readonly holder: string };

function sameRecord(a: LeaseRecord, b: LeaseRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.renewTime === b.renewTime &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.leaseTransitions === b.leaseTransitions
  );
}

/** Updates the observation: a changed record restarts the expiry clock. */
export function observe(previous: Observed | null, record: LeaseRecord, nowMs: number): Observed {
  if (previous !== null && sameRecord(previous.record, record)) return previous;
  return { record, observedAtMs: nowMs };
}

export function decideLease(observed: Observed | null, identity: string, nowMs: number): LeaseAction {
  if (observed === null) return { kind: 'create' };
  const { record } = observed;
  if (record.holderIdentity === identity) return { kind: 'renew' };
  if (record.holderIdentity === '') return { kind: 'acquire' };
  if (observed.observedAtMs + record.leaseDurationSeconds * 1000 <= nowMs) return { kind: 'acquire' };
  return { kind: 'wait', holder: record.holderIdentity };
}
