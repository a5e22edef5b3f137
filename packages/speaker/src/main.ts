#!/usr/bin/env node
// herald-speaker: flags (with environment fallbacks for the DaemonSet), then startSpeaker().
import { isIP } from 'node:net';
import type { BfdIsolation } from '@herald/bfd';
import {
  configMapKey,
  configMapName,
  type LabelSelector,
  matchesLabelSelector,
  parseConfig,
} from '@herald/config';
import { addServingOptions, servingFlags } from '@herald/kube';
import { exitOnSignals, logLevels } from '@herald/kube/process';
import { Command, InvalidArgumentError, Option } from 'commander';
import { startSpeaker } from './app.ts';
import { type ShutdownMode, shutdownModes } from './sessions/port.ts';
import { version } from './version.ts';

const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port 0..65535');
  return n;
};

const listenAddresses = (v: string): readonly string[] => {
  const list = v
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  for (const a of list)
    if (isIP(a) === 0) throw new InvalidArgumentError(`"${a}" is not an IP address (no host names)`);
  return list;
};

const integer = (min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`must be an integer ${min}..${max}`);
  return n;
};

const program = new Command('herald-speaker')
  .description(
    'Herald speaker: runs on every node (DaemonSet, host network), keeps BGP sessions to the configured ' +
      'routers and announces the LoadBalancer IPs this node should serve as /32 and /128 routes with itself ' +
      'as next hop; in layer-2 mode one node answers ARP/NDP for each address and the others take over when it fails.',
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
    new Option('--log-level <level>', 'pino log level')
      .choices(logLevels)
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
    new Option(
      '--bgp-listen-address <addresses>',
      'comma-separated addresses to accept passive peers on (default: the node address each passive peer ' +
        'peers from: its sourceAddress, else the Node address of its family; "::" or "0.0.0.0" for all)',
    )
      .env('HERALD_BGP_LISTEN_ADDRESS')
      .argParser(listenAddresses),
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
  .addOption(
    new Option(
      '--l2-key-file <path>',
      'layer-2 mode: file with the heartbeat HMAC key(s), one per line, the first signs (the chart mounts its Secret)',
    ).env('HERALD_L2_KEY_FILE'),
  )
  .addOption(
    new Option('--l2-port <port>', 'layer-2 mode: UDP port of the heartbeats between speakers, on every node')
      .env('HERALD_L2_PORT')
      .default(7474)
      .argParser(port),
  )
  .addOption(
    new Option('--l2-interval <ms>', 'layer-2 mode: heartbeat interval in milliseconds (10–10000)')
      .env('HERALD_L2_INTERVAL')
      .default(200)
      .argParser(integer(10, 10_000)),
  )
  .addOption(
    new Option(
      '--l2-detect-multiplier <n>',
      'layer-2 mode: heartbeats missed before a peer counts as dead (2–255); detection time = interval × this',
    )
      .env('HERALD_L2_DETECT_MULTIPLIER')
      .default(5)
      .argParser(integer(2, 255)),
  )
  .addOption(
    new Option(
      '--bfd-isolation <where>',
      'where BFD sessions run: worker = a worker thread, untouched by main-thread pauses; inline = the main ' +
        'thread, only to measure what the worker buys (see docs/bfd.md)',
    )
      .choices(['worker', 'inline'])
      .env('HERALD_BFD_ISOLATION')
      .default('worker'),
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

  # Only Services with spec.loadBalancerClass herald.dev/bgp, metrics plain HTTP on localhost only:
  herald-speaker --load-balancer-class herald.dev/bgp --metrics-address 127.0.0.1:7473 --metrics-auth none
`,
  )
  .showHelpAfterError()
  .exitOverride((err) => {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

addServingOptions(program, {
  metricsAddress: '0.0.0.0:7473',
  // The speaker runs on the host network: its probe port must not be reachable from the network.
  healthAddress: '127.0.0.1:7474',
  name: 'herald-speaker',
  paths: '/metrics and /status',
});
program.parse(process.argv);
const opts = program.opts<{
  nodeName?: string;
  kubeconfig?: string;
  namespace: string;
  configMap: string;
  loadBalancerClass?: string;
  logLevel: string;
  shutdownMode: ShutdownMode;
  bgpListenAddress?: readonly string[];
  bgpListenPort: number;
  l2KeyFile?: string;
  l2Port: number;
  l2Interval: number;
  l2DetectMultiplier: number;
  bfdIsolation: BfdIsolation;
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
    serving: servingFlags(program.opts()),
    logLevel: opts.logLevel,
    shutdownMode: opts.shutdownMode,
    bgpListenAddresses: opts.bgpListenAddress?.length ? opts.bgpListenAddress : undefined,
    bgpListenPort: opts.bgpListenPort,
    bfdIsolation: opts.bfdIsolation,
    parseConfig,
    // The speaker's selectors come from the validated config, so they are @herald/config selectors.
    matchSelector: (selector, labels) => matchesLabelSelector(selector as LabelSelector, labels),
    l2: {
      keyFile: opts.l2KeyFile || undefined,
      port: opts.l2Port,
      intervalMs: opts.l2Interval,
      detectMultiplier: opts.l2DetectMultiplier,
    },
  });
  // A withdraw-mode stop first drains routes for their drainTime (RFC 8326); the hard stop allows for it.
  exitOnSignals({
    log: speaker.log,
    hardStopMs: () => 15_000 + speaker.drainBudgetMs(),
    shutdown: () => speaker.shutdown(),
  });
} catch (err) {
  process.stderr.write(`herald-speaker: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
