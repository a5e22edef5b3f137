import { FakeClock } from '../testing/fake-clock.ts';
import { WorkQueue } from './queue.ts';
import { runWorkers } from './workers.ts';

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

describe('runWorkers', () => {
  it('retries a failing key after its backoff, forgets it on success, and never runs one key twice at once', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ timers: clock, baseDelayMs: 100, maxDelayMs: 1000 });
    const calls: string[] = [];
    const errors: string[] = [];
    let failuresLeft = 2;
    const inFlight = new Set<string>();
    let overlap = false;
    const done = runWorkers(queue, 3, {
      reconcile: async (key) => {
        if (inFlight.has(key)) overlap = true;
        inFlight.add(key);
        calls.push(key);
        await new Promise((r) => setImmediate(r));
        inFlight.delete(key);
        if (key === 'flaky' && failuresLeft-- > 0) throw new Error('apiserver said no');
      },
      onError: (key, err, retryInMs) => errors.push(`${key} ${String(err)} ${retryInMs}`),
    });
    queue.add('flaky');
    queue.add('steady');
    queue.add('steady'); // deduplicated while waiting
    await settle();
    queue.add('steady'); // while processed or just after: runs again, never concurrently
    await settle();
    expect(errors).toEqual(['flaky Error: apiserver said no 100']);
    clock.advance(100);
    await settle();
    expect(errors).toEqual(['flaky Error: apiserver said no 100', 'flaky Error: apiserver said no 200']);
    clock.advance(200);
    await settle();
    expect(queue.failuresOf('flaky')).toBe(0);
    expect(calls.filter((k) => k === 'flaky')).toHaveLength(3);
    expect(overlap).toBe(false);
    queue.shutDown();
    await done;
  });
});
