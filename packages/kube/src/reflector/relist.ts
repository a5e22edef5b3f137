// A relist (after a watch expired with 410 Gone, or after the apiserver came back) returns the full current
// set of objects. Applying it as "delete everything, add everything" — what naive informers surface as a
// burst of delete/add events — would make the speaker withdraw and re-announce every route. Instead the new
// list replaces the cache atomically and only objects whose resourceVersion changed are reported.

export interface Versioned {
  readonly metadata?: {
    readonly resourceVersion?: string;
    readonly namespace?: string;
    readonly name?: string;
  };
}

export function objectKey(obj: Versioned): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

export interface RelistDelta<T> {
  readonly next: Map<string, T>;
  readonly added: string[];
  readonly updated: string[];
  readonly deleted: string[];
  readonly unchanged: number;
}

export function relistDelta<T extends Versioned>(
  previous: ReadonlyMap<string, T>,
  items: readonly T[],
): RelistDelta<T> {
  const next = new Map<string, T>();
  const added: string[] = [];
  const updated: string[] = [];
  let unchanged = 0;
  for (const item of items) {
    const key = objectKey(item);
    next.set(key, item);
    const old = previous.get(key);
    if (!old) added.push(key);
    else if (old.metadata?.resourceVersion !== item.metadata?.resourceVersion) updated.push(key);
    else unchanged++;
  }
  const deleted = [...previous.keys()].filter((k) => !next.has(k));
  return { next, added, updated, deleted, unchanged };
}
