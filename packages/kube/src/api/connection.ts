// Where and as whom a Herald program talks to the apiserver: the Pod's service account (in-cluster), or a
// kubeconfig file given with --kubeconfig. Resolved once into a KubeConnection (server URL, TLS material,
// credentials) that the one HTTP client of @herald/kube (./client.ts) uses for every request and watch.
//
// Why not client-node's KubeConfig: importing it loads all of client-node's generated API classes and ~900 model
// modules (its config.js imports gen/index.js), about 60 MiB of RSS in every speaker before it holds one
// Service (docs/performance.md). The programs need only the two forms below; heraldctl, which runs with the
// operator's kubeconfig (several files, auth plugins, OIDC), keeps client-node's full implementation.
//
// Supported in a kubeconfig: the current context (or --context), the cluster's server,
// certificate-authority(-data), insecure-skip-tls-verify and tls-server-name; the user's token, tokenFile,
// client-certificate(-data) + client-key(-data), and exec credential plugins (client.authentication.k8s.io
// v1/v1beta1, token or client certificate, cached until expirationTimestamp). Anything else a user names
// (auth-provider, username/password, impersonation, proxy-url) is refused with the field's path instead of
// connecting with weaker or different credentials than configured.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';

/** The TLS side of a connection, as node:https takes it. */
export interface TlsMaterial {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** false only when the kubeconfig says insecure-skip-tls-verify. */
  readonly rejectUnauthorized: boolean;
  readonly servername?: string;
}

/** What a request needs from the credentials: headers to send and, for exec plugins, a client certificate. */
export interface Credentials {
  readonly headers: Readonly<Record<string, string>>;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export interface KubeConnection {
  /** e.g. https://10.96.0.1:443 (no path). */
  readonly server: URL;
  readonly tls: TlsMaterial;
  /** Current credentials; cheap to call per request (tokens from files and plugins are cached). */
  credentials(): Promise<Credentials>;
  /** Describes the source for logs: "in-cluster service account" or "kubeconfig PATH (context NAME)". */
  readonly source: string;
}

export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError';
}

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
/** client-go and client-node re-read a projected token file every minute (the kubelet rotates it). */
const TOKEN_FILE_TTL_MS = 60_000;

/** A bearer token re-read from its file at most once a minute. */
function tokenFromFile(path: string, now: () => number = Date.now): () => Record<string, string> {
  let token = '';
  let readAt = Number.NEGATIVE_INFINITY;
  return () => {
    if (now() - readAt > TOKEN_FILE_TTL_MS) {
      token = readFileSync(path, 'utf8').trim();
      readAt = now();
    }
    return { Authorization: `Bearer ${token}` };
  };
}

/** The Pod's service account: KUBERNETES_SERVICE_HOST/PORT, its CA and its (rotated) token. */
export function inClusterConnection(
  env: NodeJS.ProcessEnv = process.env,
  root: string = SERVICE_ACCOUNT,
): KubeConnection {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port)
    throw new KubeconfigError(
      'not running in a cluster (KUBERNETES_SERVICE_HOST/PORT unset): give a kubeconfig with --kubeconfig',
    );
  const token = tokenFromFile(join(root, 'token'));
  return {
    server: new URL(`https://${isIPv6(host) ? `[${host}]` : host}:${port}`),
    tls: { ca: readFileSync(join(root, 'ca.crt')), rejectUnauthorized: true },
    credentials: async () => ({ headers: token() }),
    source: 'in-cluster service account',
  };
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The entry named NAME of a kubeconfig list (clusters, users, contexts), its inner object. */
function named(doc: Obj, list: string, name: string, inner: string, file: string): Obj {
  const items = Array.isArray(doc[list]) ? (doc[list] as unknown[]) : [];
  const item = items.find((i) => isObj(i) && i.name === name);
  if (!isObj(item) || !isObj(item[inner]))
    throw new KubeconfigError(`${file}: ${list}: no entry named "${name}"`);
  return item[inner];
}

const KNOWN_USER_FIELDS = new Set([
  'token',
  'tokenFile',
  'client-certificate',
  'client-certificate-data',
  'client-key',
  'client-key-data',
  'exec',
]);
const KNOWN_CLUSTER_FIELDS = new Set([
  'server',
  'certificate-authority',
  'certificate-authority-data',
  'insecure-skip-tls-verify',
  'tls-server-name',
  'extensions',
  'disable-compression',
]);

