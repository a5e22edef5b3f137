// The one observability server of every Herald program (controller-runtime's metrics/health servers):
//   /healthz  200 while the process serves requests (liveness)            never authenticated
//   /readyz   200 when `ready()` says so, else 503 "not ready"             never authenticated
//   /metrics  the Prometheus registry                                       authorized when an authorizer is set
//   /status   a JSON document (the speaker's and the controller's)          authorized when an authorizer is set
// Read-only: GET and HEAD only. Served over TLS when a certificate is given, with a bearer token checked by
// the authorizer (TokenReview + SubjectAccessReview, see kube-auth.ts) — the way kube-rbac-proxy and
// controller-runtime's secure metrics protect a node's or a pod's metrics. A second, plain server
// (`startHealthServer`) answers only the probes, so the kubelet never needs a token: the speaker binds it to
// loopback on the host network.
//
// Whoever can reach the port can open connections, so every server is capped: connections, header size, the
// time to send headers and the whole request, the TLS handshake, keep-alive idle time.

import { readFileSync, statSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server } from 'node:net';
import type { AuthorizationDecision, RequestAuthorizer } from './auth.ts';
import { parseListenAddress } from './listen-address.ts';

/** What /metrics serves: prom-client's Registry satisfies it. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface ObservabilityHandlers {
  readonly metrics: MetricsSource;
  readonly ready: () => boolean;
  /** The /status document; without it /status is not served. */
  readonly status?: () => unknown;
}

/** Caps on what one client can make the server hold. */
export interface ServerLimits {
  /** Open connections at once; more are refused by the kernel-level accept (Node closes them). */
  readonly maxConnections: number;
  /** Bytes of request headers. */
  readonly maxHeaderSize: number;
  /** Time to receive the complete request headers (slowloris). */
  readonly headersTimeoutMs: number;
  /** Time to receive the whole request. */
  readonly requestTimeoutMs: number;
  /** Idle time of a kept-alive connection between requests. */
  readonly keepAliveTimeoutMs: number;
  /** Time for a TLS handshake. */
  readonly handshakeTimeoutMs: number;
}

/** Enough for Prometheus and a few operators; far below what would cost memory or file descriptors. */
export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  maxConnections: 64,
  maxHeaderSize: 8 * 1024,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 30_000,
  handshakeTimeoutMs: 5_000,
};

export interface ServerTls {
  /** PEM files of the serving certificate and key; re-read when they change (a renewed Secret). */
  readonly certFile: string;
  readonly keyFile: string;
  /** How often the files are checked for a change. Default 60 s. */
  readonly reloadCheckMs?: number;
}

export interface ObservabilityServerOptions {
  /** Serve HTTPS with this certificate; without it plain HTTP. */
  readonly tls?: ServerTls;
  /** Check every /metrics and /status request's bearer token; without it they are open to anyone. */
  readonly authorizer?: RequestAuthorizer;
  readonly limits?: Partial<ServerLimits>;
  /** Told about requests that were refused (401/403/503), for a metric. */
  readonly onRefused?: (path: string, status: number) => void;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function send(res: ServerResponse, code: number, type: string, body: string, extra?: object): void {
  res.writeHead(code, { 'content-type': type, ...extra });
  res.end(body);
}

function router(h: ObservabilityHandlers, o: ObservabilityServerOptions, probesOnly: boolean): Handler {
  const paths = probesOnly
    ? ['/healthz', '/readyz']
    : ['/healthz', '/readyz', '/metrics', ...(h.status ? ['/status'] : [])];
  const serve = (path: string, res: ServerResponse): void => {
    switch (path) {
      case '/metrics':
        h.metrics.metrics().then(
          (text) => send(res, 200, h.metrics.contentType, text),
          (err: unknown) => send(res, 500, 'text/plain', `${String(err)}\n`),
        );
        return;
      case '/status':
        send(res, 200, 'application/json', `${JSON.stringify(h.status!(), null, 2)}\n`);
        return;
    }
  };
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'text/plain', 'method not allowed\n');
    if (path === '/healthz') return send(res, 200, 'text/plain', 'ok\n');
    if (path === '/readyz')
      return h.ready() ? send(res, 200, 'text/plain', 'ok\n') : send(res, 503, 'text/plain', 'not ready\n');
    if (!paths.includes(path)) return send(res, 404, 'text/plain', `not found: try ${paths.join(' ')}\n`);
    const authorizer = o.authorizer;
    if (!authorizer) return serve(path, res);
    authorizer.authorize(bearerToken(req), path.slice(1)).then(
      (decision) => {
        if (decision.allowed) return serve(path, res);
        o.onRefused?.(path, decision.status);
        refuse(res, decision);
      },
      () => {
        o.onRefused?.(path, 503);
        send(res, 503, 'text/plain', 'authorization unavailable\n');
      },
    );
  };
}

