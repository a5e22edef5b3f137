// @herald/controller: the pure allocator and the pieces of herald-controller, for tests and benchmarks.
export * from './allocator/index.ts';
export { Controller, type ControllerOptions, FIELD_MANAGER } from './controller.ts';
export { EventRecorder, REPORTING_CONTROLLER, TokenBuckets } from './events.ts';
export { PooledKubeConfig } from './kubeconfig.ts';
export { decideLease, type LeaseAction, type LeaseRecord, observe } from './leader/lease.ts';
export { type ControllerMetrics, createMetrics } from './metrics.ts';
export { buildProgram, optionsFrom, parseDurationMs } from './options.ts';
export { WorkQueue } from './queue.ts';
export { Reconciler, reasons, restoreOrder } from './reconciler.ts';
export * from './service.ts';
