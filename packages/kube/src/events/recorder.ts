// The one Kubernetes Event writer of every Herald program (client-go's tools/record EventRecorder with its
// correlator and spam filter, reduced): a repeat of the same (object, type, reason, message) increments `count`
// on the existing Event instead of creating a new one, and each object has a token bucket so an object failing
// in a loop cannot flood etcd. Writes are asynchronous and bounded: an Event never delays a status write or a
// route.
//
// API group: core/v1, deliberately. events.k8s.io/v1 (with `series`) stores the same objects, but its
// validation requires the deprecated fields to be unset on create — no `source`, no `count`, no
// `firstTimestamp`/`lastTimestamp` — and operators (docs/operations.md) and tests read `source.host` to see
// which node's speaker wrote an Event. `kubectl get events` and `kubectl describe` read core/v1 natively and
// show the aggregation as "(x5 over 3m)" from count + first/lastTimestamp. The chart's RBAC grants create and
// patch on core/v1 events only (least privilege, proven by e2e/src/security.test.ts): a move to events.k8s.io
// needs its rule back.

import type { CoreV1Event } from '@kubernetes/client-node';
import { apiErrorCode, type KubeClient } from '../api/client.ts';
import { describeApiError } from '../api-error.ts';
import { type Clock, realClock } from '../clock.ts';

/** The object an Event is about (its involvedObject). */
export interface EventTarget {
  readonly kind: string;
  /** Defaults to v1 (Service, ConfigMap, Node, ...). */
  readonly apiVersion?: string;
  /** '' for a cluster-scoped object (a Node): its Events live in `default`, as the kubelet's do. */
  readonly namespace: string;
  readonly name: string;
  readonly uid: string | undefined;
  readonly resourceVersion?: string;
}

export type EventType = 'Normal' | 'Warning';

export type EventVerb = 'create' | 'patch';

export type EventsApi = Pick<KubeClient, 'create' | 'mergePatch'>;

