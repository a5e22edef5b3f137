// The one list+watch cache of every Herald program (client-go's tools/cache Reflector + store, reduced to what
// we need), written for these rules rather than taken from client-node's ListWatch:
// (1) a relist replaces the cache atomically and reports only objects whose resourceVersion changed, so a relist
//     after 410 Gone or a reconnect never looks like "everything deleted, everything added";
// (2) while the apiserver is unreachable the cache stays exactly as it was (the speaker keeps announcing, the
//     controller keeps its view) and list/watch is retried with the one Backoff of @herald/inet, resuming the
//     watch from the last resourceVersion;
// (3) lists are paged, so a large cluster never needs its whole Service list as one JSON document in memory;
// (4) a transform slims every object before it is cached (10,000 full Services with managedFields cost
//     hundreds of MiB otherwise).
// Clock and randomness are injected, so 410 handling and backoff are unit-tested on a fake clock.

import { Backoff, type BackoffParams } from '@herald/inet';
import { apiErrorCode } from '../api/client.ts';
import { describeApiError } from '../api-error.ts';
import { type Clock, realClock } from '../clock.ts';
import { objectKey, relistDelta, type Versioned } from './relist.ts';

export interface ListPage<T> {
  readonly items: T[];
  readonly metadata?: { readonly resourceVersion?: string; readonly continue?: string };
}

export interface ListRequest {
  readonly limit: number;
  readonly continue?: string;
  readonly fieldSelector?: string;
}

/** The watch half of the API: client-node's `Watch` satisfies it; tests pass a fake. */
export interface Watcher {
  watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, obj: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController>;
}

export interface ReflectorLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** One change to the cache: `previous` absent = added, `current` absent = deleted. */
export interface Change<T> {
  readonly key: string;
  readonly previous?: T;
  readonly current?: T;
}

export type ReflectorVerb = 'list' | 'watch';

export interface ReflectorOptions<T extends Versioned> {
  /** Resource name for logs and metrics, e.g. "services". */
  readonly resource: string;
  /** The watch URL path, e.g. /api/v1/services. */
  readonly path: string;
  readonly fieldSelector?: string;
  readonly list: (request: ListRequest) => Promise<ListPage<T>>;
  readonly watcher: Watcher;
  readonly log: ReflectorLogger;
  /**
   * Reduces each object to what the program reads before it is cached (like controller-runtime's cache
   * transforms). Must keep metadata.name/namespace/resourceVersion.
   */
  readonly transform?: (obj: T) => T;
  /** Called with the objects that changed, after the cache holds them. */
  readonly onChange?: (changes: readonly Change<T>[]) => void;
  /** Called when synced / connected / lastError change. */
  readonly onStatus?: () => void;
  /** Called for every failed list or watch. */
  readonly onError?: (verb: ReflectorVerb, err: unknown) => void;
  readonly backoff?: BackoffParams;
  readonly pageSize?: number;
  readonly clock?: Clock;
  readonly random?: () => number;
}

/** What programs read of a reflector for readiness, metrics and /status. */
export interface ReflectorStatus {
  readonly resource: string;
  readonly synced: boolean;
  readonly connected: boolean;
  readonly lastError: string | undefined;
  /** resourceVersion of the last list or watch event applied to the cache. */
  readonly resourceVersion: string;
}

/** 0.5 s doubling to 8 s, drawn from the upper half: N programs do not retry in lock step. */
export const defaultReflectorBackoff: BackoffParams = {
  initialMs: 500,
  maxMs: 8000,
  multiplier: 2,
  jitter: 0.5,
};

/** Objects per list request when (re)filling the cache. */
export const defaultPageSize = 500;

/**
 * A watch that ends this soon without delivering anything is treated as a failure (backoff), like
 * client-go's "very short watch": an apiserver that accepts and drops watches must not be hammered.
 */
const SHORT_WATCH_MS = 1000;

interface WatchEventObject {
  readonly code?: number;
  readonly message?: string;
}

export class Reflector<T extends Versioned> implements ReflectorStatus {
  readonly #o: ReflectorOptions<T>;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #backoff: Backoff;
  #store = new Map<string, T>();
  #resourceVersion = '';
  #abort?: AbortController;
  #timer: unknown;
  #stopped = true;
  #synced = false;
  #connected = false;
  #lastError?: string;
  #relists = 0;
  #syncWaiters: (() => void)[] = [];

