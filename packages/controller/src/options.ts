// Command line: flags with environment fallbacks. The Helm chart passes exactly these flags.

import { hostname } from 'node:os';
import { addServingOptions, type ServingFlags, servingFlags } from '@herald/kube';
import { logLevels } from '@herald/kube/process';
import { Command, Option } from 'commander';

export interface Options {
  readonly kubeconfig: string | undefined;
  readonly namespace: string;
  readonly configMap: string;
  readonly loadBalancerClass: string | undefined;
  readonly serving: ServingFlags;
  readonly logLevel: string;
  readonly leaderElect: boolean;
  readonly leaseName: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly identity: string;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go-style durations: "15s", "1500ms", "1m30s". */
export function parseDurationMs(text: string): number | null {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null = re.exec(text);
  while (m !== null) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    matched = re.lastIndex;
    m = re.exec(text);
  }
  return text.length > 0 && matched === text.length ? total : null;
}

export function buildProgram(version: string, env: NodeJS.ProcessEnv = process.env): Command {
  const duration = (flag: string) => (value: string) => {
    const ms = parseDurationMs(value);
    if (ms === null || ms <= 0)
      throw new Error(`${flag} "${value}" is not a positive duration like 15s or 500ms`);
    return ms;
  };
  const command = new Command('herald-controller')
    .description(
      'Assigns external IPs to type: LoadBalancer Services from the address pools in the Herald ConfigMap and writes status.loadBalancer.ingress.',
    )
    .version(version)
    .addOption(
      new Option('--kubeconfig <path>', 'kubeconfig file (default: in-cluster service account)').env(
        'KUBECONFIG',
      ),
    )
    .addOption(
      new Option('--namespace <ns>', 'namespace of the ConfigMap and the leader Lease').default(
        env.HERALD_NAMESPACE ?? env.POD_NAMESPACE ?? 'herald-system',
        '$HERALD_NAMESPACE, $POD_NAMESPACE or herald-system',
      ),
    )
    .addOption(
      new Option('--config-map <name>', 'ConfigMap holding config.yaml')
        .env('HERALD_CONFIG_MAP')
        .default('herald-config'),
    )
    .addOption(
      new Option(
        '--load-balancer-class <class>',
        'handle only Services with this spec.loadBalancerClass (default: only Services without a class)',
      ).env('HERALD_LOAD_BALANCER_CLASS'),
    )
    .addOption(
      new Option('--log-level <level>', 'pino log level')
        .env('HERALD_LOG_LEVEL')
        .choices(logLevels)
        .default('info'),
    )
    .option('--leader-elect', 'elect a leader through a coordination.k8s.io/v1 Lease (default)', true)
    .option('--no-leader-elect', 'run as the only writer without a Lease (one replica only!)')
    .option('--lease-name <name>', 'name of the leader Lease', 'herald-controller')
    .addOption(
      new Option('--lease-duration <duration>', 'how long a Lease is valid without renewal')
        .argParser(duration('--lease-duration'))
        .default(15_000, '15s'),
    )
    .addOption(
      new Option('--renew-deadline <duration>', 'the leader steps down when it cannot renew for this long')
        .argParser(duration('--renew-deadline'))
        .default(10_000, '10s'),
    )
    .addOption(
      new Option('--retry-period <duration>', 'interval between Lease attempts')
        .argParser(duration('--retry-period'))
        .default(2_000, '2s'),
    )
    .addOption(
      new Option('--identity <id>', 'this replica in the Lease and in Events').default(
        env.POD_NAME ?? `${hostname()}_${process.pid}`,
        '$POD_NAME or hostname_pid',
      ),
    )
    .addHelpText(
      'after',
      `
Examples:
  # in a cluster (the Helm chart does this)
  herald-controller --namespace herald-system --config-map herald-config

  # from a workstation against a test cluster, no leader election, verbose
  herald-controller --kubeconfig ~/.kube/config --no-leader-elect --log-level debug \
    --metrics-address 127.0.0.1:7472 --metrics-auth none --health-address ''

  # only Services with spec.loadBalancerClass: herald.dev/bgp
  herald-controller --load-balancer-class herald.dev/bgp`,
    );
  return addServingOptions(
    command,
    {
      metricsAddress: '0.0.0.0:7472',
      // In its own Pod network: the kubelet probes the Pod's address, so not loopback.
      healthAddress: '0.0.0.0:7474',
      name: 'herald-controller',
      paths: '/metrics and /status',
    },
    env,
  );
}

export function optionsFrom(program: Command): Options {
  const o = program.opts<{
    kubeconfig?: string;
    namespace: string;
    configMap: string;
    loadBalancerClass?: string;
    logLevel: string;
    leaderElect: boolean;
    leaseName: string;
    leaseDuration: number;
    renewDeadline: number;
    retryPeriod: number;
    identity: string;
  }>();
  if (o.renewDeadline >= o.leaseDuration)
    throw new Error('--renew-deadline must be shorter than --lease-duration');
  if (o.retryPeriod >= o.renewDeadline)
    throw new Error('--retry-period must be shorter than --renew-deadline');
  return {
    kubeconfig: o.kubeconfig === '' ? undefined : o.kubeconfig,
    namespace: o.namespace,
    configMap: o.configMap,
    loadBalancerClass: o.loadBalancerClass === '' ? undefined : o.loadBalancerClass,
    serving: servingFlags(program.opts()),
    logLevel: o.logLevel,
    leaderElect: o.leaderElect,
    leaseName: o.leaseName,
    leaseDurationMs: o.leaseDuration,
    renewDeadlineMs: o.renewDeadline,
    retryPeriodMs: o.retryPeriod,
    identity: o.identity,
  };
}
