// A work queue with client-go's guarantees (util/workqueue): a key waits at most once (dedupe), is never handed
// to two workers at once (a key added while being processed is re-queued when it is done), and failures back
// off per key exponentially through @herald/inet's backoffDelay, without jitter like client-go's per-item rate
// limiter (the retries of different keys are spread by when they failed). Timers are injected so tests run on
// a fake clock.

import { backoffDelay } from '@herald/inet';
import { type Clock, realClock } from '../clock.ts';

/** The timer half of a Clock: all the queue needs. */
export type Timers = Pick<Clock, 'setTimeout' | 'clearTimeout'>;

export interface WorkQueueOptions {
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly timers?: Timers;
  /** Called whenever the number of waiting keys changes (for the queue-depth gauge). */
  readonly onDepth?: (depth: number) => void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private head = 0;
  private readonly waiting = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, unknown>();
  private readonly getters: ((key: string | null) => void)[] = [];
  private closed = false;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timers: Timers;
  private readonly onDepth: (depth: number) => void;

  constructor(options: WorkQueueOptions = {}) {
    this.baseDelayMs = options.baseDelayMs ?? 5;
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
    this.timers = options.timers ?? realClock;
    this.onDepth = options.onDepth ?? (() => {});
  }

  get length(): number {
    return this.waiting.size;
  }

  get isShutDown(): boolean {
    return this.closed;
  }

  add(key: string): void {
    if (this.closed) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.waiting.has(key)) return;
    const getter = this.getters.shift();
    if (getter !== undefined) {
      this.processing.add(key);
      getter(key);
      return;
    }
    this.waiting.add(key);
    this.queue.push(key);
    this.onDepth(this.waiting.size);
  }

  /** Re-adds the key after its per-key exponential backoff: base × 2^failures, capped. */
  addRateLimited(key: string): number {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    const delay = backoffDelay(
      { initialMs: this.baseDelayMs, maxMs: this.maxDelayMs, multiplier: 2, jitter: 0 },
      n,
      0,
    );
    this.addAfter(key, delay);
    return delay;
  }

  addAfter(key: string, ms: number): void {
    if (this.closed || this.delayed.has(key)) return;
    const handle = this.timers.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, handle);
  }

  /** Clears the key's failure count (call after a successful reconcile). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** The next key, marked as processing; null once the queue is shut down. */
  get(): Promise<string | null> {
    if (this.closed) return Promise.resolve(null);
    while (this.head < this.queue.length) {
      const key = this.queue[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      if (!this.waiting.delete(key)) continue;
      this.processing.add(key);
      this.onDepth(this.waiting.size);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Marks processing finished; a key added meanwhile goes back in the queue. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  shutDown(): void {
    this.closed = true;
    for (const handle of this.delayed.values()) this.timers.clearTimeout(handle);
    this.delayed.clear();
    for (const getter of this.getters.splice(0)) getter(null);
  }
}
