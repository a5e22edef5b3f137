#!/usr/bin/env node
// heraldctl: the operator's tool. Each command group lives in its own module and registers itself here.
import { Command } from 'commander';
import { registerBgpCommands } from './bgp/command.ts';
import { registerConfigCommands } from './config/command.ts';
import { registerDoctorCommand } from './doctor/command.ts';
import { registerMigrateCommands } from './migrate/command.ts';
import { registerStatusCommand } from './status/command.ts';
import { version } from './version.ts';

const program = new Command('heraldctl')
  .description('Operator tool for Herald, the bare-metal Kubernetes LoadBalancer')
  .version(version, '-V, --version', 'print the heraldctl version')
  .showHelpAfterError()
  .addHelpText(
    'after',
    `
Examples:
  # Check a configuration (a config.yaml or a whole ConfigMap manifest) before applying it
  heraldctl config validate herald-config.yaml

  # Test a router's peering before installing Herald: announce one prefix until Ctrl-C
  heraldctl bgp announce --local-asn 64512 --peer-address 203.0.113.1 --peer-asn 64500 \\
    --prefix 198.51.100.10/32 --next-hop 203.0.113.11

  # Sessions and announced prefixes of every speaker in the cluster
  heraldctl status --kubeconfig ~/.kube/config

  # Is Herald healthy in this cluster, and if not, why (a fix for every problem)
  heraldctl doctor`,
  )
  // Usage errors exit 2 (bad option, missing argument); commands choose 0/1 for their own outcome.
  .exitOverride((err) => {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

registerBgpCommands(program);
registerConfigCommands(program);
registerDoctorCommand(program);
registerMigrateCommands(program);
registerStatusCommand(program);

await program.parseAsync(process.argv);
