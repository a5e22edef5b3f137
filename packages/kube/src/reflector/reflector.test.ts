import { KubeApiError } from '../api/client.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { type Change, type ListPage, type ListRequest, Reflector, type Watcher } from './reflector.ts';

interface Obj {
  metadata?: { namespace?: string; name?: string; resourceVersion?: string; big?: string };
}

const obj = (name: string, rv: string, big?: string): Obj => ({
  metadata: { namespace: 'ns', name, resourceVersion: rv, ...(big === undefined ? {} : { big }) },
});

interface WatchCall {
  readonly path: string;
  readonly query: Record<string, string | number | boolean | undefined>;
  readonly send: (phase: string, o: unknown) => void;
  readonly end: (err: unknown) => void;
  readonly abort: AbortController;
}

class FakeWatcher implements Watcher {
  readonly calls: WatchCall[] = [];
  async watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, o: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const abort = new AbortController();
    this.calls.push({ path, query, send: callback, end: done, abort });
    return abort;
  }
  get last(): WatchCall {
    return this.calls.at(-1)!;
  }
}

/** Lets the reflector's awaited list/watch calls settle. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

const silent = { debug: () => {}, warn: () => {} };

function setup(pages: () => Promise<ListPage<Obj>>[] | ListPage<Obj>[]) {
  const clock = new FakeClock();
  const watcher = new FakeWatcher();
  const lists: ListRequest[] = [];
  const changes: Change<Obj>[][] = [];
  const errors: string[] = [];
  let pageIndex = 0;
  let current = pages();
  const reflector = new Reflector<Obj>({
    resource: 'things',
    path: '/api/v1/things',
    fieldSelector: 'metadata.name=x',
    list: async (request) => {
      lists.push(request);
      if (request.continue === undefined) {
        current = pages();
        pageIndex = 0;
      }
      return await current[pageIndex++]!;
    },
    watcher,
    log: silent,
    transform: (o) => ({ metadata: { ...o.metadata, big: undefined } }),
    onChange: (c) => changes.push([...c]),
    onError: (verb, err) => errors.push(`${verb}: ${err instanceof Error ? err.message : String(err)}`),
    clock,
    random: () => 0, // no jitter: delays are exactly initial × 2^n, capped
    pageSize: 2,
  });
  return { clock, watcher, lists, changes, errors, reflector };
}

const keys = (changes: Change<Obj>[][]) =>
  changes.map((batch) =>
    batch.map((c) => `${c.previous ? (c.current ? 'update' : 'delete') : 'add'} ${c.key}`),
  );

describe('Reflector', () => {
  it('fills the cache from a paged list (transformed), then watches from its resourceVersion', async () => {
    const t = setup(() => [
      { items: [obj('a', '1', 'x'.repeat(100)), obj('b', '2')], metadata: { continue: 'c1' } },
      { items: [obj('c', '3')], metadata: { resourceVersion: '10' } },
    ]);
    const synced = t.reflector.whenSynced();
    t.reflector.start();
    await synced;
    await settle();
    expect(t.lists).toEqual([
      { limit: 2, continue: undefined, fieldSelector: 'metadata.name=x' },
      { limit: 2, continue: 'c1', fieldSelector: 'metadata.name=x' },
    ]);
    expect(t.reflector.size).toBe(3);
    expect(t.reflector.get('ns/a')?.metadata?.big).toBeUndefined();
    expect(keys(t.changes)).toEqual([['add ns/a', 'add ns/b', 'add ns/c']]);
    expect(t.reflector.resourceVersion).toBe('10');
    expect(t.watcher.last.path).toBe('/api/v1/things');
    expect(t.watcher.last.query).toMatchObject({
      resourceVersion: '10',
      allowWatchBookmarks: true,
      fieldSelector: 'metadata.name=x',
    });
    expect(t.reflector.connected).toBe(true);

    t.watcher.last.send('ADDED', obj('d', '11', 'y'));
    t.watcher.last.send('MODIFIED', obj('a', '12'));
    t.watcher.last.send('DELETED', obj('b', '13'));
    t.watcher.last.send('BOOKMARK', { metadata: { resourceVersion: '20' } });
    expect(keys(t.changes.slice(1))).toEqual([['add ns/d'], ['update ns/a'], ['delete ns/b']]);
    expect(t.reflector.get('ns/d')?.metadata?.big).toBeUndefined();
    expect([...t.reflector.values()].map((o) => o.metadata?.name).sort()).toEqual(['a', 'c', 'd']);
    expect(t.reflector.resourceVersion).toBe('20');
  });

  it("reports a list's changes before it reports the cache synced", async () => {
    const events: string[] = [];
    const reflector = new Reflector<Obj>({
      resource: 'things',
      path: '/api/v1/things',
      list: async () => ({ items: [obj('a', '1')], metadata: { resourceVersion: '1' } }),
      watcher: new FakeWatcher(),
      log: silent,
      onChange: (c) => events.push(`change ${c.map((x) => x.key).join(',')}`),
      onStatus: () => events.push(`status synced=${reflector.synced} connected=${reflector.connected}`),
    });
    reflector.start();
    await settle();
    reflector.stop();
    expect(events.slice(0, 2)).toEqual(['change ns/a', 'status synced=true connected=true']);
  });

  it('410 Gone in the watch: relists at once, replaces the cache atomically and reports only real changes', async () => {
    let version = 1;
    const t = setup(() =>
      version === 1
        ? [{ items: [obj('a', '1'), obj('b', '2'), obj('c', '3')], metadata: { resourceVersion: '5' } }]
        : [{ items: [obj('a', '1'), obj('b', '7'), obj('d', '8')], metadata: { resourceVersion: '9' } }],
    );
    t.reflector.start();
    await settle();
    version = 2;
    t.watcher.last.send('ERROR', { code: 410, message: 'too old resource version: 5 (6)' });
    // Until the server closes the watch and the relist completes, the cache is untouched.
    expect(t.reflector.size).toBe(3);
    t.watcher.last.end(null);
    expect(t.clock.pending).toEqual([0]); // relist now, no backoff: 410 is not an apiserver failure
    t.clock.advance(0);
    await settle();
    expect(t.lists).toHaveLength(2);
    // a unchanged: not reported; b updated; c deleted; d added — one batch, never "delete all, add all".
    expect(keys(t.changes.slice(1))).toEqual([['add ns/d', 'update ns/b', 'delete ns/c']]);
    expect(t.reflector.relists).toBe(2);
    expect(t.watcher.calls).toHaveLength(2);
    expect(t.watcher.last.query.resourceVersion).toBe('9');
    expect(t.errors).toEqual([]);
  });

  it('410 as the HTTP status of a failed watch also relists', async () => {
    const t = setup(() => [{ items: [obj('a', '1')], metadata: { resourceVersion: '5' } }]);
    t.reflector.start();
    await settle();
    t.watcher.last.end(new KubeApiError('WATCH', '/api/v1/services', 410, 'Gone', 'gone'));
    t.clock.advance(0);
    await settle();
    expect(t.lists).toHaveLength(2);
    expect(t.watcher.last.query.resourceVersion).toBe('5');
  });

  it('backs off on failures (capped), keeps the cache, resumes the watch from its resourceVersion, resets after success', async () => {
    let failing = false;
    const t = setup(() => [
      failing
        ? Promise.reject(new Error('connect ECONNREFUSED'))
        : Promise.resolve({ items: [obj('a', '1')], metadata: { resourceVersion: '5' } }),
    ]);
    t.reflector.start();
    await settle();
    t.watcher.last.send('MODIFIED', obj('a', '6'));

    // The watch drops with an error: backoff 500 ms, then a new watch from RV 6 — no relist.
    t.watcher.last.end(new Error('socket hang up'));
    expect(t.reflector.connected).toBe(false);
    expect(t.reflector.lastError).toBe('socket hang up');
    expect(t.clock.pending).toEqual([500]);
    t.clock.advance(499);
    expect(t.watcher.calls).toHaveLength(1);
    t.clock.advance(1);
    await settle();
    expect(t.watcher.calls).toHaveLength(2);
    expect(t.watcher.last.query.resourceVersion).toBe('6');
    expect(t.lists).toHaveLength(1);
    expect(t.reflector.connected).toBe(true);

    // Compaction while we were away, and the apiserver goes down during the relist.
    failing = true;
    t.watcher.last.send('ERROR', { code: 410, message: 'gone' });
    t.watcher.last.end(null);
    const delays: number[] = [];
    t.clock.advance(0);
    await settle();
    for (let i = 0; i < 6; i++) {
      delays.push(t.clock.pending[0]!);
      t.clock.advance(t.clock.pending[0]!);
      await settle();
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
    expect(t.errors.slice(0, 2)).toEqual(['watch: socket hang up', 'list: connect ECONNREFUSED']);
    expect(t.errors).toHaveLength(8);
    // The cache is exactly what it was: a program keeps working from it.
    expect(t.reflector.get('ns/a')?.metadata?.resourceVersion).toBe('6');
    expect(t.reflector.synced).toBe(true);

    // The apiserver is back: relist, watch, and the next failure starts from 500 ms again.
    failing = false;
    t.clock.advance(t.clock.pending[0]!);
    await settle();
    expect(t.reflector.connected).toBe(true);
    expect(keys(t.changes.slice(2))).toEqual([['update ns/a']]);
    t.watcher.last.end(new Error('reset'));
    expect(t.clock.pending).toEqual([500]);
  });

  it('resumes at once when the server ends a watch normally, backs off when it drops one instantly', async () => {
    const t = setup(() => [{ items: [], metadata: { resourceVersion: '5' } }]);
    t.reflector.start();
    await settle();
    t.clock.advance(60_000);
    t.watcher.last.send('BOOKMARK', { metadata: { resourceVersion: '7' } });
    t.watcher.last.end(null); // timeoutSeconds elapsed
    expect(t.clock.pending).toEqual([0]);
    t.clock.advance(0);
    await settle();
    t.clock.advance(30_000);
    t.watcher.last.end(new DOMException('inactive', 'TimeoutError')); // our inactivity timeout
    expect(t.clock.pending).toEqual([0]);
    t.clock.advance(0);
    await settle();
    expect(t.watcher.calls.map((c) => c.query.resourceVersion)).toEqual(['5', '7', '7']);
    expect(t.errors).toEqual([]);
    t.watcher.last.end(null); // closed at once, nothing received
    expect(t.clock.pending).toEqual([500]);
    expect(t.errors).toEqual(['watch: watch closed by the server at once, without any event']);
  });

  it('stop() aborts the watch and cancels retries', async () => {
    const t = setup(() => [{ items: [], metadata: { resourceVersion: '5' } }]);
    t.reflector.start();
    await settle();
    const watch = t.watcher.last;
    t.reflector.stop();
    expect(watch.abort.signal.aborted).toBe(true);
    watch.end(new Error('aborted'));
    expect(t.clock.pending).toEqual([]);
    expect(t.errors).toEqual([]);
  });
});
