// How heraldctl status reaches a speaker's /status: the URL's scheme, the bearer token it sends, and how it
// verifies the speaker's certificate. The chart serves /status over HTTPS and lets a token through only when
// the apiserver says its user may get herald.dev speakers/status (docs/operations.md, "Security").
import { readFileSync } from 'node:fs';
import type { ProgramAccess } from '../program-http.ts';

/** The token and certificate check for the speakers (program-http.ts sends and verifies). */
export type SpeakerAccess = ProgramAccess;

/** A target as given: a URL, or host:port, which is HTTPS unless plain HTTP was asked for. */
export function targetUrl(target: string, plainHttp: boolean): URL {
  if (/^https?:\/\//.test(target)) return new URL(target);
  return new URL(`${plainHttp ? 'http' : 'https'}://${target}`);
}

/** The token from --token, --token-file or $HERALD_TOKEN, in that order; undefined when none is given. */
export function tokenFromFlags(
  o: { token?: string; tokenFile?: string },
  env = process.env,
): string | undefined {
  if (o.token) return o.token;
  if (o.tokenFile) return readFileSync(o.tokenFile, 'utf8').trim();
  return env.HERALD_TOKEN || undefined;
}

export const NO_TOKEN_HINT =
  'the speakers serve /status over HTTPS to a bearer token whose user may get herald.dev speakers/status ' +
  '(chart value metrics.authorization.statusReaders); pass --token or --token-file, e.g. ' +
  '--token "$(kubectl -n herald-system create token <a ServiceAccount bound there>)", or use a kubeconfig ' +
  'whose user authenticates with a token';
