// heraldctl status: one table of every speaker's BGP sessions, from given addresses or found via Kubernetes.

import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { NO_CA_HINT } from '../metrics-access.ts';
import { NO_TOKEN_HINT, type SpeakerAccess, targetUrl, tokenFromFlags } from './access.ts';
import { collectStatus } from './collect.ts';
import { allHealthy, renderStatus } from './format.ts';
import { speakerLabelSelector } from './selector.ts';

const collectRepeatable = (value: string, previous: string[] = []) => [...previous, value];

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description(
      "Show every speaker's BGP sessions (node, peer, state, uptime, prefixes, last error) from their /status " +
        'endpoints, and in layer-2 mode which node answers ARP/NDP for each address. Exit 0 when every speaker ' +
        'answered, every session is Established and (L2) every selected speaker is ready and all agree on each ' +
        "address's announcer; 1 otherwise.",
    )
    .option(
      '--speaker <host:port>',
      "a speaker's metrics address (repeatable; https unless --plain-http, or a full http(s):// URL); skips " +
        'Kubernetes discovery',
      collectRepeatable,
    )
    .addOption(new Option('--kubeconfig <path>', 'kubeconfig used to find speaker Pods').env('KUBECONFIG'))
    .option('-n, --namespace <ns>', 'namespace of the Herald install', 'herald-system')
    .option('-l, --selector <selector>', 'label selector of the speaker Pods', speakerLabelSelector)
    .option(
      '--port <port>',
      "speakers' metrics port (default: from each speaker Pod's --metrics-address, else 7473)",
      (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 65535)
          throw new InvalidArgumentError('must be a port 1..65535');
        return n;
      },
    )
    .addOption(
      new Option(
        '--token <token>',
        "bearer token for the speakers (default: the kubeconfig user's token)",
      ).env('HERALD_TOKEN'),
    )
    .option('--token-file <path>', 'read the bearer token from this file')
    .option(
      '--ca-file <path>',
      "PEM CA of the speakers' certificate (default: the chart's metrics CA ConfigMap)",
    )
    .option('--server-name <name>', 'name the certificate must carry (default: from that ConfigMap)')
    .option(
      '--insecure-skip-tls-verify',
      "do not verify the speakers' certificates (the token still goes out)",
    )
    .option('--plain-http', 'talk plain HTTP to --speaker host:port targets (chart value metrics.auth: none)')
    .option(
      '--timeout <ms>',
      'per-speaker timeout in milliseconds',
      (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
        return n;
      },
      5000,
    )
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'),
    )
    .option(
      '--routes',
      'after the sessions, one row per announced route and peer: prefix, weight (weighting: endpoints), drain state (RFC 8326), Services',
    )
    .addHelpText(
      'after',
      `
Examples:
  heraldctl status --kubeconfig ~/.kube/config -n herald-system
  heraldctl status --token "$(kubectl -n herald-system create token status-reader)"
  heraldctl status --speaker 203.0.113.11:7473 --ca-file ca.crt --server-name herald-speaker-metrics.herald-system.svc \\
    --token-file token
  heraldctl status --speaker 127.0.0.1:7473 --plain-http -o json
  heraldctl status --routes        # also each route's weight and drain state`,
    )
    .action(async (opts: StatusOptions) => {
      process.exitCode = await runStatus(opts);
    });
}

interface StatusOptions {
  speaker?: string[];
  kubeconfig?: string;
  namespace: string;
  selector: string;
  port?: number;
  token?: string;
  tokenFile?: string;
  caFile?: string;
  serverName?: string;
  insecureSkipTlsVerify?: boolean;
  plainHttp?: boolean;
  timeout: number;
  output: 'table' | 'json';
  routes?: boolean;
}

const fail = (message: string): number => {
  process.stderr.write(`heraldctl status: ${message}\n`);
  return 1;
};

async function runStatus(opts: StatusOptions): Promise<number> {
  let targets = (opts.speaker ?? []).map((t) => targetUrl(t, opts.plainHttp ?? false));
  let found: { ca?: { pem: string; serverName: string }; token?: string } = {};
  if (targets.length === 0) {
    try {
      // Loaded on demand: the Kubernetes client costs ~60 MB of RSS that `heraldctl bgp` must not pay.
      const { discoverSpeakers } = await import('./discover.ts');
      const d = await discoverSpeakers({
        kubeconfig: opts.kubeconfig,
        namespace: opts.namespace,
        labelSelector: opts.selector,
        ...(opts.port !== undefined ? { port: opts.port } : {}),
      });
      for (const s of d.skipped) process.stderr.write(`heraldctl status: skipping pod ${s}\n`);
      targets = d.targets;
      found = d;
    } catch (err) {
      return fail(
        `cannot list speaker pods (${opts.selector}) in namespace ${opts.namespace}: ` +
          `${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (targets.length === 0)
      return fail(`no running speaker pods match ${opts.selector} in namespace ${opts.namespace}`);
  } else if (opts.port !== undefined) {
    for (const t of targets) t.port = String(opts.port);
  }
  let access: SpeakerAccess;
  try {
    const token = tokenFromFlags(opts) ?? found.token;
    const secure = targets.some((t) => t.protocol === 'https:');
    if (secure && token === undefined) return fail(NO_TOKEN_HINT);
    const ca = opts.caFile ? readFileSync(opts.caFile, 'utf8') : found.ca?.pem;
    const serverName = opts.serverName ?? found.ca?.serverName;
    if (secure && !opts.insecureSkipTlsVerify && (ca === undefined || serverName === undefined))
      return fail(`the speakers' /status: ${NO_CA_HINT}`);
    access = {
      insecure: opts.insecureSkipTlsVerify ?? false,
      ...(token !== undefined ? { token } : {}),
      ...(ca !== undefined ? { ca } : {}),
      ...(serverName !== undefined ? { serverName } : {}),
    };
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
  const results = await collectStatus(targets, access, opts.timeout);
  if (opts.output === 'json') {
    process.stdout.write(
      `${JSON.stringify(
        results.map((r) =>
          r.ok ? { target: r.target, status: r.status } : { target: r.target, error: r.error },
        ),
        null,
        2,
      )}\n`,
    );
  } else {
    process.stdout.write(renderStatus(results, { routes: opts.routes === true }));
  }
  return allHealthy(results) ? 0 : 1;
}
