#!/usr/bin/env node
import {
  configMapKey,
  configMapName,
  type LabelSelector,
  matchesLabelSelector,
  parseConfig,
} from '@herald/config';
// herald-speaker: flags (with environment fallbacks for the DaemonSet), then startSpeaker().
import { Command, InvalidArgumentError, Option } from 'commander';
import { startSpeaker } from './app.ts';
import { type ShutdownMode, shutdownModes } from './sessions/port.ts';
import { version } from './version.ts';

const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port 0..65535');
  return n;
};

const program = new Command('herald-speaker')
  .description(
    'Herald speaker: runs on every node (DaemonSet, host network), keeps BGP sessions to the configured ' +
      'routers and announces the LoadBalancer IPs this node should serve as /32 and /128 routes with itself ' +
      'as next hop.',
  )
  .version(version, '-V, --version', 'print the version')
  .addOption(new Option('--node-name <name>', 'this node (downward API spec.nodeName)').env('NODE_NAME'))
  .addOption(
    new Option('--kubeconfig <path>', 'kubeconfig file; default: the in-cluster service account').env(
      'KUBECONFIG',
    ),
  )
  .addOption(
    new Option(
      '--namespace <ns>',
      'namespace of the config ConfigMap (env HERALD_NAMESPACE, then POD_NAMESPACE)',
    ).default(process.env.HERALD_NAMESPACE || process.env.POD_NAMESPACE || 'herald-system'),
  )
  .addOption(
    new Option('--config-map <name>', 'name of the config ConfigMap')
      .env('HERALD_CONFIG_MAP')
      .default(configMapName),
  )
  .addOption(
    new Option(
      '--load-balancer-class <class>',
      'handle Services with this spec.loadBalancerClass; unset: only Services without a class',
    ).env('HERALD_LOAD_BALANCER_CLASS'),
  )
  .addOption(
    new Option('--metrics-address <host:port>', 'serve /healthz /readyz /metrics /status here')
      .env('HERALD_METRICS_ADDRESS')
      .default('0.0.0.0:7473'),
  )
  .addOption(
    new Option('--log-level <level>', 'pino log level')
      .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace'])
      .env('HERALD_LOG_LEVEL')
      .default('info'),
  )
  .addOption(
    new Option(
      '--shutdown-mode <mode>',
      'on SIGTERM: graceful-restart = close sessions without NOTIFICATION so routers keep forwarding on stale ' +
        'routes while the speaker restarts (only peers with gracefulRestart negotiated; cordoned/excluded nodes ' +
        'always withdraw); withdraw = Cease/Administrative Shutdown, routers drop this node at once',
    )
      .choices([...shutdownModes])
      .env('HERALD_SHUTDOWN_MODE')
      .default('graceful-restart'),
  )
  .addOption(
    new Option('--bgp-listen-address <address>', 'listen address for passive peers (default: all)').env(
      'HERALD_BGP_LISTEN_ADDRESS',
    ),
  )
  .addOption(
    new Option(
      '--bgp-listen-port <port>',
      'listen port for passive peers; only opened when a selected peer is passive',
    )
      .env('HERALD_BGP_LISTEN_PORT')
      .default(179)
      .argParser(port),
  )
  .addHelpText(
    'after',
    `
Examples:
  # In the DaemonSet (NODE_NAME and POD_NAMESPACE from the downward API):
  herald-speaker

  # Outside the cluster against a kubeconfig, for node worker-1, verbose:
  herald-speaker --node-name worker-1 --kubeconfig ~/.kube/config --log-level debug

  # Withdraw routes on every SIGTERM instead of a graceful restart:
  herald-speaker --shutdown-mode withdraw

  # Only Services with spec.loadBalancerClass herald.dev/bgp, metrics on localhost:
  herald-speaker --load-balancer-class herald.dev/bgp --metrics-address 127.0.0.1:7473
`,
  )
  .showHelpAfterError()
  .exitOverride((err) => {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

program.parse(process.argv);
const opts = program.opts<{
  nodeName?: string;
  kubeconfig?: string;
  namespace: string;
  configMap: string;
  loadBalancerClass?: string;
  metricsAddress: string;
  logLevel: string;
  shutdownMode: ShutdownMode;
  bgpListenAddress?: string;
  bgpListenPort: number;
}>();
if (!opts.nodeName) {
  process.stderr.write('herald-speaker: --node-name (or env NODE_NAME) is required\n');
  process.exit(2);
}

try {
  const speaker = await startSpeaker({
    nodeName: opts.nodeName,
    kubeconfig: opts.kubeconfig || undefined,
    namespace: opts.namespace,
    configMap: opts.configMap,
    configKey: configMapKey,
    loadBalancerClass: opts.loadBalancerClass || undefined,
    metricsAddress: opts.metricsAddress,
    logLevel: opts.logLevel,
    shutdownMode: opts.shutdownMode,
    bgpListenAddress: opts.bgpListenAddress || undefined,
    bgpListenPort: opts.bgpListenPort,
    parseConfig,
    // The speaker's selectors come from the validated config, so they are @herald/config selectors.
    matchSelector: (selector, labels) => matchesLabelSelector(selector as LabelSelector, labels),
  });
  const onSignal = (signal: NodeJS.Signals) => {
    speaker.log.info({ signal }, 'signal received');
    // A second signal, or a stuck shutdown, must still end the process.
    setTimeout(() => process.exit(1), 15_000).unref();
    speaker.shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        speaker.log.error({ err: String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
} catch (err) {
  process.stderr.write(`herald-speaker: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
