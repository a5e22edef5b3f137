// @herald/kube/process: what every Herald program does as a process (logging, version, signals). Kept apart
// from the Kubernetes client so heraldctl's BGP commands can use it without loading @kubernetes/client-node.
export { createLogger, type Logger, type LoggerOptions, logLevels } from './logger.ts';
export { exitOnSignals, logUnhandledRejections, type ShutdownOptions } from './signals.ts';
export { packageVersion } from './version.ts';
