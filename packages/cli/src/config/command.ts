// `heraldctl config validate|schema`: the same validation the controller and speaker run, before you apply.
import { readFileSync } from 'node:fs';
import {
  type ConfigError,
  configMapKey,
  configMapName,
  formatConfigError,
  type HeraldConfig,
  jsonSchema,
  parseConfigSource,
} from '@herald/config';
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

function summary(config: HeraldConfig): string {
  const n = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
  return `valid: ${n(config.addressPools.length, 'address pool')}, ${n(config.peers.length, 'peer')}, ${n(
    config.bgpAdvertisements.length,
    'advertisement',
  )}, ${n(config.bgpCommunities.size, 'community alias')}`.replace('community aliass', 'community aliases');
}

const jsonError = (e: ConfigError) => ({ ...e, text: formatConfigError(e) });

/** Runs `config validate`; returns the exit code (0 valid, 1 invalid, 2 usage / unreadable input). */
export function runValidate(file: string, output: string, io: ConfigCommandIo): number {
  let text: string;
  try {
    text = file === '-' ? io.readStdin() : readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(e);
    io.stderr(`error: cannot read ${file === '-' ? 'standard input' : file}: ${why}\n`);
    return 2;
  }
  const r = parseConfigSource(text);
  if (output === 'json') {
    const body = r.ok
      ? {
          valid: true,
          source: r.source,
          summary: summary(r.config),
          errors: [],
          warnings: r.warnings.map(jsonError),
        }
      : {
          valid: false,
          source: r.source,
          errors: r.errors.map(jsonError),
          warnings: r.warnings.map(jsonError),
        };
    io.stdout(`${JSON.stringify(body, null, 2)}\n`);
    return r.ok ? 0 : 1;
  }
  for (const w of r.warnings) io.stderr(`warning: ${formatConfigError(w)}\n`);
  if (!r.ok) {
    for (const e of r.errors) io.stdout(`${formatConfigError(e)}\n`);
    io.stderr(
      `${file === '-' ? 'standard input' : file}: ${r.errors.length} error${r.errors.length === 1 ? '' : 's'}\n`,
    );
    return 1;
  }
  io.stdout(`${summary(r.config)}\n`);
  return 0;
}

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
    .action((file: string, opts: { output: string }) => {
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
    .action(() => {
      io.stdout(`${JSON.stringify(jsonSchema, null, 2)}\n`);
      io.exit(0);
    });
}
