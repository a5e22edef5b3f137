import type { CoreV1Event } from '@kubernetes/client-node';
import { KubeApiError } from '../api/client.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { EventRecorder, type EventRecorderOptions, type EventTarget, TokenBuckets } from './recorder.ts';

/** An events API that records calls; each call waits until released when `hold` is on. */
class FakeEventsApi {
  readonly created: CoreV1Event[] = [];
  readonly patched: { name: string; namespace: string; body: unknown }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  hold = false;
  fail: ((verb: 'create' | 'patch') => Error | undefined) | undefined;
  readonly #waiting: (() => void)[] = [];

  async #call<T>(verb: 'create' | 'patch', effect: () => T): Promise<T> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.hold) await new Promise<void>((r) => this.#waiting.push(r));
      const err = this.fail?.(verb);
      if (err !== undefined) throw err;
      return effect();
    } finally {
      this.inFlight--;
    }
  }

  release(): void {
    for (const r of this.#waiting.splice(0)) r();
  }

  create<T>(path: string, body: unknown): Promise<T> {
    return this.#call('create', () => {
      const event = body as CoreV1Event;
      expect(path).toBe(`/api/v1/namespaces/${event.metadata?.namespace}/events`);
      this.created.push(event);
      return body as T;
    });
  }

  async mergePatch(path: string, body: unknown): Promise<void> {
    await this.#call('patch', () => {
      const [, namespace, name] = /^\/api\/v1\/namespaces\/([^/]+)\/events\/([^/]+)$/.exec(path) ?? [];
      this.patched.push({ name: name!, namespace: namespace!, body });
      return undefined;
    });
  }
}

const svc = (name: string): EventTarget => ({
  kind: 'Service',
  namespace: 'shop',
  name,
  uid: `uid-${name}`,
  resourceVersion: '7',
});

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

function setup(extra: Partial<EventRecorderOptions> = {}) {
  const api = new FakeEventsApi();
  const clock = new FakeClock(Date.UTC(2026, 0, 2, 3, 4, 5));
  const written: string[] = [];
  const dropped: string[] = [];
  const failed: string[] = [];
  const warnings: object[] = [];
  const recorder = new EventRecorder({
    api,
    component: 'herald-speaker',
    host: 'node-1',
    reportingController: 'herald.dev/speaker',
    reportingInstance: 'node-1',
    log: { warn: (obj) => warnings.push(obj) },
    onWritten: (r) => written.push(r),
    onDropped: (r) => dropped.push(r),
    onFailed: (verb, r) => failed.push(`${verb} ${r}`),
    clock,
    random: () => 0.5,
    ...extra,
  });
  return { api, clock, recorder, written, dropped, failed, warnings };
}

