// The serving flags both programs share and the one way they start their HTTP servers from them:
//   --metrics-address   /metrics (and /status): HTTPS with a bearer token checked by the apiserver
//                       (--metrics-auth=kubernetes, the default), or plain and open (--metrics-auth=none)
//   --health-address    /healthz and /readyz only, plain HTTP, for the kubelet ('' = served on the metrics port)
//   --tls-cert-file, --tls-key-file   the serving certificate (the chart mounts a Secret)
//   --metrics-authz-namespace, --metrics-authz-name   the resource attribute a reader needs `get` on
// Node's crypto cannot create an X.509 certificate, so a program never invents one: the certificate comes
// from a file (the chart renders one with Helm, or cert-manager writes it), and a missing one is an error at
// start, never a silent fallback to plain HTTP.

import { existsSync } from 'node:fs';
import type { Server } from 'node:net';
import { type Command, Option } from 'commander';
import type { KubeClient } from '../api/client.ts';
import { KubeRequestAuthorizer } from './auth.ts';
import { parseListenAddress } from './listen-address.ts';
import {
  closeServer,
  type ObservabilityHandlers,
  startHealthServer,
  startObservabilityServer,
} from './server.ts';

export const metricsAuthModes = ['kubernetes', 'none'] as const;
export type MetricsAuthMode = (typeof metricsAuthModes)[number];

/** The API group of the resource attribute readers are authorized against (a name, not a served API). */
export const METRICS_AUTHZ_GROUP = 'herald.dev';

export interface ServingFlags {
  readonly metricsAddress: string;
  readonly healthAddress: string;
  readonly metricsAuth: MetricsAuthMode;
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
  readonly metricsAuthzNamespace: string;
  readonly metricsAuthzName: string;
}

export interface ServingDefaults {
  readonly metricsAddress: string;
  readonly healthAddress: string;
  /** The program's name: the default resource name readers need access to. */
  readonly name: string;
  /** What it serves, for the help text: "/metrics" or "/metrics and /status". */
  readonly paths: string;
}

/** The commander options of the serving flags, with environment fallbacks (HERALD_*). */
export function servingOptions(d: ServingDefaults, env: NodeJS.ProcessEnv = process.env): Option[] {
  return [
    new Option('--metrics-address <host:port>', `serves ${d.paths} (and /healthz, /readyz)`)
      .env('HERALD_METRICS_ADDRESS')
      .default(d.metricsAddress),
    new Option(
      '--health-address <host:port>',
      'serves only /healthz and /readyz, plain HTTP, for the kubelet\'s probes ("" = only on the metrics address)',
    )
      .env('HERALD_HEALTH_ADDRESS')
      .default(d.healthAddress),
    new Option(
      '--metrics-auth <mode>',
      `kubernetes: HTTPS, and ${d.paths} only for a bearer token the apiserver accepts (TokenReview) whose ` +
        'user may get the resource below (SubjectAccessReview); none: plain HTTP, open to anyone who can connect',
    )
      .choices(metricsAuthModes)
      .env('HERALD_METRICS_AUTH')
      .default('kubernetes'),
    new Option('--tls-cert-file <path>', 'PEM serving certificate for --metrics-auth=kubernetes').env(
      'HERALD_TLS_CERT_FILE',
    ),
    new Option('--tls-key-file <path>', 'PEM private key of --tls-cert-file').env('HERALD_TLS_KEY_FILE'),
    new Option(
      '--metrics-authz-namespace <ns>',
      `namespace of the resource a reader needs "get" on (${METRICS_AUTHZ_GROUP} <resource>/metrics, /status)`,
    ).default(
      env.HERALD_NAMESPACE || env.POD_NAMESPACE || 'herald-system',
      '$HERALD_NAMESPACE, $POD_NAMESPACE or herald-system',
    ),
    new Option('--metrics-authz-name <name>', 'name of that resource (the chart passes its workload name)')
      .env('HERALD_METRICS_AUTHZ_NAME')
      .default(d.name),
  ];
}

/** Adds the serving options to a program's command line. */
export function addServingOptions<C extends Command>(
  command: C,
  d: ServingDefaults,
  env?: NodeJS.ProcessEnv,
): C {
  for (const option of servingOptions(d, env)) command.addOption(option);
  return command;
}

/** The serving flags out of a parsed command line (`command.opts()`). */
export function servingFlags(opts: Readonly<Record<string, unknown>>): ServingFlags {
  const text = (key: string): string | undefined =>
    typeof opts[key] === 'string' && opts[key] !== '' ? (opts[key] as string) : undefined;
  return {
    metricsAddress: String(opts.metricsAddress),
    healthAddress: typeof opts.healthAddress === 'string' ? opts.healthAddress : '',
    metricsAuth: opts.metricsAuth as MetricsAuthMode,
    ...(text('tlsCertFile') ? { tlsCertFile: text('tlsCertFile') } : {}),
    ...(text('tlsKeyFile') ? { tlsKeyFile: text('tlsKeyFile') } : {}),
    metricsAuthzNamespace: String(opts.metricsAuthzNamespace),
    metricsAuthzName: String(opts.metricsAuthzName),
  };
}

/** Checks the flags before anything starts; throws with what to fix. */
export function checkServingFlags(f: ServingFlags): void {
  parseListenAddress(f.metricsAddress);
  if (f.healthAddress !== '') parseListenAddress(f.healthAddress);
  if (f.metricsAuth === 'kubernetes') {
    if (!f.tlsCertFile || !f.tlsKeyFile)
      throw new Error(
        '--metrics-auth=kubernetes needs --tls-cert-file and --tls-key-file (a bearer token must not travel in ' +
          'plain text); or --metrics-auth=none to serve plain HTTP without authentication',
      );
    for (const f2 of [f.tlsCertFile, f.tlsKeyFile])
      if (!existsSync(f2)) throw new Error(`TLS file ${f2} does not exist`);
  }
}

export interface Serving {
  readonly metrics: Server;
  readonly health: Server | undefined;
  close(): Promise<void>;
}

/** Starts the metrics server (and the health server, when it has an address) as the flags say. */
export async function startServing(args: {
  readonly flags: ServingFlags;
  /** The resource name in the attribute: `speakers` or `controllers`. */
  readonly resource: string;
  /** Reviews readers' tokens (TokenReview, SubjectAccessReview) when --metrics-auth=kubernetes. */
  readonly kube: Pick<KubeClient, 'create'>;
  readonly handlers: ObservabilityHandlers;
  readonly onRefused?: (path: string, status: number) => void;
}): Promise<Serving> {
  const f = args.flags;
  checkServingFlags(f);
  const secure = f.metricsAuth === 'kubernetes';
  const metrics = await startObservabilityServer(f.metricsAddress, args.handlers, {
    ...(secure
      ? {
          tls: { certFile: f.tlsCertFile!, keyFile: f.tlsKeyFile! },
          authorizer: new KubeRequestAuthorizer({
            api: args.kube,
            attribute: {
              group: METRICS_AUTHZ_GROUP,
              resource: args.resource,
              namespace: f.metricsAuthzNamespace,
              name: f.metricsAuthzName,
            },
          }),
        }
      : {}),
    ...(args.onRefused ? { onRefused: args.onRefused } : {}),
  });
  const health =
    f.healthAddress === '' ? undefined : await startHealthServer(f.healthAddress, args.handlers.ready);
  return {
    metrics,
    health,
    async close() {
      await Promise.all([closeServer(metrics), health ? closeServer(health) : undefined]);
    },
  };
}
