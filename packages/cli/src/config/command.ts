// `heraldctl config validate|schema`: the command line. The validation (validate.ts) and the schema are loaded
// only when a command runs, so other heraldctl commands never load the YAML parser.
import { readFileSync } from 'node:fs';
import { configMapKey, configMapName } from '@herald/config/constants';
import { type Command, Option } from 'commander';

/** Where the command writes and how it ends; injectable so tests run it in-process. */
export interface ConfigCommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readStdin: () => string;
  readonly exit: (code: number) => void;
}

const defaultIo: ConfigCommandIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readStdin: () => readFileSync(0, 'utf8'),
  exit: (code) => {
    process.exitCode = code;
  },
};

export function registerConfigCommands(program: Command, io: ConfigCommandIo = defaultIo): void {
  const config = program
    .command('config')
    .description(
      `Validate Herald configuration (ConfigMap ${configMapName}, key ${configMapKey}) and print its schema`,
    );
  config.addHelpText(
    'after',
    `
Examples:
  $ heraldctl config validate config.yaml
  $ heraldctl config validate herald-configmap.yaml       # a whole ConfigMap manifest works too
  $ kubectl get cm ${configMapName} -n herald-system -o yaml | heraldctl config validate -
  $ heraldctl config schema > herald-config.schema.json`,
  );

  config
    .command('validate')
    .description(
      `Validate a config.yaml, or a manifest holding the ConfigMap ${configMapName}; "-" reads standard input. ` +
        'Exit 0 when valid, 1 when invalid (every error is printed as "path: reason"), 2 on usage errors.',
    )
    .argument('<file>', 'config.yaml, a ConfigMap manifest, or - for standard input')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      `
Examples:
  $ heraldctl config validate docs/examples/basic.yaml
  valid: 1 address pool, 1 peer, 1 advertisement, 0 community aliases
  $ heraldctl config validate -o json docs/examples/invalid.yaml
  $ kubectl get cm ${configMapName} -n herald-system -o yaml | heraldctl config validate -

Warnings (valid but probably unintended, e.g. a pool no advertisement announces) go to stderr.`,
    )
    .action(async (file: string, opts: { output: string }) => {
      const { runValidate } = await import('./validate.ts');
      io.exit(runValidate(file, opts.output, io));
    });

  config
    .command('schema')
    .description('Print the JSON Schema (2020-12) of config.yaml, for editors and CI')
    .addHelpText(
      'after',
      `
Examples:
  $ heraldctl config schema > herald-config.schema.json
  # VS Code (redhat.vscode-yaml): first line of config.yaml
  # yaml-language-server: $schema=./herald-config.schema.json`,
    )
    .action(async () => {
      const { jsonSchema } = await import('@herald/config');
      io.stdout(`${JSON.stringify(jsonSchema, null, 2)}\n`);
      io.exit(0);
    });
}
