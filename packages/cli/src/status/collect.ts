// Fetches /status from each speaker in parallel; an unreachable or refusing speaker is a result, not an
// exception. HTTPS speakers get the bearer token and are verified against the CA under the server name.
import { getProgramDocument } from '../program-http.ts';
import type { SpeakerAccess } from './access.ts';
import type { SpeakerResult, SpeakerStatus } from './types.ts';

export function statusUrl(target: URL): string {
  return new URL('/status', target).toString();
}

export async function fetchStatus(
  target: URL,
  access: SpeakerAccess,
  timeoutMs: number,
): Promise<SpeakerResult> {
  const shown = target.host;
  const url = statusUrl(target);
  const r = await getProgramDocument<SpeakerStatus>(url, 'HeraldSpeakerStatus', { ...access, timeoutMs });
  if (!r.ok) return { target: shown, ok: false, error: r.error };
  if (!Array.isArray(r.doc.sessions))
    return { target: shown, ok: false, error: `${url} did not return a HeraldSpeakerStatus document` };
  return { target: shown, ok: true, status: r.doc };
}

export function collectStatus(
  targets: readonly URL[],
  access: SpeakerAccess,
  timeoutMs: number,
): Promise<SpeakerResult[]> {
  return Promise.all(targets.map((t) => fetchStatus(t, access, timeoutMs)));
}
