// Workers draining a WorkQueue, controller-runtime style: a key is reconciled by one worker at a time; success
// forgets its failure count, an error re-adds it after its rate-limited backoff. Errors are handed to
// `onError`, never swallowed.

import type { WorkQueue } from './queue.ts';

export interface KeyHandler {
  /** Makes the world match the current state of `key`; throws to be retried with backoff. */
  reconcile(key: string): Promise<void>;
  /** A reconcile threw; the key comes back after `retryInMs`. */
  onError(key: string, err: unknown, retryInMs: number): void;
}

async function worker(queue: WorkQueue, handler: KeyHandler): Promise<void> {
  for (;;) {
    const key = await queue.get();
    if (key === null) return;
    try {
      await handler.reconcile(key);
      queue.forget(key);
    } catch (err) {
      handler.onError(key, err, queue.addRateLimited(key));
    } finally {
      queue.done(key);
    }
  }
}

/** Starts `count` workers; resolves when the queue is shut down and every in-flight reconcile has ended. */
export async function runWorkers(queue: WorkQueue, count: number, handler: KeyHandler): Promise<void> {
  await Promise.all(Array.from({ length: count }, () => worker(queue, handler)));
}
