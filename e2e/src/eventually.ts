// The one way the e2e tests wait: poll a probe until it reports a value. Tests assert behaviour ("the route
// arrives", "the Service gets an address"), never wall-clock durations; the timeout only bounds a hang, and
// when it fires the error names what was awaited, the probe's last error and what was last seen.

export interface EventuallyOptions {
  /** Gives up after this long (ms). A guard against a hang, not an assertion. Default 60 s. */
  timeoutMs?: number;
  /** Pause between attempts (ms). Default 100. */
  intervalMs?: number;
  /**
   * Checked before every attempt: a reason here means waiting longer cannot help (the process that should
   * answer has exited, the connection closed) and fails at once with that reason.
   */
  abortIf?: () => string | undefined;
  /** Appended to a timeout error: what the probe saw last (e.g. the router's last paths). */
  detail?: () => string;
}

/** Not yet: the probe keeps being called while it returns one of these (or throws). */
export type NotYet = undefined | null | false;

/**
 * Calls `probe` until it returns something other than undefined, null or false, and resolves with that.
 * A probe that throws counts as "not yet" (the apiserver may still be starting); its last error is reported.
 */
export async function eventually<T>(
  what: string,
  probe: () => T | NotYet | Promise<T | NotYet>,
  options: EventuallyOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let lastError: unknown;
  for (;;) {
    const abort = options.abortIf?.();
    if (abort !== undefined) throw new Error(`gave up waiting for ${what}: ${abort}`);
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value as T;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const parts = [`timed out waiting for ${what}`];
      if (lastError !== undefined)
        parts.push(`last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
      const detail = options.detail?.();
      if (detail) parts.push(detail);
      throw new Error(parts.join('; '));
    }
    await sleep(options.intervalMs ?? 100);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
