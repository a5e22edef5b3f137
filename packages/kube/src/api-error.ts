// The one way a failed apiserver request is described in a log line, an Event or a status document: the HTTP
// status code and the apiserver's Status message, never the response body or headers. A KubeApiError's own
// message also carries the verb, path and (when the body was no Status) up to 1000 characters of whatever a
// proxy answered; what reaches logs and the speaker's /status is only the code and the apiserver's words.

import { KubeApiError } from './api/client.ts';

const MAX_MESSAGE = 300;

const clip = (s: string) => (s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE)}…` : s);

/** "HTTP 403: services is forbidden: …", or the error's own message (plus its cause) when it has no status. */
export function describeApiError(err: unknown): string {
  if (err instanceof KubeApiError) {
    const message = err.statusMessage;
    return message === undefined ? `HTTP ${err.code}` : `HTTP ${err.code}: ${clip(message)}`;
  }
  if (err instanceof Error) {
    // Network failures: some clients say only "fetch failed" and put what happened (ECONNREFUSED, TLS) in the
    // cause.
    const cause = (err as { cause?: unknown }).cause;
    const why = cause instanceof Error && cause.message !== err.message ? `: ${cause.message}` : '';
    return clip(`${err.message}${why}`);
  }
  return clip(String(err));
}