function refuse(res: ServerResponse, d: Extract<AuthorizationDecision, { allowed: false }>): void {
  const challenge = d.status === 401 ? { 'www-authenticate': 'Bearer' } : undefined;
  send(res, d.status, 'text/plain', `${d.reason}\n`, challenge);
}

/** The token of `Authorization: Bearer <token>`; undefined when there is none. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

function readTls(tls: ServerTls): { cert: Buffer; key: Buffer; stamp: string } {
  const stamp = [tls.certFile, tls.keyFile].map((f) => statSync(f).mtimeMs).join('/');
  return { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile), stamp };
}

async function listen(server: Server, address: string, limits: ServerLimits): Promise<Server> {
  const { host, port } = parseListenAddress(address);
  server.maxConnections = limits.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

function createServer(handler: Handler, o: ObservabilityServerOptions): { server: Server; stop(): void } {
  const limits = { ...DEFAULT_SERVER_LIMITS, ...o.limits };
  const common = {
    maxHeaderSize: limits.maxHeaderSize,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node enforces headersTimeout/requestTimeout on this tick (default every 30 s, too coarse for a 5 s cap).
    connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
  };
  if (!o.tls) {
    const server = createHttpServer(common, handler);
    return { server, stop() {} };
  }
  const tls = o.tls;
  let current = readTls(tls);
  const server = createHttpsServer(
    { ...common, cert: current.cert, key: current.key, handshakeTimeout: limits.handshakeTimeoutMs },
    handler,
  );
  // A renewed certificate (cert-manager, a rotated Secret) is picked up without a restart.
  const timer = setInterval(() => {
    try {
      const stamp = [tls.certFile, tls.keyFile].map((f) => statSync(f).mtimeMs).join('/');
      if (stamp === current.stamp) return;
      current = readTls(tls);
      server.setSecureContext({ cert: current.cert, key: current.key });
    } catch {
      // A half-written Secret update: keep serving the last good certificate, try again later.
    }
  }, tls.reloadCheckMs ?? 60_000);
  timer.unref();
  return { server, stop: () => clearInterval(timer) };
}

/** /healthz, /readyz, /metrics and (with a document) /status, capped, optionally over TLS and authorized. */
export async function startObservabilityServer(
  address: string,
  h: ObservabilityHandlers,
  o: ObservabilityServerOptions = {},
): Promise<Server> {
  if (o.authorizer && !o.tls)
    throw new Error('an authorizer needs TLS: a bearer token must never travel in plain text');
  const { server, stop } = createServer(router(h, o, false), o);
  server.on('close', stop);
  return listen(server, address, { ...DEFAULT_SERVER_LIMITS, ...o.limits });
}

/** Only the probes, plain HTTP, capped: for the kubelet, on loopback where the network is the host's. */
export async function startHealthServer(
  address: string,
  ready: () => boolean,
  limits: Partial<ServerLimits> = {},
): Promise<Server> {
  const none: MetricsSource = { contentType: 'text/plain', metrics: async () => '' };
  const { server } = createServer(router({ metrics: none, ready }, {}, true), { limits });
  return listen(server, address, { ...DEFAULT_SERVER_LIMITS, ...limits });
}

/** Closes the server without waiting for a scraper's keep-alive connection. */
export function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
  return closed;
}
