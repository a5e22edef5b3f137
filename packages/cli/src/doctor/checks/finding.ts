// Helpers every check uses to word its findings alike.
import type { Area, Finding, PodState, Severity } from '../types.ts';

export function finding(
  area: Area,
  check: string,
  severity: Severity,
  subject: string,
  message: string,
  fix?: string,
): Finding {
  return {
    area,
    check,
    severity,
    subject,
    message,
    ...(fix === undefined || severity === 'ok' ? {} : { fix }),
  };
}

export const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

/** `sha256:0123456789ab`: enough of a digest to tell two apart in a report. */
export const shortDigest = (digest: string | null | undefined): string =>
  digest ? digest.slice(0, 'sha256:'.length + 12) : 'unknown';

/** Why a Pod is not ready, in a few words: phase, the container's reason, restarts. */
export function podTrouble(pod: PodState): string {
  const parts = [pod.phase];
  if (pod.waitingReason) parts.push(pod.waitingReason);
  if (pod.restarts > 0) parts.push(plural(pod.restarts, 'restart'));
  return parts.join(', ');
}

export const describeAndLogs = (namespace: string, pod: string): string =>
  `kubectl -n ${namespace} describe pod ${pod}; kubectl -n ${namespace} logs ${pod} --previous`;
