// Durations are written like Kubernetes / Go durations ("90s", "1m30s", "2m") and become whole seconds.

const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

export type DurationParseResult =
  | { readonly ok: true; readonly seconds: number }
  | { readonly ok: false; readonly reason: string };

/**
 * Parses "90s", "1m30s", "1h", "0s" into whole seconds. Fractions and sub-second units are rejected: BGP
 * timers are whole seconds on the wire, and silently rounding "1500ms" would change what the router sees.
 */
export function parseDuration(text: string): DurationParseResult {
  const m = DURATION.exec(text);
  if (text.length === 0 || m === null || (m[1] === undefined && m[2] === undefined && m[3] === undefined))
    return {
      ok: false,
      reason: `"${text}" is not a duration; write whole seconds with units h, m, s, e.g. "90s" or "1m30s"`,
    };
  const seconds = Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  if (!Number.isSafeInteger(seconds)) return { ok: false, reason: `"${text}" is too large` };
  return { ok: true, seconds };
}

/** Shortest canonical text for a number of seconds ("90s" stays "1m30s"). */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h > 0 ? `${h}h` : ''}${m > 0 ? `${m}m` : ''}${s > 0 ? `${s}s` : ''}`;
}