  constructor(options: ReflectorOptions<T>) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
    this.#random = options.random ?? Math.random;
    this.#backoff = new Backoff(options.backoff ?? defaultReflectorBackoff, this.#random);
  }

  get resource(): string {
    return this.#o.resource;
  }
  get resourceVersion(): string {
    return this.#resourceVersion;
  }
  get synced(): boolean {
    return this.#synced;
  }
  get connected(): boolean {
    return this.#connected;
  }
  get lastError(): string | undefined {
    return this.#lastError;
  }
  /** Completed lists (the first fill included). */
  get relists(): number {
    return this.#relists;
  }
  get size(): number {
    return this.#store.size;
  }
  /** The cached object under `namespace/name` (`/name` for cluster-scoped objects). */
  get(key: string): T | undefined {
    return this.#store.get(key);
  }
  values(): IterableIterator<T> {
    return this.#store.values();
  }

  /** Resolves once the cache holds a complete list (it retries until then). */
  whenSynced(): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    void this.#run();
  }

  stop(): void {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#timer);
    this.#abort?.abort();
    this.#abort = undefined;
  }

  async #run(): Promise<void> {
    if (this.#stopped) return;
    let verb: ReflectorVerb = 'list';
    try {
      if (!this.#resourceVersion) await this.#relist();
      verb = 'watch';
      await this.#watch();
    } catch (err) {
      this.#fail(verb, err);
    }
  }

  async #relist(): Promise<void> {
    const items: T[] = [];
    const transform = this.#o.transform;
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.#o.list({
        limit: this.#o.pageSize ?? defaultPageSize,
        continue: cont,
        fieldSelector: this.#o.fieldSelector,
      });
      for (const item of page.items) items.push(transform ? transform(item) : item);
      cont = page.metadata?.continue || undefined;
      // Pages of one list share a snapshot; the last page's resourceVersion is the list's.
      rv = page.metadata?.resourceVersion ?? '';
    } while (cont);
    if (this.#stopped) return;
    const delta = relistDelta(this.#store, items);
    const changes: Change<T>[] = [
      ...delta.added.map((key) => ({ key, current: delta.next.get(key) })),
      ...delta.updated.map((key) => ({ key, previous: this.#store.get(key), current: delta.next.get(key) })),
      ...delta.deleted.map((key) => ({ key, previous: this.#store.get(key) })),
    ];
    this.#store = delta.next;
    this.#resourceVersion = rv;
    this.#relists++;
    this.#o.log.debug(
      {
        resource: this.#o.resource,
        items: items.length,
        added: delta.added.length,
        updated: delta.updated.length,
        deleted: delta.deleted.length,
        unchanged: delta.unchanged,
      },
      'relisted',
    );
    const firstSync = !this.#synced;
    this.#synced = true;
    // Changes first, then status: a consumer that starts work when every cache is synced (the speaker decides
    // all Services then) must already have seen this list's changes, or it handles them twice.
    if (changes.length > 0) this.#o.onChange?.(changes);
    this.#markConnected();
    this.#o.onStatus?.();
    if (firstSync) for (const resolve of this.#syncWaiters.splice(0)) resolve();
  }

  async #watch(): Promise<void> {
    if (this.#stopped) return;
    const query: Record<string, string | number | boolean> = {
      resourceVersion: this.#resourceVersion,
      allowWatchBookmarks: true,
      // The server ends each watch after 5-10 minutes so connections are refreshed; we resume from the RV.
      timeoutSeconds: 300 + Math.floor(this.#random() * 300),
    };
    if (this.#o.fieldSelector) query.fieldSelector = this.#o.fieldSelector;
    const startedAt = this.#clock.now();
    let received = 0;
    let gone = false;
    let ended = false;
    let handle: AbortController | undefined;
    handle = await this.#o.watcher.watch(
      this.#o.path,
      query,
      (phase, raw) => {
        if (this.#stopped || ended) return;
        received++;
        this.#markConnected();
        if (phase === 'ERROR') {
          const status = raw as WatchEventObject;
          // 410 Gone: our resourceVersion is too old (compacted); relist (atomically, see above).
          if (status.code === 410) gone = true;
          this.#lastError = `watch error ${status.code ?? ''}: ${status.message ?? ''}`;
          return;
        }
        const transform = this.#o.transform;
        const obj = phase === 'BOOKMARK' || !transform ? (raw as T) : transform(raw as T);
        const rv = obj.metadata?.resourceVersion;
        if (rv) this.#resourceVersion = rv;
        if (phase === 'BOOKMARK') return;
        const key = objectKey(obj);
        const previous = this.#store.get(key);
        if (phase === 'DELETED') this.#store.delete(key);
        else this.#store.set(key, obj);
        this.#o.onChange?.([{ key, previous, current: phase === 'DELETED' ? undefined : obj }]);
      },
      (err) => {
        if (ended) return;
        ended = true;
        if (handle !== undefined && this.#abort === handle) this.#abort = undefined;
        if (this.#stopped) return;
        if (gone || apiErrorCode(err) === 410) {
          this.#resourceVersion = '';
          this.#retry(0);
        } else if (err && !isTimeout(err)) this.#fail('watch', err);
        else if (received === 0 && this.#clock.now() - startedAt < SHORT_WATCH_MS)
          this.#fail('watch', new Error('watch closed by the server at once, without any event'));
        else this.#retry(0); // the server's timeoutSeconds (or our inactivity timeout) ended it: resume
      },
    );
    if (ended || this.#stopped) {
      handle.abort();
      return;
    }
    this.#abort = handle;
    this.#markConnected();
  }

  #markConnected(): void {
    this.#backoff.reset();
    if (!this.#connected) {
      this.#connected = true;
      this.#lastError = undefined;
      this.#o.onStatus?.();
    }
  }

  #fail(verb: ReflectorVerb, err: unknown): void {
    if (this.#stopped) return;
    this.#o.onError?.(verb, err);
    if (apiErrorCode(err) === 410) this.#resourceVersion = '';
    // Shown in logs and in the speaker's /status: status code and message only (api-error.ts).
    this.#lastError = describeApiError(err);
    this.#connected = false;
    this.#o.onStatus?.();
    const delay = this.#backoff.next();
    this.#o.log.warn(
      { resource: this.#o.resource, verb, err: this.#lastError, retryInMs: delay },
      'apiserver list/watch failed; keeping the cached state and retrying',
    );
    this.#retry(delay);
  }

  #retry(delayMs: number): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = this.#clock.setTimeout(() => void this.#run(), delayMs);
  }
}

function isTimeout(err: unknown): boolean {
  return (err as { name?: string } | null)?.name === 'TimeoutError';
}
