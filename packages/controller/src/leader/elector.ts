// Leader election driver: polls the Lease every retryPeriod, acquires it when free or expired, renews it while
// leading, and gives up (onStoppedLeading) when it could not renew for renewDeadline. release() hands the Lease
// over at shutdown (empty holder, 1 s duration) so a standby takes over on its next poll instead of waiting for
// expiry.

import { apiErrorCode, describeApiError, type KubeClient, microTime } from '@herald/kube';
import type { Logger } from '@herald/kube/process';
import type { V1Lease } from '@kubernetes/client-node';
import { decideLease, type LeaseRecord, type Observed, observe } from './lease.ts';

export interface LeaderElectorOptions {
  readonly api: Pick<KubeClient, 'get' | 'create' | 'replace'>;
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly log: Logger;
  readonly onStartedLeading: () => void;
  readonly onStoppedLeading: () => void;
  readonly onApiError?: (verb: string) => void;
}

/** A Lease as the apiserver sends it: its MicroTimes are text (client-node's type says Date). */
function recordOf(lease: V1Lease): LeaseRecord {
  const renew = lease.spec?.renewTime as unknown;
  return {
    holderIdentity: lease.spec?.holderIdentity ?? '',
    leaseDurationSeconds: lease.spec?.leaseDurationSeconds ?? 15,
    renewTime: renew === undefined ? undefined : String(renew),
    leaseTransitions: lease.spec?.leaseTransitions ?? 0,
  };
}

export class LeaderElector {
  private readonly o: LeaderElectorOptions;
  private observed: Observed | null = null;
  private lease: V1Lease | null = null;
  private leading = false;
  private stopped = false;
  private lastRenewMs = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: LeaderElectorOptions) {
    this.o = options;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    void this.tick();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const ok = await this.tryAcquireOrRenew();
    if (this.stopped) return;
    const now = performance.now();
    if (ok) {
      this.lastRenewMs = now;
      if (!this.leading) {
        this.leading = true;
        this.o.log.info({ lease: this.o.name, identity: this.o.identity }, 'became leader');
        this.o.onStartedLeading();
      }
    } else if (this.leading && now - this.lastRenewMs > this.o.renewDeadlineMs) {
      this.leading = false;
      this.o.log.error(
        { lease: this.o.name },
        'could not renew the lease within the renew deadline; stepping down',
      );
      this.o.onStoppedLeading();
      return;
    }
    // Standbys poll with jitter (client-go: up to 1.2×) so replicas do not hit the apiserver in lockstep.
    this.schedule(this.leading ? this.o.retryPeriodMs : this.o.retryPeriodMs * (1 + Math.random() * 0.2));
  }

  private get leasesPath(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.o.namespace)}/leases`;
  }

  private get leasePath(): string {
    return `${this.leasesPath}/${encodeURIComponent(this.o.name)}`;
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { api, namespace, name, identity } = this.o;
    const now = performance.now();
    try {
      let current: V1Lease | null = null;
      try {
        current = await api.get<V1Lease>(this.leasePath);
      } catch (e) {
        if (apiErrorCode(e) !== 404) throw e;
      }
      this.observed = current === null ? null : observe(this.observed, recordOf(current), now);
      const action = decideLease(this.observed, identity, now);
      if (action.kind === 'wait') return false;
      const time = microTime();
      const spec = {
        holderIdentity: identity,
        leaseDurationSeconds: Math.round(this.o.leaseDurationMs / 1000),
        renewTime: time,
        acquireTime: action.kind === 'renew' ? current?.spec?.acquireTime : time,
        leaseTransitions:
          (current?.spec?.leaseTransitions ?? 0) + (action.kind === 'acquire' && current !== null ? 1 : 0),
      };
      if (action.kind === 'create') {
        this.lease = await api.create<V1Lease>(this.leasesPath, { metadata: { name, namespace }, spec });
      } else {
        this.lease = await api.replace<V1Lease>(this.leasePath, { metadata: { ...current!.metadata }, spec });
      }
      this.observed = observe(this.observed, recordOf(this.lease), performance.now());
      return true;
    } catch (e) {
      const code = apiErrorCode(e);
      // 409: someone else wrote the Lease between our read and write; they won this round.
      if (code !== 409) {
        this.o.onApiError?.('lease');
        this.o.log.warn({ err: describeApiError(e), lease: name }, 'lease read/write failed');
      }
      return false;
    }
  }

  /** Stops polling; when leading, hands the Lease over so a standby can take it on its next poll. */
  async release(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.leading || this.lease === null) return;
    this.leading = false;
    try {
      await this.o.api.replace(this.leasePath, {
        metadata: { ...this.lease.metadata },
        spec: { ...this.lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime() },
      });
      this.o.log.info({ lease: this.o.name }, 'released the lease');
    } catch (e) {
      this.o.log.warn(
        { err: describeApiError(e) },
        'could not release the lease; a standby takes over when it expires',
      );
    }
  }
}
