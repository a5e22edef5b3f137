// Kubernetes Events (core/v1, reportingController herald.dev/controller). A repeat of the same
// (object, reason, message) increments `count` on the existing Event instead of creating a new one, and each
// object has a token bucket so a Service failing in a loop cannot flood etcd. Writes are asynchronous and
// bounded: an Event never delays a status write.

import { ApiException, type CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Logger } from 'pino';

export const REPORTING_CONTROLLER = 'herald.dev/controller';

export interface EventTarget {
  readonly kind: 'Service' | 'ConfigMap';
  readonly namespace: string;
  readonly name: string;
  readonly uid: string | undefined;
  readonly resourceVersion?: string;
}

export type EventType = 'Normal' | 'Warning';

interface Recorded {
  name: string;
  count: number;
  lastMs: number;
}

export interface EventRecorderOptions {
  readonly api: CoreV1Api;
  readonly instance: string;
  readonly log: Logger;
  readonly burst?: number;
  readonly refillMs?: number;
  readonly concurrency?: number;
  readonly onDropped?: (reason: string) => void;
  readonly onApiError?: (verb: string) => void;
  readonly now?: () => number;
  /** True while status writes are waiting: Events then trickle (one at a time) so they never slow a burst. */
  readonly busy?: () => boolean;
}

/** Per-object token bucket: `burst` Events at once, then one per `refillMs`. Pure, clock injected. */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();
  private readonly burst: number;
  private readonly refillMs: number;
  constructor(burst: number, refillMs: number) {
    this.burst = burst;
    this.refillMs = refillMs;
  }
  take(key: string, nowMs: number): boolean {
    const b = this.buckets.get(key) ?? { tokens: this.burst, atMs: nowMs };
    const refilled = Math.min(this.burst, b.tokens + (nowMs - b.atMs) / this.refillMs);
    if (refilled < 1) {
      this.buckets.set(key, { tokens: refilled, atMs: nowMs });
      return false;
    }
    this.buckets.set(key, { tokens: refilled - 1, atMs: nowMs });
    if (this.buckets.size > 50_000) this.buckets.clear(); // bounded memory; forgetting only allows more Events
    return true;
  }
}

export class EventRecorder {
  private readonly o: EventRecorderOptions;
  private readonly recorded = new Map<string, Recorded>();
  private readonly buckets: TokenBuckets;
  private readonly pending: (() => Promise<void>)[] = [];
  private running = 0;
  private readonly now: () => number;
  private idleWaiters: (() => void)[] = [];
  private recheck: NodeJS.Timeout | undefined;

  constructor(options: EventRecorderOptions) {
    this.o = options;
    this.buckets = new TokenBuckets(options.burst ?? 10, options.refillMs ?? 10_000);
    this.now = options.now ?? Date.now;
  }

  record(target: EventTarget, type: EventType, reason: string, message: string, action = 'Allocate'): void {
    const note = message.length > 4000 ? `${message.slice(0, 3980)} …(truncated)` : message;
    const objKey = `${target.kind}/${target.namespace}/${target.name}/${target.uid ?? ''}`;
    const key = `${objKey}|${reason}|${note}`;
    const now = this.now();
    if (!this.buckets.take(objKey, now)) {
      this.o.onDropped?.(reason);
      return;
    }
    this.enqueue(async () => {
      const previous = this.recorded.get(key);
      const ts = new Date(now);
      if (previous !== undefined) {
        previous.count++;
        previous.lastMs = now;
        try {
          await this.o.api.patchNamespacedEvent(
            {
              name: previous.name,
              namespace: target.namespace,
              body: { count: previous.count, lastTimestamp: ts.toISOString() },
            },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          );
          return;
        } catch (e) {
          if (!(e instanceof ApiException && e.code === 404)) throw e;
          this.recorded.delete(key); // expired by the apiserver's TTL: create anew
        }
      }
      const name = `${target.name}.${now.toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`;
      await this.o.api.createNamespacedEvent({
        namespace: target.namespace,
        body: {
          metadata: { name, namespace: target.namespace },
          involvedObject: {
            apiVersion: 'v1',
            kind: target.kind,
            namespace: target.namespace,
            name: target.name,
            uid: target.uid,
            resourceVersion: target.resourceVersion,
          },
          type,
          reason,
          message: note,
          action,
          count: 1,
          firstTimestamp: ts,
          lastTimestamp: ts,
          source: { component: 'herald-controller' },
          reportingComponent: REPORTING_CONTROLLER,
          reportingInstance: this.o.instance,
        },
      });
      this.recorded.set(key, { name, count: 1, lastMs: now });
      if (this.recorded.size > 20_000) this.prune(now);
    });
  }

  private prune(now: number): void {
    for (const [k, r] of this.recorded) if (now - r.lastMs > 3_600_000) this.recorded.delete(k);
  }

  private enqueue(job: () => Promise<void>): void {
    this.pending.push(job);
    this.pump();
  }

  private pump(): void {
    const busy = this.o.busy?.() ?? false;
    const limit = busy ? 1 : (this.o.concurrency ?? 4);
    if (busy && this.pending.length > 0 && this.running >= limit && this.recheck === undefined) {
      // Re-check soon: when the burst is over, the backlog drains at full concurrency.
      this.recheck = setTimeout(() => {
        this.recheck = undefined;
        this.pump();
      }, 100);
    }
    while (this.running < limit && this.pending.length > 0) {
      const job = this.pending.shift()!;
      this.running++;
      job()
        .catch((e: unknown) => {
          this.o.onApiError?.('create');
          this.o.log.warn({ err: String(e) }, 'could not write Event');
        })
        .finally(() => {
          this.running--;
          this.pump();
          if (this.running === 0 && this.pending.length === 0)
            for (const w of this.idleWaiters.splice(0)) w();
        });
    }
  }

  /** Resolves when every queued Event has been written (or failed). */
  flush(): Promise<void> {
    if (this.running === 0 && this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
