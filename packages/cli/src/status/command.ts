// heraldctl status: one table of every speaker's BGP sessions, from given addresses or found via Kubernetes.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { collectStatus } from './collect.ts';
import { allHealthy, renderTable, statusColumns, statusRows } from './format.ts';
import { speakerLabelSelector } from './selector.ts';

const collectRepeatable = (value: string, previous: string[] = []) => [...previous, value];

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description(
      "Show every speaker's BGP sessions (node, peer, state, uptime, prefixes, last error) from their /status " +
        'endpoints. Exit 0 when every speaker answered and every session is Established, 1 otherwise.',
    )
    .option(
      '--speaker <host:port>',
      "a speaker's metrics address (repeatable); skips Kubernetes discovery",
      collectRepeatable,
    )
    .addOption(new Option('--kubeconfig <path>', 'kubeconfig used to find speaker Pods').env('KUBECONFIG'))
    .option('-n, --namespace <ns>', 'namespace of the Herald install', 'herald-system')
    .option('-l, --selector <selector>', 'label selector of the speaker Pods', speakerLabelSelector)
    .option(
      '--port <port>',
      "speakers' metrics port",
      (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 65535)
          throw new InvalidArgumentError('must be a port 1..65535');
        return n;
      },
      7473,
    )
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
    .addHelpText(
      'after',
      `
Examples:
  heraldctl status --speaker 203.0.113.11:7473 --speaker 203.0.113.12:7473
  heraldctl status --kubeconfig ~/.kube/config -n herald-system
  heraldctl status --speaker 127.0.0.1:7473 -o json`,
    )
    .action(
      async (opts: {
        speaker?: string[];
        kubeconfig?: string;
        namespace: string;
        selector: string;
        port: number;
        timeout: number;
        output: 'table' | 'json';
      }) => {
        let targets = opts.speaker ?? [];
        if (targets.length === 0) {
          try {
            // Loaded on demand: the Kubernetes client costs ~60 MB of RSS that `heraldctl bgp` must not pay.
            const { discoverSpeakers } = await import('./discover.ts');
            const found = await discoverSpeakers({
              kubeconfig: opts.kubeconfig,
              namespace: opts.namespace,
              labelSelector: opts.selector,
              port: opts.port,
            });
            for (const s of found.skipped) process.stderr.write(`heraldctl status: skipping pod ${s}\n`);
            targets = found.targets;
          } catch (err) {
            process.stderr.write(
              `heraldctl status: cannot list speaker pods (${opts.selector}) in namespace ${opts.namespace}: ` +
                `${err instanceof Error ? err.message : String(err)}\n`,
            );
            process.exitCode = 1;
            return;
          }
          if (targets.length === 0) {
            process.stderr.write(
              `heraldctl status: no running speaker pods match ${opts.selector} in namespace ${opts.namespace}\n`,
            );
            process.exitCode = 1;
            return;
          }
        }
        const results = await collectStatus(targets, opts.timeout);
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
          process.stdout.write(renderTable(statusColumns, statusRows(results)));
        }
        process.exitCode = allHealthy(results) ? 0 : 1;
      },
    );
}
