// The one HTTP client every Herald program uses for the apiserver: JSON over node:https with one keep-alive
// connection pool, and watches as newline-delimited JSON streams.
//
// Objects come back as the apiserver sends them (JSON.parse, nothing else). client-node's generated API
// classes instead walk every object through its ObjectSerializer into model class instances (Dates, renamed
// fields), which costs CPU per object on every list page and, above all, loads ~900 generated modules: ~60 MiB
// RSS per process (docs/performance.md). The TypeScript types are still client-node's (V1Service, …), imported
// as types only; where those say `Date`, the value here is the RFC 3339 string the apiserver sent — Herald
// reads no timestamp but deletionTimestamp (for presence) and the Lease times (as text).

import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { ListPage, ListRequest, Watcher } from '../reflector/reflector.ts';
import type { KubeConnection } from './connection.ts';

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

interface RequestOptions {
  readonly query?: Query;
  readonly body?: unknown;
  readonly contentType?: string;
}

/** A non-2xx answer: `code` is the HTTP status, `reason` the Status reason (NotFound, Conflict, …). */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  readonly code: number;
  readonly reason: string | undefined;
  /** The apiserver's own message from a Status body; undefined when the body was no Status (a proxy's page). */
  readonly statusMessage: string | undefined;
  constructor(
    verb: string,
    path: string,
    code: number,
    reason: string | undefined,
    message: string,
    statusMessage?: string,
  ) {
    super(`${verb} ${path}: ${code}${reason ? ` ${reason}` : ''}: ${message}`);
    this.code = code;
    this.reason = reason;
    this.statusMessage = statusMessage;
  }
}

/** The HTTP status of a failed API call (KubeApiError), else undefined. */
export function apiErrorCode(err: unknown): number | undefined {
  return err instanceof KubeApiError ? err.code : undefined;
}

export interface KubeClientOptions {
  /** A watch that delivers nothing (not even a bookmark) for this long is ended (default 30 s, as client-node). */
  readonly watchInactivityMs?: number;
  /** A request whose socket is idle this long fails (default 60 s). */
  readonly requestTimeoutMs?: number;
  readonly userAgent?: string;
}

const MERGE_PATCH = 'application/merge-patch+json';
const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';