const eventsPath = (namespace: string) => `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;

export interface EventRecorderLogger {
  warn(obj: object, msg: string): void;
}

export interface EventRecorderOptions {
  readonly api: EventsApi;
  /** source.component, e.g. herald-controller. */
  readonly component: string;
  /** source.host: the node the writer runs on, when that matters (the speaker). */
  readonly host?: string;
  /** reportingComponent, e.g. herald.dev/controller. */
  readonly reportingController: string;
  /** reportingInstance: this replica or node. */
  readonly reportingInstance: string;
  readonly log: EventRecorderLogger;
  /** Events per object at once (default 10) ... */
  readonly burst?: number;
  /** ... then one per refillMs (default 10 s). */
  readonly refillMs?: number;
  /** Writes in flight (default 4). */
  readonly concurrency?: number;
  /**
   * True while more important writes wait (the controller's status patches): Events then wait too, so they
   * never slow a burst; one that has waited maxDeferMs is written, one at a time, so a long busy spell cannot
   * starve them.
   */
  readonly busy?: () => boolean;
  /** How long an Event may wait while busy (default 1000 ms). */
  readonly maxDeferMs?: number;
  readonly onWritten?: (reason: string) => void;
  readonly onDropped?: (reason: string) => void;
  readonly onFailed?: (verb: EventVerb, reason: string) => void;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Dedupe entries kept at most (default 4096); see MAX_RECORDED. */
  readonly maxRecorded?: number;
}

/**
 * Per-object token bucket: `burst` Events at once, then one per `refillMs`. Pure, clock injected. At most
 * `maxKeys` buckets, least recently used evicted first (client-go's spam filter keeps an LRU of 4096 the same
 * way): forgetting a bucket only allows more Events, and a bucket that has refilled is the same as none.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();
  private readonly burst: number;
  private readonly refillMs: number;
  private readonly maxKeys: number;
  constructor(burst: number, refillMs: number, maxKeys = 4096) {
    this.burst = burst;
    this.refillMs = refillMs;
    this.maxKeys = maxKeys;
  }
  get size(): number {
    return this.buckets.size;
  }
  take(key: string, nowMs: number): boolean {
    const b = this.buckets.get(key) ?? { tokens: this.burst, atMs: nowMs };
    const refilled = Math.min(this.burst, b.tokens + (nowMs - b.atMs) / this.refillMs);
    const allowed = refilled >= 1;
    // delete + set: the Map's order is the LRU order.
    this.buckets.delete(key);
    this.buckets.set(key, { tokens: allowed ? refilled - 1 : refilled, atMs: nowMs });
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    return allowed;
  }
}

interface Recorded {
  name: string;
  count: number;
  lastMs: number;
}

/** Messages are capped: a config with hundreds of errors must not become a huge object in etcd. */
const MAX_MESSAGE = 4000;
/**
 * Dedupe entries kept: past this, the ones not repeated for an hour (the default --event-ttl) go, and if that is
 * not enough, the least recently recorded ones, down to 90 % (so pruning is amortised, not once per Event).
 * Forgetting an entry only means a repeat becomes a new Event instead of a count on the old one. 4096 is
 * client-go's EventCorrelator LRU size. Without this cap, Service churn (a new UID per recreated Service) grew the
 * map for an hour: 5,778 entries after 26 minutes of the soak at 2 recreations/s.
 */
const MAX_RECORDED = 4096;
const RECORDED_TTL_MS = 3_600_000;

export class EventRecorder {
  private readonly o: EventRecorderOptions;
  private readonly recorded = new Map<string, Recorded>();
  private readonly buckets: TokenBuckets;
  /** Jobs in arrival order, with when they were queued (for maxDeferMs). */
  private readonly pending: { readonly atMs: number; readonly run: () => Promise<void> }[] = [];
  private running = 0;
  private readonly clock: Clock;
  private readonly random: () => number;
  private idleWaiters: (() => void)[] = [];
  private recheck: unknown;

  constructor(options: EventRecorderOptions) {
    this.o = options;
    this.buckets = new TokenBuckets(options.burst ?? 10, options.refillMs ?? 10_000);
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
  }

  record(target: EventTarget, type: EventType, reason: string, message: string, action?: string): void {
    const note =
      message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 20)} …(truncated)` : message;
    const objKey = `${target.kind}/${target.namespace}/${target.name}/${target.uid ?? ''}`;
    const key = `${objKey}|${type}|${reason}|${note}`;
    const now = this.clock.now();
    if (!this.buckets.take(objKey, now)) {
      this.o.onDropped?.(reason);
      return;
    }
    this.enqueue(reason, () => this.write(target, key, type, reason, note, action, now));
  }

  /** Writes one Event: a patch of the existing one when this is a repeat, else a new object. */
  private async write(
    target: EventTarget,
    key: string,
    type: EventType,
    reason: string,
    note: string,
    action: string | undefined,
    now: number,
  ): Promise<EventVerb> {
    const previous = this.recorded.get(key);
    const ts = new Date(now);
    const namespace = target.namespace === '' ? 'default' : target.namespace;
    if (previous !== undefined) {
      previous.count++;
      previous.lastMs = now;
      // Most recently recorded last: the Map's order is then the eviction order.
      this.recorded.delete(key);
      this.recorded.set(key, previous);
      try {
        await this.o.api.mergePatch(`${eventsPath(namespace)}/${encodeURIComponent(previous.name)}`, {
          count: previous.count,
          lastTimestamp: ts.toISOString(),
        });
        return 'patch';
      } catch (e) {
        if (apiErrorCode(e) !== 404) throw new EventWriteError('patch', e);
        this.recorded.delete(key); // expired by the apiserver's TTL: create anew
      }
    }
    // Unique like kubectl's "<object>.<hex time>", with randomness so replicas and nodes never collide.
    const suffix = Math.floor(this.random() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, '0');
    const name = `${target.name.slice(0, 200)}.${now.toString(16)}${suffix}`;
    try {
      const body: CoreV1Event = {
        metadata: { name, namespace },
        involvedObject: {
          apiVersion: target.apiVersion ?? 'v1',
          kind: target.kind,
          namespace: target.namespace,
          name: target.name,
          uid: target.uid,
          resourceVersion: target.resourceVersion,
        },
        type,
        reason,
        message: note,
        ...(action === undefined ? {} : { action }),
        count: 1,
        firstTimestamp: ts,
        lastTimestamp: ts,
        source: {
          component: this.o.component,
          ...(this.o.host === undefined ? {} : { host: this.o.host }),
        },
        reportingComponent: this.o.reportingController,
        reportingInstance: this.o.reportingInstance,
      };
      await this.o.api.create<CoreV1Event>(eventsPath(namespace), body);
    } catch (e) {
      throw new EventWriteError('create', e);
    }
    this.recorded.set(key, { name, count: 1, lastMs: now });
    if (this.recorded.size > (this.o.maxRecorded ?? MAX_RECORDED)) this.prune(now);
    return 'create';
  }

  /** Dedupe entries held (for tests and the bound's proof). */
  get recordedCount(): number {
    return this.recorded.size;
  }

  private prune(now: number): void {
    const max = this.o.maxRecorded ?? MAX_RECORDED;
    // Oldest first (see the patch path), so both loops stop at the first entry that stays.
    for (const [k, r] of this.recorded) {
      if (now - r.lastMs <= RECORDED_TTL_MS) break;
      this.recorded.delete(k);
    }
    const target = Math.floor(max * 0.9);
    for (const k of this.recorded.keys()) {
      if (this.recorded.size <= target) break;
      this.recorded.delete(k);
    }
  }

  private enqueue(reason: string, job: () => Promise<EventVerb>): void {
    this.pending.push({
      atMs: this.clock.now(),
      run: async () => {
        try {
          await job();
          this.o.onWritten?.(reason);
        } catch (e) {
          const verb = e instanceof EventWriteError ? e.verb : 'create';
          const cause = e instanceof EventWriteError ? e.cause : e;
          this.o.onFailed?.(verb, reason);
          this.o.log.warn({ reason, verb, err: describeApiError(cause) }, 'could not write Event');
        }
      },
    });
    this.pump();
  }

  private pump(): void {
    const busy = this.o.busy?.() ?? false;
    // Busy: nothing, unless the oldest Event has waited maxDeferMs; then one at a time.
    const overdue =
      this.pending.length > 0 && this.clock.now() - this.pending[0]!.atMs >= (this.o.maxDeferMs ?? 1000);
    const limit = busy ? (overdue ? 1 : 0) : (this.o.concurrency ?? 4);
    while (this.running < limit && this.pending.length > 0) {
      const job = this.pending.shift()!;
      this.running++;
      void job.run().finally(() => {
        this.running--;
        this.pump();
        if (this.running === 0 && this.pending.length === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
    }
    if (busy && this.pending.length > 0 && this.recheck === undefined) {
      // Re-check soon: when the burst is over the backlog drains at full concurrency; an Event falling
      // overdue meanwhile goes out.
      this.recheck = this.clock.setTimeout(() => {
        this.recheck = undefined;
        this.pump();
      }, 100);
    }
  }

  /** Events waiting or being written. */
  get backlog(): number {
    return this.running + this.pending.length;
  }

  /** Resolves when every queued Event has been written (or failed). */
  flush(): Promise<void> {
    if (this.running === 0 && this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

class EventWriteError extends Error {
  readonly verb: EventVerb;
  constructor(verb: EventVerb, cause: unknown) {
    super(String(cause), { cause });
    this.verb = verb;
  }
}