describe('EventRecorder', () => {
  it('writes a core/v1 Event naming the object, the reporter and the node', async () => {
    const t = setup();
    t.recorder.record(svc('web'), 'Normal', 'AnnouncementStarted', 'node node-1 announces 198.51.100.1/32');
    await t.recorder.flush();
    const ts = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(t.api.created).toEqual([
      {
        metadata: { name: `web.${ts.getTime().toString(16)}80000000`, namespace: 'shop' },
        involvedObject: {
          apiVersion: 'v1',
          kind: 'Service',
          namespace: 'shop',
          name: 'web',
          uid: 'uid-web',
          resourceVersion: '7',
        },
        type: 'Normal',
        reason: 'AnnouncementStarted',
        message: 'node node-1 announces 198.51.100.1/32',
        count: 1,
        firstTimestamp: ts,
        lastTimestamp: ts,
        source: { component: 'herald-speaker', host: 'node-1' },
        reportingComponent: 'herald.dev/speaker',
        reportingInstance: 'node-1',
      },
    ]);
    expect(t.written).toEqual(['AnnouncementStarted']);
  });

  it('an Event on a cluster-scoped object (a Node) lives in default, its involvedObject in no namespace', async () => {
    const t = setup();
    const node: EventTarget = { kind: 'Node', namespace: '', name: 'node-1', uid: 'uid-n' };
    t.recorder.record(node, 'Warning', 'PeerPasswordUnavailable', 'peer tor: Secret herald/x does not exist');
    await t.recorder.flush();
    t.recorder.record(node, 'Warning', 'PeerPasswordUnavailable', 'peer tor: Secret herald/x does not exist');
    await t.recorder.flush();
    expect(t.api.created).toHaveLength(1);
    expect(t.api.created[0]?.metadata?.namespace).toBe('default');
    expect(t.api.created[0]?.involvedObject).toMatchObject({ kind: 'Node', namespace: '', name: 'node-1' });
    expect(t.api.patched.map((p) => p.namespace)).toEqual(['default']);
  });

  it('a repeat increments count on the same Event; a different message or type is a new Event', async () => {
    const t = setup({ host: undefined, component: 'herald-controller' });
    t.recorder.record(svc('web'), 'Warning', 'AllocationFailed', 'PoolExhausted: x', 'Allocate');
    await t.recorder.flush();
    t.clock.advance(5000);
    t.recorder.record(svc('web'), 'Warning', 'AllocationFailed', 'PoolExhausted: x', 'Allocate');
    t.clock.advance(5000);
    t.recorder.record(svc('web'), 'Warning', 'AllocationFailed', 'PoolExhausted: x', 'Allocate');
    await t.recorder.flush();
    t.recorder.record(svc('web'), 'Warning', 'AllocationFailed', 'IPInUse: y', 'Allocate');
    t.recorder.record(svc('web'), 'Normal', 'AllocationFailed', 'PoolExhausted: x', 'Allocate');
    await t.recorder.flush();
    const name = t.api.created[0]!.metadata!.name;
    expect(t.api.created[0]).toMatchObject({
      action: 'Allocate',
      source: { component: 'herald-controller' },
    });
    expect(t.api.created[0]!.source).toEqual({ component: 'herald-controller' });
    expect(t.api.patched).toEqual([
      {
        name,
        namespace: 'shop',
        body: { count: 2, lastTimestamp: new Date(t.clock.now() - 5000).toISOString() },
      },
      { name, namespace: 'shop', body: { count: 3, lastTimestamp: new Date(t.clock.now()).toISOString() } },
    ]);
    expect(t.api.created.map((e) => `${e.type} ${e.message}`)).toEqual([
      'Warning PoolExhausted: x',
      'Warning IPInUse: y',
      'Normal PoolExhausted: x',
    ]);
  });

  it('creates the Event anew when the apiserver already expired it (patch → 404)', async () => {
    const t = setup();
    t.recorder.record(svc('web'), 'Normal', 'R', 'm');
    await t.recorder.flush();
    t.api.fail = (verb) =>
      verb === 'patch' ? new KubeApiError('PATCH', '/x', 404, 'NotFound', 'gone') : undefined;
    t.recorder.record(svc('web'), 'Normal', 'R', 'm');
    await t.recorder.flush();
    expect(t.api.created).toHaveLength(2);
    expect(t.api.created[1]!.count).toBe(1);
    expect(t.failed).toEqual([]);
  });

  it('rate-limits per object with a token bucket and counts what it drops', async () => {
    const t = setup({ burst: 3, refillMs: 1000 });
    for (let i = 0; i < 5; i++) t.recorder.record(svc('loop'), 'Warning', 'AllocationFailed', `try ${i}`);
    t.recorder.record(svc('other'), 'Warning', 'AllocationFailed', 'fine');
    await t.recorder.flush();
    expect(t.api.created.map((e) => `${e.involvedObject.name} ${e.message}`)).toEqual([
      'loop try 0',
      'loop try 1',
      'loop try 2',
      'other fine',
    ]);
    expect(t.dropped).toEqual(['AllocationFailed', 'AllocationFailed']);
    t.clock.advance(999);
    t.recorder.record(svc('loop'), 'Warning', 'AllocationFailed', 'early');
    t.clock.advance(1);
    t.recorder.record(svc('loop'), 'Warning', 'AllocationFailed', 'refilled');
    await t.recorder.flush();
    expect(t.api.created.map((e) => e.message).slice(4)).toEqual(['refilled']);
    expect(t.dropped).toHaveLength(3);
  });

  it('a failed write is counted and logged, never thrown, and does not stop later Events', async () => {
    const t = setup();
    t.api.fail = () => new Error('connect ECONNREFUSED');
    t.recorder.record(svc('web'), 'Normal', 'AnnouncementStarted', 'm');
    await t.recorder.flush();
    expect(t.failed).toEqual(['create AnnouncementStarted']);
    expect(t.warnings).toEqual([
      { reason: 'AnnouncementStarted', verb: 'create', err: 'connect ECONNREFUSED' },
    ]);
    t.api.fail = undefined;
    t.recorder.record(svc('web'), 'Normal', 'AnnouncementStopped', 'm');
    await t.recorder.flush();
    expect(t.written).toEqual(['AnnouncementStopped']);
  });

  it('bounds writes in flight; while the program is busy Events wait, then trickle once overdue', async () => {
    let busy = true;
    const t = setup({ concurrency: 3, busy: () => busy, maxDeferMs: 1000 });
    t.api.hold = true;
    for (let i = 0; i < 6; i++) t.recorder.record(svc(`s${i}`), 'Normal', 'IPAllocated', 'm');
    await settle();
    // Busy: nothing is written while the status writes of a burst go out ...
    expect(t.api.inFlight).toBe(0);
    t.clock.advance(900);
    await settle();
    expect(t.api.inFlight).toBe(0);
    // ... until the oldest has waited maxDeferMs: then one at a time, however long the busy spell lasts.
    t.clock.advance(100);
    await settle();
    expect(t.api.inFlight).toBe(1);
    t.clock.advance(5000);
    await settle();
    expect(t.api.inFlight).toBe(1);
    expect(t.recorder.backlog).toBe(6);
    busy = false;
    t.clock.advance(100); // the re-check sees the burst is over
    await settle();
    expect(t.api.inFlight).toBe(3);
    t.api.hold = false;
    t.api.release();
    await t.recorder.flush();
    expect(t.api.created).toHaveLength(6);
    expect(t.api.maxInFlight).toBe(3);
    expect(t.recorder.backlog).toBe(0);
  });

  it('keeps at most maxRecorded dedupe entries, forgetting the least recently recorded first', async () => {
    // Service churn gives every recreated Service a new UID, so each one is a new entry for an hour.
    const t = setup({ maxRecorded: 10, burst: 1000 });
    for (let i = 0; i < 10; i++) t.recorder.record(svc(`s${i}`), 'Normal', 'Announced', 'x');
    await t.recorder.flush();
    t.clock.advance(1000);
    t.recorder.record(svc('s0'), 'Normal', 'Announced', 'x'); // s0 is now the most recent
    await t.recorder.flush();
    expect(t.recorder.recordedCount).toBe(10);
    t.recorder.record(svc('s10'), 'Normal', 'Announced', 'x'); // 11 > 10: down to 9, oldest first
    await t.recorder.flush();
    expect(t.recorder.recordedCount).toBe(9);
    // s1 and s2 went (the oldest); s0 stayed because it was repeated: its repeat is a count, s1's a new Event.
    const created = t.api.created.length;
    t.recorder.record(svc('s0'), 'Normal', 'Announced', 'x');
    await t.recorder.flush();
    expect(t.api.created).toHaveLength(created);
    expect(t.api.patched.at(-1)!.body).toMatchObject({ count: 3 });
    t.recorder.record(svc('s1'), 'Normal', 'Announced', 'x');
    await t.recorder.flush();
    expect(t.api.created).toHaveLength(created + 1);
    for (let i = 11; i < 200; i++) t.recorder.record(svc(`s${i}`), 'Normal', 'Announced', 'x');
    await t.recorder.flush();
    expect(t.recorder.recordedCount).toBeLessThanOrEqual(10);
  });

  it('truncates a huge message', async () => {
    const t = setup();
    t.recorder.record(svc('web'), 'Warning', 'ConfigInvalid', 'e'.repeat(5000));
    await t.recorder.flush();
    const message = t.api.created[0]!.message!;
    expect(message).toHaveLength(3980 + ' …(truncated)'.length);
    expect(message.endsWith(' …(truncated)')).toBe(true);
  });
});

