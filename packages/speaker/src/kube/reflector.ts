// A list+watch cache for one resource, written for the speaker's resilience rules rather than taken from
// client-node's ListWatch: (1) a relist replaces the cache atomically and reports only objects whose
// resourceVersion changed, so a relist after 410 Gone or a reconnect never looks like "everything deleted,
// everything added"; (2) while the apiserver is unreachable the cache stays exactly as it was (the speaker keeps
// announcing) and the watch is retried with capped backoff, resuming from the last resourceVersion.
import type { Watch } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { objectKey, relistDelta, type Versioned } from './relist.ts';

export interface ListPage<T> {
  readonly items: T[];
  readonly metadata?: { readonly resourceVersion?: string; readonly _continue?: string };
}

export interface ReflectorOptions<T extends Versioned> {
  readonly resource: string;
  /** The watch URL path, e.g. /api/v1/services. */
  readonly path: string;
  readonly fieldSelector?: string;
  readonly list: (page: {
    limit: number;
    _continue?: string;
    fieldSelector?: string;
  }) => Promise<ListPage<T>>;
  readonly watch: Watch;
  readonly log: Logger;
  /** Called with the keys (namespace/name) that changed; `previous` is the object before the change. */
  /**
   * Reduces each object to what the speaker reads before it is cached (like controller-runtime's cache
   * transforms): 10,000 full Services and EndpointSlices with managedFields cost hundreds of MiB otherwise.
   * Must keep metadata.name/namespace/resourceVersion.
   */
  readonly transform?: (obj: T) => T;
  readonly onChange: (changes: ReadonlyArray<{ key: string; previous?: T; current?: T }>) => void;
  readonly onStatus?: () => void;
  readonly onError?: (resource: string) => void;
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

/** What the speaker reads of any reflector for status and readiness. */
export interface ReflectorStatus {
  readonly resource: string;
  readonly synced: boolean;
  readonly connected: boolean;
  readonly lastError: string | undefined;
  /** resourceVersion of the last list or watch event applied to the cache. */
  readonly resourceVersion: string;
  start(): void;
  stop(): void;
}

export class Reflector<T extends Versioned> implements ReflectorStatus {
  readonly #o: ReflectorOptions<T>;
  #store = new Map<string, T>();
  #resourceVersion = '';
  #abort?: AbortController;
  #timer?: NodeJS.Timeout;
  #stopped = false;
  #backoffMs: number;
  #synced = false;
  #connected = false;
  #lastError?: string;
  #errors = 0;
  #relists = 0;

  constructor(options: ReflectorOptions<T>) {
    this.#o = options;
    this.#backoffMs = options.minBackoffMs ?? 500;
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
  get errors(): number {
    return this.#errors;
  }
  get relists(): number {
    return this.#relists;
  }
  get(key: string): T | undefined {
    return this.#store.get(key);
  }
  values(): IterableIterator<T> {
    return this.#store.values();
  }
  get size(): number {
    return this.#store.size;
  }

  start(): void {
    this.#stopped = false;
    void this.#run();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#abort?.abort();
  }

  async #run(): Promise<void> {
    if (this.#stopped) return;
    try {
      if (!this.#resourceVersion) await this.#relist();
      await this.#watch();
    } catch (err) {
      this.#fail(err);
    }
  }

  async #relist(): Promise<void> {
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.#o.list({ limit: 500, _continue: cont, fieldSelector: this.#o.fieldSelector });
      const t = this.#o.transform;
      for (const item of page.items) items.push(t ? t(item) : item);
      cont = page.metadata?._continue || undefined;
      rv = page.metadata?.resourceVersion ?? '';
    } while (cont);
    if (this.#stopped) return;
    const delta = relistDelta(this.#store, items);
    const changes = [
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
    this.#synced = true;
    this.#markConnected();
    if (changes.length > 0) this.#o.onChange(changes);
    this.#o.onStatus?.();
  }

  async #watch(): Promise<void> {
    if (this.#stopped) return;
    const query: Record<string, string | number | boolean> = {
      resourceVersion: this.#resourceVersion,
      allowWatchBookmarks: true,
      // The server ends each watch after 5-10 minutes so connections are refreshed; we resume from the RV.
      timeoutSeconds: 300 + Math.floor(Math.random() * 300),
    };
    if (this.#o.fieldSelector) query.fieldSelector = this.#o.fieldSelector;
    let gone = false;
    let ended = false;
    this.#abort = await this.#o.watch.watch(
      this.#o.path,
      query,
      (phase: string, raw: T & { code?: number; message?: string }) => {
        this.#markConnected();
        if (phase === 'ERROR') {
          // 410 Gone: our resourceVersion is too old; relist (atomically, see above).
          if (raw.code === 410) gone = true;
          this.#lastError = `watch error ${raw.code ?? ''}: ${raw.message ?? ''}`;
          return;
        }
        const obj = phase === 'BOOKMARK' || !this.#o.transform ? raw : this.#o.transform(raw);
        const rv = obj.metadata?.resourceVersion;
        if (rv) this.#resourceVersion = rv;
        if (phase === 'BOOKMARK') return;
        const key = objectKey(obj);
        const previous = this.#store.get(key);
        if (phase === 'DELETED') this.#store.delete(key);
        else this.#store.set(key, obj);
        this.#o.onChange([{ key, previous, current: phase === 'DELETED' ? undefined : obj }]);
      },
      (err: unknown) => {
        ended = true;
        this.#abort = undefined;
        if (this.#stopped) return;
        if (gone) this.#resourceVersion = '';
        if (err && !isTimeout(err)) this.#fail(err);
        else this.#retry(0);
      },
    );
    if (!ended) this.#markConnected();
  }

  #markConnected(): void {
    this.#backoffMs = this.#o.minBackoffMs ?? 500;
    if (!this.#connected) {
      this.#connected = true;
      this.#lastError = undefined;
      this.#o.onStatus?.();
    }
  }

  #fail(err: unknown): void {
    if (this.#stopped) return;
    this.#errors++;
    this.#o.onError?.(this.#o.resource);
    const code = (err as { code?: number; statusCode?: number })?.code;
    if (code === 410) this.#resourceVersion = '';
    this.#lastError = err instanceof Error ? err.message : String(err);
    this.#connected = false;
    this.#o.onStatus?.();
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#o.maxBackoffMs ?? 8000);
    this.#o.log.warn(
      { resource: this.#o.resource, err: this.#lastError, retryInMs: delay },
      'apiserver list/watch failed; keeping the cached state and retrying',
    );
    this.#retry(delay);
  }

  #retry(delayMs: number): void {
    clearTimeout(this.#timer);
    // Jitter so N speakers do not reconnect to a recovering apiserver in lockstep.
    const jittered = delayMs === 0 ? 0 : delayMs / 2 + Math.random() * (delayMs / 2);
    this.#timer = setTimeout(() => void this.#run(), jittered);
  }
}

function isTimeout(err: unknown): boolean {
  return (err as { name?: string })?.name === 'TimeoutError';
}