function withQuery(path: string, query: Query | undefined): string {
  if (query === undefined) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

class WatchTimeout extends Error {
  // The reflector treats this like the server ending the watch: resume from the last resourceVersion.
  override readonly name = 'TimeoutError';
}

export class KubeClient implements Watcher {
  readonly #conn: KubeConnection;
  readonly #agent: HttpAgent;
  readonly #request: typeof httpsRequest;
  readonly #o: Required<KubeClientOptions>;

  constructor(connection: KubeConnection, options: KubeClientOptions = {}) {
    this.#conn = connection;
    this.#o = {
      watchInactivityMs: options.watchInactivityMs ?? 30_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
      userAgent: options.userAgent ?? 'herald',
    };
    const tls = connection.tls;
    if (connection.server.protocol === 'http:') {
      this.#agent = new HttpAgent({ keepAlive: true });
      this.#request = httpRequest;
    } else {
      // One pool for lists, watches, status patches and Events: connections are reused, TLS handshakes rare.
      this.#agent = new HttpsAgent({
        keepAlive: true,
        ca: tls.ca,
        rejectUnauthorized: tls.rejectUnauthorized,
        servername: tls.servername,
      });
      this.#request = httpsRequest;
    }
  }

  get source(): string {
    return this.#conn.source;
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  /** One page of a list (the reflector pages with `limit` and `continue`, the apiserver's names). */
  list<T>(path: string, request: ListRequest & { readonly labelSelector?: string }): Promise<ListPage<T>> {
    return this.request<ListPage<T>>('GET', path, { query: { ...request } });
  }

  create<T>(path: string, body: unknown, query?: Query): Promise<T> {
    return this.request<T>('POST', path, { body, query });
  }

  replace<T>(path: string, body: unknown, query?: Query): Promise<T> {
    return this.request<T>('PUT', path, { body, query });
  }

  /**
   * JSON merge patch (RFC 7386): only the fields in BODY change. Resolves with nothing: no caller reads the
   * patched object, and decoding the whole object the apiserver sends back (managedFields and all) cost the
   * controller's burst a JSON.parse per status write (docs/performance.md, the controller burst).
   */
  async mergePatch(path: string, body: unknown, query?: Query): Promise<void> {
    await this.#exchange('PATCH', path, { body, query, contentType: MERGE_PATCH }, false);
  }

  /**
   * Strategic merge patch (built-in kinds only): lists merge by their patch key, so a Service's
   * status.conditions merge by `type` and conditions other controllers set stay untouched (a JSON merge patch
   * would replace the whole list). Resolves with nothing, like mergePatch.
   */
  async strategicMergePatch(path: string, body: unknown, query?: Query): Promise<void> {
    await this.#exchange('PATCH', path, { body, query, contentType: STRATEGIC_MERGE_PATCH }, false);
  }

  async request<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const text = await this.#exchange(method, path, o, true);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Sends one request; a non-2xx answer throws with the apiserver's Status. KEEP: whether a 2xx body is wanted. */
  async #exchange(method: string, path: string, o: RequestOptions, keep: boolean): Promise<string> {
    const payload = o.body === undefined ? undefined : Buffer.from(JSON.stringify(o.body));
    const headers: Record<string, string | number> = { Accept: 'application/json' };
    if (payload !== undefined) {
      headers['Content-Type'] = o.contentType ?? 'application/json';
      headers['Content-Length'] = payload.length;
    }
    const res = await this.#send(method, withQuery(path, o.query), headers, undefined, payload);
    const code = res.statusCode ?? 0;
    const ok = code >= 200 && code <= 299;
    const chunks: Buffer[] = [];
    // Read to the end either way: the keep-alive socket goes back to the pool only after the whole response.
    for await (const chunk of res) if (keep || !ok) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if (!ok) throw errorFrom(method, path, code, text);
    return text;
  }

  /**
   * A watch (client-node's Watch contract): CALLBACK gets each event's type and object; DONE is called once
   * when the stream ends, fails, is aborted or is idle for watchInactivityMs (a TimeoutError).
   */
  async watch(
    path: string,
    query: Query,
    callback: (phase: string, obj: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const abort = new AbortController();
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err: unknown) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      abort.abort();
      done(err);
    };
    const idle = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () => finish(new WatchTimeout('watch idle: no event within the inactivity timeout')),
        this.#o.watchInactivityMs,
      );
      timer.unref();
    };
    idle();
    abort.signal.addEventListener('abort', () => finish(null), { once: true });
    try {
      const res = await this.#send(
        'GET',
        withQuery(path, { ...query, watch: true }),
        { Accept: 'application/json' },
        abort.signal,
      );
      const code = res.statusCode ?? 0;
      if (code !== 200) {
        const chunks: Buffer[] = [];
        for await (const chunk of res) chunks.push(chunk as Buffer);
        throw errorFrom('WATCH', path, code, Buffer.concat(chunks).toString('utf8'));
      }
      idle();
      res.setEncoding('utf8');
      let partial = '';
      res.on('data', (chunk: string) => {
        if (finished) return;
        idle();
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (!line || finished) continue;
          let event: { type?: string; object?: unknown };
          try {
            event = JSON.parse(line) as { type?: string; object?: unknown };
          } catch {
            continue; // a line that is not JSON is not an event
          }
          if (typeof event.type === 'string') callback(event.type, event.object);
        }
      });
      res.on('end', () => finish(null));
      res.on('error', (err) => finish(abort.signal.aborted ? null : err));
      res.on('close', () => finish(null));
    } catch (err) {
      finish(abort.signal.aborted ? null : err);
    }
    return abort;
  }

  /** Closes idle keep-alive connections (watches end with their abort). */
  close(): void {
    this.#agent.destroy();
  }

  async #send(
    method: string,
    path: string,
    headers: Record<string, string | number>,
    signal?: AbortSignal,
    payload?: Buffer,
  ): Promise<IncomingMessage> {
    const creds = await this.#conn.credentials();
    const server = this.#conn.server;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = this.#request(
        {
          protocol: server.protocol,
          hostname: server.hostname.replace(/^\[|\]$/g, ''),
          port: server.port || (server.protocol === 'http:' ? 80 : 443),
          method,
          path,
          agent: this.#agent,
          headers: { 'User-Agent': this.#o.userAgent, ...headers, ...creds.headers },
          cert: creds.cert,
          key: creds.key,
          signal,
          // Lists and writes: a silent socket fails the call. Watches have their own inactivity timer.
          timeout: signal === undefined ? this.#o.requestTimeoutMs : undefined,
        },
        resolve,
      );
      req.on('timeout', () =>
        req.destroy(new Error(`${method} ${path}: no answer within the request timeout`)),
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}

function errorFrom(verb: string, path: string, code: number, text: string): KubeApiError {
  let reason: string | undefined;
  let statusMessage: string | undefined;
  try {
    const status = JSON.parse(text) as { reason?: unknown; message?: unknown } | null;
    if (typeof status?.reason === 'string') reason = status.reason;
    if (typeof status?.message === 'string' && status.message !== '') statusMessage = status.message;
  } catch {
    // not a Status object: keep the text
  }
  const message = statusMessage ?? text.slice(0, 1000);
  return new KubeApiError(verb, path.split('?')[0]!, code, reason, message, statusMessage);
}
