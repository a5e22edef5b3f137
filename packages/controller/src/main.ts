#!/usr/bin/env node
// herald-controller: parse flags, start the health server, run the controller until SIGTERM/SIGINT.

import { checkServingFlags, KubeClient, loadKubeConnection, startServing } from '@herald/kube';
import { createLogger, exitOnSignals, logUnhandledRejections, packageVersion } from '@herald/kube/process';
import { Controller } from './controller.ts';
import { createMetrics } from './metrics.ts';
import { buildProgram, optionsFrom } from './options.ts';

const version = packageVersion(new URL('../package.json', import.meta.url));
const program = buildProgram(version);
program.parse();
function parseOptions(): ReturnType<typeof optionsFrom> {
  try {
    const o = optionsFrom(program);
    checkServingFlags(o.serving);
    return o;
  } catch (e) {
    return program.error(`error: ${(e as Error).message}`, { exitCode: 2 });
  }
}
const options = parseOptions();

const log = createLogger({
  level: options.logLevel,
  base: { component: 'herald-controller', identity: options.identity },
});
const metrics = createMetrics();
function connect(): KubeClient {
  try {
    // One connection pool for every API call: lists, watches, status patches, Events, Lease and token reviews.
    return new KubeClient(loadKubeConnection(options.kubeconfig), { userAgent: 'herald-controller' });
  } catch (e) {
    log.fatal({ err: e instanceof Error ? e.message : String(e) }, 'no usable kubeconfig');
    process.exit(1);
  }
}
const kube = connect();
const controller = new Controller({
  kube,
  namespace: options.namespace,
  configMapName: options.configMap,
  loadBalancerClass: options.loadBalancerClass,
  identity: options.identity,
  leaderElect: options.leaderElect,
  leaseName: options.leaseName,
  leaseDurationMs: options.leaseDurationMs,
  renewDeadlineMs: options.renewDeadlineMs,
  retryPeriodMs: options.retryPeriodMs,
  workers: 16,
  log,
  metrics,
  onLostLeadership: () => {
    // Another replica may already lead: stop writing now. The Deployment restarts us as a standby.
    log.fatal('lost leadership; exiting');
    process.exit(1);
  },
});

const serving = await startServing({
  flags: options.serving,
  resource: 'controllers',
  kube,
  handlers: {
    metrics: metrics.registry,
    ready: () => controller.ready,
    status: () => controller.status(version),
  },
  onRefused: (path, status) => metrics.httpRefused.inc({ path, code: String(status) }),
});
const bound = serving.metrics.address();
log.info(
  { options: { ...options }, port: typeof bound === 'object' && bound !== null ? bound.port : undefined },
  'metrics server listening',
);

exitOnSignals({
  log,
  hardStopMs: 10_000,
  shutdown: async () => {
    log.info('shutting down');
    await controller.stop();
    await serving.close();
    log.info('stopped');
  },
});
logUnhandledRejections(log);

controller.start().catch((e: unknown) => {
  log.fatal({ err: String(e) }, 'could not start');
  process.exit(1);
});
