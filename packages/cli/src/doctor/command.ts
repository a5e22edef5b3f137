// heraldctl doctor: is Herald healthy in this cluster, and if not, why — one report from the apiserver and the
// programs' /status, with a fix for every problem.
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { exitCode, renderJson, renderText } from './render.ts';

const positiveInt =
  (what: string, max = Number.MAX_SAFE_INTEGER) =>
  (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`must be ${what}`);
    return n;
  };

function readToken(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new InvalidArgumentError(`cannot read ${path}: ${(err as Error).message}`);
  }
  if (text === '') throw new InvalidArgumentError(`${path} is empty`);
  return text;
}

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description(
      'Check that Herald works in this cluster, and say why not: configuration (and what each program runs), ' +
        "controller leader and replicas, every speaker's readiness and BGP sessions, RBAC of both ServiceAccounts, " +
        'pending Services and unannounced addresses, pool usage. Exit 0 when nothing is wrong, 1 otherwise.',
    )
    .addOption(new Option('--kubeconfig <path>', 'kubeconfig of the cluster').env('KUBECONFIG'))
    .option('-n, --namespace <ns>', 'namespace of the Herald install', 'herald-system')
    .option(
      '--timeout <ms>',
      "timeout of each program's /status request",
      positiveInt('a positive integer'),
      5000,
    )
    .addOption(
      new Option(
        '--token <token>',
        "bearer token for the programs' HTTPS /status (default: the kubeconfig user's token)",
      ).env('HERALD_TOKEN'),
    )
    .option('--token-file <path>', 'read that bearer token from this file', readToken)
    .option(
      '--ca-file <path>',
      "PEM CA of the programs' metrics certificate (default: the chart's metrics CA ConfigMap)",
      readCa,
    )
    .option(
      '--server-name <name>',
      "name the certificates must carry (default: each program's name from that ConfigMap)",
    )
    .option(
      '--insecure-skip-tls-verify',
      "do not verify the programs' certificates (the token still goes out)",
    )
    .option(
      '--pool-warning <percent>',
      'a pool at least this full is a warning',
      positiveInt('a percentage 1..100', 100),
      80,
    )
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 on findings of this severity or worse')
        .choices(['error', 'warning'])
        .default('error'),
    )
    .option('-q, --quiet', 'print only errors and warnings (and the summary)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      `
Examples:
  heraldctl doctor                                  # the install in herald-system, current kubeconfig
  heraldctl doctor -n lb --kubeconfig ~/.kube/prod -q
  heraldctl doctor -o json | jq '.findings[] | select(.severity != "ok")'
  kubectl herald doctor --fail-on warning           # as a kubectl plugin, strict (CI)`,
    )
    .action(
      async (opts: {
        kubeconfig?: string;
        namespace: string;
        timeout: number;
        token?: string;
        tokenFile?: string;
        caFile?: string;
        serverName?: string;
        insecureSkipTlsVerify?: boolean;
        poolWarning: number;
        failOn: 'error' | 'warning';
        quiet?: boolean;
        output: 'text' | 'json';
      }) => {
        // Loaded on demand: the Kubernetes client costs RSS that other commands must not pay.
        const { gather } = await import('./gather.ts');
        const { runChecks } = await import('./checks/index.ts');
        const snapshot = await gather({
          kubeconfig: opts.kubeconfig,
          namespace: opts.namespace,
          timeoutMs: opts.timeout,
          token: opts.token || opts.tokenFile,
          ...(opts.caFile !== undefined ? { ca: opts.caFile } : {}),
          ...(opts.serverName !== undefined ? { serverName: opts.serverName } : {}),
          insecure: opts.insecureSkipTlsVerify === true,
        });
        const findings = runChecks(snapshot, { poolWarnPercent: opts.poolWarning });
        process.stdout.write(
          opts.output === 'json'
            ? renderJson(opts.namespace, findings)
            : renderText(opts.namespace, findings, opts.quiet === true),
        );
        process.exitCode = exitCode(findings, opts.failOn);
      },
    );
}
