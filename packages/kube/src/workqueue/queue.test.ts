import { type Timers, WorkQueue } from './queue.ts';

class FakeTimers implements Timers {
  now = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private next = 0;
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.push({ at: this.now + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  advance(ms: number): void {
    this.now += ms;
    const due = this.timers.filter((t) => t.at <= this.now).sort((a, b) => a.at - b.at);
    this.timers = this.timers.filter((t) => t.at > this.now);
    for (const t of due) t.fn();
  }
}

describe('WorkQueue', () => {
  it('deduplicates waiting keys and keeps FIFO order', async () => {
    const depths: number[] = [];
    const q = new WorkQueue({ onDepth: (d) => depths.push(d) });
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    expect(depths.at(-1)).toBe(0);
  });

  it('never hands a key to two workers: a key added while processing is re-queued on done', async () => {
    const q = new WorkQueue();
    q.add('a');
    const key = await q.get();
    q.add('a'); // e.g. an informer update while reconciling
    expect(q.length).toBe(0);
    let second: string | null = null;
    const waiting = q.get().then((k) => {
      second = k;
    });
    await Promise.resolve();
    expect(second).toBeNull();
    q.done(key!);
    await waiting;
    expect(second).toBe('a');
  });

  it('backs off per key exponentially and forget resets it', () => {
    const timers = new FakeTimers();
    const q = new WorkQueue({ timers, baseDelayMs: 10, maxDelayMs: 35 });
    expect(q.addRateLimited('a')).toBe(10);
    expect(q.length).toBe(0);
    timers.advance(10);
    expect(q.length).toBe(1);
    expect(q.addRateLimited('a')).toBe(20);
    expect(q.addRateLimited('a')).toBe(35);
    expect(q.failuresOf('a')).toBe(3);
    q.forget('a');
    expect(q.addRateLimited('b')).toBe(10);
    expect(q.failuresOf('a')).toBe(0);
  });

  it('wakes blocked getters with null on shutdown', async () => {
    const q = new WorkQueue();
    const pending = q.get();
    q.shutDown();
    expect(await pending).toBeNull();
    q.add('x');
    expect(await q.get()).toBeNull();
  });
});
