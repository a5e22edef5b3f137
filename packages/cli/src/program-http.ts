// The one way heraldctl reads a Herald program's JSON endpoint (/status): a GET with a timeout and, over
// HTTPS, a bearer token, verifying the program's certificate against the chart's CA under the certificate's
// name (programs are reached by address; the certificate names their metrics Service). An unreachable or
// refusing program or a wrong document is a result, not an exception: every caller reports it as a row or a
// finding.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** How to reach a program's HTTPS endpoint: the token to send and how to verify its certificate. */
export interface ProgramAccess {
  /** Sent as `Authorization: Bearer`, over HTTPS only (never in clear text to a node address). */
  readonly token?: string;
  /** PEM CA the certificate is verified against. */
  readonly ca?: string;
  /** Name the certificate must carry. */
  readonly serverName?: string;
  /** Do not verify the certificate at all (the token still goes out: only for a network you trust). */
  readonly insecure?: boolean;
}

export interface ProgramRequest extends ProgramAccess {
  readonly timeoutMs: number;
}

export type ProgramResponse<T> =
  | { readonly ok: true; readonly doc: T }
  | { readonly ok: false; readonly error: string };

/** Bodies above this are not a status document (and must not fill heraldctl's memory). */
const MAX_BODY = 16 * 1024 * 1024;

function get(url: URL, r: ProgramRequest): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const https = url.protocol === 'https:';
    const options = {
      method: 'GET',
      timeout: r.timeoutMs,
      headers: https && r.token ? { authorization: `Bearer ${r.token}` } : {},
      ...(https
        ? {
            ...(r.ca ? { ca: r.ca } : {}),
            ...(r.serverName ? { servername: r.serverName } : {}),
            // Node checks the certificate against `servername` when it is set, else against the address.
            rejectUnauthorized: !r.insecure,
          }
        : {}),
    };
    const req = (https ? httpsRequest : httpRequest)(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        if (body.length > MAX_BODY) req.destroy(new Error('answer larger than 16 MiB'));
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${r.timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** GET URL and expect a JSON document whose `kind` is KIND. */
export async function getProgramDocument<T extends { kind: string }>(
  url: string,
  kind: T['kind'],
  request: ProgramRequest,
): Promise<ProgramResponse<T>> {
  try {
    const res = await get(new URL(url), request);
    // A refusal's text is the program's own reason (no token, which right is missing).
    if (res.status === 401 || res.status === 403)
      return { ok: false, error: `HTTP ${res.status} from ${url}: ${res.body.trim().slice(0, 300)}` };
    if (res.status !== 200) return { ok: false, error: `HTTP ${res.status} from ${url}` };
    const body = JSON.parse(res.body) as Partial<T>;
    if (body.kind !== kind) return { ok: false, error: `${url} did not return a ${kind} document` };
    return { ok: true, doc: body as T };
  } catch (err) {
    const reason =
      err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
    return { ok: false, error: `cannot reach ${url}: ${reason}` };
  }
}