describe('TokenBuckets', () => {
  it('allows a burst, then refills continuously at one token per refill period, capped at the burst', () => {
    const b = new TokenBuckets(2, 1000);
    expect([b.take('a', 0), b.take('a', 0), b.take('a', 0)]).toEqual([true, true, false]);
    expect(b.take('b', 0)).toBe(true); // buckets are per key
    expect(b.take('a', 500)).toBe(false); // half a token
    expect(b.take('a', 1000)).toBe(true); // the half before plus this half
    expect(b.take('a', 1000)).toBe(false);
    // A long quiet period refills to the burst, not beyond.
    expect([b.take('a', 100_000), b.take('a', 100_000), b.take('a', 100_000)]).toEqual([true, true, false]);
  });

  it('keeps at most maxKeys buckets, evicting the least recently used (which only allows more Events)', () => {
    const b = new TokenBuckets(1, 1000, 3);
    for (const k of ['a', 'b', 'c']) expect(b.take(k, 0)).toBe(true);
    expect(b.take('a', 0)).toBe(false); // a is empty, and now the most recently used
    expect(b.take('d', 0)).toBe(true); // evicts b
    expect(b.size).toBe(3);
    expect(b.take('a', 0)).toBe(false); // a was kept: still empty
    expect(b.take('b', 0)).toBe(true); // b was forgotten: a fresh bucket
    for (let i = 0; i < 100; i++) b.take(`k${i}`, 0);
    expect(b.size).toBe(3);
  });
});