/** A kubeconfig file's current context (or CONTEXT): cluster, TLS and credentials. */
export function kubeconfigConnection(file: string, context?: string): KubeConnection {
  const text = readFileSync(file, 'utf8');
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new KubeconfigError(`${file}: not YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isObj(doc)) throw new KubeconfigError(`${file}: not a kubeconfig`);
  const contextName = context ?? (typeof doc['current-context'] === 'string' ? doc['current-context'] : '');
  if (!contextName) throw new KubeconfigError(`${file}: no current-context`);
  const ctx = named(doc, 'contexts', contextName, 'context', file);
  const cluster = named(doc, 'clusters', String(ctx.cluster ?? ''), 'cluster', file);
  const user = named(doc, 'users', String(ctx.user ?? ''), 'user', file);
  const base = dirname(file);
  const path = (p: unknown) => (isAbsolute(String(p)) ? String(p) : join(base, String(p)));
  const where = `${file} (context ${contextName})`;
  for (const k of Object.keys(cluster))
    if (!KNOWN_CLUSTER_FIELDS.has(k))
      throw new KubeconfigError(`${where}: cluster.${k} is not supported by Herald's programs`);
  for (const k of Object.keys(user))
    if (!KNOWN_USER_FIELDS.has(k))
      throw new KubeconfigError(`${where}: user.${k} is not supported by Herald's programs`);
  /** FIELD-data (base64) or FIELD (a file path relative to the kubeconfig). */
  const material = (o: Obj, field: string): Buffer | undefined => {
    const data = o[`${field}-data`];
    if (typeof data === 'string') return Buffer.from(data, 'base64');
    return o[field] === undefined ? undefined : readFileSync(path(o[field]));
  };

  if (typeof cluster.server !== 'string') throw new KubeconfigError(`${where}: cluster.server missing`);
  const server = new URL(cluster.server);
  const tls: TlsMaterial = {
    ca: material(cluster, 'certificate-authority'),
    rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true,
    servername: typeof cluster['tls-server-name'] === 'string' ? cluster['tls-server-name'] : undefined,
  };
  const cert = material(user, 'client-certificate');
  const key = material(user, 'client-key');
  if ((cert === undefined) !== (key === undefined))
    throw new KubeconfigError(`${where}: user needs both a client certificate and a client key`);

  let credentials: () => Promise<Credentials>;
  if (isObj(user.exec)) {
    credentials = execCredentials(user.exec, server, where);
  } else if (typeof user.token === 'string') {
    const headers = { Authorization: `Bearer ${user.token}` };
    credentials = async () => ({ headers, cert, key });
  } else if (user.tokenFile !== undefined) {
    const token = tokenFromFile(path(user.tokenFile));
    credentials = async () => ({ headers: token(), cert, key });
  } else {
    credentials = async () => ({ headers: {}, cert, key });
  }
  return { server, tls, credentials, source: `kubeconfig ${where}` };
}

interface ExecStatus {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  expirationTimestamp?: string;
}

/**
 * An exec credential plugin (KEP-541): runs the command with KUBERNETES_EXEC_INFO, reads an ExecCredential
 * from its stdout and keeps it until its expirationTimestamp (for ever without one, as kubectl does).
 */
function execCredentials(exec: Obj, server: URL, where: string): () => Promise<Credentials> {
  const apiVersion = String(exec.apiVersion ?? '');
  if (!/^client\.authentication\.k8s\.io\/(v1|v1beta1)$/.test(apiVersion))
    throw new KubeconfigError(`${where}: user.exec.apiVersion ${apiVersion || '(missing)'} is not supported`);
  if (typeof exec.command !== 'string') throw new KubeconfigError(`${where}: user.exec.command missing`);
  const args = Array.isArray(exec.args) ? exec.args.map(String) : [];
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const e of Array.isArray(exec.env) ? exec.env : [])
    if (isObj(e) && typeof e.name === 'string') env[e.name] = String(e.value ?? '');
  env.KUBERNETES_EXEC_INFO = JSON.stringify({
    apiVersion,
    kind: 'ExecCredential',
    spec: { cluster: { server: server.href }, interactive: false },
  });
  let cached: { credentials: Credentials; expiresAt: number } | undefined;
  let running: Promise<Credentials> | undefined;
  const run = () =>
    new Promise<Credentials>((resolve, reject) => {
      execFile(exec.command as string, args, { env, timeout: 60_000 }, (err, stdout) => {
        if (err) return reject(new KubeconfigError(`${where}: exec plugin failed: ${err.message}`));
        let status: ExecStatus | undefined;
        try {
          status = (JSON.parse(stdout) as { status?: ExecStatus }).status;
        } catch {
          // handled below
        }
        if (!status || (!status.token && !status.clientCertificateData))
          return reject(new KubeconfigError(`${where}: exec plugin printed no ExecCredential status`));
        const credentials: Credentials = {
          headers: status.token ? { Authorization: `Bearer ${status.token}` } : {},
          cert: status.clientCertificateData ? Buffer.from(status.clientCertificateData) : undefined,
          key: status.clientKeyData ? Buffer.from(status.clientKeyData) : undefined,
        };
        const expiresAt = status.expirationTimestamp
          ? Date.parse(status.expirationTimestamp)
          : Number.POSITIVE_INFINITY;
        cached = { credentials, expiresAt };
        resolve(credentials);
      });
    });
  return async () => {
    if (cached && Date.now() < cached.expiresAt - 10_000) return cached.credentials;
    running ??= run().finally(() => {
      running = undefined;
    });
    return running;
  };
}

/** The programs' connection: the kubeconfig at PATH when given (--kubeconfig), else the Pod's service account. */
export function loadKubeConnection(path: string | undefined): KubeConnection {
  return path ? kubeconfigConnection(path) : inClusterConnection();
}
