// Fetches /status from each speaker in parallel; an unreachable speaker is a result, not an exception.
import type { SpeakerResult, SpeakerStatus } from './types.ts';

export function statusUrl(target: string): string {
  if (/^https?:\/\//.test(target)) return `${target.replace(/\/+$/, '')}/status`;
  return `http://${target}/status`;
}

export async function fetchStatus(target: string, timeoutMs: number): Promise<SpeakerResult> {
  try {
    const res = await fetch(statusUrl(target), { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return { target, ok: false, error: `HTTP ${res.status} from ${statusUrl(target)}` };
    const body = (await res.json()) as Partial<SpeakerStatus>;
    if (body.kind !== 'HeraldSpeakerStatus' || !Array.isArray(body.sessions)) {
      return {
        target,
        ok: false,
        error: `${statusUrl(target)} did not return a herald-speaker status document`,
      };
    }
    return { target, ok: true, status: body as SpeakerStatus };
  } catch (err) {
    const reason =
      err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
    return { target, ok: false, error: `cannot reach ${statusUrl(target)}: ${reason}` };
  }
}

export function collectStatus(targets: readonly string[], timeoutMs: number): Promise<SpeakerResult[]> {
  return Promise.all(targets.map((t) => fetchStatus(t, timeoutMs)));
}
