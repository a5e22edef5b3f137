// `heraldctl migrate metallb`: the command line. The conversion (run.ts: YAML, @herald/config, the
// converter) is loaded only when the command runs, so other heraldctl commands never load it.
import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import type { MigrateIo, MigrateOptions } from './run.ts';

export type { MigrateIo, MigrateOptions } from './run.ts';

const defaultIo: MigrateIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readStdin: () => readFileSync(0, 'utf8'),
};

export function registerMigrateCommands(program: Command, io: MigrateIo = defaultIo): void {
  const migrate = program
    .command('migrate')
    .description("Convert another load balancer's configuration into Herald's config.yaml");
  migrate.addHelpText(
    'after',
    `
Examples:
  $ heraldctl migrate metallb metallb-config.yaml --output config.yaml
  $ kubectl get ipaddresspools,bgppeers,bgpadvertisements,communities -n metallb-system -o yaml | heraldctl migrate metallb -
  $ heraldctl migrate metallb --from-cluster --kubeconfig ~/.kube/config`,
  );
  migrate
    .command('metallb')
    .description(
      'Convert MetalLB configuration (IPAddressPool, BGPPeer, BGPAdvertisement, Community, BFDProfile, ' +
        'L2Advertisement objects, or the pre-0.13 ConfigMap) into a Herald config.yaml that passes ' +
        '"heraldctl config validate". What has no equivalent is listed on stderr, one line per source field. ' +
        'Exit 0 when written, 1 when there is nothing to convert or the result is invalid (nothing is written), ' +
        '2 on usage errors and unreadable files.',
    )
    .argument(
      '[files...]',
      'YAML files (several documents, kubectl lists, or a legacy ConfigMap); - for stdin',
    )
    .option('--from-cluster', 'read the metallb.io objects (or the legacy ConfigMap) from the cluster', false)
    .addOption(new Option('--kubeconfig <path>', 'kubeconfig for --from-cluster').env('KUBECONFIG'))
    .option(
      '-n, --namespace <ns>',
      "MetalLB's namespace: with --from-cluster where to read (default metallb-system); with files, only " +
        'objects of this namespace are converted',
    )
    .option(
      '--legacy-configmap <name>',
      'the legacy ConfigMap --from-cluster reads when no metallb.io objects exist',
      'config',
    )
    .option('--output <file>', 'write the result to this file instead of standard output')
    .addOption(
      new Option('--format <format>', 'config.yaml, a ConfigMap manifest, or Helm values (config: ...)')
        .choices(['config', 'configmap', 'values'])
        .default('config'),
    )
    .option(
      '--herald-namespace <ns>',
      'namespace of the ConfigMap written with --format configmap',
      'herald-system',
    )
    .addOption(
      new Option('--report <format>', 'how the list of what has no equivalent is printed (stderr)')
        .choices(['text', 'json'])
        .default('text'),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ heraldctl migrate metallb docs/examples/metallb/crs.yaml
  $ heraldctl migrate metallb docs/examples/metallb/legacy-configmap.yaml --output config.yaml
  $ heraldctl migrate metallb --from-cluster -n metallb-system --format configmap --output herald-config.yaml
  $ heraldctl migrate metallb crs.yaml --format values > values-herald.yaml   # the chart's config value

Output lines on stderr: "dropped" (no equivalent: not in the result), "adapted" (carried over in another
form with the same meaning), "ignored" (not configuration), each naming the source object and field.`,
    )
    .action(
      async (
        files: string[],
        opts: Omit<MigrateOptions, 'files' | 'legacyConfigmap'> & { legacyConfigmap: string },
      ) => {
        const { runMigrate } = await import('./run.ts');
        process.exitCode = await runMigrate({ ...opts, files }, io);
      },
    );
}
