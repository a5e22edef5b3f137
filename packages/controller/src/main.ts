#!/usr/bin/env node
// herald-controller: parse flags, start the health server, run the controller until SIGTERM/SIGINT.

import { readFileSync } from 'node:fs';
import pino from 'pino';
import { Controller } from './controller.ts';
import { startHealthServer } from './health.ts';
import { PooledKubeConfig } from './kubeconfig.ts';
import { createMetrics } from './metrics.ts';
import { buildProgram, optionsFrom } from './options.ts';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const program = buildProgram(pkg.version);
program.parse();
function parseOptions(): ReturnType<typeof optionsFrom> {
  try {
    return optionsFrom(program);
  } catch (e) {
    return program.error(`error: ${(e as Error).message}`, { exitCode: 2 });
  }
}
const options = parseOptions();

const log = pino({
  level: options.logLevel,
  base: { component: 'herald-controller', identity: options.identity },
});
const kc = new PooledKubeConfig(); // one connection pool for all API calls (see kubeconfig.ts)
if (options.kubeconfig !== undefined) kc.loadFromFile(options.kubeconfig);
else kc.loadFromCluster();

const metrics = createMetrics();
const controller = new Controller({
  kubeConfig: kc,
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

const server = await startHealthServer(options.metricsAddress, metrics.registry, controller);
const bound = server.address();
log.info(
  { options: { ...options }, port: typeof bound === 'object' && bound !== null ? bound.port : undefined },
  'health server listening',
);

let shuttingDown = false;
const shutdown = (signal: string): void => {
  if (shuttingDown) return;
  shuttingDown = true;
  log.info({ signal }, 'shutting down');
  const hardStop = setTimeout(() => process.exit(1), 10_000);
  hardStop.unref();
  controller
    .stop()
    .then(() => new Promise<void>((resolve) => server.close(() => resolve())))
    .then(() => {
      log.info('stopped');
      process.exit(0);
    })
    .catch((e: unknown) => {
      log.error({ err: String(e) }, 'error during shutdown');
      process.exit(1);
    });
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('unhandledRejection', (e) => log.error({ err: String(e) }, 'unhandled rejection'));

controller.start().catch((e: unknown) => {
  log.fatal({ err: String(e) }, 'could not start');
  process.exit(1);
});
